"""The waitlist in the HTTP API: your entries, joining, withdrawing, claiming an offer."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from advisors.models import MeetingMode, Region, Topic
from advisors.selectors import bookable_advisors
from backend.openapi import CONFLICT

from . import selectors, waitlist
from .models import WaitlistEntry, WaitlistStatus
from .serializers import BookingSerializer, OwnEnterpriseField


class WaitlistEntrySerializer(serializers.ModelSerializer):
    """An entry as its entrepreneur sees it; `offer` is the held slot while open."""

    advisor = serializers.IntegerField(source="advisor_id", read_only=True, allow_null=True)
    advisor_name = serializers.CharField(source="advisor.user.full_name", read_only=True, default=None)
    region = serializers.CharField(source="region_id", read_only=True, allow_null=True)
    topic: serializers.SlugRelatedField[Topic] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True
    )
    offer = serializers.SerializerMethodField()
    booking = serializers.SerializerMethodField()

    class Meta:
        model = WaitlistEntry
        fields = ["id", "advisor", "advisor_name", "region", "topic", "status", "created", "offer", "booking"]
        read_only_fields = fields

    def get_offer(self, entry: WaitlistEntry) -> dict | None:
        advisor = entry.offered_advisor
        if entry.status != WaitlistStatus.OFFERED or advisor is None:
            return None
        offered, zone = entry.offered_slot(), advisor.zone
        return {
            "advisor": advisor.pk,
            "advisor_name": advisor.user.full_name,
            "start": offered.start.astimezone(zone).isoformat(),
            "end": offered.end.astimezone(zone).isoformat(),
            "duration": offered.duration,
            "expires_at": offered.expires_at.astimezone(zone).isoformat(),
            "topics": [t.slug for t in advisor.topics.all() if t.is_active],
            "modes": advisor.meeting_modes,
        }

    def get_booking(self, entry: WaitlistEntry) -> str | None:
        return str(entry.booking.uid) if entry.booking is not None else None


class WaitlistJoinSerializer(serializers.Serializer):
    """Either `advisor`, or `region` (code) and `topic` (slug)."""

    advisor = serializers.PrimaryKeyRelatedField(
        queryset=bookable_advisors(), required=False, allow_null=True
    )
    region = serializers.PrimaryKeyRelatedField(
        queryset=Region.objects.all(), required=False, allow_null=True
    )
    topic = serializers.SlugRelatedField(
        slug_field="slug", queryset=Topic.objects.filter(is_active=True), required=False, allow_null=True
    )
    enterprise = OwnEnterpriseField(required=False, allow_null=True, help_text="Default: your latest.")

    def validate(self, data: dict) -> dict:
        if data.get("advisor") is not None:
            if data.get("region") is not None or data.get("topic") is not None:
                raise serializers.ValidationError(
                    {"advisor": [_("Choose either an advisor, or a topic in a region, not both.")]}
                )
            return data
        errors = {}
        if data.get("region") is None:
            errors["region"] = [_("Choose an advisor, or a region and a topic.")]
        if data.get("topic") is None:
            errors["topic"] = [_("Choose an advisor, or a region and a topic.")]
        if errors:
            raise serializers.ValidationError(errors)
        return data


class WaitlistClaimSerializer(serializers.Serializer):
    topic = serializers.SlugRelatedField(slug_field="slug", queryset=Topic.objects.filter(is_active=True))
    mode = serializers.ChoiceField(choices=MeetingMode.choices)
    message = serializers.CharField(max_length=2000, allow_blank=True, required=False, default="")
    phone = serializers.CharField(
        max_length=30,
        allow_blank=True,
        required=False,
        default="",
        help_text="For mode phone: the number the advisor calls; default: the one on your account.",
    )


class WaitlistViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Your waitlist entries. Others' entries do not exist for you (404)."""

    permission_classes = [IsAuthenticated]
    serializer_class = WaitlistEntrySerializer

    def get_queryset(self):
        return waitlist.waitlist_entries_of(self.request.user)

    @extend_schema(request=WaitlistJoinSerializer, responses={201: WaitlistEntrySerializer, 409: CONFLICT})
    def create(self, request, *args, **kwargs):
        body = WaitlistJoinSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        entry = waitlist.waitlist_join(entrepreneur=request.user, **body.validated_data)
        return Response(
            WaitlistEntrySerializer(self.get_queryset().get(pk=entry.pk)).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=None, responses={200: WaitlistEntrySerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        entry = self.get_object()
        waitlist.waitlist_withdraw(entry=entry, by=request.user)
        return Response(WaitlistEntrySerializer(self.get_object()).data)

    @extend_schema(request=WaitlistClaimSerializer, responses={201: BookingSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def claim(self, request, pk=None):
        entry = self.get_object()
        body = WaitlistClaimSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        booking = waitlist.waitlist_claim(entry=entry, entrepreneur=request.user, **body.validated_data)
        return Response(
            BookingSerializer(selectors.booking_for(request.user, booking.uid)).data,
            status=status.HTTP_201_CREATED,
        )

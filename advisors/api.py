from __future__ import annotations

import dataclasses
from datetime import timedelta

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from backend import throttling
from backend.fields import DateField

from . import selectors
from .availability import interpreter_earliest
from .models import Advisor, MeetingMode
from .serializers import (
    AdvisorDetailSerializer,
    AdvisorSerializer,
    AvailabilitySerializer,
    RegionSerializer,
    TopicSerializer,
)
from .services import availability_update

MAX_SLOT_WINDOW_DAYS = 92


class RegionViewSet(viewsets.ReadOnlyModelViewSet):
    """Sweden's regions (län) with their municipalities (kommuner), by official code."""

    serializer_class = RegionSerializer
    permission_classes = [AllowAny]
    lookup_field = "code"

    def get_queryset(self):
        return selectors.region_list()


class TopicViewSet(viewsets.ReadOnlyModelViewSet):
    """Advice topics."""

    serializer_class = TopicSerializer
    permission_classes = [AllowAny]
    lookup_field = "slug"

    def get_queryset(self):
        return selectors.topic_list()


# --- The directory ----------------------------------------------------------------


class DirectoryFilterSerializer(serializers.Serializer):
    region = serializers.RegexField(r"^[0-9]{2}$", required=False, help_text='A region code, e.g. "20".')
    municipality = serializers.RegexField(
        r"^[0-9]{4}$", required=False, help_text='A municipality code, e.g. "2080".'
    )
    topic = serializers.SlugField(required=False, max_length=60)
    mode = serializers.ChoiceField(choices=MeetingMode.choices, required=False)
    language = serializers.RegexField(
        r"^[a-z]{2,3}$", required=False, help_text='An ISO 639 code, e.g. "ar".'
    )


class SlotQuerySerializer(serializers.Serializer):
    start = DateField(required=False, help_text="First local date (default: today).")
    end = DateField(required=False, help_text="Last local date, inclusive (default: start + 6 days).")
    duration = serializers.IntegerField(
        required=False, min_value=1, help_text="Minutes (default: the first offered)."
    )
    interpreter = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Only times far enough ahead for an interpreter (the advisor's interpreter_lead_days).",
    )

    def validate(self, attrs):
        today = timezone.localdate()
        start = attrs.get("start") or today
        end = attrs.get("end") or start + timedelta(days=6)
        if end < start:
            raise serializers.ValidationError({"end": _("The end date must not be before the start date.")})
        if (end - start).days + 1 > MAX_SLOT_WINDOW_DAYS:
            raise serializers.ValidationError(
                {"end": _("Ask for at most %(days)s days at a time.") % {"days": MAX_SLOT_WINDOW_DAYS}}
            )
        advisor: Advisor = self.context["advisor"]
        duration = attrs.get("duration") or advisor.session_lengths[0]
        if duration not in advisor.session_lengths:
            offered = ", ".join(str(m) for m in advisor.session_lengths)
            raise serializers.ValidationError(
                {"duration": _("This advisor offers sessions of %(offered)s minutes.") % {"offered": offered}}
            )
        return {
            "start": start,
            "end": end,
            "duration": duration,
            "interpreter": attrs.get("interpreter", False),
        }


# What a directory page reads of an advisor: its card (AdvisorSerializer) and
# the rules of its next free time (selectors.advisor_rules).
DIRECTORY_COLUMNS = (
    "title",
    "organisation",
    "region__code",
    "region__name",
    "user__full_name",
    "offers_in_person",
    "offers_phone",
    "offers_video",
    "session_lengths",
    *selectors.RULE_COLUMNS,
)


class AdvisorViewSet(viewsets.ReadOnlyModelViewSet):
    """Active advisors, with filters, each with their next free time."""

    permission_classes = [AllowAny]
    throttle_scope = throttling.DIRECTORY
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        return selectors.advisor_directory()

    def get_serializer_class(self):
        return AdvisorDetailSerializer if self.action == "retrieve" else AdvisorSerializer

    @extend_schema(parameters=[DirectoryFilterSerializer])
    def list(self, request, *args, **kwargs):
        filters = DirectoryFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        # Topics and languages as values (directory_names), not prefetched
        # instances; of the rows only what the page and the slot engine read.
        advisors = (
            selectors.advisor_directory(**filters.validated_data)
            .prefetch_related(None)
            .only(*DIRECTORY_COLUMNS)
        )
        page = self.paginate_queryset(advisors)
        context = {
            **self.get_serializer_context(),
            "names": selectors.directory_names([a.pk for a in page]),
            "next_available": selectors.next_available(page, now=timezone.now()),
        }
        return self.get_paginated_response(AdvisorSerializer(page, many=True, context=context).data)

    def get_object(self) -> Advisor:
        try:
            pk = int(self.kwargs["pk"])
        except ValueError:
            raise Http404 from None
        advisor = selectors.advisor_public(pk)
        if advisor is None:
            raise Http404
        return advisor

    def retrieve(self, request, *args, **kwargs):
        advisor = self.get_object()
        context = {
            **self.get_serializer_context(),
            "next_available": selectors.next_available([advisor], now=timezone.now()),
        }
        return Response(AdvisorDetailSerializer(advisor, context=context).data)


class AdvisorSlotsView(GenericAPIView):
    """Free slots of one advisor: local dates `start`..`end` (inclusive, at most 92 days)."""

    permission_classes = [AllowAny]
    serializer_class = SlotQuerySerializer
    throttle_scope = throttling.SLOTS

    @extend_schema(
        parameters=[SlotQuerySerializer],
        responses=inline_serializer(
            "Slots",
            {
                "advisor": serializers.IntegerField(),
                "timezone": serializers.CharField(),
                "start": serializers.DateField(),
                "end": serializers.DateField(),
                "duration": serializers.IntegerField(),
                "slots": inline_serializer(
                    "Slot",
                    {"start": serializers.DateTimeField(), "end": serializers.DateTimeField()},
                    many=True,
                ),
            },
        ),
    )
    def get(self, request, pk: int):
        advisor = selectors.bookable_advisor_for_slots(pk)
        if advisor is None:
            raise Http404
        query = SlotQuerySerializer(data=request.query_params, context={"advisor": advisor})
        query.is_valid(raise_exception=True)
        first_day, last_day, duration = (query.validated_data[k] for k in ("start", "end", "duration"))
        now = timezone.now()
        rules = selectors.advisor_rules(advisor)
        if query.validated_data["interpreter"]:
            earliest = interpreter_earliest(advisor.zone, advisor.interpreter_lead_days, now)
            rules = dataclasses.replace(rules, min_notice=max(rules.min_notice, earliest - now))
        slots = selectors.advisor_slots(
            advisor, first_day=first_day, last_day=last_day, duration=duration, now=now, rules=rules
        )
        zone = advisor.zone
        return Response(
            {
                "advisor": advisor.pk,
                "timezone": advisor.timezone,
                "start": first_day.isoformat(),
                "end": last_day.isoformat(),
                "duration": duration,
                "slots": [
                    {"start": s.start.astimezone(zone).isoformat(), "end": s.end.astimezone(zone).isoformat()}
                    for s in slots
                ],
            }
        )


# --- The signed-in advisor's own rules -------------------------------------------------


class MyAvailabilityView(GenericAPIView):
    """The signed-in advisor's weekly hours, overrides, time off and booking
    settings. PUT replaces them all (every key required); PATCH changes the keys given."""

    permission_classes = [IsAuthenticated]
    serializer_class = AvailabilitySerializer

    def get_object(self) -> Advisor:
        advisor = selectors.advisor_of(self.request.user)
        if advisor is None:
            raise PermissionDenied(_("Only advisors have availability rules."))
        return advisor

    def get(self, request):
        return Response(AvailabilitySerializer(self.get_object()).data)

    def put(self, request):
        return self._update(request, partial=False)

    def patch(self, request):
        return self._update(request, partial=True)

    def _update(self, request, *, partial: bool):
        advisor = self.get_object()
        body = AvailabilitySerializer(data=request.data, partial=partial)
        body.is_valid(raise_exception=True)
        advisor = availability_update(advisor=advisor, data=body.validated_data)
        return Response(AvailabilitySerializer(advisor).data)

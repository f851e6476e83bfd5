from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from advisors.models import MeetingMode, Municipality, Topic
from advisors.selectors import bookable_advisors
from backend.fields import InstantField

from . import needs, rules
from .models import Booking, Enterprise, EnterpriseKind
from .services import OUTCOME_NOTE_MAX


class NeedsSerializer(serializers.Serializer):
    """What the person needs to take part (bookings.needs). Missing keys are
    no need; unknown keys are refused. The fields document the shape (the
    schema); bookings.needs.clean_needs reads the value, as the pages do."""

    interpreter_language = serializers.ChoiceField(
        choices=[code for code, _label in needs.INTERPRETER_LANGUAGES],
        allow_null=True,
        required=False,
        help_text='An interpreter in this language ("sgn-SE": Swedish sign language); '
        "needs the advisor's lead time in working days.",
    )
    step_free = serializers.BooleanField(required=False, default=False)
    hearing_loop = serializers.BooleanField(required=False, default=False)
    companion = serializers.BooleanField(
        required=False, default=False, help_text="A companion or supervisor."
    )
    easy_read = serializers.BooleanField(required=False, default=False)
    other = serializers.CharField(required=False, allow_blank=True, default="", max_length=needs.OTHER_MAX)

    def to_internal_value(self, data):
        try:
            return needs.clean_needs(data)
        except needs.NeedsError as error:
            raise serializers.ValidationError({error.field: [str(error.message)]}) from None


class BookingSerializer(serializers.ModelSerializer):
    """A booking as its entrepreneur and its advisor see it, the advisor's
    outcome note too. Private notes are added only for the advisor (see
    BookingViewSet)."""

    uid = serializers.UUIDField(read_only=True)
    advisor = serializers.IntegerField(source="advisor_id", read_only=True)
    advisor_name = serializers.CharField(source="advisor.user.full_name", read_only=True)
    start = serializers.SerializerMethodField()
    end = serializers.SerializerMethodField()
    topic: serializers.SlugRelatedField[Topic] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    enterprise = serializers.SerializerMethodField()
    outcome_note = serializers.CharField(
        read_only=True,
        help_text="The advisor's summary of what the session covered and agreed; empty if none.",
    )
    needs = serializers.SerializerMethodField()
    booked_by = serializers.SerializerMethodField(
        help_text="The advisor who booked it for the person ({id, name}); null when the person booked it."
    )
    needs_not_met = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="The kinds of need the advisor recorded as not met (bookings.needs.KINDS).",
    )
    feedback = serializers.SerializerMethodField()

    class Meta:
        model = Booking
        fields = [
            "uid",
            "advisor",
            "advisor_name",
            "start",
            "end",
            "duration",
            "status",
            "topic",
            "mode",
            "location",
            "meeting_url",
            "phone",
            "message",
            "sequence",
            "enterprise",
            "cancel_reason",
            "outcome_note",
            "needs",
            "needs_not_met",
            "feedback",
            "booked_by",
            "created",
        ]
        read_only_fields = fields

    def _local(self, booking: Booking, value) -> str:
        return value.astimezone(booking.advisor.zone).isoformat()

    def get_start(self, booking: Booking) -> str:
        return self._local(booking, booking.start)

    def get_end(self, booking: Booking) -> str:
        return self._local(booking, booking.end)

    @extend_schema_field(
        {
            "type": "object",
            "nullable": True,
            "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
        }
    )
    def get_booked_by(self, booking: Booking) -> dict | None:
        by = booking.booked_by
        return {"id": by.pk, "name": by.get_full_name()} if by else None

    def get_enterprise(self, booking: Booking) -> dict | None:
        e = booking.enterprise
        return {"id": e.pk, "name": e.name} if e else None

    @extend_schema_field(NeedsSerializer)
    def get_needs(self, booking: Booking) -> dict:
        # Stored as given, or {} for none (and once erased): always the whole shape.
        return needs.as_shown(booking.needs)

    def get_feedback(self, booking: Booking) -> dict | None:
        feedback = getattr(booking, "feedback", None)
        return {"rating": feedback.rating, "comment": feedback.comment} if feedback else None


class AdvisorBookingSerializer(BookingSerializer):
    """What the booking's advisor sees in addition: who booked, and their own notes."""

    entrepreneur_name = serializers.CharField(source="entrepreneur.full_name", read_only=True, default=None)
    entrepreneur_email = serializers.SerializerMethodField(
        help_text="Where mail reaches the person; null when they have no email (or were erased)."
    )
    entrepreneur_phone = serializers.SerializerMethodField(
        help_text="For a session by phone: the number to call."
    )

    class Meta(BookingSerializer.Meta):
        fields = [
            *BookingSerializer.Meta.fields,
            "entrepreneur_name",
            "entrepreneur_email",
            "entrepreneur_phone",
            "private_notes",
        ]
        read_only_fields = fields

    def get_entrepreneur_email(self, booking: Booking) -> str | None:
        person = booking.entrepreneur
        return person.email if person and person.has_mailbox else None

    def get_entrepreneur_phone(self, booking: Booking) -> str:
        return rules.phone_to_call(booking)


@extend_schema_field(OpenApiTypes.INT)
class OwnEnterpriseField(serializers.PrimaryKeyRelatedField):
    """One of the asking person's enterprises. Any other id, someone else's
    or none at all, gets the same answer, so ids cannot be probed. Needs the
    request in the serializer's context."""

    default_error_messages = {
        **serializers.PrimaryKeyRelatedField.default_error_messages,
        "does_not_exist": _("Choose one of your own enterprises."),
    }

    def get_queryset(self):
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return Enterprise.objects.none()
        return Enterprise.objects.filter(members=user)


class OnBehalfEnterpriseSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, help_text="The enterprise's name, or the idea's.")
    org_number = serializers.CharField(
        max_length=20, required=False, allow_blank=True, default="", help_text="NNNNNN-NNNN, if registered."
    )
    municipality = serializers.PrimaryKeyRelatedField(
        queryset=Municipality.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="Its municipality's four-digit code; default: not stated.",
    )
    kind = serializers.ChoiceField(
        choices=EnterpriseKind.choices,
        required=False,
        default=EnterpriseKind.OTHER,
        help_text="Default: other.",
    )


class OnBehalfSerializer(serializers.Serializer):
    """The person an advisor books for (bookings.callers): an email address,
    a phone number or both."""

    name = serializers.CharField(max_length=150)
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    enterprise = OnBehalfEnterpriseSerializer()


class BookingCreateSerializer(serializers.Serializer):
    on_behalf_of = OnBehalfSerializer(
        required=False,
        help_text="Advisors only: book one of your own or a colleague's free times for this person.",
    )
    needs = NeedsSerializer(required=False, help_text="What the person needs to take part; default: nothing.")
    advisor = serializers.PrimaryKeyRelatedField(queryset=bookable_advisors())
    start = InstantField(help_text="ISO 8601 with offset, one of the advisor's free slots.")
    duration = serializers.IntegerField(
        min_value=1, help_text="Minutes, one of the advisor's session lengths."
    )
    topic = serializers.SlugRelatedField(slug_field="slug", queryset=Topic.objects.filter(is_active=True))
    mode = serializers.ChoiceField(choices=MeetingMode.choices)
    message = serializers.CharField(max_length=2000, allow_blank=True, required=False, default="")
    enterprise = OwnEnterpriseField(required=False, allow_null=True, help_text="Default: your latest.")
    phone = serializers.CharField(
        max_length=30,
        allow_blank=True,
        required=False,
        default="",
        help_text="For mode phone: the number the advisor calls; default: the one on your account.",
    )


class RescheduleSerializer(serializers.Serializer):
    start = InstantField()
    duration = serializers.IntegerField(min_value=1, required=False)


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, allow_blank=True, required=False, default="")


class OutcomeSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(
        choices=[("attended", _("Attended")), ("no_show", _("Did not come"))],
    )
    private_notes = serializers.CharField(max_length=10000, allow_blank=True, required=False)
    outcome_note = serializers.CharField(
        max_length=OUTCOME_NOTE_MAX,
        allow_blank=True,
        required=False,
        help_text="What the session covered and agreed; the entrepreneur sees it. Left out: kept as it is; "
        "empty: removed.",
    )
    needs_not_met = serializers.ListField(
        child=serializers.ChoiceField(choices=needs.KINDS),
        allow_empty=True,
        required=False,
        help_text="The kinds of the booking's needs that could not be met (interpreter, step_free, "
        "hearing_loop, companion, easy_read, other); the statistics count them. Left out: kept as it is.",
    )


class FeedbackSerializer(serializers.Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(max_length=2000, allow_blank=True, required=False, default="")

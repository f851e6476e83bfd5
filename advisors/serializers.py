from __future__ import annotations

from datetime import time
from typing import Any

from django.core.validators import URLValidator
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from backend.fields import DateField, InstantField

from . import validation
from .models import Advisor, Language, Municipality, Region, Topic
from .selectors import parse_clock


class MunicipalitySerializer(serializers.ModelSerializer):
    class Meta:
        model = Municipality
        fields = ["code", "name"]


class RegionSerializer(serializers.ModelSerializer):
    municipalities = MunicipalitySerializer(many=True, read_only=True)

    class Meta:
        model = Region
        fields = ["code", "name", "municipalities"]


class TopicSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True, help_text="In the request's language (Accept-Language).")

    class Meta:
        model = Topic
        fields = ["slug", "name", "name_sv", "name_en"]


# --- Availability (GET, PUT, PATCH /api/v1/me/availability/) -------------------


@extend_schema_field({"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$", "example": "09:00"})
class ClockField(serializers.Field):
    """A local wall-clock time as "HH:MM"; "24:00" ends a day."""

    default_error_messages = {"invalid": _('Give a time as "HH:MM", for example "09:30".')}

    def to_internal_value(self, data):
        if not isinstance(data, str) or len(data) != 5 or data[2] != ":":
            self.fail("invalid")
        try:
            return parse_clock(data)
        except ValueError:
            self.fail("invalid")

    def to_representation(self, value: time) -> str:
        return value.strftime("%H:%M")


class WholeItemSerializer(serializers.Serializer):
    """An item of a list that PUT and PATCH both replace as a whole. DRF
    carries PATCH's `partial` into nested serializers, which would let an item
    through without its required fields (and the service fail on it); here
    each item must be complete either way."""

    def to_internal_value(self, data):
        attrs = super().to_internal_value(data)
        missing = {
            name: [field.error_messages["required"]]
            for name, field in self.fields.items()
            if field.required and not field.read_only and name not in attrs
        }
        if missing:
            raise serializers.ValidationError(missing)
        return attrs


class IntervalSerializer(WholeItemSerializer):
    start = ClockField()
    end = ClockField()

    def validate(self, attrs):
        if error := validation.interval_error(attrs["start"], attrs["end"]):
            raise serializers.ValidationError({"end": error})
        return attrs

    def to_representation(self, instance):
        start, end = (instance["start"], instance["end"]) if isinstance(instance, dict) else instance
        start, end = (parse_clock(v) if isinstance(v, str) else v for v in (start, end))
        return {"start": start.strftime("%H:%M"), "end": "24:00" if end == time(0) else end.strftime("%H:%M")}


class WeeklyHoursSerializer(IntervalSerializer):
    weekday = serializers.IntegerField(min_value=0, max_value=6, help_text="0 is Monday, 6 is Sunday.")

    def to_representation(self, instance):
        return {"weekday": instance.weekday, **super().to_representation((instance.start, instance.end))}


class DateOverrideSerializer(WholeItemSerializer):
    date = DateField()
    intervals = IntervalSerializer(many=True, allow_empty=True, help_text="Empty: closed that day.")

    def validate_intervals(self, intervals):
        if error := validation.overlap_error((i["start"], i["end"]) for i in intervals):
            raise serializers.ValidationError(error)
        return intervals


class TimeOffSerializer(WholeItemSerializer):
    start = InstantField()
    end = InstantField()
    reason = serializers.CharField(max_length=200, allow_blank=True, required=False, default="")

    def validate(self, attrs):
        if attrs["start"] >= attrs["end"]:
            raise serializers.ValidationError({"end": _("The end must be after the start.")})
        return attrs


class TimezoneField(serializers.CharField):
    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not validation.is_known_timezone(value):
            raise serializers.ValidationError(_("Unknown time zone: use a name such as Europe/Stockholm."))
        return value


class AvailabilitySerializer(serializers.Serializer):
    """The body of GET, PUT and PATCH /api/v1/me/availability/ (DESIGN.md)."""

    timezone = TimezoneField(max_length=64)
    weekly_hours = WeeklyHoursSerializer(many=True, allow_empty=True)
    overrides = DateOverrideSerializer(many=True, allow_empty=True)
    time_off = TimeOffSerializer(many=True, allow_empty=True)
    session_lengths = serializers.ListField(
        child=serializers.IntegerField(),
        min_length=1,
        max_length=6,
        help_text="Minutes, multiples of 5 up to 480.",
    )
    slot_step = serializers.IntegerField(
        min_value=validation.SLOT_STEP_RANGE[0], max_value=validation.SLOT_STEP_RANGE[1]
    )
    buffer_before = serializers.IntegerField(min_value=0, max_value=validation.BUFFER_MAX)
    buffer_after = serializers.IntegerField(min_value=0, max_value=validation.BUFFER_MAX)
    min_notice_hours = serializers.IntegerField(min_value=0, max_value=validation.MIN_NOTICE_HOURS_MAX)
    horizon_days = serializers.IntegerField(min_value=1, max_value=validation.HORIZON_DAYS_MAX)
    max_per_day = serializers.IntegerField(min_value=1, max_value=validation.MAX_PER_DAY_MAX, allow_null=True)
    closed_on_public_holidays = serializers.BooleanField()
    interpreter_lead_days = serializers.IntegerField(
        min_value=0,
        max_value=validation.INTERPRETER_LEAD_DAYS_MAX,
        required=False,
        help_text="Working days' notice a session with an interpreter needs (default 5).",
    )
    busy_calendar_url = serializers.CharField(
        max_length=1000,
        allow_null=True,
        allow_blank=True,
        required=False,
        validators=[URLValidator(schemes=["http", "https", "webcal"]), validation.validate_calendar_link],
        help_text="An ICS link whose events block your free time (Outlook and Google publish these).",
    )

    def validate_session_lengths(self, lengths):
        errors = {validation.session_length_error(m) for m in lengths} - {None}
        if errors:
            raise serializers.ValidationError(sorted(errors))
        if len(set(lengths)) != len(lengths):
            raise serializers.ValidationError(_("Each session length once, please."))
        return lengths

    def validate_weekly_hours(self, hours):
        errors = {}
        for weekday in range(7):
            day = [(h["start"], h["end"]) for h in hours if h["weekday"] == weekday]
            if error := validation.overlap_error(day):
                errors[weekday] = error
        if errors:
            raise serializers.ValidationError(
                [_("Weekday %(day)s: %(error)s") % {"day": d, "error": e} for d, e in errors.items()]
            )
        return hours

    def validate_overrides(self, overrides):
        dates = [o["date"] for o in overrides]
        if len(set(dates)) != len(dates):
            raise serializers.ValidationError(_("Each date may have one override."))
        return overrides

    def to_representation(self, advisor: Advisor):
        return {
            "timezone": advisor.timezone,
            "weekly_hours": WeeklyHoursSerializer(advisor.weekly_hours.all(), many=True).data,
            "overrides": advisor.date_overrides,
            "time_off": advisor.time_off,
            "session_lengths": advisor.session_lengths,
            "slot_step": advisor.slot_step,
            "buffer_before": advisor.buffer_before,
            "buffer_after": advisor.buffer_after,
            "min_notice_hours": advisor.min_notice_hours,
            "horizon_days": advisor.horizon_days,
            "max_per_day": advisor.max_per_day,
            "closed_on_public_holidays": advisor.closed_on_public_holidays,
            "interpreter_lead_days": advisor.interpreter_lead_days,
            "busy_calendar_url": advisor.busy_calendar_url or None,
            "busy_calendar_status": {
                "last_checked": advisor.busy_calendar_checked_at,
                "last_read": advisor.busy_calendar_synced_at,
                "error": advisor.busy_calendar_error or None,
            },
        }


# --- The directory ----------------------------------------------------------------


class LanguageSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)

    class Meta:
        model = Language
        fields = ["code", "name"]


class AdvisorSerializer(serializers.ModelSerializer):
    """An advisor's public profile. `next_available` comes from the view's context."""

    name = serializers.CharField(source="user.full_name")
    region = serializers.SerializerMethodField()
    topics = TopicSerializer(many=True)
    languages = LanguageSerializer(many=True)
    meeting_modes = serializers.ListField(child=serializers.CharField())
    next_available = serializers.SerializerMethodField()

    class Meta:
        model = Advisor
        fields = [
            "id",
            "name",
            "title",
            "organisation",
            "region",
            "topics",
            "languages",
            "meeting_modes",
            "session_lengths",
            "timezone",
            "next_available",
        ]

    def get_region(self, advisor) -> dict:
        return {"code": advisor.region.code, "name": advisor.region.name}

    def get_next_available(self, advisor) -> str | None:
        found = self.context.get("next_available", {}).get(advisor.pk)
        return found.astimezone(advisor.zone).isoformat() if found else None

    def to_representation(self, advisor: Advisor) -> dict[str, Any]:
        """Written out rather than left to the nested serializers, which cost
        about a millisecond an advisor: a directory page has up to 500. The
        fields above stay declared for the schema. Topics and languages come
        from the context's `names` (selectors.directory_names) when the view
        gives them, else from the advisor's prefetched relations."""
        names = self.context.get("names", {}).get(advisor.pk)
        if names is None:
            english = (get_language() or "sv").startswith("en")
            names = {
                "topics": [
                    {
                        "slug": t.slug,
                        "name": t.name_en if english else t.name_sv,
                        "name_sv": t.name_sv,
                        "name_en": t.name_en,
                    }
                    for t in advisor.topics.all()
                ],
                "languages": [
                    {"code": lang.code, "name": lang.name_en if english else lang.name_sv}
                    for lang in advisor.languages.all()
                ],
            }
        return {
            "id": advisor.pk,
            "name": advisor.user.full_name,
            "title": advisor.title,
            "organisation": advisor.organisation,
            "region": self.get_region(advisor),
            "topics": names["topics"],
            "languages": names["languages"],
            "meeting_modes": list(advisor.meeting_modes),
            "session_lengths": list(advisor.session_lengths),
            "timezone": advisor.timezone,
            "next_available": self.get_next_available(advisor),
        }


class AdvisorDetailSerializer(AdvisorSerializer):
    municipalities = serializers.SerializerMethodField()

    class Meta(AdvisorSerializer.Meta):
        fields = [
            *AdvisorSerializer.Meta.fields,
            "bio",
            "municipalities",
            "address",
            "accessibility_note",
        ]

    def get_municipalities(self, advisor) -> list[dict]:
        """The municipalities served; all of the region's when the advisor lists none."""
        chosen = list(advisor.municipalities.all())
        return [{"code": m.code, "name": m.name} for m in chosen] if chosen else []

    def to_representation(self, advisor: Advisor) -> dict[str, Any]:
        return {
            **super().to_representation(advisor),
            "bio": advisor.bio,
            "municipalities": self.get_municipalities(advisor),
            "address": advisor.address,
            "accessibility_note": advisor.accessibility_note,
        }

"""Forms of the signed-in advisor's pages. They parse input and check it with
the rules shared with the API (advisors.validation); the views hand the
cleaned values to a service."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, cast
from zoneinfo import ZoneInfo

from django import forms
from django.core.validators import URLValidator
from django.db import models
from django.http import QueryDict
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _

from backend import limits
from backend.formfields import DateField, ModelMultipleChoiceField

from . import validation
from .availability import local_to_utc
from .models import Advisor, Language, Municipality, Topic
from .selectors import parse_instant
from .services_profile import meeting_mode_errors

# Rows of time inputs per weekday on the weekly hours page; more are shown
# when an advisor already has more intervals on a day (set through the API).
INTERVALS_PER_DAY = 4
# What an unfilled time input holds: nothing posted, an empty text, no initial.
EMPTY = (None, "")
OVERRIDE_INTERVALS = 2

COMMON_TIMEZONES = (
    "Europe/Stockholm",
    "Europe/Helsinki",
    "Europe/Oslo",
    "Europe/Copenhagen",
    "Europe/Berlin",
    "Europe/London",
    "UTC",
)


def _time_field(label, **kwargs) -> forms.TimeField:
    return forms.TimeField(
        label=label,
        required=False,
        input_formats=["%H:%M", "%H:%M:%S"],
        widget=forms.TimeInput(format="%H:%M", attrs={"type": "time"}),
        **kwargs,
    )


def _date_field(label, **kwargs) -> forms.DateField:
    return DateField(
        label=label,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        **kwargs,
    )


if TYPE_CHECKING:
    _FormBase = forms.BaseForm
else:
    _FormBase = object


class ErrorSummaryMixin(_FormBase):
    """`error_links`: what the error summary at the top of a form lists, as
    (field id or None, text) pairs, in the order of the fields."""

    def error_links(self) -> list[tuple[str | None, str]]:
        links: list[tuple[str | None, str]] = [(None, str(e)) for e in self.non_field_errors()]
        for bound in self:
            links.extend((bound.auto_id, f"{bound.label}: {error}") for error in bound.errors)
        return links


# --- The week ----------------------------------------------------------------------


WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")
# The weeks whose Monday lies in the site's dates (backend.limits): 2000-W01
# starts on 3 January 2000, 2100-W52 on 27 December 2100.
FIRST_MONDAY = limits.EARLIEST_DATE + timedelta(days=(7 - limits.EARLIEST_DATE.weekday()) % 7)
LAST_MONDAY = limits.LATEST_DATE - timedelta(days=limits.LATEST_DATE.weekday())


def iso_week(day: date) -> str:
    """`day`'s ISO week as ?week= writes it: "2026-W49"."""
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


class WeekForm(forms.Form):
    """`?week=2026-W49`: an ISO week, cleaned to its Monday."""

    week = forms.CharField(required=False, max_length=8)

    def clean_week(self) -> date | None:
        value = self.cleaned_data["week"].strip()
        if not value:
            return None
        match = WEEK_RE.match(value)
        if match is None:
            raise forms.ValidationError(_("Give a week as 2026-W49."))
        try:
            monday = date.fromisocalendar(int(match[1]), int(match[2]), 1)
        except ValueError:
            raise forms.ValidationError(_("That week does not exist.")) from None
        if not FIRST_MONDAY <= monday <= LAST_MONDAY:
            raise forms.ValidationError(
                _("Give a week between %(first)s and %(last)s.")
                % {"first": iso_week(FIRST_MONDAY), "last": iso_week(LAST_MONDAY)},
                code="date_range",
            )
        return monday


# --- Weekly hours ------------------------------------------------------------------


class WeeklyHoursForm(ErrorSummaryMixin, forms.Form):
    """Fields day{weekday}_start_{n} and day{weekday}_end_{n}. An end of 00:00
    is midnight at the end of the day."""

    def __init__(self, *args, advisor: Advisor, min_rows: int = 0, **kwargs) -> None:
        existing: dict[int, list[tuple[time, time]]] = {d: [] for d in range(7)}
        for hours in advisor.weekly_hours.all():
            existing[hours.weekday].append((hours.start, hours.end))
        initial = {}
        for weekday, intervals in existing.items():
            for n, (start, end) in enumerate(sorted(intervals), start=1):
                initial[f"day{weekday}_start_{n}"] = start
                initial[f"day{weekday}_end_{n}"] = end
        kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        self.rows = {d: max(INTERVALS_PER_DAY, len(existing[d]), min_rows) for d in range(7)}
        for weekday in range(7):
            for n in range(1, self.rows[weekday] + 1):
                names = {"day": WEEKDAYS[weekday], "n": n}
                self.fields[f"day{weekday}_start_{n}"] = _time_field(_("%(day)s, from (%(n)s)") % names)
                self.fields[f"day{weekday}_end_{n}"] = _time_field(_("%(day)s, to (%(n)s)") % names)

    def _pairs(self, weekday: int) -> Iterator[tuple[int, time | None, time | None]]:
        for n in range(1, self.rows[weekday] + 1):
            yield (
                n,
                self.cleaned_data.get(f"day{weekday}_start_{n}"),
                self.cleaned_data.get(f"day{weekday}_end_{n}"),
            )

    def clean(self):
        cleaned = super().clean()
        hours = []
        for weekday in range(7):
            if any(name.startswith(f"day{weekday}_") for name in self.errors):
                continue  # a time that did not parse already has its error
            day = []
            for n, start, end in self._pairs(weekday):
                if start is None and end is None:
                    continue
                if start is None or end is None:
                    missing = "start" if start is None else "end"
                    self.add_error(f"day{weekday}_{missing}_{n}", _("Give both a start and an end."))
                elif error := validation.interval_error(start, end):
                    self.add_error(f"day{weekday}_end_{n}", error)
                else:
                    day.append((n, start, end))
            if any(name.startswith(f"day{weekday}_") for name in self.errors):
                continue
            if error := validation.overlap_error((start, end) for _n, start, end in day):
                self.add_error(f"day{weekday}_start_{day[0][0]}", error)
                continue
            hours.extend({"weekday": weekday, "start": start, "end": end} for _n, start, end in day)
        self.weekly_hours = hours
        return cleaned

    @classmethod
    def copying_monday(cls, data: QueryDict, *, advisor: Advisor) -> WeeklyHoursForm:
        """The form as posted, with Monday's rows, as typed, copied over
        Tuesday's to Friday's. Nothing is saved: the advisor checks and saves."""
        posted = cls(data, advisor=advisor).rows
        rows = posted[0]
        copied = data.copy()
        for weekday in range(1, 5):
            # Rows past Monday's are emptied: the day becomes Monday's.
            for n in range(1, max(rows, posted[weekday]) + 1):
                for edge in ("start", "end"):
                    copied[f"day{weekday}_{edge}_{n}"] = data.get(f"day0_{edge}_{n}", "")
        return cls(copied, advisor=advisor, min_rows=rows)

    def days(self) -> list[dict]:
        """The weekdays as the template lays them out: name, rows of (start,
        end) bound fields, and the day's errors. `rows` are those shown: up to
        the last one filled in, at least one; `more_rows`, all empty, are
        folded under "add an interval" so a week reads as a week, not a grid."""
        days = []
        for weekday in range(7):
            rows = [
                (n, self[f"day{weekday}_start_{n}"], self[f"day{weekday}_end_{n}"])
                for n in range(1, self.rows[weekday] + 1)
            ]
            errors: list[str] = []
            for _n, start, end in rows:
                errors.extend(e for e in [*start.errors, *end.errors] if e not in errors)
            filled = [
                n
                for n, start, end in rows
                if start.errors or end.errors or start.value() not in EMPTY or end.value() not in EMPTY
            ]
            shown = max(filled, default=1)
            days.append(
                {
                    "weekday": weekday,
                    "name": WEEKDAYS[weekday],
                    "rows": rows[:shown],
                    "more_rows": rows[shown:],
                    "errors": errors,
                }
            )
        return days

    def error_links(self) -> list[tuple[str | None, str]]:
        links: list[tuple[str | None, str]] = []
        for day in self.days():
            for _n, start, end in day["rows"] + day["more_rows"]:
                for bound in (start, end):
                    links.extend((bound.auto_id, f"{day['name']}: {error}") for error in bound.errors)
        return links


# --- Date overrides ----------------------------------------------------------------


class OverrideForm(ErrorSummaryMixin, forms.Form):
    """Other hours on one date (replacing that date's weekly hours), or closed."""

    date = _date_field(_("Date"))
    closed = forms.BooleanField(label=_("Closed all day"), required=False)
    start_1 = _time_field(_("From"))
    end_1 = _time_field(_("To"))
    start_2 = _time_field(_("From (second interval)"))
    end_2 = _time_field(_("To (second interval)"))

    def __init__(self, *args, today: dt.date, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["date"].widget.attrs["min"] = today.isoformat()

    def clean_date(self) -> dt.date:
        day = self.cleaned_data["date"]
        if day < self.today:
            raise forms.ValidationError(_("Choose today or a later date."))
        return day

    def clean(self):
        cleaned = super().clean()
        intervals = []
        for n in range(1, OVERRIDE_INTERVALS + 1):
            start, end = cleaned.get(f"start_{n}"), cleaned.get(f"end_{n}")
            if f"start_{n}" in self.errors or f"end_{n}" in self.errors or (start is None and end is None):
                continue
            if start is None or end is None:
                missing = "start" if start is None else "end"
                self.add_error(f"{missing}_{n}", _("Give both a start and an end."))
            elif error := validation.interval_error(start, end):
                self.add_error(f"end_{n}", error)
            else:
                intervals.append({"start": start, "end": end})
        if self.errors:
            return cleaned
        if cleaned.get("closed") and intervals:
            self.add_error("closed", _("Either mark the day as closed or give its hours, not both."))
        elif not cleaned.get("closed") and not intervals:
            self.add_error("start_1", _("Give the hours for this date, or mark it as closed all day."))
        elif error := validation.overlap_error((i["start"], i["end"]) for i in intervals):
            self.add_error("start_2", error)
        else:
            self.override = {"date": cleaned["date"], "intervals": intervals}
        return cleaned


class OverrideDeleteForm(forms.Form):
    delete_date = DateField()


# --- Time off ----------------------------------------------------------------------


class TimeOffForm(ErrorSummaryMixin, forms.Form):
    """A period away, in the advisor's time zone. Without times it covers whole
    days: from the start of the first date to the end of the last."""

    start_date = _date_field(_("First day"))
    start_time = _time_field(_("From time"), help_text=_("Leave empty to start at the beginning of the day."))
    end_date = _date_field(_("Last day"))
    end_time = _time_field(_("Until time"), help_text=_("Leave empty to include the whole last day."))
    reason = forms.CharField(
        label=_("Reason"),
        max_length=200,
        required=False,
        help_text=_("Only you see this, for example Semester."),
    )

    def __init__(self, *args, zone: ZoneInfo, now: datetime, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone
        self.now = now

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        start = local_to_utc(cleaned["start_date"], cleaned.get("start_time") or time(0), self.zone)
        if cleaned.get("end_time") is None:
            end = local_to_utc(cleaned["end_date"] + timedelta(days=1), time(0), self.zone)
        else:
            end = local_to_utc(cleaned["end_date"], cleaned["end_time"], self.zone)
        if end <= start:
            self.add_error("end_date", _("The end must be after the start."))
        elif end <= self.now:
            self.add_error("end_date", _("This time has already passed."))
        else:
            self.time_off = {"start": start, "end": end, "reason": cleaned.get("reason", "")}
        return cleaned


class TimeOffDeleteForm(forms.Form):
    delete_start = forms.CharField(max_length=40)
    delete_end = forms.CharField(max_length=40)

    def clean(self):
        cleaned = super().clean()
        try:
            self.interval = (parse_instant(cleaned["delete_start"]), parse_instant(cleaned["delete_end"]))
        except (KeyError, ValueError):
            raise forms.ValidationError(_("That time off was not found.")) from None
        return cleaned


# --- Booking settings --------------------------------------------------------------


# The lengths offered as checkboxes on the settings page. An advisor's stored
# length outside these (set through the API) is offered too, so saving the
# page never drops it.
SESSION_LENGTH_CHOICES = (15, 30, 45, 60, 90, 120)


class SessionLengthsField(forms.TypedMultipleChoiceField):
    """Session lengths in minutes, ticked from SESSION_LENGTH_CHOICES. The
    API's rules (validation.session_length_error, each once, at most 6) hold
    here too."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault(
            "error_messages",
            {
                "required": _("Choose at least one session length."),
                "invalid_choice": _("Choose session lengths from the list."),
            },
        )
        super().__init__(coerce=int, empty_value=[], **kwargs)
        self.offer(())

    def offer(self, stored: Iterable[int]) -> None:
        """The checkboxes: the usual lengths and any of `stored`, shortest first."""
        minutes = sorted({*SESSION_LENGTH_CHOICES, *stored})
        self.choices = [(m, _("%(minutes)s minutes") % {"minutes": m}) for m in minutes]

    def to_python(self, value) -> list[str]:
        # An empty value (a hand-made query) is no box ticked.
        return [v for v in super().to_python(value) if v != ""]

    def clean(self, value) -> list[int]:  # type: ignore[override]  # minutes, not the texts
        # The rules read minutes, so they run after the coercion to int.
        value = super().clean(value)
        if errors := sorted({e for m in value if (e := validation.session_length_error(m)) is not None}):
            raise forms.ValidationError(errors)
        if len(set(value)) != len(value):
            raise forms.ValidationError(_("Each session length once, please."))
        if len(value) > 6:
            raise forms.ValidationError(_("Offer at most 6 session lengths."))
        return value


class SettingsForm(ErrorSummaryMixin, forms.Form):
    timezone = forms.ChoiceField(label=_("Time zone"))
    session_lengths = SessionLengthsField(
        label=_("Session lengths"),
        help_text=_("People choose between these when they book; the first you chose is shown first."),
    )
    slot_step = forms.IntegerField(
        label=_("Start times every (minutes)"),
        min_value=validation.SLOT_STEP_RANGE[0],
        max_value=validation.SLOT_STEP_RANGE[1],
    )
    buffer_before = forms.IntegerField(
        label=_("Buffer before a session (minutes)"), min_value=0, max_value=validation.BUFFER_MAX
    )
    buffer_after = forms.IntegerField(
        label=_("Buffer after a session (minutes)"), min_value=0, max_value=validation.BUFFER_MAX
    )
    min_notice_hours = forms.IntegerField(
        label=_("Minimum notice (hours)"),
        min_value=0,
        max_value=validation.MIN_NOTICE_HOURS_MAX,
        help_text=_("How long before a session it can be booked at the latest."),
    )
    horizon_days = forms.IntegerField(
        label=_("Bookable days ahead"), min_value=1, max_value=validation.HORIZON_DAYS_MAX
    )
    max_per_day = forms.IntegerField(
        label=_("Maximum sessions a day"),
        min_value=1,
        max_value=validation.MAX_PER_DAY_MAX,
        required=False,
        help_text=_("Leave empty for no limit."),
    )
    closed_on_public_holidays = forms.BooleanField(label=_("Closed on public holidays"), required=False)
    interpreter_lead_days = forms.IntegerField(
        label=_("Notice for an interpreter (working days)"),
        min_value=0,
        max_value=validation.INTERPRETER_LEAD_DAYS_MAX,
        required=False,  # left out (a page from before it was asked): kept as it is
        help_text=_(
            "A session where someone needs an interpreter can be booked this many working days ahead at the earliest."
        ),
    )
    busy_calendar_url = forms.CharField(
        label=_("Busy calendar (ICS link)"),
        max_length=1000,
        required=False,
        validators=[URLValidator(schemes=["http", "https", "webcal"]), validation.validate_calendar_link],
        widget=forms.URLInput,
        help_text=_(
            "A link to a calendar whose events block your free time. Outlook and Google "
            "publish these; it starts with https:// or webcal://."
        ),
    )

    def __init__(self, *args, advisor: Advisor, **kwargs) -> None:
        kwargs["initial"] = {name: getattr(advisor, name) for name in self.base_fields}
        super().__init__(*args, **kwargs)
        zones = list(COMMON_TIMEZONES)
        if advisor.timezone not in zones:
            zones.insert(0, advisor.timezone)
        cast(forms.ChoiceField, self.fields["timezone"]).choices = [(z, z.replace("_", " ")) for z in zones]
        self.stored_lengths = list(advisor.session_lengths)
        self.stored_lead_days = advisor.interpreter_lead_days
        cast(SessionLengthsField, self.fields["session_lengths"]).offer(self.stored_lengths)

    def clean_interpreter_lead_days(self) -> int:
        value = self.cleaned_data["interpreter_lead_days"]
        return self.stored_lead_days if value is None else value

    def clean_session_lengths(self) -> list[int]:
        # The first length is the one offered by default (the API's order):
        # lengths kept stay in their order, new ones follow, shortest first.
        chosen = self.cleaned_data["session_lengths"]
        kept = [m for m in self.stored_lengths if m in chosen]
        return kept + sorted(m for m in chosen if m not in kept)

    def clean_timezone(self) -> str:
        value = self.cleaned_data["timezone"]
        if not validation.is_known_timezone(value):
            raise forms.ValidationError(_("Unknown time zone: use a name such as Europe/Stockholm."))
        return value


# --- Profile -----------------------------------------------------------------------


def _model_field(name: str, **kwargs) -> forms.Field:
    field = Advisor._meta.get_field(name)
    form_field = field.formfield(**kwargs) if isinstance(field, models.Field) else None
    if form_field is None:
        raise TypeError(f"Advisor.{name} has no form field")
    return form_field


class ProfileForm(ErrorSummaryMixin, forms.Form):
    title = _model_field("title")
    organisation = _model_field("organisation")
    bio = _model_field("bio", widget=forms.Textarea(attrs={"rows": 6}))
    topics = ModelMultipleChoiceField(
        label=_("Topics"), queryset=Topic.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    languages = ModelMultipleChoiceField(
        label=_("Languages you advise in"),
        queryset=Language.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    municipalities = ModelMultipleChoiceField(
        label=_("Municipalities served"),
        queryset=Municipality.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave all unticked to serve the whole region."),
    )
    offers_in_person = _model_field("offers_in_person")
    address = _model_field("address", help_text=_("Needed when you meet in person."))
    accessibility_note = _model_field("accessibility_note")
    offers_phone = _model_field("offers_phone")
    phone = _model_field("phone", widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}))
    offers_video = _model_field("offers_video")
    meeting_url = _model_field(
        "meeting_url", assume_scheme="https", help_text=_("Needed when you meet by video.")
    )

    def __init__(self, *args, advisor: Advisor, **kwargs) -> None:
        initial = {name: getattr(advisor, name) for name in self.base_fields}
        for relation in ("topics", "languages", "municipalities"):
            initial[relation] = [obj.pk for obj in getattr(advisor, relation).all()]
        kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        topics = cast(forms.ModelMultipleChoiceField, self.fields["topics"])
        topics.queryset = Topic.objects.filter(is_active=True).order_by("position", "slug")
        municipalities = cast(forms.ModelMultipleChoiceField, self.fields["municipalities"])
        municipalities.queryset = Municipality.objects.filter(region_id=advisor.region_id)

    def clean(self):
        cleaned = super().clean()
        # The service checks the same; checking here too shows every error at
        # once. A detail that failed its own check (a bad link) counts as given.
        values = {"address": "?", "meeting_url": "?", **cleaned}
        for name, errors in meeting_mode_errors(values).items():
            for error in errors:
                self.add_error(name, error)
        return cleaned

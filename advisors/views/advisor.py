"""The signed-in advisor's pages: their week, and the rules behind it. Each
page parses with a form from advisors.forms and writes through a service."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from backend.errors import add_to_form
from backend.moments import clock_text, day_text
from backend.types import AuthenticatedHttpRequest

from ..availability import Slot, is_public_holiday, local_to_utc, working_intervals
from ..forms import (
    FIRST_MONDAY,
    LAST_MONDAY,
    OverrideDeleteForm,
    OverrideForm,
    ProfileForm,
    SettingsForm,
    TimeOffDeleteForm,
    TimeOffForm,
    WeekForm,
    WeeklyHoursForm,
    iso_week,
)
from ..models import Advisor
from ..selectors import advisor_overrides, advisor_rules, advisor_slots, advisor_time_off, parse_instant
from ..services import (
    availability_update,
    date_override_delete,
    date_override_set,
    time_off_add,
    time_off_delete,
)
from ..services_profile import ProfileError, advisor_profile_update


def _own_advisor(request: AuthenticatedHttpRequest, advisors: QuerySet[Advisor] | None = None) -> Advisor:
    """The signed-in person's advisor profile; anyone else may not see these pages."""
    advisor = (advisors if advisors is not None else Advisor.objects).filter(user=request.user).first()
    if advisor is None:
        raise PermissionDenied
    return advisor


def _bound(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


# --- The week ----------------------------------------------------------------------


@dataclass
class CalendarDay:
    date: date
    is_today: bool
    is_holiday: bool
    has_override: bool
    # Closed because of the holiday rather than because it is, say, a Saturday.
    closed_for_holiday: bool
    hours: list[tuple[str, str]] = field(default_factory=list)
    time_off: list[dict] = field(default_factory=list)
    slots: list[Slot] = field(default_factory=list)


def _clock(at: datetime, day: date, zone: ZoneInfo) -> str:
    """A local time on `day`; the midnight that ends the day is 24:00."""
    local = at.astimezone(zone)
    if local.date() > day:
        return "24" + clock_text(local)[2:]  # "24.00" in Swedish, "24:00" in English
    return clock_text(local)


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _week(advisor: Advisor, monday: date, duration: int, now: datetime) -> list[CalendarDay]:
    """The seven days from `monday` as the calendar shows them."""
    rules = advisor_rules(advisor)
    zone = rules.zone
    sunday = monday + timedelta(days=6)
    slots: dict[date, list[Slot]] = defaultdict(list)
    for slot in advisor_slots(
        advisor, first_day=monday, last_day=sunday, duration=duration, now=now, rules=rules
    ):
        slots[slot.start.astimezone(zone).date()].append(slot)
    away = [
        (parse_instant(t["start"]), parse_instant(t["end"]), t.get("reason", "")) for t in advisor.time_off
    ]
    today = now.astimezone(zone).date()
    days = []
    for offset in range(7):
        day = monday + timedelta(days=offset)
        day_start = local_to_utc(day, time(0), zone)
        day_end = local_to_utc(day + timedelta(days=1), time(0), zone)
        is_holiday = is_public_holiday(day)
        time_off = [
            {
                "whole_day": start <= day_start and end >= day_end,
                "start": _clock(max(start, day_start), day, zone),
                "end": _clock(min(end, day_end), day, zone),
                "reason": reason,
            }
            for start, end, reason in away
            if start < day_end and end > day_start
        ]
        days.append(
            CalendarDay(
                date=day,
                is_today=day == today,
                is_holiday=is_holiday,
                has_override=day in rules.overrides,
                closed_for_holiday=is_holiday
                and rules.closed_on_public_holidays
                and day not in rules.overrides,
                hours=[
                    (_clock(i.start, day, zone), _clock(i.end, day, zone))
                    for i in working_intervals(rules, day)
                ],
                time_off=time_off,
                slots=slots[day],
            )
        )
    return days


@login_required
@require_http_methods(["GET"])
def calendar(request: AuthenticatedHttpRequest) -> HttpResponse:
    advisor = _own_advisor(request)
    now = timezone.now()
    duration = advisor.session_lengths[0] if advisor.session_lengths else 60
    this_monday = _monday(now.astimezone(advisor.zone).date())
    # The error summary links to the page's own week input.
    week_form = WeekForm(request.GET, auto_id="%s-input")
    refused = not week_form.is_valid()
    # No week, or one refused (said above the calendar, with a 400): this week.
    monday = None if refused else week_form.cleaned_data["week"]
    monday = monday or this_monday
    previous_monday, next_monday = monday - timedelta(days=7), monday + timedelta(days=7)
    return render(
        request,
        "advisors/advisor/calendar.html",
        {
            "advisor": advisor,
            "week_form": week_form,
            "days": _week(advisor, monday, duration, now),
            "monday": monday,
            "sunday": monday + timedelta(days=6),
            "week": iso_week(monday),
            "week_number": monday.isocalendar()[1],
            # No link to a week the form would refuse.
            "previous_week": iso_week(previous_monday) if previous_monday >= FIRST_MONDAY else None,
            "next_week": iso_week(next_monday) if next_monday <= LAST_MONDAY else None,
            "this_week": iso_week(this_monday),
            "session_length": duration,
        },
        status=400 if refused else 200,
    )


# --- Weekly hours ------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def hours(request: AuthenticatedHttpRequest) -> HttpResponse:
    advisor = _own_advisor(request)
    if request.method == "POST" and "copy_monday" in request.POST:
        # Shown back unsaved: a copy over four days is easy to get wrong, and
        # the advisor sees (and can correct) the week before saving it.
        form = WeeklyHoursForm.copying_monday(request.POST, advisor=advisor)
        messages.info(request, _("Monday's hours are copied to Tuesday–Friday. Check them and save."))
        return render(request, "advisors/advisor/hours.html", {"advisor": advisor, "form": form})
    form = WeeklyHoursForm(_bound(request), advisor=advisor)
    if request.method == "POST" and form.is_valid():
        availability_update(advisor=advisor, data={"weekly_hours": form.weekly_hours})
        messages.success(request, _("Your weekly hours are saved."))
        return redirect("advisor:calendar")
    return render(request, "advisors/advisor/hours.html", {"advisor": advisor, "form": form})


# --- Date overrides and time off -----------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def overrides(request: AuthenticatedHttpRequest) -> HttpResponse:
    advisor = _own_advisor(request)
    today = timezone.now().astimezone(advisor.zone).date()
    form = OverrideForm(today=today)
    if request.method == "POST" and "delete_date" in request.POST:
        delete = OverrideDeleteForm(request.POST)
        if delete.is_valid():
            day = delete.cleaned_data["delete_date"]
            if date_override_delete(advisor=advisor, day=day):
                messages.success(request, _("The hours for %(date)s are removed.") % {"date": day_text(day)})
        return redirect("advisor:overrides")
    if request.method == "POST":
        form = OverrideForm(request.POST, today=today)
        if form.is_valid():
            new = form.override
            date_override_set(advisor=advisor, day=new["date"], intervals=new["intervals"])
            messages.success(
                request, _("The hours for %(date)s are saved.") % {"date": day_text(new["date"])}
            )
            return redirect("advisor:overrides")
    upcoming = [
        {
            "date": o["date"],
            "value": o["date"].isoformat(),
            "intervals": [
                (f"{i['start']:%H:%M}", "24:00" if i["end"] == time(0) else f"{i['end']:%H:%M}")
                for i in o["intervals"]
            ],
        }
        for o in advisor_overrides(advisor)
        if o["date"] >= today
    ]
    return render(
        request, "advisors/advisor/overrides.html", {"advisor": advisor, "form": form, "overrides": upcoming}
    )


@login_required
@require_http_methods(["GET", "POST"])
def time_off(request: AuthenticatedHttpRequest) -> HttpResponse:
    advisor = _own_advisor(request)
    now = timezone.now()
    form = TimeOffForm(zone=advisor.zone, now=now)
    if request.method == "POST" and "delete_start" in request.POST:
        delete = TimeOffDeleteForm(request.POST)
        if delete.is_valid():
            start, end = delete.interval
            if time_off_delete(advisor=advisor, start=start, end=end):
                messages.success(request, _("The time off is removed."))
        return redirect("advisor:time_off")
    if request.method == "POST":
        form = TimeOffForm(request.POST, zone=advisor.zone, now=now)
        if form.is_valid():
            new = form.time_off
            time_off_add(advisor=advisor, **new)
            messages.success(request, _("The time off is saved."))
            return redirect("advisor:time_off")
    current = [
        {**t, "start_value": raw["start"], "end_value": raw["end"]}
        for t, raw in zip(advisor_time_off(advisor), advisor.time_off, strict=True)
        if t["end"] > now
    ]
    return render(
        request, "advisors/advisor/time_off.html", {"advisor": advisor, "form": form, "time_off": current}
    )


# --- Booking settings and profile --------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def settings(request: AuthenticatedHttpRequest) -> HttpResponse:
    advisor = _own_advisor(request)
    form = SettingsForm(_bound(request), advisor=advisor)
    if request.method == "POST" and form.is_valid():
        availability_update(advisor=advisor, data=form.cleaned_data)
        messages.success(request, _("Your booking settings are saved."))
        return redirect("advisor:settings")
    return render(request, "advisors/advisor/settings.html", {"advisor": advisor, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: AuthenticatedHttpRequest) -> HttpResponse:
    advisor = _own_advisor(request, Advisor.objects.select_related("region"))
    form = ProfileForm(_bound(request), advisor=advisor)
    if request.method == "POST" and form.is_valid():
        try:
            advisor_profile_update(advisor=advisor, data=form.cleaned_data)
        except ProfileError as error:
            add_to_form(form, error)
        else:
            messages.success(request, _("Your profile is saved."))
            return redirect("advisor:profile")
    return render(request, "advisors/advisor/profile.html", {"advisor": advisor, "form": form})

"""Writes of advisors' profiles and availability rules."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction

from .models import Advisor, WeeklyHours
from .selectors import advisor_overrides, advisor_time_off
from .tasks import sync_busy_calendar

SETTINGS_FIELDS = (
    "timezone",
    "session_lengths",
    "slot_step",
    "buffer_before",
    "buffer_after",
    "min_notice_hours",
    "horizon_days",
    "max_per_day",
    "closed_on_public_holidays",
    "interpreter_lead_days",
)


def _clock(value: time) -> str:
    return value.strftime("%H:%M")


def _end_clock(value: time) -> str:
    return "24:00" if value == time(0) else value.strftime("%H:%M")


def availability_update(*, advisor: Advisor, data: dict[str, Any]) -> Advisor:
    """Replace the parts of an advisor's availability rules present in `data`
    (validated values: times as `time`, instants aware). Weekly hours, date
    overrides and time off are each replaced as a whole.

    Runs under the advisor's row lock, the same lock a booking takes, so a
    booking never checks its slot against half-written rules. A changed busy
    calendar link is read after commit."""
    with transaction.atomic():
        # Rules and bookings of one advisor change one at a time.
        advisor = Advisor.objects.select_for_update().get(pk=advisor.pk)
        old_calendar = advisor.busy_calendar_url
        changed = [name for name in SETTINGS_FIELDS if name in data]
        for name in changed:
            setattr(advisor, name, data[name])
        zone = ZoneInfo(data.get("timezone", advisor.timezone))
        if "overrides" in data:
            advisor.date_overrides = [
                {
                    "date": o["date"].isoformat(),
                    "intervals": [
                        {"start": _clock(i["start"]), "end": _end_clock(i["end"])} for i in o["intervals"]
                    ],
                }
                for o in sorted(data["overrides"], key=lambda o: o["date"])
            ]
            changed.append("date_overrides")
        if "time_off" in data:
            advisor.time_off = [
                {
                    "start": t["start"].astimezone(zone).isoformat(),
                    "end": t["end"].astimezone(zone).isoformat(),
                    "reason": t.get("reason", ""),
                }
                for t in sorted(data["time_off"], key=lambda t: t["start"])
            ]
            changed.append("time_off")
        if "busy_calendar_url" in data:
            advisor.busy_calendar_url = data["busy_calendar_url"] or ""
            changed.append("busy_calendar_url")
        if changed:
            advisor.save(update_fields=changed)
        if "weekly_hours" in data:
            advisor.weekly_hours.all().delete()
            WeeklyHours.objects.bulk_create(
                WeeklyHours(advisor=advisor, weekday=h["weekday"], start=h["start"], end=h["end"])
                for h in sorted(data["weekly_hours"], key=lambda h: (h["weekday"], h["start"]))
            )
        if advisor.busy_calendar_url != old_calendar:
            sync_busy_calendar.delay_on_commit(advisor.pk)
    return advisor


# --- One override or one time-off range at a time (the web pages) ----------------------
#
# Two tabs can change the same list at once. Each function reads the list under
# the advisor's row lock and writes it back through availability_update, so
# neither change overwrites the other.


@transaction.atomic
def date_override_set(*, advisor: Advisor, day: date, intervals: list[dict[str, time]]) -> Advisor:
    """Give `day` these hours (none: closed), replacing any override it had."""
    locked = Advisor.objects.select_for_update().get(pk=advisor.pk)
    overrides = [o for o in advisor_overrides(locked) if o["date"] != day]
    return availability_update(
        advisor=locked, data={"overrides": [*overrides, {"date": day, "intervals": intervals}]}
    )


@transaction.atomic
def date_override_delete(*, advisor: Advisor, day: date) -> bool:
    """Remove the override of `day`; False when there was none."""
    locked = Advisor.objects.select_for_update().get(pk=advisor.pk)
    before = advisor_overrides(locked)
    after = [o for o in before if o["date"] != day]
    if len(after) == len(before):
        return False
    availability_update(advisor=locked, data={"overrides": after})
    return True


@transaction.atomic
def time_off_add(*, advisor: Advisor, start: datetime, end: datetime, reason: str = "") -> Advisor:
    locked = Advisor.objects.select_for_update().get(pk=advisor.pk)
    entry = {"start": start, "end": end, "reason": reason}
    return availability_update(advisor=locked, data={"time_off": [*advisor_time_off(locked), entry]})


@transaction.atomic
def time_off_delete(*, advisor: Advisor, start: datetime, end: datetime) -> bool:
    """Remove the time off from `start` to `end`; False when there was none."""
    locked = Advisor.objects.select_for_update().get(pk=advisor.pk)
    before = advisor_time_off(locked)
    after = [t for t in before if (t["start"], t["end"]) != (start, end)]
    if len(after) == len(before):
        return False
    availability_update(advisor=locked, data={"time_off": after})
    return True

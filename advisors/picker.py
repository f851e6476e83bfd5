"""The one picker of free times, for every page where a person chooses a time:
the advisor's page in the directory (links into the booking flow), moving a
booking, and the time just taken while booking (buttons of a POST form).

`free_times` builds what the template advisors/_free_times.html shows: it
starts at the first day with a free time on or after the day asked for (never
an empty week first), lists only the days that have free times, and offers a
date field and previous/next links for later days. A date that cannot be read,
or lies beyond the advisor's horizon, falls back to today with a message; it
never fails.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from django.utils.translation import gettext as _

from backend.moments import day_text

from . import selectors
from .availability import Slot
from .forms_directory import FreeTimesForm
from .models import Advisor

# Days the picker shows at once, counted from the first free day.
PICKER_DAYS = 7
# How far past the day asked for the picker looks for a first free day: the
# directory's "next free time" looks as far.
SEARCH_DAYS = selectors.NEXT_AVAILABLE_DAYS


@dataclass(frozen=True)
class FreeTimes:
    """What the picker shows. `days` holds only days with free times, as
    (local date, slots); `first_day`..`last_day` is the stretch they come from.
    The queries (`previous`, `next`, `from_today`) are relative links ("?start=…")
    or None where there is nowhere to go."""

    form: FreeTimesForm
    duration: int
    choose_duration: bool
    today: date
    asked: date
    first_day: date
    last_day: date
    latest_day: date
    days: list[tuple[date, list[Slot]]]
    errors: list[str] = field(default_factory=list)
    previous: str | None = None
    next: str | None = None
    from_today: str | None = None

    @property
    def skipped(self) -> bool:
        """Whether the free times start later than the day asked for."""
        return bool(self.days) and self.first_day > self.asked

    @property
    def date_value(self) -> str:
        return self.asked.isoformat()


def _query(day: date, duration: int | None) -> str:
    params: dict[str, object] = {"start": day.isoformat()}
    if duration is not None:
        params["duration"] = duration
    return "?" + urlencode(params)


def free_times(
    advisor: Advisor,
    *,
    data: Mapping[str, str] | None,
    now: datetime,
    duration: int | None = None,
    exclude: Collection[object] = (),
    leave_out: datetime | None = None,
    not_before: datetime | None = None,
) -> FreeTimes:
    """The picker for `advisor` from the query `data` (`start` or `week`, and
    `duration` unless `duration` is fixed, as for a booking being moved).
    Bookings in `exclude` do not block times; `leave_out` (the moved booking's
    own start) is not offered, nor any time before `not_before` (a booking
    with an interpreter: its lead time). Three queries after the advisor row."""
    zone = advisor.zone
    today = now.astimezone(zone).date()
    latest_day = today + timedelta(days=advisor.horizon_days)
    fixed = duration is not None
    form = FreeTimesForm(
        data or None, session_lengths=None if fixed else advisor.session_lengths, today=today
    )
    errors = [str(e) for errors in form.errors.values() for e in errors] if form.is_bound else []
    chosen = duration if duration is not None else form.chosen_duration()
    asked = max(form.chosen_first_day(), today)  # nothing is free before today
    if asked > latest_day:
        errors.append(
            _("This advisor takes bookings up to %(day)s, so the free times from today are shown.")
            % {"day": day_text(latest_day, today=today)}
        )
        asked = today

    slots = [
        slot
        for slot in selectors.advisor_slots(
            advisor,
            first_day=asked,
            last_day=asked + timedelta(days=SEARCH_DAYS + PICKER_DAYS - 1),
            duration=chosen,
            now=now,
            exclude=exclude,
        )
        if slot.start != leave_out and (not_before is None or slot.start >= not_before)
    ]
    first_day = slots[0].start.astimezone(zone).date() if slots else asked
    last_day = first_day + timedelta(days=PICKER_DAYS - 1)
    by_day: dict[date, list[Slot]] = {}
    for slot in slots:
        local = slot.start.astimezone(zone).date()
        if local > last_day:
            break
        by_day.setdefault(local, []).append(slot)

    in_query = None if fixed else chosen
    return FreeTimes(
        form=form,
        duration=chosen,
        choose_duration=not fixed and len(advisor.session_lengths) > 1,
        today=today,
        asked=asked,
        first_day=first_day,
        last_day=last_day,
        latest_day=latest_day,
        days=list(by_day.items()),
        errors=errors,
        # Nothing is free from the day asked to the first day shown, nor before
        # today: a week back from the day asked, if that is after today.
        previous=_query(max(asked - timedelta(days=PICKER_DAYS), today), in_query) if asked > today else None,
        next=_query(last_day + timedelta(days=1), in_query) if slots and last_day < latest_day else None,
        from_today=_query(today, in_query) if asked != today else None,
    )

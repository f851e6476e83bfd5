"""The slot engine: from an advisor's rules to free slots. Pure: no ORM, no
clock, no settings. Callers load the rules and busy intervals, pass `now`, and
get slots back, which makes it fast and property-testable.

Contract of `free_slots`:

- Weekly hours and date overrides are local wall-clock times in the rules'
  time zone, so 09:00 stays 09:00 on both sides of a daylight-saving change.
  A local time that does not exist (the spring-forward gap) moves forward by
  the gap; an ambiguous one (the autumn fold) takes its first occurrence.
- A date override replaces that date's weekly hours (an empty override closes
  the day) and wins over a public holiday, so an advisor can open a holiday.
- Public holidays (Swedish, plus midsommarafton, julafton, nyårsafton) close
  the day when `closed_on_public_holidays`.
- A slot starts on the step grid of its working interval and ends inside it.
- A slot lies wholly outside time off; it does not overlap an external busy
  interval once the slot is widened by the buffers; and, widened by the
  buffers, it does not overlap a booking widened by the same buffers
  (invariant 1 of DESIGN.md: widened bookings never overlap).
- No slot starts before `now + min_notice` nor after `now + horizon_days`.
- A day that already holds `max_per_day` bookings offers nothing more.
- The result is sorted, unique, in UTC, and does not depend on how the
  window is split: the engine works day by day.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

import holidays


class Interval(NamedTuple):
    start: datetime
    end: datetime


class Slot(NamedTuple):
    start: datetime
    end: datetime


class Booked(NamedTuple):
    """A booking as stored: its session and the range it blocks, widened by the
    buffers it was booked with (they may differ from today's). No blocked range
    (None): widen by today's buffers."""

    start: datetime
    end: datetime
    blocked_start: datetime | None = None
    blocked_end: datetime | None = None


LocalInterval = tuple[time, time]


@dataclass(frozen=True)
class Rules:
    """An advisor's availability rules, as plain values."""

    timezone: str = "Europe/Stockholm"
    weekly_hours: Mapping[int, Sequence[LocalInterval]] = field(default_factory=dict)
    overrides: Mapping[date, Sequence[LocalInterval]] = field(default_factory=dict)
    time_off: Sequence[Interval] = ()
    slot_step: int = 30
    buffer_before: int = 0
    buffer_after: int = 0
    min_notice: timedelta = timedelta(0)
    horizon_days: int = 90
    max_per_day: int | None = None
    closed_on_public_holidays: bool = True

    @property
    def zone(self) -> ZoneInfo:
        return _zone(self.timezone)


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@lru_cache(maxsize=32)
def swedish_closed_days(year: int) -> frozenset[date]:
    """Swedish public holidays of `year` and the eves treated as holidays
    (midsommarafton, julafton, nyårsafton). Sundays are not counted: the
    holidays package counts every Sunday unless told not to."""
    days = set(holidays.Sweden(years=year, include_sundays=False))
    midsummer_eve = next(
        d for d in (date(year, 6, 19) + timedelta(days=i) for i in range(7)) if d.weekday() == 4
    )
    days |= {midsummer_eve, date(year, 12, 24), date(year, 12, 31)}
    return frozenset(days)


def is_public_holiday(day: date) -> bool:
    return day in swedish_closed_days(day.year)


def working_days_after(day: date, count: int) -> date:
    """The `count`th working day after `day` (Monday–Friday, not a Swedish
    public holiday or eve)."""
    while count > 0:
        day += timedelta(days=1)
        if day.weekday() < 5 and not is_public_holiday(day):
            count -= 1
    return day


def interpreter_earliest(zone: ZoneInfo, lead_days: int, now: datetime) -> datetime:
    """The earliest start of a session with an interpreter: the beginning of
    the day after `lead_days` working days from today in `zone` (booked on a
    Monday with 5: from Tuesday next week, so the interpreter service has five
    whole working days); `now` itself without a lead time."""
    if lead_days == 0:
        return now
    first = working_days_after(now.astimezone(zone).date(), lead_days) + timedelta(days=1)
    return local_to_utc(first, time(0), zone)


def local_to_utc(day: date, at: time, zone: ZoneInfo) -> datetime:
    """A local wall-clock time as an aware UTC datetime. fold=0 gives the first
    occurrence of an ambiguous time; a non-existent time is read with the offset
    before the gap, which moves it forward by the gap (02:30 becomes 03:30)."""
    return datetime.combine(day, at, tzinfo=zone).replace(fold=0).astimezone(UTC)


def working_intervals(rules: Rules, day: date) -> list[Interval]:
    """The working intervals of one local date, in UTC."""
    if day in rules.overrides:
        local = rules.overrides[day]
    elif rules.closed_on_public_holidays and is_public_holiday(day):
        return []
    else:
        local = rules.weekly_hours.get(day.weekday(), ())
    zone = rules.zone
    intervals = []
    for start, end in local:
        utc_start = local_to_utc(day, start, zone)
        # 24:00 is written as 00:00 of the next day.
        utc_end = (
            local_to_utc(day + timedelta(days=1), time(0), zone)
            if end == time(0)
            else local_to_utc(day, end, zone)
        )
        if utc_end > utc_start:
            intervals.append(Interval(utc_start, utc_end))
    return intervals


class _Blocks:
    """Sorted, merged blocked intervals, asked whether a slot is clear in O(log n)."""

    def __init__(self, intervals: Iterable[Interval]) -> None:
        merged: list[list[datetime]] = []
        for start, end in sorted(intervals):
            if merged and start <= merged[-1][1]:
                if end > merged[-1][1]:
                    merged[-1][1] = end
            else:
                merged.append([start, end])
        self.starts = [m[0] for m in merged]
        self.ends = [m[1] for m in merged]

    def clear(self, start: datetime, end: datetime) -> bool:
        # The first blocked interval that ends after `start` is the only one that can overlap.
        i = bisect.bisect_right(self.ends, start)
        return i == len(self.starts) or self.starts[i] >= end


def free_slots(
    rules: Rules,
    *,
    duration: int,
    first_day: date,
    last_day: date,
    now: datetime,
    bookings: Sequence[Booked | Interval] = (),
    busy: Sequence[Interval] = (),
    limit: int | None = None,
) -> list[Slot]:
    """Free slots of `duration` minutes on the local dates first_day..last_day
    (both inclusive). `bookings` are the advisor's active bookings (they block
    what they blocked when booked, and count toward max_per_day); `busy` are other busy
    intervals such as an external calendar's. `limit` stops after that many
    slots (the directory's next free time). See the module docstring."""
    if duration <= 0 or rules.slot_step <= 0 or last_day < first_day:
        return []
    zone = rules.zone
    length = timedelta(minutes=duration)
    step = timedelta(minutes=rules.slot_step)
    before = timedelta(minutes=rules.buffer_before)
    after = timedelta(minutes=rules.buffer_after)
    earliest = now + rules.min_notice
    latest = now + timedelta(days=rules.horizon_days)

    # A new booking blocks [s - before, e + after); it must miss what each
    # booking blocks. So a slot [s, e) is free when it misses the booking's
    # blocked range widened by after (on the left) and before (on the right),
    # the same test the database's exclusion constraint makes.
    blocks = _Blocks(
        [
            Interval(b_start - after, b_end + before)
            for b_start, b_end in map(_blocked_range(before, after), bookings)
        ]
        + [Interval(x.start - after, x.end + before) for x in busy]
        + list(rules.time_off)
    )
    per_day: dict[date, int] = {}
    if rules.max_per_day is not None:
        for b in bookings:
            d = b.start.astimezone(zone).date()
            per_day[d] = per_day.get(d, 0) + 1

    # Days in order, and a day's slots in order, so the slots come out sorted
    # (a day's intervals end by its midnight, before the next day's begin, but
    # for a gap across midnight: see below).
    found: list[Slot] = []
    day = max(first_day, earliest.astimezone(zone).date())
    last_day = min(last_day, latest.astimezone(zone).date())
    while day <= last_day:
        if rules.max_per_day is None or per_day.get(day, 0) < rules.max_per_day:
            intervals = sorted(working_intervals(rules, day))
            day_slots: list[Slot] = []
            for interval in intervals:
                start = max(interval.start, _first_on_grid(interval.start, earliest, step))
                while start + length <= interval.end and start <= latest:
                    if blocks.clear(start, start + length):
                        day_slots.append(Slot(start, start + length))
                    start += step
            if len(intervals) > 1:
                # A day's intervals may overlap or sit off each other's grid:
                # each slot once, in order (sorting, not hashing, aware datetimes).
                day_slots.sort()
                day_slots = [s for i, s in enumerate(day_slots) if i == 0 or s != day_slots[i - 1]]
            if found and day_slots and day_slots[0] <= found[-1]:
                # A spring-forward gap across midnight (America/Nuuk) moves the
                # end of one day's hours into the next: the rare overlap of days.
                found = sorted(set(found + day_slots))
            else:
                found.extend(day_slots)
            if limit is not None and len(found) >= limit:
                break
        day += timedelta(days=1)
    return found[:limit] if limit is not None else found


def _blocked_range(before: timedelta, after: timedelta):
    def blocked(b: Booked | Interval) -> tuple[datetime, datetime]:
        if isinstance(b, Booked) and b.blocked_start is not None and b.blocked_end is not None:
            return b.blocked_start, b.blocked_end
        return b.start - before, b.end + after

    return blocked


def _first_on_grid(origin: datetime, earliest: datetime, step: timedelta) -> datetime:
    """The first time on the grid origin + k·step that is not before `earliest`."""
    if earliest <= origin:
        return origin
    steps = -((origin - earliest) // step)  # ceiling division
    return origin + steps * step

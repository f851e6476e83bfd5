"""Offered hours: what the advisors' calendars offered for bookings in a
period, from the slot engine's working intervals less time off."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from django.db.models import Exists, OuterRef, Q

from advisors.availability import Interval, Rules, working_intervals
from advisors.models import Advisor, Region
from advisors.selectors import advisor_rules, weekly_hours_by_advisor
from bookings.models import Booking

from .periods import period_bounds


def offered_hours(region: Region, start: date, end: date) -> dict[str, Any]:
    """Minutes offered in the period in total, by month and by organisation, by
    the region's active advisors and those who had bookings in it (an advisor
    since made inactive still offered those hours). Two queries."""
    since, until = period_bounds(start, end)
    # Per advisor, on the (advisor, blocked_end) index: a blocked range ends
    # after its session starts, so blocked_end > since holds for every booking
    # of the period and bounds the scan.
    had_bookings = Exists(
        Booking.objects.filter(
            advisor=OuterRef("pk"), blocked_end__gt=since, start__gte=since, start__lt=until
        )
    )
    advisors = list(
        Advisor.objects.filter(region=region)
        .filter(Q(is_active=True, user__is_active=True) | Q(had_bookings))
        .order_by("pk")
    )
    weekly = weekly_hours_by_advisor([a.pk for a in advisors])
    rules = {a.pk: advisor_rules(a, weekly[a.pk]) for a in advisors}
    minutes = offered_minutes_by_month(rules, start, end)
    by_month: defaultdict[str, float] = defaultdict(float)
    by_organisation: defaultdict[str, float] = defaultdict(float)
    for advisor in advisors:
        for month, value in minutes[advisor.pk].items():
            by_month[month] += value
            by_organisation[advisor.organisation] += value
    return {
        "total": float(sum(by_month.values())),
        "by_month": by_month,
        "by_advisor_organisation": by_organisation,
    }


def offered_minutes_by_month(
    rules: Mapping[int, Rules], first_day: date, last_day: date
) -> dict[int, dict[str, float]]:
    """Minutes each advisor offers on local dates first_day..last_day, by month
    ("YYYY-MM"): the slot engine's working intervals (weekly hours, date
    overrides, public holidays) less time off. Pure. Advisors with the same
    week share the day-by-day work, so a thousand of them cost little more
    than one; only their override and time-off days are worked out apart."""
    days = [first_day + timedelta(days=i) for i in range((last_day - first_day).days + 1)]
    weeks: dict[tuple, tuple[dict[date, float], dict[str, float]]] = {}
    found: dict[int, dict[str, float]] = {}
    for pk, rule in rules.items():
        signature = (
            rule.timezone,
            rule.closed_on_public_holidays,
            tuple(sorted((d, tuple(sorted(v))) for d, v in rule.weekly_hours.items() if v)),
        )
        if signature not in weeks:
            week_only = Rules(
                timezone=rule.timezone,
                weekly_hours=rule.weekly_hours,
                closed_on_public_holidays=rule.closed_on_public_holidays,
            )
            per_day = {day: _length(working_intervals(week_only, day)) for day in days}
            per_month: dict[str, float] = defaultdict(float)
            for day, value in per_day.items():
                per_month[f"{day:%Y-%m}"] += value
            weeks[signature] = per_day, per_month
        per_day, per_month = weeks[signature]
        totals = defaultdict(float, per_month)
        time_off = _merge(rule.time_off)
        special = {d for d in rule.overrides if first_day <= d <= last_day}
        for off in time_off:
            day = max(first_day, off.start.astimezone(rule.zone).date())
            stop = min(last_day, off.end.astimezone(rule.zone).date())
            while day <= stop:
                special.add(day)
                day += timedelta(days=1)
        for day in special:
            exact = _length(working_intervals(rule, day), minus=time_off)
            totals[f"{day:%Y-%m}"] += exact - per_day[day]
        found[pk] = totals
    return found


def _merge(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if merged and start <= merged[-1].end:
            if end > merged[-1].end:
                merged[-1] = Interval(merged[-1].start, end)
        else:
            merged.append(Interval(start, end))
    return merged


def _length(intervals: Iterable[Interval], minus: Sequence[Interval] = ()) -> float:
    """Minutes covered by the intervals (overlaps once), less those in `minus` (merged)."""
    total = 0.0
    for start, end in _merge(intervals):
        seconds = (end - start).total_seconds()
        for off in minus:
            overlap = (min(end, off.end) - max(start, off.start)).total_seconds()
            if overlap > 0:
                seconds -= overlap
        total += seconds / 60
    return total

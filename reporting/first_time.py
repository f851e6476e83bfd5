"""Which of an enterprise's bookings is its first (issue 16): the report's
first-time and returning enterprises rest on `Booking.stat_first_time`.

The rule: a booking is the enterprise's first when it is the earliest, by
session start (then by id), of the enterprise's bookings that are not missed
(held, or confirmed and not yet recorded: `bookings.rules.NOT_MISSED`), across
all regions. A cancelled booking or a no-show is never the first, and does
not keep a later one from being it. So when an enterprise books A, then B,
and A is cancelled, moved after B or recorded as a no-show, B becomes its
first.

The flag is stored on the booking (the SQL tallies and the monthly rollups
read it) and settled again for the enterprise whenever one of its bookings is
made, moved, cancelled or recorded (bookings' signals, connected in
apps.py), inside that transaction. A flag that changes raises its booking's
`stat_version`, so every month whose rollup counted the old flag is built
again (reporting.rollups), whichever region or month it is in."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import F

from bookings import rules
from bookings.models import Booking


def settle_first_time(enterprise_keys: Iterable[str]) -> int:
    """Set `stat_first_time` by the rule above on every booking of these
    enterprises (by `stat_enterprise_key`); returns how many changed. Three
    queries at most."""
    keys = sorted(set(enterprise_keys))
    if not keys:
        return 0
    rows = (
        Booking.objects.filter(stat_enterprise_key__in=keys)
        .order_by("stat_enterprise_key", "start", "pk")
        .values_list("pk", "stat_enterprise_key", "status", "stat_first_time")
    )
    seen: set[str] = set()
    become: dict[bool, list[int]] = {True: [], False: []}
    for pk, key, status, flag in rows:
        first = status in rules.NOT_MISSED and key not in seen
        if status in rules.NOT_MISSED:
            seen.add(key)
        if first != flag:
            become[first].append(pk)
    for flag, pks in become.items():
        if pks:
            Booking.objects.filter(pk__in=pks).update(
                stat_first_time=flag, stat_version=F("stat_version") + 1
            )
    return len(become[True]) + len(become[False])


def booking_changed(sender, booking: Booking, **kwargs) -> None:
    """A booking made, moved, cancelled or recorded: its enterprise's first
    booking may be another now (bookings' signals, connected in apps.py)."""
    if settle_first_time([booking.stat_enterprise_key]):
        booking.refresh_from_db(fields=["stat_first_time", "stat_version"])

"""Where the slot engine's busy intervals come from.

The advisors app knows the external calendars it reads itself. Bookings live
in the bookings app, which imports this one, never the other way round
(DESIGN.md): so bookings registers a *booked source* here when it starts, and
the selectors ask every registered source for many advisors in one query each.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Mapping
from datetime import datetime

from backend import sql

from .availability import Booked, Interval
from .models import ExternalBusy

# (advisor ids, from, to, booking keys to leave out) -> {advisor id: [active
# bookings overlapping the window]}. A reschedule leaves out the booking it moves.
BookedSource = Callable[[Collection[int], datetime, datetime, Collection[object]], Mapping[int, list[Booked]]]

_booked_sources: list[BookedSource] = []


def register_booked_source(source: BookedSource) -> None:
    if source not in _booked_sources:
        _booked_sources.append(source)


def booked_intervals(
    advisor_ids: Collection[int], start: datetime, end: datetime, exclude: Collection[object] = ()
) -> dict[int, list[Booked]]:
    """Active bookings of these advisors overlapping [start, end), but those in
    `exclude`: one query a source."""
    found: dict[int, list[Booked]] = defaultdict(list)
    for source in _booked_sources:
        for advisor_id, intervals in source(advisor_ids, start, end, exclude).items():
            found[advisor_id].extend(intervals)
    return found


# (advisor id, now) -> how many sessions the advisor has ahead, confirmed:
# what a coordinator is told before deactivating them.
UpcomingSource = Callable[[int, datetime], int]

_upcoming_sources: list[UpcomingSource] = []


def register_upcoming_source(source: UpcomingSource) -> None:
    if source not in _upcoming_sources:
        _upcoming_sources.append(source)


def upcoming_sessions(advisor_id: int, now: datetime) -> int:
    """The advisor's sessions ahead, as the registered sources count them."""
    return sum(source(advisor_id, now) for source in _upcoming_sources)


def external_busy_intervals(
    advisor_ids: Collection[int], start: datetime, end: datetime
) -> dict[int, list[Interval]]:
    """Busy intervals read from the advisors' external calendars overlapping
    [start, end): one query, hand-written (backend/sql.py says why)."""
    found: dict[int, list[Interval]] = defaultdict(list)
    if not advisor_ids:
        return found
    ids = list(advisor_ids)
    query = (
        f'SELECT advisor_id, start, "end" FROM {sql.table(ExternalBusy)}'  # noqa: S608 - fixed text
        f' WHERE advisor_id IN ({sql.placeholders(len(ids))}) AND "end" > %s AND start < %s'
    )
    moment = sql.moment
    for advisor_id, busy_start, busy_end in sql.rows(
        query, [*ids, sql.moment_param(start), sql.moment_param(end)]
    ):
        found[advisor_id].append(Interval(moment(busy_start), moment(busy_end)))
    return found

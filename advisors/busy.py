"""Where the slot engine's busy intervals come from.

The advisors app knows the external calendars it reads itself. Bookings live
in the bookings app, which imports this one, never the other way round
(DESIGN.md): so bookings registers a *booked source* here when it starts, and
the selectors ask every registered source for many advisors in one query each.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterator, Mapping
from datetime import UTC, datetime, time

from django.db import connections
from django.db.models import CharField, QuerySet
from django.db.models.functions import Cast

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
    """Busy intervals read from the advisors' external calendars: one query."""
    found: dict[int, list[Interval]] = defaultdict(list)
    rows = ExternalBusy.objects.filter(advisor_id__in=advisor_ids, end__gt=start, start__lt=end).order_by()
    for advisor_id, busy_start, busy_end in instants(rows, "advisor_id", "start", "end"):
        found[advisor_id].append(Interval(busy_start, busy_end))
    return found


def instants(rows: QuerySet, key: str, *moments: str) -> Iterator[tuple]:
    """rows.values_list(key, *moments) for datetime fields `moments`, fast.
    On SQLite, Django parses each stored datetime with a regular expression,
    which for a directory page (hundreds of advisors' busy times) costs more
    than the query: there the stored text (UTC, as USE_TZ stores it) is read
    as text and parsed with datetime.fromisoformat. PostgreSQL's driver gives
    datetimes already."""
    for first, *values in _as_text(rows, key, moments):
        yield (
            first,
            *(
                v if isinstance(v, datetime) else datetime.fromisoformat(v).replace(tzinfo=UTC)
                for v in values
            ),
        )


def clock_times(rows: QuerySet, *keys_then_times: str, keys: int) -> Iterator[tuple]:
    """rows.values_list(*keys_then_times) whose last fields are time fields,
    fast (as `instants`): the first `keys` fields are read as they are."""
    fields = keys_then_times
    for row in _as_text(rows, fields[:keys], fields[keys:], flat_key=False):
        head, tail = row[:keys], row[keys:]
        yield (*head, *(v if isinstance(v, time) else time.fromisoformat(v) for v in tail))


def _as_text(rows: QuerySet, key, moments, *, flat_key: bool = True):
    keys = [key] if flat_key else list(key)
    if connections[rows.db].vendor != "sqlite":
        return rows.values_list(*keys, *moments)
    texts = {f"{name}_text": Cast(name, CharField()) for name in moments}
    return rows.annotate(**texts).values_list(*keys, *texts)

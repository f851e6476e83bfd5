"""Monthly rollups of the statistics report, so that a period of whole months
(every preset of the dashboard, most project periods) is read without its
bookings (issue 6: a year of a region with 500,000 bookings in under a second).

Counting people and enterprises once per period is what costs: it cannot be
added up month by month. So each month of a region (`StatisticsMonth`) keeps,
for the totals and every row of every breakdown, the set of people and the set
of enterprises behind each kind of figure as a bitmap over small numbers
(`StatisticsKey`), next to the figures that do add up (bookings by waiting
days, minutes, ratings) and the municipalities covered. A period's count is
the number of bits set in the union of its months' bitmaps: exact, and the
same as `reporting.tallies.read_tallies` reads from the bookings, which the tests check.

A month is built again whenever its bookings changed. Its fingerprint (how
many bookings, the sum of their ids and of `Booking.stat_version`, which every
save raises) is read from an index before the rollups are; a month whose
fingerprint differs is rebuilt from its bookings first, in the same request.
Feedback (the ratings) raises its booking's version. The nightly
`refresh_statistics_months` task keeps recent months built, so reports seldom
wait for it. A period that does not start and end at a month's edges takes
its whole months from the rollups and the days at its ends from their
bookings, built as a month is (not stored) and joined the same way; only with
`STATISTICS_MONTHLY_ROLLUPS` off is a report read by
`reporting.tallies.read_tallies` alone."""

from __future__ import annotations

import json
import zlib
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from django.db import connections
from django.db.models import Count, DateField, F, Max, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from advisors.models import Region
from bookings import rules
from bookings.models import Booking, BookingStatus, Feedback, Gender

from . import periods
from .models import StatisticsKey, StatisticsMonth
from .periods import REPORT_ZONE, add_months, local_month, month_end, months_of, period_bounds
from .tallies import Tally

# The kinds of figure whose people (and enterprises) are counted, in the order
# of `reporting.tallies.Tally.people` and `.enterprises`.
PEOPLE_CLASSES = ("all", "held", "outcome", "booked", "rated")
ENTERPRISE_CLASSES = (*PEOPLE_CLASSES, "first", "returning")

# Held is bookings' rule (rules.HELD), one status, as the classes below need.
(HELD,) = rules.HELD
NO_SHOW, CONFIRMED, CANCELLED = BookingStatus.NO_SHOW, BookingStatus.CONFIRMED, BookingStatus.CANCELLED
# While a month is built, each row keeps a bitmap of people per status (and
# rated) and of enterprises per status, held split by first time (and rated):
# one bit to set per booking, where the classes would need up to seven; the
# classes are unions of these (`_Slot.classes`).
PERSON_STATES: dict[str, int] = {HELD: 0, NO_SHOW: 1, CONFIRMED: 2, CANCELLED: 3}
RATED = len(PERSON_STATES)
HELD_FIRST, HELD_RETURNING = 0, 1
ENTERPRISE_STATES: dict[str, int] = {NO_SHOW: 2, CONFIRMED: 3, CANCELLED: 4}
ENTERPRISE_RATED = 5
# The layout of a month's data (`_write`), part of its fingerprint: months
# stored in an older layout are stale, so built again when next read.
ROLLUP_FORMAT = 4
# A list of kinds of need without any, as the database drivers give it (JSON text).
NO_NEEDS = "[]"
# The rows of by_gender, as reporting.tallies.GROUPINGS names them; the rest is "other_or_not_stated".
GENDER_ROWS: dict[str, str] = {Gender.WOMAN: "women", Gender.MAN: "men"}


def tallies_of_period(region_code: str, start: date, end: date, names: Sequence[str]) -> dict:
    """What `reporting.tallies.read_tallies` reads from the bookings of
    start..end, for the groupings `names`: its whole months from their rollups
    (stale ones built first), and the days before the first whole month and
    after the last read from their bookings, built as a month is but not
    stored. Two queries when the period is whole months all current; three
    more for each part of a month at its ends."""
    first = start if start.day == 1 else add_months(start, 1)
    last = end if month_end(end) == end else end.replace(day=1) - timedelta(days=1)
    if first > last:
        parts, datas = [(start, end)], []
    else:
        parts = [
            (a, b) for a, b in ((start, first - timedelta(days=1)), (last + timedelta(days=1), end)) if a <= b
        ]
        datas = list(_month_datas(region_code, first, last).values())
    for part_start, part_end in parts:
        since, until = period_bounds(part_start, part_end)
        bookings = Booking.objects.filter(stat_region=region_code, start__gte=since, start__lt=until)
        by_month = _slots_of(region_code, bookings, months_of(part_start, part_end))
        datas.extend(_write(slots) for slots in by_month.values())
    return _merged(datas, names)


def _month_datas(region_code: str, start: date, end: date) -> dict[date, bytes]:
    """The data of each month of start..end (whole months) that has bookings,
    stale months built first."""
    fingerprints = month_fingerprints(region_code, start, end)
    stored = {
        row.month: row
        for row in StatisticsMonth.objects.filter(region=region_code, month__in=list(fingerprints))
    }
    stale = [
        m
        for m, fingerprint in fingerprints.items()
        if m not in stored or stored[m].fingerprint != fingerprint
    ]
    datas = {m: bytes(row.data) for m, row in stored.items() if m not in stale}
    if stale:
        datas.update(build_months(region_code, {m: fingerprints[m] for m in stale}))
    return datas


def _merged(datas: Sequence[bytes], names: Sequence[str]) -> dict:
    """The tallies of the groupings `names` of months' data together: people
    and enterprises counted once (the union of their bitmaps), the rest added up."""
    wanted = set(names)
    people: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0] * len(PEOPLE_CLASSES))
    enterprises: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0] * len(ENTERPRISE_CLASSES))
    covered: dict[tuple[str, str], set[str]] = defaultdict(set)
    waiting: dict[tuple[str, str], dict[int, list[int]]] = defaultdict(dict)
    for data in datas:
        for slot, bitmaps, by_waiting, municipalities in _read(data, wanted):
            p, e = people[slot], enterprises[slot]
            for c in range(len(PEOPLE_CLASSES)):
                p[c] |= bitmaps[c]
            for c in range(len(ENTERPRISE_CLASSES)):
                e[c] |= bitmaps[len(PEOPLE_CLASSES) + c]
            covered[slot].update(municipalities)
            histogram = waiting[slot]
            for days, *numbers in by_waiting:
                sums = histogram.setdefault(days, [0] * len(numbers))
                for i, n in enumerate(numbers):
                    sums[i] += n

    found: dict[str, dict[str, Tally]] = {name: {} for name in names}
    for slot, histogram in waiting.items():
        name, key = slot
        found[name][key] = Tally(
            people=tuple(bits.bit_count() for bits in people[slot]),
            enterprises=tuple(bits.bit_count() for bits in enterprises[slot]),
            covered=len(covered[slot]),
            by_waiting=[(days, *sums) for days, sums in histogram.items()],
        )
    return found


def month_fingerprints(region_code: str, start: date, end: date) -> dict[date, str]:
    """Each month of start..end that has bookings, with what identifies its
    bookings as they are now. One query, from the index on PostgreSQL."""
    since, until = period_bounds(start, end)
    rows = (
        Booking.objects.filter(stat_region=region_code, start__gte=since, start__lt=until)
        .annotate(month=TruncMonth("start", tzinfo=REPORT_ZONE))
        .order_by()
        .values("month")
        .annotate(n=Count("pk"), ids=Sum("pk"), versions=Sum("stat_version"))
    )
    return {local_month(r["month"]): f"{ROLLUP_FORMAT}:{r['n']}:{r['ids']}:{r['versions']}" for r in rows}


def build_months(region_code: str, fingerprints: Mapping[date, str]) -> dict[date, bytes]:
    """Build (or build again) the region's rollups of these months from their
    bookings and store them with the fingerprints read before. Returns their
    data. A fixed number of queries, however many months."""
    months = sorted(fingerprints)
    if not months:
        return {}
    # Only the stale months' bookings, read once, as a stream: a change in
    # January and one in December must not load the ten months between.
    bookings = Booking.objects.filter(_months(months), stat_region=region_code)
    datas = {month: _write(slots) for month, slots in _slots_of(region_code, bookings, months).items()}
    built = timezone.now()
    StatisticsMonth.objects.bulk_create(
        [
            StatisticsMonth(
                region=region_code, month=m, fingerprint=fingerprints[m], built=built, data=datas[m]
            )
            for m in months
        ],
        update_conflicts=True,
        unique_fields=["region", "month"],
        update_fields=["fingerprint", "built", "data"],
    )
    return datas


def _slots_of(
    region_code: str, bookings: QuerySet[Booking], months: Sequence[date]
) -> dict[date, dict[tuple[str, str], _Slot]]:
    """The rows and groupings of reporting.tallies.read_tallies (GROUPINGS,
    FACTS) of `bookings`, all in `months`, by month: three queries (four or
    more when some people or enterprises have no number yet)."""
    # The keys' numbers first (a short read of the index); then the rows, streamed.
    person_numbers, enterprise_numbers = _numbers_of(region_code, bookings)
    sizes = (
        max(person_numbers.values(), default=0) // 8 + 1,
        max(enterprise_numbers.values(), default=0) // 8 + 1,
    )
    rating = Feedback.objects.filter(booking=OuterRef("pk")).values("rating")
    rows = _rows(
        bookings.annotate(
            fact_month=TruncMonth("start", tzinfo=REPORT_ZONE, output_field=DateField()),
            # One lookup of the unique index a booking, not a join of all feedback.
            fact_rating=Subquery(rating),
        )
        .order_by()
        .values_list(
            "fact_month",
            "topic_id",
            "mode",
            "stat_municipality",
            "stat_enterprise_kind",
            "stat_gender",
            "stat_advisor_organisation",
            "stat_person_key",
            "stat_enterprise_key",
            "status",
            "stat_first_time",
            "stat_waiting_days",
            "duration",
            "stat_booked_by_advisor",
            "fact_rating",
            "stat_needs",
            "needs_not_met",
        )
    )
    by_month: dict[date, dict[tuple[str, str], _Slot]] = {m: {} for m in months}
    # The groupings other than the totals, in the order of the row's values
    # below; by_month is the totals of each month, added when written.
    groupings = (
        "by_topic",
        "by_municipality",
        "by_enterprise_kind",
        "by_gender",
        "by_mode",
        "by_advisor_organisation",
        "by_booked_by",
    )
    # The groupings by a list of kinds of need (reporting.tallies.LISTED), in
    # the order of the row's last two values.
    listed_groupings = ("by_need", "by_need_not_met")
    month_of: dict = {}

    def new_slot() -> _Slot:
        return _Slot(sizes)

    # Per month, per grouping: its slots by key (the listed groupings' apart).
    slots_of: dict[date, tuple[dict, ...]] = {}
    listed_of: dict[date, tuple[defaultdict, ...]] = {}
    # The kinds in a list's driver value (JSON text), read once each.
    kinds_in: dict[Any, list[str]] = {NO_NEEDS: []}
    # A booking's states and additive numbers depend on few of its facts: worked out once each.
    kinds: dict[tuple, tuple[int, int, bool, int]] = {}
    for (
        month,
        topic,
        mode,
        municipality,
        kind,
        gender,
        organisation,
        person_key,
        enterprise_key,
        status,
        first_time,
        waiting_days,
        minutes,
        booked_by_advisor,
        rating,
        needs,
        not_met,
    ) in rows:
        local = month_of.get(month)
        if local is None:
            # The driver's value: a naive local timestamp on PostgreSQL, text on SQLite.
            local = month_of[month] = local_month(
                date.fromisoformat(month) if isinstance(month, str) else month
            )
        month = local
        per_grouping = slots_of.get(month)
        if per_grouping is None:
            slots = by_month[month]
            totals = slots[("totals", region_code)] = _Slot(sizes)
            per_grouping = slots_of[month] = (
                {region_code: totals},
                *(defaultdict(new_slot) for _ in groupings),
            )
            listed_of[month] = tuple(defaultdict(new_slot) for _ in listed_groupings)
        facts = (status, first_time, minutes, rating)
        known = kinds.get(facts)
        if known is None:
            known = kinds[facts] = _states(*facts, len(kinds))
        person_state, enterprise_state, rated, facts_id = known
        person, enterprise = person_numbers[person_key], enterprise_numbers[enterprise_key]
        person_byte, person_bit = person >> 3, 1 << (person & 7)
        enterprise_byte, enterprise_bit = enterprise >> 3, 1 << (enterprise & 7)
        counted = (waiting_days, facts_id)
        covers = municipality if status == HELD and municipality.startswith(region_code) else None
        targets: Iterable[tuple[Mapping[str, _Slot], str]] = zip(
            per_grouping,
            (
                region_code,
                str(topic),
                municipality,
                kind,
                GENDER_ROWS.get(gender, "other_or_not_stated"),
                mode,
                organisation,
                "advisor" if booked_by_advisor else "person",
            ),
            strict=True,
        )
        if needs != NO_NEEDS:
            # A booking with needs is also in the row of each kind (both lists).
            by_need, by_not_met = listed_of[month]
            targets = [
                *targets,
                *((by_need, k) for k in _kinds(kinds_in, needs)),
                *((by_not_met, k) for k in _kinds(kinds_in, not_met)),
            ]
        for of_grouping, key in targets:
            slot = of_grouping[key]
            slot.people[person_state][person_byte] |= person_bit
            slot.enterprises[enterprise_state][enterprise_byte] |= enterprise_bit
            if rated:
                slot.people[RATED][person_byte] |= person_bit
                slot.enterprises[ENTERPRISE_RATED][enterprise_byte] |= enterprise_bit
            slot.counts[counted] += 1
            if covers:
                slot.covered.add(covers)
    numbers: list[tuple[int, ...]] = [()] * len(kinds)
    for facts, (_, _, _, facts_id) in kinds.items():
        numbers[facts_id] = _additive_numbers(*facts)
    for month, per_grouping in slots_of.items():
        slots = by_month[month]
        for name, of_grouping in (
            *zip(groupings, per_grouping[1:], strict=True),
            *zip(listed_groupings, listed_of[month], strict=True),
        ):
            for key, slot in of_grouping.items():
                slots[(name, key)] = slot
        slots[("by_month", f"{month:%Y-%m}")] = slots[("totals", region_code)]
        for slot in slots.values():
            slot.numbers = numbers
    return by_month


def _kinds(known: dict[Any, list[str]], value: Any) -> list[str]:
    """The kinds of need in a list field's driver value (JSON text; a list
    from a driver that reads JSON), read once per distinct value."""
    if not isinstance(value, str):
        return list(value)
    found = known.get(value)
    if found is None:
        found = known[value] = json.loads(value)
    return found


def refresh_months(*, months: int = 13, today: date | None = None) -> int:
    """Build every region's stale rollups of the last `months` months (the
    current one included). Returns how many months were built."""
    today = today or periods.today()
    first, last = add_months(today, 1 - months), month_end(today)
    built = 0
    for code in Region.objects.values_list("code", flat=True):
        fingerprints = month_fingerprints(code, first, last)
        current = dict(
            StatisticsMonth.objects.filter(region=code, month__in=list(fingerprints)).values_list(
                "month", "fingerprint"
            )
        )
        stale = {m: f for m, f in fingerprints.items() if current.get(m) != f}
        build_months(code, stale)
        built += len(stale)
    return built


def feedback_changed(sender, instance, **kwargs) -> None:
    """Feedback given, edited or removed changes its booking's rating: raise
    the booking's version, so its month is built again (post_save and
    post_delete of Feedback, connected in apps.py)."""
    Booking.objects.filter(pk=instance.booking_id).update(stat_version=F("stat_version") + 1)


# --- Numbers for keys ---------------------------------------------------------------------


def _months(months: Sequence[date]) -> Q:
    """Sessions starting in any of these months (local time), runs of
    consecutive months as one range each."""
    ranges: list[list[date]] = []
    for month in sorted(months):
        if ranges and add_months(ranges[-1][1], 1) == month:
            ranges[-1][1] = month
        else:
            ranges.append([month, month])
    found = Q(pk__in=[])
    for first, last in ranges:
        since, until = period_bounds(first, month_end(last))
        found |= Q(start__gte=since, start__lt=until)
    return found


def _numbers_of(region_code: str, bookings: QuerySet[Booking]) -> tuple[dict[str, int], dict[str, int]]:
    """The numbers of the people and enterprises of `bookings`, by key,
    numbering those that have none yet: their keys (two short columns), then
    the region's numbers. Two queries when all have numbers (`_numbers` for
    the new ones)."""
    people, enterprises = set(), set()
    for person_key, enterprise_key in _rows(
        bookings.order_by().values_list("stat_person_key", "stat_enterprise_key")
    ):
        people.add(person_key)
        enterprises.add(enterprise_key)
    # All of the region's keys: a month of a big region asks for tens of
    # thousands, and a list that long costs more to send than the rest.
    known: dict[str, dict[str, int]] = {StatisticsKey.Kind.PERSON: {}, StatisticsKey.Kind.ENTERPRISE: {}}
    for kind, key, number in _rows(
        StatisticsKey.objects.filter(region=region_code).values_list("kind", "key", "number")
    ):
        known[kind][key] = number
    person_numbers = {key: known[StatisticsKey.Kind.PERSON].get(key) for key in people}
    enterprise_numbers = {key: known[StatisticsKey.Kind.ENTERPRISE].get(key) for key in enterprises}
    missing: dict[str, set[str]] = {
        StatisticsKey.Kind.PERSON: {key for key, n in person_numbers.items() if n is None},
        StatisticsKey.Kind.ENTERPRISE: {key for key, n in enterprise_numbers.items() if n is None},
    }
    if any(missing.values()):
        for (kind, key), n in _numbers(region_code, missing, all_new=True).items():
            (person_numbers if kind == StatisticsKey.Kind.PERSON else enterprise_numbers)[key] = n
    return person_numbers, enterprise_numbers  # type: ignore[return-value]  # every None numbered above


def _rows(values: QuerySet) -> Iterator[tuple]:
    """The rows of a values_list queryset as the database driver gives them,
    fetched in chunks through a client-side cursor: without Django's
    converters, which cost more than the rest of a month's build, and without
    a server-side cursor's round trips. Only for values whose driver types
    are the ones wanted (SQLite's dates are text, its booleans 0 and 1)."""
    sql, params = values.query.get_compiler(using=values.db).as_sql()
    with connections[values.db].cursor() as cursor:
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(5000):
            yield from chunk


def _numbers(
    region_code: str, keys: Mapping[str, set[str]], *, all_new: bool = False
) -> dict[tuple[str, str], int]:
    """The region's number for each (kind, key), giving new keys the next free
    numbers of their kind. Two builds at once may pick the same numbers: the
    unique constraints keep one, and the other tries again above it. One
    query when every key has its number, four when some are new (three when
    the caller knows that all are: `all_new`)."""
    wanted = {(kind, key) for kind, of_kind in keys.items() for key in of_kind}
    if not wanted:
        return {}
    region_keys = StatisticsKey.objects.filter(region=region_code)

    def read() -> dict[tuple[str, str], int]:
        # All of the region's keys: a month of a big region asks for tens of
        # thousands, and a list that long costs more to send than the rest.
        return {
            (kind, key): number
            for kind, key, number in region_keys.values_list("kind", "key", "number")
            if (kind, key) in wanted
        }

    known = {} if all_new else read()
    for _attempt in range(10):
        missing = sorted(wanted - set(known))
        if not missing:
            return known
        top = dict(region_keys.values("kind").annotate(top=Max("number")).values_list("kind", "top"))
        new: list[StatisticsKey] = []
        next_number: dict[str, int] = {}
        for kind, key in missing:
            number = next_number.get(kind, top.get(kind, -1) + 1)
            next_number[kind] = number + 1
            new.append(StatisticsKey(region=region_code, kind=kind, key=key, number=number))
        StatisticsKey.objects.bulk_create(new, ignore_conflicts=True)
        # Ours, or another build's for the same keys under other numbers.
        known = read()
    raise RuntimeError("Could not number the statistics keys; other builds kept taking the numbers.")


# --- A month's data -----------------------------------------------------------------------


def _states(status: str, first_time: bool, minutes: int, rating: int | None, facts_id: int) -> tuple:
    """A booking's person state and enterprise state (indexes into a slot's
    `people` and `enterprises`), whether it was rated, and `facts_id`."""
    person = PERSON_STATES[status]
    if status == HELD:
        enterprise = HELD_FIRST if first_time else HELD_RETURNING
    else:
        enterprise = ENTERPRISE_STATES[status]
    return person, enterprise, rating is not None, facts_id


def _additive_numbers(status: str, first_time: bool, minutes: int, rating: int | None) -> tuple[int, ...]:
    """A booking's additive numbers: bookings, held, no-show, cancelled, held
    minutes, booked minutes, rating sum, ratings (those of
    `reporting.tallies.Tally.by_waiting`)."""
    held, booked = status in rules.HELD, status in rules.BOOKED
    return (
        1,
        int(held),
        int(status == NO_SHOW),
        int(status == CANCELLED),
        minutes if held else 0,
        minutes if booked else 0,
        rating or 0,
        int(rating is not None),
    )


class _Slot:
    """One row (or the totals) of one month while it is built: a bitmap per
    state of people and of enterprises (`sizes` bytes each, for the region's
    numbers; `classes` makes the classes of them), the bookings counted by
    waiting days and facts (`numbers`, by facts id, gives each one's additive
    numbers), the municipalities covered."""

    __slots__ = ("counts", "covered", "enterprises", "numbers", "people")

    def __init__(self, sizes: tuple[int, int] = (0, 0)) -> None:
        self.people = [bytearray(sizes[0]) for _ in range(len(PERSON_STATES) + 1)]
        self.enterprises = [bytearray(sizes[1]) for _ in range(len(ENTERPRISE_STATES) + 3)]
        self.counts: defaultdict[tuple[int, int], int] = defaultdict(int)
        self.numbers: Sequence[tuple[int, ...]] = ()
        self.covered: set[str] = set()

    def classes(self) -> list[int]:
        """The bitmaps of PEOPLE_CLASSES and ENTERPRISE_CLASSES, as ints."""
        held, no_show, confirmed, cancelled, rated = (int.from_bytes(b, "little") for b in self.people)
        first, returning, e_no_show, e_confirmed, e_cancelled, e_rated = (
            int.from_bytes(b, "little") for b in self.enterprises
        )
        e_held = first | returning
        return [
            held | no_show | confirmed | cancelled,
            held,
            held | no_show,
            held | no_show | confirmed,
            rated,
            e_held | e_no_show | e_confirmed | e_cancelled,
            e_held,
            e_held | e_no_show,
            e_held | e_no_show | e_confirmed,
            e_rated,
            first,
            returning,
        ]

    def by_waiting(self) -> list[list[int]]:
        """Bookings by waiting days: [days, the eight additive numbers summed], by days."""
        histogram: dict[int, list[int]] = {}
        for (days, facts_id), count in self.counts.items():
            sums = histogram.setdefault(days, [0] * 8)
            for i, n in enumerate(self.numbers[facts_id]):
                sums[i] += n * count
        return [[days, *sums] for days, sums in sorted(histogram.items())]


def _write(slots: Mapping[tuple[str, str], _Slot]) -> bytes:
    """A month as bytes: the length of a JSON header, the header (per slot:
    grouping, key, bookings by waiting days, municipalities covered, the
    lengths of its bitmaps), then every bitmap, little-endian, in that order;
    all of it compressed (zlib). ROLLUP_FORMAT names this layout."""
    header, blobs = [], []
    for (name, key), slot in slots.items():
        # High zero bytes add nothing.
        bitmaps = [bits.to_bytes((bits.bit_length() + 7) // 8, "little") for bits in slot.classes()]
        header.append([name, key, slot.by_waiting(), sorted(slot.covered), [len(b) for b in bitmaps]])
        blobs.extend(bitmaps)
    text = json.dumps(header, separators=(",", ":")).encode()
    # Most rows' bitmaps are sparse: compressed, a month of a big region
    # takes a third of the room and is written in a fraction of the time.
    return zlib.compress(len(text).to_bytes(4, "little") + text + b"".join(blobs), 1)


def _read(data: bytes, names: set[str]):
    """The slots of a month's data whose grouping is among `names`: (slot,
    bitmaps as ints, bookings by waiting days, municipalities covered)."""
    data = zlib.decompress(data)
    size = int.from_bytes(data[:4], "little")
    header = json.loads(data[4 : 4 + size])
    view = memoryview(data)
    offset = 4 + size
    for name, key, by_waiting, covered, lengths in header:
        if name not in names:
            offset += sum(lengths)
            continue
        bitmaps = []
        for length in lengths:
            bitmaps.append(int.from_bytes(view[offset : offset + length], "little"))
            offset += length
        yield (name, key), bitmaps, by_waiting, covered

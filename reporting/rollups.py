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
wait for it. Periods that do not start and end at a month's edges are read
from the bookings (`reporting.tallies.read_tallies`)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date

from django.db.models import Count, F, Max, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from advisors.models import Region
from bookings import rules
from bookings.models import Booking, BookingStatus, Gender

from . import periods
from .models import StatisticsKey, StatisticsMonth
from .periods import REPORT_ZONE, add_months, local_month, month_end, period_bounds
from .tallies import Tally

# The kinds of figure whose people (and enterprises) are counted, in the order
# of `reporting.tallies.Tally.people` and `.enterprises`.
PEOPLE_CLASSES = ("all", "held", "outcome", "booked", "rated")
ENTERPRISE_CLASSES = (*PEOPLE_CLASSES, "first", "returning")

# Held is bookings' rule (rules.HELD), one status, as the classes below need.
(HELD,) = rules.HELD
NO_SHOW, CONFIRMED, CANCELLED = BookingStatus.NO_SHOW, BookingStatus.CONFIRMED, BookingStatus.CANCELLED
# A booking's people classes by its status (indexes into PEOPLE_CLASSES).
STATUS_CLASSES: dict[str, tuple[int, ...]] = {
    HELD: (0, 1, 2, 3),
    NO_SHOW: (0, 2, 3),
    CONFIRMED: (0, 3),
    CANCELLED: (0,),
}
# The rows of by_gender, as reporting.tallies.GROUPINGS names them; the rest is "other_or_not_stated".
GENDER_ROWS: dict[str, str] = {Gender.WOMAN: "women", Gender.MAN: "men"}


def tallies_of_months(region_code: str, start: date, end: date, names: Sequence[str]) -> dict:
    """What `reporting.tallies.read_tallies` reads from the bookings of start..end (whole
    months), for the groupings `names`, read from the months' rollups. Stale
    months are built first. Two queries when every month is current."""
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

    wanted = set(names)
    people: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0] * len(PEOPLE_CLASSES))
    enterprises: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0] * len(ENTERPRISE_CLASSES))
    covered: dict[tuple[str, str], set[str]] = defaultdict(set)
    waiting: dict[tuple[str, str], dict[int, list[int]]] = defaultdict(dict)
    for data in datas.values():
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
    return {local_month(r["month"]): f"{r['n']}:{r['ids']}:{r['versions']}" for r in rows}


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
    # The months' keys first (two short columns), numbered from the region's
    # keys; then the rows, streamed.
    people, enterprises = set(), set()
    for person_key, enterprise_key in bookings.order_by().values_list(
        "stat_person_key", "stat_enterprise_key"
    ):
        people.add(person_key)
        enterprises.add(enterprise_key)
    numbers_of = _numbers(
        region_code, {StatisticsKey.Kind.PERSON: people, StatisticsKey.Kind.ENTERPRISE: enterprises}
    )
    person_numbers = {key: n for (kind, key), n in numbers_of.items() if kind == StatisticsKey.Kind.PERSON}
    enterprise_numbers = {
        key: n for (kind, key), n in numbers_of.items() if kind == StatisticsKey.Kind.ENTERPRISE
    }
    sizes = (
        max(person_numbers.values(), default=0) // 8 + 1,
        max(enterprise_numbers.values(), default=0) // 8 + 1,
    )
    rows = (
        bookings.annotate(fact_month=TruncMonth("start", tzinfo=REPORT_ZONE))
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
            "feedback__rating",
        )
        .iterator(chunk_size=5000)
    )
    # The rows and groupings of reporting.tallies.read_tallies (GROUPINGS, FACTS),
    # here from each booking of the stale months.
    month_of: dict = {}

    by_month: dict[date, dict[tuple[str, str], _Slot]] = {m: {} for m in months}
    # A booking's classes and additive numbers depend on few of its facts: worked out once each.
    kinds: dict[tuple, tuple] = {}
    people_count = len(PEOPLE_CLASSES)
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
        rating,
    ) in rows:
        local = month_of.get(month)
        if local is None:
            local = month_of[month] = local_month(month)
        month = local
        slots = by_month[month]
        facts = (status, first_time, minutes, rating)
        known = kinds.get(facts)
        if known is None:
            known = kinds[facts] = _classes_and_numbers(*facts)
        classes, enterprise_classes, numbers = known
        person, enterprise = person_numbers[person_key], enterprise_numbers[enterprise_key]
        person_byte, person_bit = person >> 3, 1 << (person & 7)
        enterprise_byte, enterprise_bit = enterprise >> 3, 1 << (enterprise & 7)
        covers = municipality if status == HELD and municipality.startswith(region_code) else None
        for slot_key in (
            ("totals", region_code),
            ("by_month", f"{month:%Y-%m}"),
            ("by_topic", str(topic)),
            ("by_municipality", municipality),
            ("by_enterprise_kind", kind),
            ("by_gender", GENDER_ROWS.get(gender, "other_or_not_stated")),
            ("by_mode", mode),
            ("by_advisor_organisation", organisation),
        ):
            slot = slots.get(slot_key)
            if slot is None:
                slot = slots[slot_key] = _Slot(sizes)
            bitmaps = slot.bitmaps
            for c in classes:
                bitmaps[c][person_byte] |= person_bit
            for c in enterprise_classes:
                bitmaps[people_count + c][enterprise_byte] |= enterprise_bit
            sums = slot.waiting.get(waiting_days)
            if sums is None:
                slot.waiting[waiting_days] = list(numbers)
            else:
                for n, value in enumerate(numbers):
                    sums[n] += value
            if covers:
                slot.covered.add(covers)

    built = timezone.now()
    datas = {month: _write(slots) for month, slots in by_month.items()}
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


def _numbers(region_code: str, keys: Mapping[str, set[str]]) -> dict[tuple[str, str], int]:
    """The region's number for each (kind, key), giving new keys the next free
    numbers of their kind. Two builds at once may pick the same numbers: the
    unique constraints keep one, and the other tries again above it. One
    query when every key has its number, four when some are new."""
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

    known = read()
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


def _classes_and_numbers(status: str, first_time: bool, minutes: int, rating: int | None) -> tuple:
    """A booking's people classes, enterprise classes (indexes into
    PEOPLE_CLASSES and ENTERPRISE_CLASSES) and additive numbers: bookings,
    held, no-show, cancelled, held minutes, booked minutes, rating sum,
    ratings (those of `reporting.tallies.Tally.by_waiting`)."""
    rated = rating is not None
    classes = STATUS_CLASSES[status] + ((4,) if rated else ())
    enterprise_classes = classes + (((5,) if first_time else (6,)) if status == HELD else ())
    held, booked = status in rules.HELD, status in rules.BOOKED
    numbers = (
        1,
        int(held),
        int(status == NO_SHOW),
        int(status == CANCELLED),
        minutes if held else 0,
        minutes if booked else 0,
        rating or 0,
        int(rated),
    )
    return classes, enterprise_classes, numbers


class _Slot:
    """One row (or the totals) of one month while it is built: a bitmap per
    class of people and of enterprises (`sizes` bytes each, for the region's
    numbers), bookings by waiting days, the municipalities covered."""

    __slots__ = ("bitmaps", "covered", "waiting")

    def __init__(self, sizes: tuple[int, int] = (0, 0)) -> None:
        self.bitmaps = [bytearray(sizes[0]) for _ in PEOPLE_CLASSES] + [
            bytearray(sizes[1]) for _ in ENTERPRISE_CLASSES
        ]
        self.waiting: dict[int, list[int]] = {}
        self.covered: set[str] = set()


def _write(slots: Mapping[tuple[str, str], _Slot]) -> bytes:
    """A month as bytes: the length of a JSON header, the header (per slot:
    grouping, key, bookings by waiting days, municipalities covered, the
    lengths of its bitmaps), then every bitmap, little-endian, in that order."""
    header, blobs = [], []
    for (name, key), slot in slots.items():
        bitmaps = [bytes(b).rstrip(b"\0") for b in slot.bitmaps]  # high zero bytes add nothing
        header.append(
            [
                name,
                key,
                [[days, *sums] for days, sums in sorted(slot.waiting.items())],
                sorted(slot.covered),
                [len(b) for b in bitmaps],
            ]
        )
        blobs.extend(bitmaps)
    text = json.dumps(header, separators=(",", ":")).encode()
    return len(text).to_bytes(4, "little") + text + b"".join(blobs)


def _read(data: bytes, names: set[str]):
    """The slots of a month's data whose grouping is among `names`: (slot,
    bitmaps as ints, bookings by waiting days, municipalities covered)."""
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

"""Reads of regions, topics and advisors."""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime, time, timedelta

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils.translation import get_language

from backend import sql
from backend.models import User

from .availability import Booked, Interval, Rules, Slot, free_slots, local_to_utc
from .busy import booked_intervals, external_busy_intervals
from .models import Advisor, Municipality, Region, Topic, WeeklyHours


def bookable_advisors() -> QuerySet[Advisor]:
    """Advisors people may book: the advisor is active and so is their account
    (a coordinator deactivating an advisor's account also closes their calendar).
    `Advisor.is_bookable` is the same rule for a row already loaded."""
    return Advisor.objects.filter(is_active=True, user__is_active=True)


# What advisor_rules reads of an advisor: the columns a read that feeds the
# slot engine loads (SLOT_COLUMNS here, the directory's in advisors.api).
RULE_COLUMNS = (
    "timezone",
    "slot_step",
    "buffer_before",
    "buffer_after",
    "min_notice_hours",
    "horizon_days",
    "max_per_day",
    "closed_on_public_holidays",
    "date_overrides",
    "time_off",
)
# What the slots API reads of an advisor (the rules, the session lengths
# SlotQuerySerializer checks, the interpreter's lead time): no more, since
# every slots request reads it.
SLOT_COLUMNS = ("id", "session_lengths", "interpreter_lead_days", *RULE_COLUMNS)


MAX_ID = 2**63 - 1  # the largest id a BigAutoField holds


def bookable_advisor_for_slots(pk: int) -> Advisor | None:
    """The bookable advisor `pk` (the rule of bookable_advisors()) with only
    SLOT_COLUMNS loaded, or None: one hand-written query (backend/sql.py says why)."""
    if not 0 < pk <= MAX_ID:
        return None  # no such row; SQLite's driver would refuse the number
    columns = ", ".join(f"a.{c}" for c in SLOT_COLUMNS)
    query = (
        f"SELECT {columns} FROM {sql.table(Advisor)} a JOIN {sql.table(User)} u ON u.id = a.user_id"  # noqa: S608 - fixed text
        " WHERE a.id = %s AND a.is_active = %s AND u.is_active = %s"
    )
    return next(iter(Advisor.objects.raw(query, [pk, True, True])), None)


def advisor_of(user) -> Advisor | None:
    """The advisor record of a signed-in user, if they are one."""
    return Advisor.objects.filter(user=user).first() if user.is_authenticated else None


def region_list() -> QuerySet[Region]:
    """All regions with their municipalities: two queries whatever the count."""
    return Region.objects.prefetch_related(
        Prefetch("municipalities", queryset=Municipality.objects.order_by("name"))
    ).order_by("code")


def listed_advisors() -> QuerySet[Advisor]:
    """The advisors the directory lists: bookable, with hours given (weekly,
    or on some dates). One just invited, with an empty calendar, would be a
    dead end; their page stays reachable by its address."""
    return bookable_advisors().filter(
        Q(Exists(WeeklyHours.objects.filter(advisor=OuterRef("pk")))) | ~Q(date_overrides=[])
    )


def directory_regions() -> QuerySet[Region]:
    """region_list() with `has_advisors`: whether the directory lists anyone
    in the region. Still two queries: the flag is a subquery."""
    return region_list().annotate(has_advisors=Exists(listed_advisors().filter(region=OuterRef("pk"))))


def topic_list() -> QuerySet[Topic]:
    return Topic.objects.filter(is_active=True).order_by("position", "slug")


# --- Advisors and their free time --------------------------------------------

# How far ahead the directory looks for an advisor's next free time. Bounded so
# the directory reads a bounded number of bookings whatever the horizons are.
NEXT_AVAILABLE_DAYS = 62


def weekly_hours_by_advisor(advisor_ids: Sequence[int]) -> dict[int, dict[int, list[tuple[time, time]]]]:
    """Weekly hours of many advisors as plain tuples: one query, hand-written
    (backend/sql.py says why), no model instances."""
    found: dict[int, dict[int, list[tuple[time, time]]]] = defaultdict(lambda: defaultdict(list))
    if not advisor_ids:
        return found
    query = (
        f'SELECT advisor_id, weekday, start, "end" FROM {sql.table(WeeklyHours)}'  # noqa: S608 - fixed text
        f" WHERE advisor_id IN ({sql.placeholders(len(advisor_ids))}) ORDER BY weekday, start"
    )
    clock = sql.clock
    for advisor_id, weekday, start, end in sql.rows(query, list(advisor_ids)):
        found[advisor_id][weekday].append((clock(start), clock(end)))
    return found


def advisor_rules(advisor: Advisor, weekly: Mapping[int, Sequence[tuple[time, time]]] | None = None) -> Rules:
    """The engine's rules from an advisor row; `weekly` from weekly_hours_by_advisor
    saves the query for the weekly hours."""
    if weekly is None:
        weekly = weekly_hours_by_advisor([advisor.pk])[advisor.pk]
    overrides = {
        date.fromisoformat(o["date"]): [
            (parse_clock(i["start"]), parse_clock(i["end"])) for i in o["intervals"]
        ]
        for o in advisor.date_overrides
    }
    time_off = [Interval(parse_instant(t["start"]), parse_instant(t["end"])) for t in advisor.time_off]
    return Rules(
        timezone=advisor.timezone,
        weekly_hours=weekly,
        overrides=overrides,
        time_off=time_off,
        slot_step=advisor.slot_step,
        buffer_before=advisor.buffer_before,
        buffer_after=advisor.buffer_after,
        min_notice=timedelta(hours=advisor.min_notice_hours),
        horizon_days=advisor.horizon_days,
        max_per_day=advisor.max_per_day,
        closed_on_public_holidays=advisor.closed_on_public_holidays,
    )


def parse_clock(value: str) -> time:
    """ "HH:MM" as a time; "24:00" is midnight at the end of the day (time(0))."""
    return time(0) if value == "24:00" else time.fromisoformat(value)


def parse_instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def advisor_overrides(advisor: Advisor) -> list[dict]:
    """Date overrides as values: {"date": date, "intervals": [{"start": time, "end": time}]}."""
    return [
        {
            "date": date.fromisoformat(o["date"]),
            "intervals": [
                {"start": parse_clock(i["start"]), "end": parse_clock(i["end"])} for i in o["intervals"]
            ],
        }
        for o in advisor.date_overrides
    ]


def advisor_time_off(advisor: Advisor) -> list[dict]:
    """Time off as values: {"start": aware datetime, "end": aware datetime, "reason": str}."""
    return [
        {"start": parse_instant(t["start"]), "end": parse_instant(t["end"]), "reason": t.get("reason", "")}
        for t in advisor.time_off
    ]


def _window_utc(rules: Rules, first_day: date, last_day: date) -> tuple[datetime, datetime]:
    # A day's margin each side covers buffers and whole local days for max_per_day.
    start = local_to_utc(first_day, time(0), rules.zone) - timedelta(days=1)
    end = local_to_utc(last_day, time(0), rules.zone) + timedelta(days=2)
    return start, end


def advisor_slots(
    advisor: Advisor,
    *,
    first_day: date,
    last_day: date,
    duration: int,
    now: datetime,
    rules: Rules | None = None,
    exclude: Collection[object] = (),
) -> list[Slot]:
    """Free slots of one advisor on local dates first_day..last_day; bookings in
    `exclude` (one being moved) do not block them. Three queries after the
    advisor row: weekly hours (none when `rules` are given), external busy
    times, bookings."""
    rules = rules or advisor_rules(advisor)
    start, end = _window_utc(rules, first_day, last_day)
    return free_slots(
        rules,
        duration=duration,
        first_day=first_day,
        last_day=last_day,
        now=now,
        bookings=booked_intervals([advisor.pk], start, end, exclude).get(advisor.pk, []),
        busy=external_busy_intervals([advisor.pk], start, end).get(advisor.pk, []),
    )


class SlotCheck(enum.Enum):
    FREE = "free"
    TAKEN = "taken"  # a slot of the advisor's hours, but booked or busy
    NOT_A_SLOT = "not_a_slot"  # outside hours, off the grid, past, too soon or too far ahead


def slot_check(
    advisor: Advisor, *, start: datetime, duration: int, now: datetime, exclude: Collection[object] = ()
) -> SlotCheck:
    """Whether `start` is a free slot of `duration` minutes for the advisor now;
    bookings in `exclude` (a booking being moved) do not count. Three queries."""
    rules = advisor_rules(advisor)
    day = start.astimezone(rules.zone).date()
    window_start, window_end = _window_utc(rules, day, day)
    bookings = booked_intervals([advisor.pk], window_start, window_end, exclude).get(advisor.pk, [])
    busy = external_busy_intervals([advisor.pk], window_start, window_end).get(advisor.pk, [])
    wanted = Slot(start, start + timedelta(minutes=duration))

    def offered(booked: Sequence[Booked | Interval], busy_times: Sequence[Interval]) -> bool:
        slots = free_slots(
            rules, duration=duration, first_day=day, last_day=day, now=now, bookings=booked, busy=busy_times
        )
        return wanted in slots

    if offered(bookings, busy):
        return SlotCheck.FREE
    if offered((), ()):
        return SlotCheck.TAKEN
    return SlotCheck.NOT_A_SLOT


def next_available(advisors: Sequence[Advisor], *, now: datetime) -> dict[int, datetime | None]:
    """Each advisor's first free slot (of their first session length) within
    NEXT_AVAILABLE_DAYS, or None. Three queries for all of them: weekly hours,
    busy times and bookings."""
    if not advisors:
        return {}
    weekly = weekly_hours_by_advisor([a.pk for a in advisors])
    rules = {a.pk: advisor_rules(a, weekly[a.pk]) for a in advisors}
    start = now - timedelta(days=1)
    end = now + timedelta(days=NEXT_AVAILABLE_DAYS + 2)
    ids = list(rules)
    bookings = booked_intervals(ids, start, end)
    busy = external_busy_intervals(ids, start, end)
    found: dict[int, datetime | None] = {}
    for advisor in advisors:
        # Each advisor's days are their own zone's: "today" in Stockholm is not today everywhere.
        first_day = now.astimezone(rules[advisor.pk].zone).date() - timedelta(days=1)
        slots = free_slots(
            rules[advisor.pk],
            duration=advisor.session_lengths[0] if advisor.session_lengths else 60,
            first_day=first_day,
            last_day=first_day + timedelta(days=NEXT_AVAILABLE_DAYS + 1),
            now=now,
            bookings=bookings.get(advisor.pk, []),
            busy=busy.get(advisor.pk, []),
            limit=1,
        )
        found[advisor.pk] = slots[0].start if slots else None
    return found


def advisor_directory(
    *,
    region: str | None = None,
    municipality: str | None = None,
    topic: str | None = None,
    mode: str | None = None,
    language: str | None = None,
) -> QuerySet[Advisor]:
    """Active advisors matching the filters, with what the directory shows
    prefetched (topics and languages; `.prefetch_related(None)` leaves them
    to directory_names, as values). Filters are codes and slugs:
    an unknown one matches nobody rather than costing a lookup query.
    Only listed_advisors() are among them."""
    advisors = listed_advisors()
    if region:
        advisors = advisors.filter(region_id=region)
    if municipality:
        # Advisors who list the municipality, and those who serve their whole
        # region (no list); a municipality code starts with its region's code.
        advisors = advisors.filter(
            Q(municipalities__code=municipality) | Q(municipalities__isnull=True, region_id=municipality[:2])
        )
    if topic:
        advisors = advisors.filter(topics__slug=topic, topics__is_active=True)
    if mode:
        advisors = advisors.filter(**{f"offers_{mode}": True})
    if language:
        advisors = advisors.filter(languages__code=language)
    return (
        advisors.distinct()
        .select_related("user", "region")
        .prefetch_related("topics", "languages")
        .order_by("user__full_name", "pk")
    )


def directory_names(advisor_ids: Collection[int]) -> dict[int, dict[str, list[dict[str, str]]]]:
    """Many advisors' topics and languages as the directory shows them
    ({"topics": [{slug, name, name_sv, name_en}], "languages": [{code, name}]},
    names in the active language), in their models' order: two queries and
    no model instances, for a directory page of hundreds of advisors."""
    english = (get_language() or "sv").startswith("en")
    found: dict[int, dict[str, list[dict[str, str]]]] = {
        pk: {"topics": [], "languages": []} for pk in advisor_ids
    }
    topics = (
        Advisor.topics.through.objects.filter(advisor_id__in=advisor_ids)
        .order_by("topic__position", "topic__slug")
        .values_list("advisor_id", "topic__slug", "topic__name_sv", "topic__name_en")
    )
    for advisor_id, slug, name_sv, name_en in topics:
        found[advisor_id]["topics"].append(
            {"slug": slug, "name": name_en if english else name_sv, "name_sv": name_sv, "name_en": name_en}
        )
    languages = (
        Advisor.languages.through.objects.filter(advisor_id__in=advisor_ids)
        .order_by("language__name_sv", "language__code")
        .values_list("advisor_id", "language__code", "language__name_sv", "language__name_en")
    )
    for advisor_id, code, name_sv, name_en in languages:
        found[advisor_id]["languages"].append({"code": code, "name": name_en if english else name_sv})
    return found


def advisor_public(pk: int) -> Advisor | None:
    """One active advisor's public profile, or None."""
    return (
        bookable_advisors()
        .filter(pk=pk)
        .select_related("user", "region")
        .prefetch_related("topics", "languages", "municipalities")
        .first()
    )

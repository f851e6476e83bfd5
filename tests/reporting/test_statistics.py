"""The region report (reporting.selectors): every figure against the same figure
worked out here, independently, from the raw rows; erasure; disclosure control."""

from __future__ import annotations

import math
import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest

from advisors.models import Advisor, MeetingMode, Municipality, Region, Topic
from bookings import needs
from bookings.models import (
    Booking,
    BookingStatus,
    EnterpriseKind,
    Feedback,
    Gender,
    WaitlistEntry,
    WaitlistStatus,
)
from reporting import tallies
from reporting.definitions import DEFINITIONS, FOLLOW_UP_OUTCOMES, definitions
from reporting.measures import BASES, BREAKDOWNS, MEASURES, PEOPLE_COUNTS, percentile_cont, round_half_up
from reporting.measures import COUNTS as SHOWN_AS_COUNTS
from reporting.offered import offered_minutes_by_month
from reporting.selectors import region_figures, region_report, region_totals
from reporting.suppression import suppress_report
from tests import factories

STOCKHOLM = ZoneInfo("Europe/Stockholm")
FIRST, LAST = date(2026, 1, 1), date(2026, 6, 30)
MONTHS = ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]
# Swedish public holidays (and eves kept as such) on weekdays, January to June 2026.
HOLIDAYS = {
    date(2026, 1, 1),
    date(2026, 1, 6),
    date(2026, 4, 3),
    date(2026, 4, 6),
    date(2026, 5, 1),
    date(2026, 5, 14),
    date(2026, 6, 19),
}
GRID_HOURS = (8, 10, 12, 14, 16)  # two hours apart: sessions of up to 90 minutes plus buffer never overlap
COUNTS = {"bookings", "sessions_held", *PEOPLE_COUNTS}


# --- A generated data set -------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    user: object
    gender: str
    municipality: str
    kind: str
    enterprise_key: str
    person_key: str


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=STOCKHOLM).astimezone(UTC)


def make_people(
    count: int, municipalities: list[str], *, rng: random.Random, prefix: str = "p"
) -> list[Person]:
    genders = [Gender.WOMAN, Gender.MAN, Gender.WOMAN, Gender.MAN, Gender.OTHER, Gender.NOT_STATED]
    kinds = list(EnterpriseKind.values)
    people = []
    for i in range(count):
        user = factories.UserFactory(email=f"{prefix}{i}@example.se")
        people.append(
            Person(
                user=user,
                gender=genders[i % len(genders)],
                municipality=municipalities[i % len(municipalities)],
                kind=kinds[rng.randrange(len(kinds))],
                # A few people share an enterprise; a few enterprises have two people.
                enterprise_key=f"{prefix}-enterprise-{i // 2 if i % 7 == 0 else i}",
                person_key=f"{prefix}-person-{i}",
            )
        )
    return people


def make_bookings(
    *,
    rng: random.Random,
    advisors: list[Advisor],
    people: list[Person],
    count: int,
    first: date,
    last: date,
    statuses: dict[str, float] | None = None,
    taken: set | None = None,
) -> list[Booking]:
    """`count` bookings on the two-hour grid (so no advisor's sessions overlap),
    every status, mode, topic; feedback on about 60 % of those held."""
    statuses = statuses or {
        BookingStatus.COMPLETED: 0.6,
        BookingStatus.NO_SHOW: 0.1,
        BookingStatus.CANCELLED: 0.15,
        BookingStatus.CONFIRMED: 0.15,
    }
    topics = list(Topic.objects.filter(is_active=True).order_by("position")[:5])
    taken = set() if taken is None else taken
    days = (last - first).days + 1
    # Needs from a generator of their own, so the rest of the history is as it was without them.
    needs_rng = random.Random(f"needs {count} {first}")
    made = []
    for _ in range(count):
        advisor, person = rng.choice(advisors), rng.choice(people)
        while True:
            day, hour = first + timedelta(days=rng.randrange(days)), rng.choice(GRID_HOURS)
            if (advisor.pk, day, hour) not in taken:
                taken.add((advisor.pk, day, hour))
                break
        made.append(
            booking_for(
                advisor,
                person,
                local(day, hour),
                duration=rng.choice((30, 45, 60, 90)),
                status=rng.choices(list(statuses), list(statuses.values()))[0],
                topic=rng.choice(topics),
                mode=rng.choice(MeetingMode.values),
                waiting=rng.choice((0, 1, 2, 3, 5, 7, 10, 14, 15, 21, 30, 45)),
            )
        )
        # One in five was booked by an advisor for the person (a caller).
        made[-1].stat_booked_by_advisor = needs_rng.random() < 0.2
        # About a third need something, some more than one; some needs were not met.
        if needs_rng.random() < 0.35:
            kinds = needs_rng.sample(needs.KINDS, needs_rng.choice((1, 1, 2, 3)))
            made[-1].stat_needs = [k for k in needs.KINDS if k in kinds]
            made[-1].needs_not_met = [k for k in made[-1].stat_needs if needs_rng.random() < 0.3]
    return save_bookings(made, rng=rng)


def booking_for(
    advisor,
    person,
    start,
    *,
    duration=60,
    status=BookingStatus.COMPLETED,
    topic=None,
    mode="video",
    waiting=3,
):
    end = start + timedelta(minutes=duration)
    return Booking(
        advisor=advisor,
        entrepreneur=person.user,
        start=start,
        end=end,
        duration=duration,
        blocked_start=start,
        blocked_end=end + timedelta(minutes=15),
        topic=topic or Topic.objects.filter(is_active=True).order_by("position").first(),
        mode=mode,
        status=status,
        stat_region=advisor.region_id,
        stat_municipality=person.municipality,
        stat_enterprise_kind=person.kind,
        stat_gender=person.gender,
        stat_first_time=False,
        stat_waiting_days=waiting,
        stat_enterprise_key=person.enterprise_key,
        stat_person_key=person.person_key,
        stat_advisor_organisation=advisor.organisation,
    )


def save_bookings(
    bookings: list[Booking], *, rng: random.Random, feedback_share: float = 0.6
) -> list[Booking]:
    saved = Booking.objects.bulk_create(bookings)
    mark_first_times()
    Feedback.objects.bulk_create(
        Feedback(booking=b, rating=rng.randint(1, 5))
        for b in saved
        if b.status == BookingStatus.COMPLETED and rng.random() < feedback_share
    )
    return saved


NOT_MISSED = {BookingStatus.CONFIRMED, BookingStatus.COMPLETED}


def first_bookings() -> set[int]:
    """The id of each enterprise's first booking, worked out here from the raw
    rows: its earliest (by start, then id) held or still confirmed booking."""
    seen, first = set(), set()
    for pk, key, status in Booking.objects.order_by("start", "pk").values_list(
        "pk", "stat_enterprise_key", "status"
    ):
        if status in NOT_MISSED and key not in seen:
            seen.add(key)
            first.add(pk)
    return first


def mark_first_times() -> None:
    """stat_first_time as reporting keeps it (reporting.first_time), for
    bookings made in bulk: each enterprise's first booking, and only that one."""
    first, changed = first_bookings(), []
    for booking in Booking.objects.order_by("start", "pk"):
        first_time = booking.pk in first
        if booking.stat_first_time != first_time:
            booking.stat_first_time = first_time
            booking.stat_version += 1  # as Booking.save() would: the statistics rollups see the change
            changed.append(booking)
    Booking.objects.bulk_update(changed, ["stat_first_time", "stat_version"])


def waitlist_entry(
    *, created: datetime, region="20", topic: Topic | None = None, advisor=None, person: Person
):
    entry = WaitlistEntry.objects.create(
        advisor=advisor,
        region_id=None if advisor else region,
        topic=None if advisor else topic,
        status=WaitlistStatus.EXPIRED,
        stat_region=advisor.region_id if advisor else region,
        stat_topic="" if advisor else topic.slug,
        stat_municipality=person.municipality,
        stat_gender=person.gender,
        stat_enterprise_kind=person.kind,
        stat_person_key=person.person_key,
    )
    WaitlistEntry.objects.filter(pk=entry.pk).update(created=created)


@dataclass
class History:
    region: Region
    advisors: list[Advisor]
    people: list[Person]


def build_history(count: int = 400, *, seed: int = 6) -> History:
    """Half a year of bookings in Dalarna (20) by 40 people in six of its
    municipalities and one in Kronoberg, with four advisors of three
    organisations (one inactive, one with date overrides and time off), plus
    what must not count: Kronoberg's bookings, bookings just outside the
    period, an inactive advisor without bookings."""
    rng = random.Random(seed)
    region = Region.objects.get(code="20")
    places = list(
        Municipality.objects.filter(region_id="20").order_by("code").values_list("code", flat=True)
    )[:6]
    people = make_people(40, [*places, "0780"], rng=rng)
    anna = factories.AdvisorFactory(
        organisation="Coompanion Dalarna",
        date_overrides=[
            {"date": "2026-01-06", "intervals": [{"start": "10:00", "end": "12:00"}]},  # a holiday, opened
            {"date": "2026-03-07", "intervals": [{"start": "10:00", "end": "14:00"}]},  # a Saturday
            {"date": "2026-03-10", "intervals": []},  # a Tuesday, closed
        ],
        time_off=[
            {"start": "2026-02-16T00:00:00+01:00", "end": "2026-02-21T00:00:00+01:00", "reason": "Sportlov"},
            {
                "start": "2026-04-14T10:00:00+02:00",
                "end": "2026-04-14T14:00:00+02:00",
                "reason": "Tandläkare",
            },
        ],
    )
    bo = factories.AdvisorFactory(organisation="Almi Företagspartner Dalarna")
    cia = factories.AdvisorFactory(organisation="Region Dalarna")
    dag = factories.AdvisorFactory(organisation="Coompanion Dalarna", is_active=False)  # left, had bookings
    factories.AdvisorFactory(organisation="Region Dalarna", is_active=False)  # left before: offers nothing
    advisors = [anna, bo, cia, dag]
    taken: set = set()
    make_bookings(
        rng=rng,
        advisors=advisors,
        people=people,
        count=count,
        first=date(2025, 11, 1),
        last=date(2026, 8, 31),
        taken=taken,
    )

    # At the edges of the period, in local time.
    someone = people[0]
    save_bookings(
        [
            booking_for(bo, someone, local(date(2025, 12, 31), 23, 30), duration=30),  # before
            booking_for(bo, someone, local(date(2026, 1, 1), 0, 30), duration=30),  # first minute in
            booking_for(bo, someone, local(date(2026, 6, 30), 23, 0), duration=30),  # last hour in
            booking_for(bo, someone, local(date(2026, 7, 1), 0, 10), duration=30),  # after
        ],
        rng=rng,
    )
    # Kronoberg's bookings do not count for Dalarna.
    kronoberg = factories.AdvisorFactory(region_id="07", organisation="Almi Företagspartner Kronoberg")
    make_bookings(rng=rng, advisors=[kronoberg], people=people, count=30, first=FIRST, last=LAST)

    topics = list(Topic.objects.filter(is_active=True).order_by("position")[:3])
    for i in range(30):
        person = people[i % len(people)]
        day = date(2025, 12, 20) + timedelta(days=i * 7)
        if i % 5 == 0:
            waitlist_entry(created=local(day, 9), advisor=anna, person=person)
        else:
            waitlist_entry(created=local(day, 9), topic=topics[i % 3], person=person)
    waitlist_entry(created=local(date(2026, 3, 3), 9), region="07", topic=topics[0], person=people[1])
    return History(region, advisors, people)


# --- The same figures, worked out from the raw rows -------------------------------------------


def offered_by_advisor_month() -> dict[str, dict[str, float]]:
    """Minutes by organisation and month, by hand: Monday to Friday 9–12 and
    13–16 (six hours) but public holidays, for four advisors; Anna's changes."""
    per_advisor: dict[str, float] = defaultdict(float)
    day = FIRST
    while day <= LAST:
        if day.weekday() < 5 and day not in HOLIDAYS:
            per_advisor[f"{day:%Y-%m}"] += 6 * 60
        day += timedelta(days=1)
    anna = dict(per_advisor)
    anna["2026-01"] += 2 * 60  # 6 January opened 10–12
    anna["2026-02"] -= 5 * 6 * 60  # a week off
    anna["2026-03"] += 4 * 60 - 6 * 60  # a Saturday opened 10–14, a Tuesday closed
    anna["2026-04"] -= 3 * 60  # 10–14 off: 10–12 and 13–14
    return {
        "Coompanion Dalarna": {m: anna[m] + per_advisor[m] for m in MONTHS},  # Anna and Dag
        "Almi Företagspartner Dalarna": dict(per_advisor),
        "Region Dalarna": dict(per_advisor),
    }


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def rounded(value, digits):
    """Halves away from zero, as a spreadsheet and PostgreSQL's round(numeric)
    do, worked out on the exact fraction (not Python's round of a float)."""
    if value is None:
        return None
    exact = Fraction(value).limit_denominator(10**6) * 10**digits
    return float(math.floor(exact + Fraction(1, 2)) / 10**digits)


def measures(
    rows: list[dict], *, offered: float | None, unmet: int | None, covered_of: int, first: set[int]
) -> dict:
    held = [r for r in rows if r["status"] == "completed"]
    no_show = [r for r in rows if r["status"] == "no_show"]
    booked = [r for r in rows if r["status"] != "cancelled"]
    ratings = [r["feedback__rating"] for r in rows if r["feedback__rating"] is not None]
    waits = [r["stat_waiting_days"] for r in rows]
    booked_minutes = sum(r["duration"] for r in booked)
    return {
        "bookings": len(rows),
        "sessions_held": len(held),
        "unique_enterprises": len({r["stat_enterprise_key"] for r in held}),
        "first_time_enterprises": len({r["stat_enterprise_key"] for r in held if r["pk"] in first}),
        "returning_enterprises": len({r["stat_enterprise_key"] for r in held if r["pk"] not in first}),
        "unique_people": len({r["stat_person_key"] for r in held}),
        "advice_hours": rounded(sum(r["duration"] for r in held) / 60, 1),
        "no_show_rate": rounded(len(no_show) / (len(held) + len(no_show)), 3) if held or no_show else None,
        "cancellation_rate": rounded((len(rows) - len(booked)) / len(rows), 3) if rows else None,
        "median_waiting_days": rounded(percentile(waits, 0.5), 1) if waits else None,
        "p90_waiting_days": rounded(percentile(waits, 0.9), 1) if waits else None,
        "share_within_14_days": rounded(sum(w <= 14 for w in waits) / len(waits), 3) if waits else None,
        "offered_hours": None if offered is None else rounded(offered / 60, 1),
        "utilisation": rounded(booked_minutes / offered, 3) if offered else None,
        "mean_rating": rounded(sum(ratings) / len(ratings), 2) if ratings else None,
        "coverage": {
            "covered": len({r["stat_municipality"] for r in held if r["stat_municipality"].startswith("20")}),
            "of": covered_of,
        },
        "unmet_demand": unmet,
        "parts": {
            "no_show_rate": (len(no_show), len(held) + len(no_show)),
            "cancellation_rate": (len(rows) - len(booked), len(rows)),
            "share_within_14_days": (sum(w <= 14 for w in waits), len(rows)),
            "utilisation": (booked_minutes, offered or 0),
        },
    }


def gender_key(value: str) -> str:
    return {"woman": "women", "man": "men"}.get(value, "other_or_not_stated")


def expected_report(region: Region, first: date, last: date) -> dict:
    """The report's figures from the raw rows, in plain Python."""
    rows = [
        r
        for r in Booking.objects.values(
            "pk",
            "start",
            "status",
            "duration",
            "mode",
            "topic__slug",
            "stat_region",
            "stat_municipality",
            "stat_enterprise_kind",
            "stat_gender",
            "stat_first_time",
            "stat_waiting_days",
            "stat_enterprise_key",
            "stat_person_key",
            "stat_advisor_organisation",
            "stat_needs",
            "needs_not_met",
            "stat_booked_by_advisor",
            "feedback__rating",
        )
        if r["stat_region"] == region.code and first <= r["start"].astimezone(STOCKHOLM).date() <= last
    ]
    entries = [
        e
        for e in WaitlistEntry.objects.values(
            "created",
            "stat_region",
            "stat_topic",
            "stat_municipality",
            "stat_enterprise_kind",
            "stat_gender",
            "stat_person_key",
        )
        if e["stat_region"] == region.code and first <= e["created"].astimezone(STOCKHOLM).date() <= last
    ]
    of = Municipality.objects.filter(region=region).count()
    offered = offered_by_advisor_month()
    offered_month = {m: sum(org[m] for org in offered.values()) for m in MONTHS}
    offered_org = {org: sum(months.values()) for org, months in offered.items()}

    dimensions = {
        "by_month": (
            lambda r: f"{r['start'].astimezone(STOCKHOLM):%Y-%m}",
            lambda e: f"{e['created'].astimezone(STOCKHOLM):%Y-%m}",
        ),
        "by_topic": (lambda r: r["topic__slug"], lambda e: e["stat_topic"]),
        "by_municipality": (lambda r: r["stat_municipality"], lambda e: e["stat_municipality"]),
        "by_enterprise_kind": (lambda r: r["stat_enterprise_kind"], lambda e: e["stat_enterprise_kind"]),
        "by_gender": (lambda r: gender_key(r["stat_gender"]), lambda e: gender_key(e["stat_gender"])),
        "by_mode": (lambda r: r["mode"], None),
        "by_advisor_organisation": (lambda r: r["stat_advisor_organisation"], None),
        "by_booked_by": (lambda r: "advisor" if r["stat_booked_by_advisor"] else "person", None),
        # A booking in the row of each of its kinds of need.
        "by_need": (lambda r: r["stat_needs"], None),
        "by_need_not_met": (lambda r: r["needs_not_met"], None),
    }
    first_ones = first_bookings()
    # Unmet demand: people, each once (in a row, once per row).
    people_waiting = {e["stat_person_key"] for e in entries}
    report = {
        "region": {"code": region.code, "name": region.name},
        "start": first.isoformat(),
        "end": last.isoformat(),
        "totals": measures(
            rows,
            offered=sum(offered_month.values()),
            unmet=len(people_waiting),
            covered_of=of,
            first=first_ones,
        ),
    }
    for name, (key_of, entry_key_of) in dimensions.items():
        groups, waiting = defaultdict(list), defaultdict(set)
        for r in rows:
            keys = key_of(r)
            for key in keys if isinstance(keys, list) else [keys]:
                groups[key].append(r)
        for e in entries if entry_key_of else ():
            waiting[entry_key_of(e)].add(e["stat_person_key"])
        unmet = {key: len(people) for key, people in waiting.items()}
        offered_here = {"by_month": offered_month, "by_advisor_organisation": offered_org}.get(name)
        report[name] = {
            key: measures(
                groups.get(key, []),
                offered=offered_here.get(key, 0.0) if offered_here is not None else None,
                unmet=unmet.get(key, 0) if entry_key_of else None,
                covered_of=of,
                first=first_ones,
            )
            for key in set(groups) | set(unmet) | set(offered_here or ())
        }
    return report


def without_bases(report: dict) -> dict:
    out = {k: v for k, v in report.items() if k not in BREAKDOWNS}
    out["totals"] = {k: v for k, v in report["totals"].items() if k != "bases"}
    for name in BREAKDOWNS:
        out[name] = [{k: v for k, v in row.items() if k != "bases"} for row in report[name]]
    return out


def assert_same_figures(actual: dict, expected: dict) -> None:
    for measure in MEASURES:
        assert actual[measure] == pytest.approx(expected[measure], abs=1e-9), measure
    if "parts" in actual:  # what the shown rates are worked out from
        for measure, (part, whole) in expected["parts"].items():
            assert actual["parts"][measure] == pytest.approx((part, whole), abs=1e-9), measure


EMPTY = {"bookings": 0, "sessions_held": 0, "unique_enterprises": 0, "unique_people": 0, "advice_hours": 0.0}


# --- Tests: the figures ---------------------------------------------------------------------


@pytest.fixture
def history(db) -> History:
    return build_history()


@pytest.mark.services  # figures by SQL, grouping sets on PostgreSQL
@pytest.mark.parametrize("rollups", [True, False], ids=["from-monthly-rollups", "from-bookings"])
def test_every_figure_equals_the_same_figure_worked_out_from_the_raw_rows(history, settings, rollups):
    settings.STATISTICS_MONTHLY_ROLLUPS = rollups
    figures = region_figures(region=history.region, start=FIRST, end=LAST)
    expected = expected_report(history.region, FIRST, LAST)

    assert figures["region"] == {"code": "20", "name": history.region.name}
    assert (figures["start"], figures["end"]) == ("2026-01-01", "2026-06-30")
    assert figures["totals"]["bookings"] > 200
    # Every kind of need has bookings, and some needs were not met: those rows are compared too.
    assert all(row["bookings"] > 0 for row in figures["by_need"])
    assert sum(row["bookings"] for row in figures["by_need_not_met"]) > 5
    assert_same_figures(figures["totals"], expected["totals"])
    for name in BREAKDOWNS:
        rows = {row["key"]: row for row in figures[name]}
        assert len(rows) == len(figures[name]), f"{name}: keys are unique"
        assert set(expected[name]) <= set(rows), name
        for key, row in rows.items():
            if key in expected[name]:
                assert_same_figures(row, expected[name][key])
            else:  # a category without data: shown, empty
                assert {m: row[m] for m in EMPTY} == EMPTY, (name, key)


@pytest.mark.services  # figures by SQL, grouping sets on PostgreSQL
def test_the_period_is_local_days_both_inclusive(history):
    figures = region_figures(region=history.region, start=FIRST, end=LAST)
    months = [row["key"] for row in figures["by_month"]]
    assert months == MONTHS
    # 00:30 on 1 January is New Year's Day, 23:30 on 31 December (22:30 UTC) is not.
    for day in (FIRST - timedelta(days=1), FIRST, LAST, LAST + timedelta(days=1)):
        on_the_day = Booking.objects.filter(
            stat_region="20", start__gte=local(day, 0), start__lt=local(day + timedelta(days=1), 0)
        )
        assert on_the_day.filter(
            start__in=[local(day, 0, 30), local(day, 23, 30), local(day, 23), local(day, 0, 10)]
        )
        figures = region_figures(region=history.region, start=day, end=day)
        assert figures["totals"]["bookings"] == on_the_day.count()


def test_breakdowns_show_every_category_and_merge_other_with_not_stated(history):
    figures = region_figures(region=history.region, start=FIRST, end=LAST)
    assert [row["key"] for row in figures["by_gender"]] == ["women", "men", "other_or_not_stated"]
    assert [row["key"] for row in figures["by_mode"]] == ["in_person", "phone", "video"]
    assert [row["key"] for row in figures["by_enterprise_kind"]] == list(EnterpriseKind.values)
    municipalities = {row["key"] for row in figures["by_municipality"]}
    assert set(Municipality.objects.filter(region_id="20").values_list("code", flat=True)) <= municipalities
    assert "0780" in municipalities  # an enterprise from Kronoberg advised in Dalarna
    assert figures["totals"]["coverage"] == {"covered": 6, "of": 15}  # Växjö is not Dalarna's
    other = next(row for row in figures["by_gender"] if row["key"] == "other_or_not_stated")
    assert (
        other["bookings"]
        == Booking.objects.filter(
            stat_region="20",
            stat_gender__in=[Gender.OTHER, Gender.NOT_STATED],
            start__gte=local(FIRST, 0),
            start__lt=local(LAST + timedelta(days=1), 0),
        ).count()
    )


def test_offered_hours_follow_the_engine_holidays_overrides_and_time_off(history):
    figures = region_figures(region=history.region, start=FIRST, end=LAST)
    by_month = {row["key"]: row["offered_hours"] for row in figures["by_month"]}
    # Anna: January has 20 working days but 1 and 6 January (6 January opened 10–12).
    assert by_month["2026-01"] == (4 * 20 * 6) + 2
    by_org = {row["key"]: row["offered_hours"] for row in figures["by_advisor_organisation"]}
    assert set(by_org) == {"Coompanion Dalarna", "Almi Företagspartner Dalarna", "Region Dalarna"}
    assert (
        by_org["Region Dalarna"] == by_org["Almi Företagspartner Dalarna"]
    )  # the inactive one offers nothing
    assert all(row["offered_hours"] is None for row in figures["by_topic"])


def test_offered_minutes_of_many_advisors_with_one_week_cost_one_week():
    from advisors.availability import Rules

    week = {d: [(time(9), time(12)), (time(13), time(16))] for d in range(5)}
    rules = {pk: Rules(weekly_hours=week) for pk in range(500)}
    minutes = offered_minutes_by_month(rules, date(2027, 3, 1), date(2027, 3, 31))
    # March 2027: 23 weekdays less Good Friday (26th) and Easter Monday (29th);
    # summer time from Sunday 28 March changes nothing on the wall clock.
    assert {pk: dict(m) for pk, m in minutes.items()} == {pk: {"2027-03": 21 * 6 * 60} for pk in range(500)}


def test_waiting_times_are_percentiles_like_postgresql_percentile_cont():
    assert percentile_cont([1, 2, 3, 4], 0.5) == 2.5
    assert percentile_cont(list(range(11)), 0.9) == pytest.approx(9.0)
    assert percentile_cont([7], 0.9) == 7
    assert percentile_cont([], 0.5) is None


def test_an_empty_period_has_zeros_and_no_rates(db):
    region = Region.objects.get(code="20")
    report = region_report(region=region, start=date(2001, 1, 1), end=date(2001, 1, 31))
    totals = report["totals"]
    assert (totals["bookings"], totals["unique_enterprises"], totals["unmet_demand"]) == (0, 0, 0)
    assert totals["no_show_rate"] is None and totals["median_waiting_days"] is None
    assert totals["utilisation"] is None and totals["offered_hours"] == 0


@pytest.mark.services  # figures by SQL, grouping sets on PostgreSQL
@pytest.mark.parametrize("rollups", [True, False], ids=["from-monthly-rollups", "from-bookings"])
def test_advice_hours_round_half_up_like_a_spreadsheet(db, settings, rollups):
    # Five sessions of 27 minutes are 2.25 hours: a spreadsheet and the database
    # say 2.3, where Python's round() of the float says 2.2. (Five people, so
    # that the totals are not hidden.)
    settings.STATISTICS_MONTHLY_ROLLUPS = rollups
    region = Region.objects.get(code="20")
    advisor = factories.AdvisorFactory(region=region)
    people = make_people(5, ["2080"], rng=random.Random(7))
    for person, hour in zip(people, GRID_HOURS, strict=True):
        booking_for(advisor, person, local(date(2026, 3, 3), hour), duration=27).save()

    figures = region_figures(region=region, start=date(2026, 3, 1), end=date(2026, 3, 31))
    report = region_report(region=region, start=date(2026, 3, 1), end=date(2026, 3, 31))

    assert figures["totals"]["advice_hours"] == 2.3
    # Shown, hours are rounded to the base like counts, and a figure above 0 never shows as 0.
    assert report["totals"]["advice_hours"] == 5.0


@pytest.mark.parametrize(
    ("value", "places", "expected"),
    [
        (1011.25, 1, 1011.3),
        (1011.35, 1, 1011.4),
        (2.25, 1, 2.3),
        (0.125, 2, 0.13),
        (0.1245, 3, 0.125),
        (7.0, 1, 7.0),
    ],
)
def test_round_half_up_rounds_halves_away_from_zero(value, places, expected):
    assert round_half_up(value, places) == expected


def test_erasing_a_person_changes_no_figure(history):
    before = region_report(region=history.region, start=FIRST, end=LAST)
    raw_before = region_figures(region=history.region, start=FIRST, end=LAST)
    for person in history.people[:5]:
        assert Booking.objects.filter(entrepreneur=person.user).exists()
        person.user.delete()
    assert Booking.objects.filter(entrepreneur__isnull=True).exists()
    assert region_figures(region=history.region, start=FIRST, end=LAST) == raw_before
    assert region_report(region=history.region, start=FIRST, end=LAST) == before


@pytest.mark.services  # figures by SQL, grouping sets on PostgreSQL
def test_reading_the_per_person_groupings_together_changes_no_figure(history, monkeypatch, settings):
    # On PostgreSQL the groupings of READ_TOGETHER are read in one grouping
    # set and split in a second step: only for speed. People here change
    # nothing between bookings, but the rows differ in month, topic and mode.
    settings.STATISTICS_MONTHLY_ROLLUPS = False  # read from the bookings
    together = region_figures(region=history.region, start=FIRST, end=LAST)
    monkeypatch.setattr(tallies, "READ_TOGETHER", ())
    apart = region_figures(region=history.region, start=FIRST, end=LAST)
    monkeypatch.setattr(tallies, "READ_TOGETHER", ("totals", "by_month", "by_topic", "by_mode"))
    other_way = region_figures(region=history.region, start=FIRST, end=LAST)

    assert together["totals"]["unique_people"] > 0
    assert together == apart == other_way


def test_the_totals_alone_are_the_report_s_totals_hidden_alike(history, settings):
    for threshold in (5, 40):  # 40: some totals hidden too
        settings.STATISTICS_SUPPRESSION_THRESHOLD = threshold
        full = region_report(region=history.region, start=FIRST, end=LAST)
        alone = region_totals(region=history.region, start=FIRST, end=LAST)

        assert alone == {k: full[k] for k in ("region", "start", "end", "totals")}
    assert "<40" in alone["totals"].values()


def test_grouping_bits_are_those_of_postgresql_s_grouping():
    columns = ["g0", "g1", "g2"]
    assert tallies._grouping(["g0"], columns) == 0b011
    assert tallies._grouping(["g2"], columns) == 0b110
    assert tallies._grouping(["g0", "g2"], columns) == 0b010
    assert tallies._grouping(columns, columns) == 0


@pytest.mark.services  # figures by SQL, grouping sets on PostgreSQL
def test_the_report_takes_a_fixed_number_of_queries(db, django_assert_max_num_queries, settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    region = Region.objects.get(code="20")
    cold, warm, not_whole, from_bookings = [], [], [], []
    for size, seed in ((20, 1), (300, 2)):
        build_small = random.Random(seed)
        places = list(Municipality.objects.filter(region_id="20").values_list("code", flat=True))[:4]
        people = make_people(12, places, rng=build_small, prefix=f"q{seed}-")
        advisors = [factories.AdvisorFactory(organisation=f"Org {seed}-{i}") for i in range(3)]
        make_bookings(rng=build_small, advisors=advisors, people=people, count=size, first=FIRST, last=LAST)
        for counts in (cold, warm):  # the months built (again: new bookings), then read as they are
            with CaptureQueriesContext(connection) as queries:
                region_report(region=region, start=FIRST, end=LAST)
            counts.append(len(queries))
        with CaptureQueriesContext(
            connection
        ) as queries:  # not whole months: the last days from the bookings
            region_report(region=region, start=FIRST, end=LAST - timedelta(days=1))
        not_whole.append(len(queries))
        settings.STATISTICS_MONTHLY_ROLLUPS = False
        with CaptureQueriesContext(connection) as queries:  # no rollups: read from the bookings
            region_report(region=region, start=FIRST, end=LAST - timedelta(days=1))
        from_bookings.append(len(queries))
        settings.STATISTICS_MONTHLY_ROLLUPS = True
    # Read from the months: eight (municipalities, topics, the advisors and
    # their hours, the waitlist, the months' fingerprints, the months, the
    # follow-up); building them takes six more. From the bookings: eight (the
    # groupings by needs are a query of their own), and on PostgreSQL one
    # more that sets up the big queries (no JIT).
    assert warm[0] == warm[1] == 8
    # 15: a stale month's keys are read before its rows, so that the rows can stream.
    assert cold[0] == cold[1] <= 15
    # The whole months from the rollups, the rest of the last month from its
    # bookings: their keys, the region's numbers, the rows.
    assert not_whole[0] == not_whole[1] == 8 + 3
    assert from_bookings[0] == from_bookings[1] <= 9
    with django_assert_max_num_queries(20):
        region_report(region=region, start=FIRST, end=LAST)


# --- Tests: disclosure control ----------------------------------------------------------------


def hidden(value) -> bool:
    return isinstance(value, str)


def assert_nothing_singles_anyone_out(report: dict, figures: dict, threshold: int = 5) -> None:
    """The properties invariant 5 asks of every report."""
    mark = f"<{threshold}"
    units = [("totals", [report["totals"]], [figures["totals"]])] + [
        (name, report[name], figures[name]) for name in BREAKDOWNS
    ]
    for name, rows, raw_rows in units:
        for row, raw in zip(rows, raw_rows, strict=True):
            assert "bases" not in row
            for measure in PEOPLE_COUNTS:
                value = row[measure]
                # A count of people or enterprises is 0, at least the threshold, or hidden.
                assert value is None or value == mark or value == 0 or value >= threshold, (
                    name,
                    row["key"],
                    measure,
                )
                if 0 < (raw[measure] or 0) < threshold:
                    assert value == mark
            for base, group in BASES.items():
                size = min(raw["bases"][base])
                if 0 < size < threshold:
                    for measure in group:
                        shown = row[measure]["covered"] if measure == "coverage" else row[measure]
                        assert shown in (mark, None), (name, row["key"], measure)
        if name == "totals":
            continue
        for measure in MEASURES:
            if measure in ("offered_hours",):
                continue
            hidden_rows = (
                [r for r in rows if (r[measure]["covered"] if measure == "coverage" else r[measure]) == mark]
                if measure in SHOWN_AS_COUNTS
                else []
            )
            # Never exactly one hidden count in a breakdown while the total shows:
            # the total less the other rows would give it away.
            if len(hidden_rows) == 1:
                total = report["totals"][measure]
                assert (total["covered"] if measure == "coverage" else total) == mark, (name, measure)


def test_the_generated_report_singles_nobody_out(history):
    figures = region_figures(region=history.region, start=FIRST, end=LAST)
    report = region_report(region=history.region, start=FIRST, end=LAST)
    assert_nothing_singles_anyone_out(report, figures)
    # What is not hidden is the exact figure, or for counts, hours and rates
    # the exact figure after controlled rounding (worked out here).
    for name in ("totals", *BREAKDOWNS):
        rows = [report[name]] if name == "totals" else report[name]
        raw_rows = [figures[name]] if name == "totals" else figures[name]
        for row, raw in zip(rows, raw_rows, strict=True):
            for measure in MEASURES:
                if row[measure] not in ("<5", None) and not (
                    measure == "coverage" and row[measure]["covered"] == "<5"
                ):
                    assert row[measure] == pytest.approx(shown_after_rounding(measure, raw)), (
                        name,
                        row["key"],
                        measure,
                    )


def to_base(value: float, base: int = 5) -> int:
    """The nearest multiple of the base, halves up, at least the base above 0."""
    if value <= 0:
        return 0
    return max(base, base * math.floor(Fraction(str(value)) / base + Fraction(1, 2)))


def shown_after_rounding(measure: str, raw: dict):
    if measure in COUNTS:
        return to_base(raw[measure])
    if measure == "advice_hours":
        return float(to_base(raw[measure]))
    if measure in ("no_show_rate", "cancellation_rate", "share_within_14_days"):
        part, whole = raw["parts"][measure]
        return rounded(Fraction(to_base(part), to_base(whole)), 3)
    if measure == "utilisation":
        booked, offered = raw["parts"]["utilisation"]
        return rounded(Fraction(to_base(booked / 60)) / Fraction(offered / 60), 3)
    return raw[measure]


@pytest.fixture
def tempting(db):
    """Dalarna, crafted to tempt recovery: Falun 20 enterprises, Borlänge 12,
    Ludvika 8, and Avesta 2; women and men many, other or not stated 2 people."""
    rng = random.Random(7)
    region = Region.objects.get(code="20")
    advisors = [factories.AdvisorFactory(organisation="Coompanion Dalarna") for _ in range(4)]
    people = []
    for code, count in (("2080", 20), ("2081", 12), ("2085", 8), ("2084", 2)):
        group = make_people(count, [code], rng=random.Random(code), prefix=f"m{code}-")
        # One enterprise each, and only women and men but in Avesta.
        people += [
            Person(
                p.user,
                Gender.WOMAN if i % 2 else Gender.MAN,
                code,
                EnterpriseKind.SOCIAL,
                f"e-{code}-{i}",
                f"p-{code}-{i}",
            )
            for i, p in enumerate(group)
        ]
    avesta = [p for p in people if p.municipality == "2084"]
    people = [p for p in people if p.municipality != "2084"] + [
        Person(
            p.user,
            Gender.OTHER if i else Gender.NOT_STATED,
            p.municipality,
            p.kind,
            p.enterprise_key,
            p.person_key,
        )
        for i, p in enumerate(avesta)
    ]
    taken: set = set()
    for person in people:  # everyone has two held sessions in the period
        make_bookings(
            rng=rng,
            advisors=advisors,
            people=[person],
            count=2,
            first=FIRST,
            last=LAST,
            statuses={BookingStatus.COMPLETED: 1},
            taken=taken,
        )
    return region


def row(report: dict, breakdown: str, key: str) -> dict:
    return next(r for r in report[breakdown] if r["key"] == key)


def test_a_small_municipality_is_hidden_and_so_is_the_next_smallest(tempting):
    report = region_report(region=tempting, start=FIRST, end=LAST)
    avesta, ludvika = row(report, "by_municipality", "2084"), row(report, "by_municipality", "2085")
    falun, borlange = row(report, "by_municipality", "2080"), row(report, "by_municipality", "2081")
    for measure in (
        "bookings",
        "sessions_held",
        "unique_enterprises",
        "unique_people",
        "first_time_enterprises",
    ):
        assert avesta[measure] == "<5", measure  # primary
        assert ludvika[measure] == "<5", measure  # secondary: total − others would give Avesta away
    for measure in (
        "advice_hours",
        "mean_rating",
        "no_show_rate",
        "cancellation_rate",
        "median_waiting_days",
    ):
        assert avesta[measure] is None and ludvika[measure] is None, measure
    assert avesta["coverage"]["covered"] == "<5"
    # 20 and 12 enterprises, 42 in all, 84 bookings: rounded to the base, each on its own.
    assert (falun["unique_enterprises"], borlange["unique_enterprises"]) == (20, 10)
    assert report["totals"]["unique_enterprises"] == 40
    assert report["totals"]["bookings"] == 85
    # What the total and the shown rows give is neither Avesta's 4 nor Ludvika's 16.
    shown = sum(r["bookings"] for r in report["by_municipality"] if isinstance(r["bookings"], int))
    assert report["totals"]["bookings"] - shown not in (4, 16)


def test_a_small_gender_cell_is_hidden_with_the_next_smallest(tempting):
    report = region_report(region=tempting, start=FIRST, end=LAST)
    other = row(report, "by_gender", "other_or_not_stated")
    assert other["unique_people"] == "<5" and other["bookings"] == "<5" and other["advice_hours"] is None
    women, men = row(report, "by_gender", "women"), row(report, "by_gender", "men")
    assert "<5" in (women["unique_people"], men["unique_people"])
    assert "<5" in (women["bookings"], men["bookings"])
    assert not (women["bookings"] == "<5" and men["bookings"] == "<5")


def test_the_same_hiding_holds_for_every_generated_breakdown(tempting):
    report = region_report(region=tempting, start=FIRST, end=LAST)
    figures = region_figures(region=tempting, start=FIRST, end=LAST)
    assert_nothing_singles_anyone_out(report, figures)


def test_two_hidden_cells_of_one_each_are_not_enough():
    """Two hidden counts whose sum is 2 can only be 1 and 1: hide a third."""

    def raw(key, size):
        return {
            "key": key,
            "label": key,
            **dict.fromkeys(COUNTS, size),
            "coverage": {"covered": 1 if size else 0, "of": 3},
            **{m: None for m in MEASURES if m not in COUNTS and m != "coverage"},
            "bases": dict.fromkeys(BASES, (size, size)),
        }

    rows = [raw("a", 1), raw("b", 1), raw("c", 9), raw("d", 30)]
    figures = {"region": {}, "start": "", "end": "", "totals": raw("", 41)}
    figures.update({name: [] for name in BREAKDOWNS})
    figures["by_municipality"] = rows
    report = suppress_report(figures, threshold=5)
    assert [r["bookings"] for r in report["by_municipality"]] == ["<5", "<5", "<5", 30]
    # One small cell alone: hidden with the next smallest.
    figures["by_municipality"] = [raw("a", 3), raw("c", 9), raw("d", 30), raw("e", 0)]
    report = suppress_report(figures, threshold=5)
    assert [r["unique_people"] for r in report["by_municipality"]] == ["<5", "<5", 30, 0]


def test_the_threshold_is_a_setting(tempting, settings):
    settings.STATISTICS_SUPPRESSION_THRESHOLD = 2
    report = region_report(region=tempting, start=FIRST, end=LAST)
    assert row(report, "by_municipality", "2084")["unique_enterprises"] == 2
    settings.STATISTICS_SUPPRESSION_THRESHOLD = 3
    report = region_report(region=tempting, start=FIRST, end=LAST)
    assert row(report, "by_municipality", "2084")["unique_enterprises"] == "<3"
    settings.STATISTICS_SUPPRESSION_THRESHOLD = 10
    report = region_report(region=tempting, start=FIRST, end=LAST)
    assert row(report, "by_municipality", "2085")["unique_enterprises"] == "<10"
    assert "{threshold}" not in str(definitions())
    assert "<10" in definitions()["hidden"]["en"]


def test_every_measure_and_breakdown_is_defined_in_swedish_and_english():
    for key in (*MEASURES, *BREAKDOWNS, "hidden"):
        entry = DEFINITIONS[key]
        assert entry["name_sv"] and entry["name_en"] and entry["sv"] and entry["en"], key


def test_a_small_region_hides_its_totals_too(db):
    rng = random.Random(3)
    region = Region.objects.get(code="20")
    advisor = factories.AdvisorFactory()
    people = make_people(3, ["2080"], rng=rng)
    make_bookings(
        rng=rng, advisors=[advisor], people=people, count=6, first=FIRST, last=LAST, statuses={"completed": 1}
    )
    report = region_report(region=region, start=FIRST, end=LAST)
    totals = report["totals"]
    assert totals["unique_people"] == "<5" and totals["bookings"] == "<5"
    assert totals["advice_hours"] is None and totals["mean_rating"] is None
    assert totals["offered_hours"] > 0  # the advisors' calendars are not about entrepreneurs
    figures = region_figures(region=region, start=FIRST, end=LAST)
    assert_nothing_singles_anyone_out(report, figures)


@pytest.mark.services  # figures by SQL, grouping sets on PostgreSQL
def test_labels_follow_the_viewer_s_language_swedish_first(history):
    from django.utils import translation

    with translation.override("sv"):
        report = region_report(region=history.region, start=FIRST, end=FIRST)
        assert [r["label"] for r in report["by_gender"]] == ["Kvinnor", "Män", "Annat eller ej angivet"]
        assert report["by_month"][0]["label"] == "januari 2026"
    with translation.override("en"):
        report = region_report(region=history.region, start=FIRST, end=FIRST)
        assert [r["label"] for r in report["by_gender"]] == ["Women", "Men", "Other or not stated"]
        assert report["by_month"][0]["label"] == "January 2026"


# --- The outcome follow-up ----------------------------------------------------------------------


def follow_up_history(answers: list[dict[str, bool]], *, outside: int = 0):
    """One first session held per answer in the period (region 20), and
    `outside` more answered ones before it and in Kronoberg: not counted."""
    from bookings.models import FollowUpAnswer

    rng = random.Random(6)
    advisor = factories.AdvisorFactory(region_id="20")
    elsewhere = factories.AdvisorFactory(region_id="07")
    people = make_people(len(answers) + 2 * outside, ["2080", "2081"], rng=rng, prefix="f")
    bookings = [
        booking_for(advisor, person, local(FIRST + timedelta(days=i), 10)) for i, person in enumerate(people)
    ]
    for i in range(outside):
        bookings[len(answers) + i].start = local(FIRST - timedelta(days=10 + i), 10)
        bookings[len(answers) + outside + i] = booking_for(
            elsewhere, people[len(answers) + outside + i], local(FIRST + timedelta(days=i), 12)
        )
    saved = save_bookings(bookings, rng=rng, feedback_share=0)
    everyone = answers + [
        {"new_customers": True, "public_contract": True, "financing": True, "hiring": True}
    ] * (2 * outside)
    FollowUpAnswer.objects.bulk_create(
        FollowUpAnswer(booking=booking, **answer) for booking, answer in zip(saved, everyone, strict=True)
    )
    return Region.objects.get(code="20")


def outcome_counts(report: dict) -> dict[str, object]:
    return {o["key"]: o["count"] for o in report["follow_up"]["outcomes"]}


@pytest.mark.django_db
def test_the_follow_up_counts_answers_about_first_sessions_in_the_period_and_region():
    yes = dict.fromkeys(FOLLOW_UP_OUTCOMES, True)
    no = dict.fromkeys(FOLLOW_UP_OUTCOMES, False)
    answers = [yes] * 7 + [{**no, "new_customers": True}] * 3 + [no] * 2
    region = follow_up_history(answers, outside=3)

    figures = region_figures(region=region, start=FIRST, end=LAST)

    assert figures["follow_up"]["answered"] == 12
    assert outcome_counts(figures) == {"new_customers": 10, "public_contract": 7, "financing": 7, "hiring": 7}
    shares = {o["key"]: o["share"] for o in figures["follow_up"]["outcomes"]}
    assert shares["new_customers"] == round(10 / 12, 3)


@pytest.mark.django_db
def test_a_follow_up_count_is_hidden_when_it_or_its_no_answers_are_few():
    yes = dict.fromkeys(FOLLOW_UP_OUTCOMES, True)
    no = dict.fromkeys(FOLLOW_UP_OUTCOMES, False)
    # 9 answered: new customers 9 (no: 0, shown), a public contract 0 (shown),
    # financing 6 (no: 3, hidden: the 3 follow from 9 − 6), hiring 2 (hidden).
    answers = [{**yes, "public_contract": False}] * 2 + [{**no, "new_customers": True, "financing": True}] * 4
    answers += [{**no, "new_customers": True}] * 3
    region = follow_up_history(answers)

    report = region_report(region=region, start=FIRST, end=LAST)

    assert report["follow_up"]["answered"] == 10  # 9, rounded to the base
    assert outcome_counts(report) == {
        "new_customers": 10,
        "public_contract": 0,
        "financing": "<5",
        "hiring": "<5",
    }
    shares = {o["key"]: o["share"] for o in report["follow_up"]["outcomes"]}
    assert shares["financing"] is None and shares["hiring"] is None
    assert shares["new_customers"] == 1.0


@pytest.mark.django_db
def test_few_follow_up_answers_hide_every_figure_of_the_follow_up():
    region = follow_up_history([dict.fromkeys(FOLLOW_UP_OUTCOMES, True)] * 3)

    report = region_report(region=region, start=FIRST, end=LAST)

    assert report["follow_up"]["answered"] == "<5"
    assert set(outcome_counts(report).values()) == {"<5"}
    assert {o["share"] for o in report["follow_up"]["outcomes"]} == {None}

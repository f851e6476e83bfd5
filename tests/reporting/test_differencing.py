"""The attacks of issue 16 on invariant 5, tried for real: a hidden cell worked
out by subtracting two reports whose periods overlap, a small count worked out
from a rate and the count beside it, and unmet demand counting entries rather
than people. Each would have succeeded on the exact figures (what the report
showed before controlled rounding) and fails on what the page, the CSV, the
XLSX and the API show now."""

from __future__ import annotations

import csv
import io
import random
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook

from advisors.models import Region, Topic
from bookings.models import Booking, BookingStatus, EnterpriseKind, Gender, WaitlistEntry
from bookings.pseudonyms import KeyMaker
from bookings.waitlist import waitlist_join
from reporting.selectors import region_figures, region_report
from tests import factories
from tests.conftest import client_for
from tests.reporting.test_statistics import (
    Person,
    booking_for,
    local,
    make_people,
    save_bookings,
    waitlist_entry,
)

API = "/api/v1/statistics/regions/20/"
PAGE = "/statistics/"
# Whole ISO weeks: weeks 2–6 of 2026, the same less its last week, and that week alone.
LONG = (date(2026, 1, 5), date(2026, 2, 8))
SHORT = (date(2026, 1, 5), date(2026, 2, 1))
LAST_WEEK = (date(2026, 2, 2), date(2026, 2, 8))


def people(count: int, prefix: str) -> list[Person]:
    """Women of Falun, each with an enterprise of their own: no breakdown but the topic tells them apart."""
    return [
        Person(p.user, Gender.WOMAN, "2080", EnterpriseKind.SOCIAL, f"{prefix}-e-{i}", f"{prefix}-p-{i}")
        for i, p in enumerate(make_people(count, ["2080"], rng=random.Random(count), prefix=prefix))
    ]


def held_sessions(advisor, persons: list[Person], first_day: date, topic: Topic) -> list[Booking]:
    return save_bookings(
        [
            booking_for(
                advisor, person, local(first_day + timedelta(days=i // 4), 8 + 2 * (i % 4)), topic=topic
            )
            for i, person in enumerate(persons)
        ],
        rng=random.Random(1),
        feedback_share=0,
    )


def financing(rows: list[dict]) -> dict:
    return next(r for r in rows if r["key"] == "financing")


def what_anyone_sees(coordinator, start: date, end: date) -> dict:
    """The financing row and the totals of start..end as the API, the CSV, the
    XLSX and the dashboard show them."""
    client = client_for(coordinator.user)
    period = {"start": start.isoformat(), "end": end.isoformat()}
    body = client.get(API, period).json()
    lines = list(
        csv.DictReader(io.StringIO(client.get(API, {**period, "format": "csv"}).content.decode("utf-8-sig")))
    )
    book = load_workbook(io.BytesIO(client.get(API, {**period, "format": "xlsx"}).content))
    sheets = {
        sheet.title: [row for row in sheet.iter_rows(values_only=True) if row and row[0] == "financing"]
        for sheet in book.worksheets[1:]
    }
    summary = list(book.worksheets[0].iter_rows(min_row=7, values_only=True))
    client.force_login(coordinator.user)
    page = client.get(PAGE, {"period": "custom", **period})
    assert page.status_code == 200
    return {
        "json": (body["totals"], financing(body["by_topic"])),
        "csv": [line for line in lines if line["breakdown"] == "totals" or line["key"] == "financing"],
        "xlsx": (summary, sheets),
        "page": (page.context["report"]["totals"], financing(page.context["report"]["by_topic"])),
        "page_table": page.context["topics_table"],
    }


@pytest.fixture
def topic(db) -> Topic:
    return Topic.objects.get(slug="financing")


@pytest.mark.services  # figures by SQL, grouping sets on PostgreSQL
def test_subtracting_overlapping_periods_does_not_give_a_hidden_cell_away(db, coordinator, topic):
    region = Region.objects.get(code="20")
    advisor = factories.AdvisorFactory(region_id="20")
    held_sessions(advisor, people(12, "before"), date(2026, 1, 7), topic)
    last_week = held_sessions(advisor, people(3, "last"), date(2026, 2, 3), topic)

    # The week alone shows its 3 sessions as hidden.
    week = region_report(region=region, start=LAST_WEEK[0], end=LAST_WEEK[1])
    assert financing(week["by_topic"])["sessions_held"] == "<5"
    # The attack on the exact figures (what was shown before): 15 − 12 gives the 3.
    exact = [
        financing(region_figures(region=region, start=s, end=e)["by_topic"])["sessions_held"]
        for s, e in (LONG, SHORT)
    ]
    assert exact[0] - exact[1] == 3
    # On what is shown now the difference is not 3 …
    three = {
        name: what_anyone_sees(coordinator, *period) for name, period in (("long", LONG), ("short", SHORT))
    }
    assert three["long"]["json"][1]["sessions_held"] - three["short"]["json"][1]["sessions_held"] != 3

    # … and the reports are the very same whether the week had 3 sessions or 1:
    # nothing shown tells the two apart, in any format.
    Booking.objects.filter(pk__in=[b.pk for b in last_week[1:]]).delete()
    remaining = region_figures(region=region, start=LAST_WEEK[0], end=LAST_WEEK[1])
    assert financing(remaining["by_topic"])["sessions_held"] == 1
    one = {
        name: what_anyone_sees(coordinator, *period) for name, period in (("long", LONG), ("short", SHORT))
    }
    assert one == three
    for name in ("long", "short"):
        assert one[name]["csv"] and one[name]["xlsx"][1] and one[name]["page_table"]


@pytest.mark.parametrize(
    ("start", "end"),
    [
        # The attack: the 30 days before a day, and the 29 days before it.
        ("2026-01-10", "2026-02-08"),
        ("2026-01-11", "2026-02-08"),
        ("2026-02-08", "2026-02-08"),  # the day itself
    ],
)
def test_the_day_by_day_periods_of_the_attack_are_reported_as_whole_weeks(db, coordinator, start, end):
    client = client_for(coordinator.user)
    report = client.get(API, {"start": start, "end": end})
    assert report.status_code == 200
    first, last = date.fromisoformat(report.json()["start"]), date.fromisoformat(report.json()["end"])
    assert (first.weekday(), last.weekday()) == (0, 6)  # Monday to Sunday
    assert first <= date.fromisoformat(start) and date.fromisoformat(end) <= last
    for kind in ("csv", "xlsx"):
        assert client.get(API, {"start": start, "end": end, "format": kind}).status_code == 200, kind
    client.force_login(coordinator.user)
    page = client.get(PAGE, {"period": "custom", "start": start, "end": end})
    assert page.status_code == 200
    assert (page.context["start"], page.context["end"]) == (first, last)
    assert "vidgade till hela veckor" in page.content.decode()  # Swedish first


def test_the_30_and_29_days_before_a_day_are_one_and_the_same_report(db, coordinator):
    """The issue's attack subtracts the report of the 29 days before a day from
    that of the 30 days before: both are the same whole weeks, so the
    difference is nothing at all."""
    client = client_for(coordinator.user)
    thirty = client.get(API, {"start": "2026-01-10", "end": "2026-02-08"}).json()
    twenty_nine = client.get(API, {"start": "2026-01-11", "end": "2026-02-08"}).json()
    assert thirty == twenty_nine


# --- Rates ------------------------------------------------------------------------------------


def month_with(advisor, topic, *, held: int, no_shows: int, cancelled: int) -> None:
    persons = people(held + no_shows + cancelled, f"m{held}-{no_shows}-{cancelled}")
    statuses = (
        [BookingStatus.COMPLETED] * held
        + [BookingStatus.NO_SHOW] * no_shows
        + [BookingStatus.CANCELLED] * cancelled
    )
    save_bookings(
        [
            booking_for(
                advisor,
                person,
                local(date(2026, 3, 2) + timedelta(days=i // 4), 8 + 2 * (i % 4)),
                status=s,
                topic=topic,
            )
            for i, (person, s) in enumerate(zip(persons, statuses, strict=True))
        ],
        rng=random.Random(2),
        feedback_share=0,
    )


MARCH = {"start": "2026-03-01", "end": "2026-03-31"}


@pytest.mark.services  # figures by SQL, grouping sets on PostgreSQL
def test_a_rate_beside_the_count_held_does_not_give_a_small_count_away(db, coordinator, topic):
    region = Region.objects.get(code="20")
    month_with(factories.AdvisorFactory(region_id="20"), topic, held=20, no_shows=3, cancelled=3)

    # The attack on the exact figures: no-shows = rate × held / (1 − rate).
    exact = region_figures(region=region, start=date(2026, 3, 1), end=date(2026, 3, 31))["totals"]
    rate = exact["no_show_rate"]
    assert round(rate * exact["sessions_held"] / (1 - rate)) == 3
    cancelled = exact["cancellation_rate"] * exact["bookings"]
    assert round(cancelled) == 3

    client = client_for(coordinator.user)
    body = client.get(API, MARCH).json()
    for row in (body["totals"], financing(body["by_topic"])):
        assert row["sessions_held"] == 20
        assert row["no_show_rate"] is None and row["cancellation_rate"] is None
    lines = list(
        csv.DictReader(io.StringIO(client.get(API, {**MARCH, "format": "csv"}).content.decode("utf-8-sig")))
    )
    totals = next(line for line in lines if line["breakdown"] == "totals")
    assert (totals["no_show_rate"], totals["cancellation_rate"]) == ("", "")


@pytest.mark.services  # figures by SQL, grouping sets on PostgreSQL
@pytest.mark.parametrize("no_shows", [6, 7])
def test_a_rate_shown_is_that_of_the_rounded_counts_so_it_tells_no_more_than_they(
    db, coordinator, topic, no_shows
):
    """6 or 7 no-shows beside 20 held: both show 5 / 25, the same report."""
    month_with(factories.AdvisorFactory(region_id="20"), topic, held=20, no_shows=no_shows, cancelled=0)
    totals = client_for(coordinator.user).get(API, MARCH).json()["totals"]
    assert totals["no_show_rate"] == 0.2
    assert totals["cancellation_rate"] == 0.0
    assert totals["bookings"] == 25


# --- Unmet demand -------------------------------------------------------------------------------


@pytest.mark.services  # figures by SQL, grouping sets on PostgreSQL
def test_unmet_demand_counts_a_person_on_three_waitlists_once(db, coordinator):
    region = Region.objects.get(code="20")
    topics = list(Topic.objects.filter(is_active=True).order_by("position")[:3])
    waiting = people(6, "waiting")
    for person in waiting:
        for t in topics:
            waitlist_entry(created=local(date(2026, 3, 10), 10), topic=t, person=person)
    assert WaitlistEntry.objects.count() == 18

    figures = region_figures(region=region, start=date(2026, 3, 1), end=date(2026, 3, 31))
    assert figures["totals"]["unmet_demand"] == 6
    assert {r["key"]: r["unmet_demand"] for r in figures["by_topic"] if r["unmet_demand"]} == {
        t.slug: 6 for t in topics
    }
    assert [r["unmet_demand"] for r in figures["by_month"]] == [6]
    # Shown, 6 people rounded to the base: 5, where 18 entries would have shown 20.
    assert client_for(coordinator.user).get(API, MARCH).json()["totals"]["unmet_demand"] == 5

    # One person alone on three waitlists is one person: hidden.
    WaitlistEntry.objects.exclude(stat_person_key=waiting[0].person_key).delete()
    assert (
        region_figures(region=region, start=date(2026, 3, 1), end=date(2026, 3, 31))["totals"]["unmet_demand"]
        == 1
    )
    body = client_for(coordinator.user).get(API, MARCH).json()
    assert body["totals"]["unmet_demand"] == "<5"
    assert {financing(body["by_topic"])["unmet_demand"]} <= {"<5", 0}


@pytest.mark.services  # figures by SQL, grouping sets on PostgreSQL
def test_entries_without_a_person_s_key_count_as_a_person_each(db):
    region = Region.objects.get(code="20")
    topic = Topic.objects.filter(is_active=True).order_by("position").first()
    for person in people(6, "keyless"):
        waitlist_entry(created=local(date(2026, 3, 10), 10), topic=topic, person=person)
    WaitlistEntry.objects.update(stat_person_key="")
    figures = region_figures(region=region, start=date(2026, 3, 1), end=date(2026, 3, 31))
    assert figures["totals"]["unmet_demand"] == 6


def test_joining_a_waitlist_keeps_the_person_s_statistics_key(db, entrepreneur):
    factories.EnterpriseFactory(members=[entrepreneur])
    region = Region.objects.get(code="20")
    for t in Topic.objects.filter(is_active=True).order_by("position")[:3]:
        waitlist_join(entrepreneur=entrepreneur, region=region, topic=t)
    keys = set(WaitlistEntry.objects.values_list("stat_person_key", flat=True))
    assert keys == {KeyMaker().person(entrepreneur.pk)}

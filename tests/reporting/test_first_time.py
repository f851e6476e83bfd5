"""First-time enterprises (issue 16): an enterprise's first booking is its
earliest held or still confirmed one, and stays so when an earlier booking is
cancelled, moved later or missed, in the monthly rollups too."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime

import pytest

from advisors.models import Region, Topic
from bookings import services
from bookings.models import Booking, BookingStatus
from bookings.pseudonyms import KeyMaker
from reporting.first_time import settle_first_time
from reporting.models import StatisticsMonth
from reporting.selectors import region_figures
from tests import factories
from tests.reporting.test_statistics import build_history, first_bookings

# Monday 1 March 2027, 07:00 in Stockholm.
NOW = datetime(2027, 3, 1, 6, 0, tzinfo=UTC)
A_START = datetime(2027, 3, 2, 8, 0, tzinfo=UTC)  # Tuesday 2 March, 09:00
B_START = datetime(2027, 4, 6, 7, 0, tzinfo=UTC)  # Tuesday 6 April, 09:00 (summer time)
LATER = datetime(2027, 4, 13, 7, 0, tzinfo=UTC)  # Tuesday 13 April, 09:00
APRIL = (date(2027, 4, 1), date(2027, 4, 30))

pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def enterprise_books_a_then_b(advisor):
    person = factories.UserFactory()
    factories.EnterpriseFactory(members=[person], org_number="769600-0004")
    a = factories.book(person, advisor, A_START)
    b = factories.book(person, advisor, B_START)
    return person, advisor, a, b


def flags(*bookings: Booking) -> list[bool]:
    return [Booking.objects.get(pk=b.pk).stat_first_time for b in bookings]


def april(settings, *, rollups: bool) -> tuple[int, int]:
    """April's first-time and returning enterprises in Dalarna, exact."""
    settings.STATISTICS_MONTHLY_ROLLUPS = rollups
    totals = region_figures(region=Region.objects.get(code="20"), start=APRIL[0], end=APRIL[1])["totals"]
    return totals["first_time_enterprises"], totals["returning_enterprises"]


def test_the_first_booking_is_first_and_the_next_returning(enterprise_books_a_then_b):
    _, _, a, b = enterprise_books_a_then_b
    assert flags(a, b) == [True, False]


def test_cancelling_the_earlier_booking_makes_the_next_one_first(enterprise_books_a_then_b):
    person, _, a, b = enterprise_books_a_then_b
    services.booking_cancel(booking=a, by=person)
    assert flags(a, b) == [False, True]


def test_moving_the_earlier_booking_after_the_next_makes_the_next_one_first(enterprise_books_a_then_b):
    person, _, a, b = enterprise_books_a_then_b
    services.booking_reschedule(booking=a, by=person, start=LATER)
    assert flags(a, b) == [False, True]
    # And back: A is first again.
    services.booking_reschedule(booking=Booking.objects.get(pk=a.pk), by=person, start=A_START)
    assert flags(a, b) == [True, False]


@pytest.mark.services  # figures by SQL, grouping sets on PostgreSQL
@pytest.mark.parametrize("rollups", [True, False], ids=["from-monthly-rollups", "from-bookings"])
def test_a_no_show_at_the_earlier_booking_makes_the_next_one_first_in_reports_already_built(
    enterprise_books_a_then_b, frozen_clock, settings, rollups
):
    _, advisor, a, b = enterprise_books_a_then_b
    frozen_clock.move_to(datetime(2027, 4, 7, 12, 0, tzinfo=UTC))
    # B is held while A is not yet recorded (still confirmed, so still first).
    services.booking_record_outcome(booking=b, by=advisor.user, attended=True)
    assert april(settings, rollups=rollups) == (0, 1)
    if rollups:
        assert StatisticsMonth.objects.filter(region="20", month=APRIL[0]).exists()

    services.booking_record_outcome(booking=a, by=advisor.user, attended=False)

    assert flags(a, b) == [False, True]
    # April's rollup was built when B was returning: it is built again.
    assert april(settings, rollups=rollups) == (1, 0)
    # A held after all: B is returning again.
    services.booking_record_outcome(booking=Booking.objects.get(pk=a.pk), by=advisor.user, attended=True)
    assert april(settings, rollups=rollups) == (0, 1)


def test_the_first_booking_is_the_enterprise_s_in_any_region(enterprise_books_a_then_b, other_advisor):
    person, _, a, b = enterprise_books_a_then_b
    # Between A and B, with an advisor of Kronoberg.
    elsewhere = factories.book(person, other_advisor, datetime(2027, 3, 3, 8, 0, tzinfo=UTC))
    assert flags(a, elsewhere, b) == [True, False, False]
    services.booking_cancel(booking=a, by=person)
    # The first is now Kronoberg's: B in Dalarna stays returning.
    assert flags(a, elsewhere, b) == [False, True, False]


def test_settling_gives_each_enterprise_s_first_by_the_rule_whatever_the_flags_were(db):
    build_history(count=150)
    rng = random.Random(16)
    scrambled = list(Booking.objects.all())
    for booking in scrambled:
        booking.stat_first_time = rng.random() < 0.5
    Booking.objects.bulk_update(scrambled, ["stat_first_time"])
    versions = dict(Booking.objects.values_list("pk", "stat_version"))

    changed = settle_first_time(Booking.objects.values_list("stat_enterprise_key", flat=True))

    first = first_bookings()
    after = Booking.objects.values_list("pk", "stat_first_time", "stat_version", "status")
    assert changed > 0
    for pk, flag, _version, status in after:
        assert flag == (pk in first), pk
        if status in (BookingStatus.CANCELLED, BookingStatus.NO_SHOW):
            assert not flag
    # Every booking whose flag changed raised its version (the rollups see it), and only those.
    raised = {pk for pk, _, version, _ in after if version != versions[pk]}
    assert len(raised) == changed
    assert settle_first_time(Booking.objects.values_list("stat_enterprise_key", flat=True)) == 0


def test_the_migration_settles_the_flags_and_keys_the_waitlists_there_are(enterprise_books_a_then_b):
    """bookings 0010 on a database from before it: flags by the old rule, entries without keys."""
    from importlib import import_module

    from django.apps import apps

    from bookings.models import WaitlistEntry

    migration = import_module("bookings.migrations.0010_statistics_people_of_waitlists")
    person, _, a, b = enterprise_books_a_then_b
    # As before: A cancelled left B returning.
    Booking.objects.filter(pk=a.pk).update(status=BookingStatus.CANCELLED, stat_first_time=False)
    Booking.objects.filter(pk=b.pk).update(stat_first_time=False)
    version = Booking.objects.get(pk=b.pk).stat_version
    region = Region.objects.get(code="20")
    topic = Topic.objects.filter(is_active=True).first()
    kept = WaitlistEntry.objects.create(
        entrepreneur=person,
        region=region,
        topic=topic,
        stat_region="20",
        stat_municipality="2080",
        stat_gender="",
        stat_enterprise_kind="",
    )
    erased = WaitlistEntry.objects.create(
        entrepreneur=None,
        region=region,
        topic=topic,
        stat_region="20",
        stat_municipality="2080",
        stat_gender="",
        stat_enterprise_kind="",
    )

    migration.fill(apps, None)

    assert flags(a, b) == [False, True]
    assert Booking.objects.get(pk=b.pk).stat_version == version + 1
    kept.refresh_from_db()
    erased.refresh_from_db()
    assert (
        kept.stat_person_key == KeyMaker().person(person.pk) == Booking.objects.get(pk=b.pk).stat_person_key
    )
    assert erased.stat_person_key == f"waitlist-entry:{erased.pk}"

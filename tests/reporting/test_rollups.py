"""Monthly statistics rollups (reporting.rollups): a period of whole
months read from them gives exactly the figures read from the bookings, and
still does after every kind of change a booking can go through."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from bookings.models import Booking, BookingStatus, Feedback
from reporting import periods, rollups
from reporting.models import StatisticsKey, StatisticsMonth
from reporting.selectors import region_figures
from tests import factories
from tests.reporting.test_statistics import FIRST, LAST, booking_for, build_history, local, save_bookings

# The months are built and read by SQL (local months by TruncMonth, figures by
# grouping sets on PostgreSQL): each database answers for itself.
pytestmark = pytest.mark.services

MARCH = date(2026, 3, 1)


@pytest.fixture
def history(db):
    return build_history(count=250)


def from_months(region, start=FIRST, end=LAST):
    return region_figures(region=region, start=start, end=end)


def from_bookings(region, settings, start=FIRST, end=LAST):
    settings.STATISTICS_MONTHLY_ROLLUPS = False
    try:
        return region_figures(region=region, start=start, end=end)
    finally:
        settings.STATISTICS_MONTHLY_ROLLUPS = True


def built(region="20") -> dict[date, object]:
    return dict(StatisticsMonth.objects.filter(region=region).values_list("month", "built"))


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (FIRST, LAST),  # half a year
        (MARCH, date(2026, 3, 31)),  # one month
        (date(2026, 2, 1), date(2026, 4, 30)),  # a quarter
        (date(2025, 11, 1), date(2026, 8, 31)),  # every month with bookings
        (date(2027, 1, 1), date(2027, 3, 31)),  # none
    ],
)
def test_whole_months_from_the_rollups_equal_the_figures_from_the_bookings(history, settings, start, end):
    months = from_months(history.region, start, end)

    assert months == from_bookings(history.region, settings, start, end)
    assert set(built()) == {
        m for m in periods.months_of(start, end) if date(2025, 11, 1) <= m <= date(2026, 8, 1)
    }


def test_a_person_with_sessions_in_several_months_counts_once(history, settings):
    report = from_months(history.region)
    by_month = sum(row["unique_people"] for row in report["by_month"])

    assert report["totals"]["unique_people"] < by_month  # people came back in later months
    assert report == from_bookings(history.region, settings)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (FIRST, LAST - timedelta(days=1)),  # whole months but the last day
        (FIRST + timedelta(days=1), LAST),  # but the first day
        (date(2026, 2, 10), date(2026, 5, 20)),  # parts of months at both ends
        (date(2026, 3, 23), date(2026, 4, 5)),  # two parts, no whole month between (summer time begins)
        (date(2026, 3, 9), date(2026, 3, 15)),  # a week inside a month
        (date(2025, 12, 15), date(2026, 1, 31)),  # part of a month, then a whole one
    ],
)
def test_a_period_not_of_whole_months_joins_its_whole_months_and_the_days_at_its_ends(
    history, settings, start, end
):
    figures = from_months(history.region, start, end)

    assert figures == from_bookings(history.region, settings, start, end)
    # Only whole months are stored; the days at the ends are read from their bookings.
    assert set(built()) == {
        m
        for m in periods.months_of(start, end)
        if m >= start and periods.month_end(m) <= end and date(2025, 11, 1) <= m <= date(2026, 8, 1)
    }


def march_booking() -> Booking:
    return Booking.objects.filter(
        stat_region="20", start__gte=local(MARCH, 0), start__lt=local(date(2026, 4, 1), 0)
    ).order_by("pk")


def held_march_booking_without_feedback() -> Booking:
    return march_booking().filter(status=BookingStatus.COMPLETED, feedback__isnull=True).first()


def add_booking(history):
    save_bookings(
        [booking_for(history.advisors[1], history.people[3], local(date(2026, 3, 12), 7), duration=45)],
        rng=random.Random(1),
    )


def cancel(history):
    booking = march_booking().filter(status=BookingStatus.CONFIRMED).first()
    booking.status = BookingStatus.CANCELLED
    booking.save(update_fields=["status"])


def record_held(history):
    booking = march_booking().filter(status=BookingStatus.CONFIRMED).first()
    booking.status = BookingStatus.COMPLETED
    booking.save()


def record_no_show(history):
    booking = march_booking().filter(status=BookingStatus.COMPLETED).first()
    booking.status = BookingStatus.NO_SHOW
    booking.save(update_fields=["status"])


def move_to_another_month(history):
    booking = march_booking().filter(status=BookingStatus.CONFIRMED).first()
    booking.start += timedelta(days=35)
    booking.end += timedelta(days=35)
    booking.stat_waiting_days += 35
    booking.save()


def give_feedback(history):
    Feedback.objects.create(booking=held_march_booking_without_feedback(), rating=1)


def change_feedback(history):
    feedback = Feedback.objects.filter(booking__in=march_booking()).first()
    feedback.rating = 5 if feedback.rating != 5 else 1
    feedback.save()


def remove_feedback(history):
    Feedback.objects.filter(booking__in=march_booking()).first().delete()


def delete_booking(history):
    march_booking().first().delete()


def replace_a_booking(history):
    # One booking gone and one made in the same month: the count stays, the ids do not.
    march_booking().filter(status=BookingStatus.CONFIRMED).first().delete()
    add_booking(history)


@pytest.mark.parametrize(
    "change",
    [
        add_booking,
        cancel,
        record_held,
        record_no_show,
        move_to_another_month,
        give_feedback,
        change_feedback,
        remove_feedback,
        delete_booking,
        replace_a_booking,
    ],
)
def test_a_month_whose_bookings_changed_is_built_again_before_it_is_read(history, settings, change):
    before = from_months(history.region)
    built_before = built()

    change(history)
    after = from_months(history.region)

    assert after == from_bookings(history.region, settings)
    assert after != before
    rebuilt = {m for m, at in built().items() if at != built_before.get(m)}
    assert MARCH in rebuilt
    assert rebuilt <= {MARCH, date(2026, 4, 1)}  # a move to April rebuilds April too; nothing else


def test_an_unchanged_month_is_not_built_again(history, django_assert_max_num_queries):
    from_months(history.region)
    built_before = built()

    with django_assert_max_num_queries(8):
        from_months(history.region)

    assert built() == built_before


def test_the_nightly_refresh_builds_the_changed_months_once(history, settings):
    today = date(2026, 6, 15)

    # Dalarna: November to June; Kronoberg: January to June.
    assert rollups.refresh_months(today=today) == 8 + 6
    assert rollups.refresh_months(today=today) == 0
    cancel(history)
    assert rollups.refresh_months(today=today) == 1

    with_nothing_stale = built()
    assert from_months(history.region) == from_bookings(history.region, settings)
    assert built() == with_nothing_stale


def test_the_nightly_task_is_on_the_beat_schedule_and_builds_the_months(history, settings):
    from reporting.tasks import refresh_statistics_months

    entry = settings.CELERY_BEAT_SCHEDULE["refresh-statistics-months"]
    assert entry["task"] == refresh_statistics_months.name == "reporting.tasks.refresh_statistics_months"
    assert entry["schedule"].hour == {2}

    with time_machine.travel(datetime(2026, 7, 3, 1, 0, tzinfo=UTC), tick=False):
        # Dalarna: November to July, the current month; Kronoberg: January to June.
        assert refresh_statistics_months() == 9 + 6
    assert date(2026, 8, 1) not in built()  # booked ahead, after the current month: left for later


def test_numbers_are_given_once_per_region_and_kind_and_never_reused(db):
    numbers = rollups._numbers("20", {"p": {"a", "b"}, "e": {"a"}})
    again = rollups._numbers("20", {"p": {"b", "c"}, "e": {"x"}})
    other_region = rollups._numbers("07", {"p": {"a"}})

    assert numbers == {("p", "a"): 0, ("p", "b"): 1, ("e", "a"): 0}
    assert again == {("p", "b"): 1, ("p", "c"): 2, ("e", "x"): 1}
    assert other_region == {("p", "a"): 0}
    assert StatisticsKey.objects.filter(region="20").count() == 5


def test_numbers_taken_meanwhile_by_another_build_are_tried_again_above_them(db, monkeypatch):
    # Another build numbers "z" between this one's reading the top number and
    # its insert: this one's "y" loses number 0 and gets the next.
    real = StatisticsKey.objects.bulk_create
    calls = []

    def another_build_first(objs, **kwargs):
        if not calls:
            real([StatisticsKey(region="20", kind="p", key="z", number=0)])
        calls.append([o.key for o in objs])
        return real(objs, **kwargs)

    monkeypatch.setattr(StatisticsKey.objects, "bulk_create", another_build_first)

    assert rollups._numbers("20", {"p": {"y"}}) == {("p", "y"): 1}
    assert calls == [["y"], ["y"]]


def test_a_key_numbered_meanwhile_by_another_build_keeps_that_number(db):
    # Another build numbers "y" itself after this one read the known keys and
    # before it reads the top number: this one's insert of "y" (as 1) loses,
    # and it takes the other's number rather than trying again for ever.
    from django.db import connection

    done = []

    def another_build_first(execute, sql, params, many, context):
        if not done and "MAX(" in sql and "reporting_statisticskey" in sql:
            done.append(True)
            StatisticsKey.objects.create(region="20", kind="p", key="y", number=0)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(another_build_first):
        numbers = rollups._numbers("20", {"p": {"y"}})

    assert done and numbers == {("p", "y"): 0}
    assert StatisticsKey.objects.filter(region="20").count() == 1


def test_a_month_s_data_reads_back_as_written():
    slot = rollups._Slot((3, 2))
    # Person 0 held a first-time session of enterprise 9, rated; person 17 cancelled one.
    slot.people[rollups.PERSON_STATES[BookingStatus.COMPLETED]][0] |= 1
    slot.people[rollups.RATED][0] |= 1
    slot.people[rollups.PERSON_STATES[BookingStatus.CANCELLED]][2] |= 1 << 1  # number 17
    slot.enterprises[rollups.HELD_FIRST][1] |= 1 << 1  # number 9
    slot.enterprises[rollups.ENTERPRISE_RATED][1] |= 1 << 1
    slot.numbers = [
        rollups._additive_numbers(BookingStatus.COMPLETED, True, 60, 4),
        rollups._additive_numbers(BookingStatus.CANCELLED, True, 60, None),
    ]
    slot.counts = {(3, 0): 1, (3, 1): 1}
    slot.covered.add("2080")
    data = rollups._write({("by_topic", "7"): slot, ("by_mode", "video"): rollups._Slot()})

    [(key, bitmaps, by_waiting, covered)] = rollups._read(data, {"by_topic"})

    assert key == ("by_topic", "7")
    assert bitmaps[0] == 1 | 1 << 17 and bitmaps[1] == bitmaps[2] == bitmaps[3] == bitmaps[4] == 1
    people = len(rollups.PEOPLE_CLASSES)
    assert bitmaps[people : people + 6] == [1 << 9] * 6 and bitmaps[people + 6] == 0
    assert by_waiting == [[3, 2, 1, 0, 1, 60, 60, 4, 1]]
    assert covered == ["2080"]


def classes_of(status, first_time=True, rating=None):
    """The people and enterprise classes (indexes into PEOPLE_CLASSES and
    ENTERPRISE_CLASSES) that one booking's person and enterprise are in."""
    slot = rollups._Slot((1, 1))
    person, enterprise, rated, _ = rollups._states(status, first_time, 60, rating, 0)
    slot.people[person][0] |= 1
    slot.enterprises[enterprise][0] |= 1
    if rated:
        slot.people[rollups.RATED][0] |= 1
        slot.enterprises[rollups.ENTERPRISE_RATED][0] |= 1
    bitmaps = slot.classes()
    people = len(rollups.PEOPLE_CLASSES)
    return (
        tuple(c for c in range(people) if bitmaps[c]),
        tuple(c for c in range(len(rollups.ENTERPRISE_CLASSES)) if bitmaps[people + c]),
    )


def test_a_booking_s_classes_follow_its_status_first_time_and_rating():
    numbers = rollups._additive_numbers

    assert classes_of(BookingStatus.COMPLETED, True, 4) == ((0, 1, 2, 3, 4), (0, 1, 2, 3, 4, 5))
    assert numbers(BookingStatus.COMPLETED, True, 60, 4) == (1, 1, 0, 0, 60, 60, 4, 1)
    assert classes_of(BookingStatus.COMPLETED, False)[1] == (0, 1, 2, 3, 6)
    assert classes_of(BookingStatus.NO_SHOW) == ((0, 2, 3), (0, 2, 3))
    assert numbers(BookingStatus.NO_SHOW, True, 30, None) == (1, 0, 1, 0, 0, 30, 0, 0)
    assert classes_of(BookingStatus.CONFIRMED) == ((0, 3), (0, 3))
    assert numbers(BookingStatus.CONFIRMED, True, 60, None) == (1, 0, 0, 0, 0, 60, 0, 0)
    assert classes_of(BookingStatus.CANCELLED) == ((0,), (0,))
    assert numbers(BookingStatus.CANCELLED, True, 60, None) == (1, 0, 0, 1, 0, 0, 0, 0)


def test_a_build_reads_only_the_stale_months_not_the_ones_between(db):
    # Stale: January, February and December; June between them is not read.
    advisor = factories.AdvisorFactory(region_id="20")
    starts = {
        "jan": datetime(2026, 1, 1, 0, 30, tzinfo=UTC),  # 01:30 on 1 January, Swedish time
        "feb": datetime(2026, 2, 27, 9, 0, tzinfo=UTC),
        "jun": datetime(2026, 6, 15, 9, 0, tzinfo=UTC),
        "dec": datetime(2026, 12, 31, 22, 30, tzinfo=UTC),  # 23:30 on 31 December
        "next": datetime(2026, 12, 31, 23, 30, tzinfo=UTC),  # 00:30 on 1 January 2027
    }
    made = {name: factories.BookingFactory(advisor=advisor, start=start) for name, start in starts.items()}
    stale = [date(2026, 1, 1), date(2026, 2, 1), date(2026, 12, 1)]

    read = set(Booking.objects.filter(rollups._months(stale)).values_list("pk", flat=True))

    assert read == {made[name].pk for name in ("jan", "feb", "dec")}

"""The one free-time picker's context (advisors.picker.free_times), which the
advisor's page, the move pages and the time-just-taken page all show.

Now is Tuesday 1 December 2026, 09:00 in Stockholm. The factories' advisors
work Monday to Friday 09–12 and 13–16 with 24 hours' notice and 90 days'
horizon, so the first free time is Wednesday 2 December at 09:00.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import translation

from advisors.picker import PICKER_DAYS, free_times
from bookings.models import Enterprise
from tests import factories

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
STOCKHOLM = ZoneInfo("Europe/Stockholm")


@pytest.fixture(autouse=True)
def english_at_now():
    with translation.override("en"), time_machine.travel(NOW, tick=False):
        yield


def local_days(picker) -> list[date]:
    return [day for day, _slots in picker.days]


def test_it_starts_at_the_first_day_with_a_free_time(advisor):
    picker = free_times(advisor, data=None, now=NOW)

    assert picker.asked == date(2026, 12, 1)
    assert picker.first_day == date(2026, 12, 2)  # today is within the notice
    assert picker.last_day == date(2026, 12, 8)
    assert picker.skipped
    first_day, first_slots = picker.days[0]
    assert first_day == date(2026, 12, 2)
    assert first_slots[0].start == datetime(2026, 12, 2, 9, 0, tzinfo=STOCKHOLM)


def test_it_lists_only_days_with_free_times(advisor):
    picker = free_times(advisor, data={"start": "2026-12-07"}, now=NOW)

    # Monday 7 to Sunday 13 December: the weekend has nothing free and is left out.
    assert local_days(picker) == [date(2026, 12, d) for d in (7, 8, 9, 10, 11)]
    assert all(slots for _day, slots in picker.days)
    assert not picker.skipped
    assert (picker.previous, picker.next) == (
        "?start=2026-12-01&duration=60",
        "?start=2026-12-14&duration=60",
    )


def test_a_long_time_off_is_jumped_over_in_one_step(advisor):
    advisor.time_off = [
        {"start": "2026-12-01T00:00:00+01:00", "end": "2027-01-11T00:00:00+01:00", "reason": ""}
    ]
    advisor.save()

    picker = free_times(advisor, data=None, now=NOW)

    assert picker.first_day == date(2027, 1, 11)
    assert picker.skipped
    assert local_days(picker)[0] == date(2027, 1, 11)
    assert len(local_days(picker)) <= PICKER_DAYS
    assert picker.previous is None  # nothing is free from today to then


def test_nothing_free_in_two_months_gives_no_days_and_no_next_link(advisor):
    advisor.time_off = [
        {"start": "2026-12-01T00:00:00+01:00", "end": "2027-06-01T00:00:00+02:00", "reason": ""}
    ]
    advisor.save()

    picker = free_times(advisor, data=None, now=NOW)

    assert picker.days == []
    assert not picker.skipped
    assert picker.next is None


def test_a_week_is_read_as_its_monday(advisor):
    picker = free_times(advisor, data={"week": "2026-W51"}, now=NOW)

    assert picker.asked == date(2026, 12, 14)
    assert picker.errors == []


def test_the_week_back_goes_from_the_day_asked_over_the_days_known_to_be_empty(advisor):
    advisor.time_off = [
        {"start": "2026-12-14T00:00:00+01:00", "end": "2026-12-28T00:00:00+01:00", "reason": ""}
    ]
    advisor.save()

    picker = free_times(advisor, data={"start": "2026-12-16"}, now=NOW)

    assert (picker.asked, picker.first_day) == (date(2026, 12, 16), date(2026, 12, 28))
    assert picker.previous == "?start=2026-12-09&duration=60"


def test_a_day_before_today_is_read_as_today(advisor):
    picker = free_times(advisor, data={"start": "2026-11-20"}, now=NOW)

    assert picker.asked == date(2026, 12, 1)
    assert picker.errors == []
    assert picker.from_today is None


@pytest.mark.parametrize(
    ("start", "error"),
    [
        ("2026-12-32", "We could not read that date, so the free times from today are shown."),
        ("tomorrow", "We could not read that date, so the free times from today are shown."),
        ("1999-12-31", "There are no free times that far away, so the free times from today are shown."),
        ("2031-01-01", "There are no free times that far away, so the free times from today are shown."),
        (
            "2027-05-01",
            "This advisor takes bookings up to Monday 1 March 2027, so the free times from today are shown.",
        ),
    ],
)
def test_a_bad_or_far_date_falls_back_to_today_and_says_why(advisor, start, error):
    picker = free_times(advisor, data={"start": start}, now=NOW)

    assert picker.errors == [error]
    assert picker.asked == date(2026, 12, 1)
    assert picker.first_day == date(2026, 12, 2)


def test_a_length_the_advisor_does_not_offer_falls_back_to_the_first(advisor):
    advisor.session_lengths = [30, 90]
    advisor.save()

    picker = free_times(advisor, data={"duration": "45"}, now=NOW)

    assert picker.duration == 30
    assert picker.choose_duration
    assert picker.errors == ["This advisor offers meetings of 30, 90 minutes, so the first of them is shown."]


def test_a_fixed_length_is_not_asked_and_stays_out_of_the_links(advisor):
    picker = free_times(advisor, data={"start": "2026-12-07", "duration": "90"}, now=NOW, duration=60)

    assert picker.duration == 60
    assert not picker.choose_duration
    assert "duration" not in picker.form.fields
    assert picker.next == "?start=2026-12-14"


def test_a_moved_booking_does_not_block_times_and_its_own_start_is_left_out(advisor, entrepreneur):
    Enterprise.objects.create(name="Kafé Kvarnen", kind="social", municipality_id="2080").members.add(
        entrepreneur
    )
    booking = factories.book(entrepreneur, advisor, datetime(2026, 12, 2, 9, 0, tzinfo=STOCKHOLM))

    picker = free_times(
        advisor, data=None, now=NOW, duration=60, exclude=[booking.pk], leave_out=booking.start
    )

    starts = [slot.start for slot in picker.days[0][1]]
    assert booking.start not in starts
    assert datetime(2026, 12, 2, 9, 30, tzinfo=STOCKHOLM) in starts  # half an hour later is free


def test_the_picker_costs_a_fixed_number_of_queries(advisor, django_assert_num_queries):
    with django_assert_num_queries(3):  # weekly hours, external busy times and bookings
        free_times(advisor, data={"start": "2026-12-07"}, now=NOW)

"""The comparison bench's bookings: the same in both apps, so they must be
distinct working hours (no two overlap) and the same on every run."""

from datetime import date

from benchmarks.comparison import free_per_day, pick_bookings, working_hours


def test_working_hours_are_weekdays_nine_to_five():
    hours = working_hours(date(2027, 3, 5), 4)  # Friday … Monday
    assert hours == [(date(2027, 3, 5), h) for h in range(9, 17)] + [
        (date(2027, 3, 8), h) for h in range(9, 17)
    ]


def test_bookings_are_distinct_working_hours_and_repeatable():
    first = date(2027, 3, 1)
    booked = pick_bookings(first)
    assert len(booked) == len(set(booked)) == 1000
    assert set(booked) <= set(working_hours(first, 365))
    assert booked == sorted(booked) == pick_bookings(first)
    assert pick_bookings(first, seed=43) != booked


def test_free_per_day_counts_the_unbooked_hours_of_each_day():
    first = date(2027, 3, 5)  # a Friday
    counts = free_per_day(first, 3, [(first, 9), (first, 16)])
    assert counts == {first: 6, date(2027, 3, 6): 0, date(2027, 3, 7): 0}

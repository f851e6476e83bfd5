"""reporting/periods.py: the statistics' local dates, months and periods, in
one module (they were eight helpers in five files before issue 14; each keeps
what it did)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from reporting import periods


def test_a_period_is_its_local_days_from_midnight_to_midnight_across_daylight_saving():
    since, until = periods.period_bounds(date(2027, 3, 28), date(2027, 3, 28))
    assert since == datetime(2027, 3, 27, 23, 0, tzinfo=UTC)
    assert until == datetime(2027, 3, 28, 22, 0, tzinfo=UTC)  # a day of 23 hours


def test_today_is_the_date_in_stockholm_not_in_utc():
    with time_machine.travel(datetime(2026, 12, 31, 23, 30, tzinfo=UTC), tick=False):
        assert periods.today() == date(2027, 1, 1)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 1)),
        (date(2026, 1, 15), -1, date(2025, 12, 1)),
        (date(2026, 12, 1), 1, date(2027, 1, 1)),
        (date(2026, 7, 3), -12, date(2025, 7, 1)),
        (date(2026, 7, 3), 0, date(2026, 7, 1)),
    ],
)
def test_add_months_gives_the_first_of_the_month(day, months, expected):
    assert periods.add_months(day, months) == expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 2, 10), date(2026, 2, 28)),
        (date(2028, 2, 1), date(2028, 2, 29)),
        (date(2026, 12, 31), date(2026, 12, 31)),
    ],
)
def test_month_end_is_the_last_day_of_the_month(day, expected):
    assert periods.month_end(day) == expected


def test_the_months_of_a_period_are_every_month_it_touches():
    months = periods.months_of(date(2025, 11, 15), date(2026, 2, 1))
    assert months == [date(2025, 11, 1), date(2025, 12, 1), date(2026, 1, 1), date(2026, 2, 1)]
    assert periods.month_keys(date(2025, 11, 15), date(2026, 2, 1)) == [
        "2025-11",
        "2025-12",
        "2026-01",
        "2026-02",
    ]
    assert periods.months_of(date(2026, 3, 5), date(2026, 3, 5)) == [date(2026, 3, 1)]


def test_a_local_month_is_read_in_stockholm_from_an_instant_and_as_it_is_from_a_date():
    # 23:30 UTC on 31 January is already February in Stockholm.
    assert periods.local_month(datetime(2026, 1, 31, 23, 30, tzinfo=UTC)) == date(2026, 2, 1)
    assert periods.month_key(datetime(2026, 1, 31, 23, 30, tzinfo=UTC)) == "2026-02"
    naive = datetime(2026, 1, 31, 23, 30)  # noqa: DTZ001 - a naive one is taken as local
    assert periods.local_month(naive) == date(2026, 1, 1)
    assert periods.month_key(date(2026, 1, 31)) == "2026-01"


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (date(2026, 1, 1), date(2026, 1, 31), 1),
        (date(2026, 1, 1), date(2026, 6, 30), 6),
        (date(2025, 7, 1), date(2026, 6, 30), 12),
        (date(2026, 1, 2), date(2026, 1, 31), None),
        (date(2026, 1, 1), date(2026, 1, 30), None),
    ],
)
def test_whole_months_counts_calendar_months_or_says_it_is_not(start, end, expected):
    assert periods.whole_months(start, end) == expected


def test_the_previous_period_is_the_same_months_or_the_same_days_before():
    assert periods.previous_period(date(2026, 4, 1), date(2026, 6, 30)) == (
        date(2026, 1, 1),
        date(2026, 3, 31),
    )
    assert periods.previous_period(date(2026, 3, 10), date(2026, 3, 19)) == (
        date(2026, 2, 28),
        date(2026, 3, 9),
    )


def test_the_last_complete_month_is_last_month():
    assert periods.last_complete("month", date(2026, 8, 1)) == (date(2026, 7, 1), date(2026, 7, 31))
    assert periods.last_complete("month", date(2026, 1, 31)) == (date(2025, 12, 1), date(2025, 12, 31))


def test_years_later_keeps_the_day_but_29_february_becomes_28():
    assert periods.years_later(date(2026, 3, 31), 3) == date(2029, 3, 31)
    assert periods.years_later(date(2028, 2, 29), 3) == date(2031, 2, 28)
    assert periods.years_later(date(2028, 2, 29), 3) - timedelta(days=1) == date(2031, 2, 27)

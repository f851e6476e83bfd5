"""The predicates of bookings.rules, on every status and either side of the session."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bookings import rules
from bookings.models import Booking, BookingStatus
from tests import factories

START = datetime(2027, 3, 2, 8, 0, tzinfo=UTC)
END = START + timedelta(hours=1)
BEFORE, DURING, AFTER = START - timedelta(minutes=1), START + timedelta(minutes=30), END
CONFIRMED, COMPLETED, NO_SHOW, CANCELLED = (
    BookingStatus.CONFIRMED,
    BookingStatus.COMPLETED,
    BookingStatus.NO_SHOW,
    BookingStatus.CANCELLED,
)


def booking(status: str, *, booker: int | None = 1) -> Booking:
    return Booking(status=status, start=START, end=END, entrepreneur_id=booker)


def test_held_is_what_the_advisor_recorded_as_held():
    assert rules.HELD == (COMPLETED,)
    assert set(rules.NOT_MISSED) == {CONFIRMED, COMPLETED}
    assert set(rules.BOOKED) == {CONFIRMED, COMPLETED, NO_SHOW}


@pytest.mark.parametrize(
    ("status", "now", "expected"),
    [
        (CONFIRMED, BEFORE, True),
        (CONFIRMED, DURING, True),
        (CONFIRMED, AFTER, False),
        (CANCELLED, BEFORE, False),
    ],
)
def test_a_session_is_upcoming_until_it_is_over(status, now, expected):
    assert rules.is_upcoming(booking(status), now) is expected


@pytest.mark.parametrize(
    ("status", "now", "expected"),
    [
        (CONFIRMED, BEFORE, True),
        (CONFIRMED, START, False),
        (CONFIRMED, DURING, False),
        (CANCELLED, BEFORE, False),
        (COMPLETED, BEFORE, False),
    ],
)
def test_a_session_can_be_cancelled_or_moved_until_it_starts(status, now, expected):
    assert rules.can_cancel(booking(status), now) is expected
    assert rules.can_move(booking(status), now) is expected


@pytest.mark.parametrize(
    ("status", "now", "expected"),
    [
        (CONFIRMED, AFTER, True),
        (COMPLETED, AFTER, True),
        (NO_SHOW, AFTER, False),
        (CANCELLED, AFTER, False),
        (CONFIRMED, DURING, False),
        (COMPLETED, DURING, False),
    ],
)
def test_a_session_took_place_once_over_unless_cancelled_or_missed(status, now, expected):
    assert rules.took_place(booking(status), now) is expected
    assert rules.can_give_feedback(booking(status), now) is expected


def test_an_erased_booker_gives_no_feedback():
    assert rules.took_place(booking(CONFIRMED, booker=None), AFTER)
    assert not rules.can_give_feedback(booking(CONFIRMED, booker=None), AFTER)


@pytest.mark.parametrize(
    ("status", "now", "expected"),
    [
        (CONFIRMED, BEFORE, False),
        (CONFIRMED, START, True),
        (CONFIRMED, AFTER, True),
        (NO_SHOW, AFTER, True),
        (COMPLETED, DURING, True),
        (CANCELLED, AFTER, False),
    ],
)
def test_the_outcome_is_recorded_once_the_session_has_started(status, now, expected):
    assert rules.can_record_outcome(booking(status), now) is expected


@pytest.mark.parametrize("now", [BEFORE, DURING, AFTER], ids=["before", "during", "after"])
def test_the_query_forms_select_what_the_predicates_say(db, advisor, now):
    made = [
        factories.BookingFactory(advisor=advisor, status=status, start=START + timedelta(days=day))
        for day, status in enumerate([CONFIRMED, COMPLETED, NO_SHOW, CANCELLED])
    ] + [factories.BookingFactory(advisor=advisor, status=CONFIRMED, start=START - timedelta(days=1))]

    def chosen(q) -> set[int]:
        return set(Booking.objects.filter(q).values_list("pk", flat=True))

    assert chosen(rules.upcoming(now)) == {b.pk for b in made if rules.is_upcoming(b, now)}
    assert chosen(rules.not_started(now)) == {b.pk for b in made if rules.can_cancel(b, now)}

"""What the slot engine is told blocks an advisor's time (bookings.selectors.booked_source):
the blocked ranges overlapping the window, read with both ends of the range bounded.
Hand-written SQL, so every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bookings import rules
from bookings.models import Booking, BookingStatus
from bookings.selectors import booked_source
from tests import factories

# SQLite's stored text and PostgreSQL's driver are read differently (backend/sql.py).
pytestmark = pytest.mark.services

WINDOW = (datetime(2027, 3, 2, 0, 0, tzinfo=UTC), datetime(2027, 3, 3, 0, 0, tzinfo=UTC))


@pytest.fixture
def advisor(db):
    return factories.AdvisorFactory()


def booking(advisor, start: datetime, *, minutes: int = 60, before: int = 0, after: int = 0, **fields):
    end = start + timedelta(minutes=minutes)
    return factories.BookingFactory(
        advisor=advisor,
        start=start,
        duration=minutes,
        end=end,
        blocked_start=start - timedelta(minutes=before),
        blocked_end=end + timedelta(minutes=after),
        **fields,
    )


def test_a_booking_whose_buffer_reaches_into_the_window_blocks_it(advisor):
    # The session ends before the window; its buffer after runs into it.
    reaching = booking(advisor, datetime(2027, 3, 1, 23, 0, tzinfo=UTC), after=30)
    inside = booking(advisor, datetime(2027, 3, 2, 9, 0, tzinfo=UTC))

    found = booked_source([advisor.pk], *WINDOW)[advisor.pk]

    assert sorted((b.start, b.blocked_end) for b in found) == [
        (reaching.start, datetime(2027, 3, 2, 0, 30, tzinfo=UTC)),
        (inside.start, inside.end),
    ]


def test_bookings_before_after_cancelled_or_left_out_do_not_block(advisor):
    booking(advisor, datetime(2027, 3, 1, 22, 0, tzinfo=UTC), after=30)  # blocked until 23:30 the day before
    booking(advisor, datetime(2027, 3, 3, 0, 0, tzinfo=UTC), before=0)  # starts as the window ends
    booking(advisor, datetime(2027, 3, 2, 9, 0, tzinfo=UTC), status=BookingStatus.CANCELLED)
    moved = booking(advisor, datetime(2027, 3, 2, 11, 0, tzinfo=UTC))

    assert booked_source([advisor.pk], *WINDOW, exclude=[moved.pk]) == {}


def test_the_longest_blocked_range_is_the_longest_session_with_both_buffers(advisor):
    longest = booking(advisor, datetime(2027, 3, 1, 12, 0, tzinfo=UTC), minutes=480, before=240, after=240)
    assert longest.blocked_end - longest.blocked_start == rules.MAX_BLOCKED
    # A range that long, starting before the window and ending in it, is found.
    found = booked_source([advisor.pk], datetime(2027, 3, 1, 20, 0, tzinfo=UTC), WINDOW[1])[advisor.pk]
    assert [b.start for b in found] == [longest.start]


def test_the_hand_written_read_equals_the_orms_for_many_advisors(advisor):
    other = factories.AdvisorFactory()
    odd = datetime(2027, 3, 2, 9, 15, 30, 123456, tzinfo=UTC)  # seconds and microseconds survive
    rows = [
        booking(advisor, odd, before=15, after=10),
        booking(advisor, datetime(2027, 3, 2, 13, 0, tzinfo=UTC), status=BookingStatus.COMPLETED),
        booking(other, datetime(2027, 3, 2, 10, 0, tzinfo=UTC), minutes=45),
        booking(other, datetime(2027, 3, 2, 12, 0, tzinfo=UTC), status=BookingStatus.CANCELLED),
        booking(other, datetime(2027, 3, 4, 12, 0, tzinfo=UTC)),  # after the window
    ]
    left_out = booking(other, datetime(2027, 3, 2, 15, 0, tzinfo=UTC))

    found = booked_source([advisor.pk, other.pk], *WINDOW, exclude=[left_out.pk])

    expected: dict[int, list[tuple]] = {}
    for b in Booking.objects.filter(pk__in=[r.pk for r in rows], start__lt=WINDOW[1]).exclude(
        status=BookingStatus.CANCELLED
    ):
        expected.setdefault(b.advisor_id, []).append((b.start, b.end, b.blocked_start, b.blocked_end))
    assert {k: sorted(tuple(x) for x in v) for k, v in found.items()} == {
        k: sorted(v) for k, v in expected.items()
    }
    first = min(b.start for b in found[advisor.pk])
    assert first == odd and first.tzinfo is not None
    assert booked_source([], *WINDOW) == {}

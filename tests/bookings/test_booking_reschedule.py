"""Rescheduling through the API: bookings.services.booking_reschedule."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from backend.models import AuditEntry
from bookings.models import (
    Booking,
)
from tests.bookings.api import (
    NOW,  # noqa: F401 (the time frozen_clock stops at)
    TUESDAY_1000,
    book,
)
from tests.conftest import client_for

pytestmark = pytest.mark.usefixtures("frozen_clock")

# --- Reschedule ---------------------------------------------------------------------------------


def test_a_reschedule_keeps_the_uid_and_raises_the_sequence(sara, anna):
    uid = book(sara, anna).json()["uid"]

    response = client_for(sara).post(
        f"/api/v1/bookings/{uid}/reschedule/", {"start": "2027-03-03T13:00:00+01:00"}
    )

    assert response.status_code == 200, response.json()
    assert response.json()["uid"] == uid
    assert response.json()["start"] == "2027-03-03T13:00:00+01:00"
    assert response.json()["sequence"] == 1
    assert AuditEntry.objects.filter(action="booking.rescheduled").count() == 1


def test_a_booking_may_move_within_its_own_time(sara, anna):
    uid = book(sara, anna, duration=90).json()["uid"]
    response = client_for(sara).post(
        f"/api/v1/bookings/{uid}/reschedule/", {"start": TUESDAY_1000, "duration": 60}
    )
    assert response.status_code == 200, response.json()


def test_rescheduling_onto_a_taken_slot_is_a_409_and_changes_nothing(sara, ahmed, anna):
    uid = book(sara, anna).json()["uid"]
    book(ahmed, anna, start=TUESDAY_1000)

    response = client_for(sara).post(f"/api/v1/bookings/{uid}/reschedule/", {"start": TUESDAY_1000})

    assert response.status_code == 409
    booking = Booking.objects.get(uid=uid)
    assert booking.sequence == 0 and booking.start == datetime(2027, 3, 2, 8, 0, tzinfo=UTC)


def test_the_advisor_may_reschedule_too(sara, anna):
    uid = book(sara, anna).json()["uid"]
    response = client_for(anna.user).post(f"/api/v1/bookings/{uid}/reschedule/", {"start": TUESDAY_1000})
    assert response.status_code == 200


def test_a_past_booking_cannot_be_moved(sara, anna, frozen_clock):
    uid = book(sara, anna).json()["uid"]
    frozen_clock.move_to(datetime(2027, 3, 2, 9, 0, tzinfo=UTC))
    response = client_for(sara).post(
        f"/api/v1/bookings/{uid}/reschedule/", {"start": "2027-03-04T13:00:00+01:00"}
    )
    assert response.status_code == 409

"""Cancelling through the API: bookings.services.booking_cancel."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bookings.models import (
    Booking,
    BookingStatus,
)
from tests.bookings.api import (
    NOW,  # noqa: F401 (the time frozen_clock stops at)
    TUESDAY_1000,
    book,
)
from tests.conftest import client_for

pytestmark = pytest.mark.usefixtures("frozen_clock")

# --- Cancel -----------------------------------------------------------------------------------


def test_cancelling_frees_the_slot_and_raises_the_sequence(sara, ahmed, anna):
    uid = book(sara, anna).json()["uid"]

    response = client_for(sara).post(f"/api/v1/bookings/{uid}/cancel/", {"reason": "Sjuk"})

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled" and response.json()["sequence"] == 1
    assert book(ahmed, anna).status_code == 201  # the time is free again


def test_cancelling_twice_or_after_the_start_is_a_409(sara, anna, frozen_clock):
    first = book(sara, anna).json()["uid"]
    second = book(sara, anna, start=TUESDAY_1000).json()["uid"]
    client_for(sara).post(f"/api/v1/bookings/{first}/cancel/", {})

    again = client_for(sara).post(f"/api/v1/bookings/{first}/cancel/", {})
    frozen_clock.move_to(datetime(2027, 3, 2, 9, 5, tzinfo=UTC))
    started = client_for(sara).post(f"/api/v1/bookings/{second}/cancel/", {})

    assert again.status_code == 409 and started.status_code == 409
    assert Booking.objects.get(uid=second).status == BookingStatus.CONFIRMED


def test_a_cancel_reason_over_500_characters_is_a_400(sara, anna):
    uid = book(sara, anna).json()["uid"]
    assert client_for(sara).post(f"/api/v1/bookings/{uid}/cancel/", {"reason": "x" * 501}).status_code == 400

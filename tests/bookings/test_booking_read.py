"""Reading bookings through the API, and who may."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.bookings.api import (
    NOW,  # noqa: F401 (the time frozen_clock stops at)
    book,
)
from tests.conftest import client_for

pytestmark = pytest.mark.usefixtures("frozen_clock")

# --- Read, and who may ---------------------------------------------------------------------


def test_each_sees_only_their_own_bookings(sara, ahmed, anna, other_advisor):
    mine = book(sara, anna).json()["uid"]

    assert [b["uid"] for b in client_for(sara).get("/api/v1/bookings/").json()["results"]] == [mine]
    assert client_for(ahmed).get("/api/v1/bookings/").json()["results"] == []
    assert client_for(other_advisor.user).get("/api/v1/bookings/").json()["results"] == []
    assert [b["uid"] for b in client_for(anna.user).get("/api/v1/bookings/").json()["results"]] == [mine]
    assert client_for(ahmed).get(f"/api/v1/bookings/{mine}/").status_code == 404
    assert client_for(other_advisor.user).get(f"/api/v1/bookings/{mine}/").status_code == 404
    assert client_for(ahmed).post(f"/api/v1/bookings/{mine}/cancel/", {}).status_code == 404


def test_the_advisor_sees_who_booked_and_their_private_notes_the_entrepreneur_does_not(
    sara, anna, frozen_clock
):
    uid = book(sara, anna).json()["uid"]
    frozen_clock.move_to(datetime(2027, 3, 2, 9, 30, tzinfo=UTC))
    client_for(anna.user).post(
        f"/api/v1/bookings/{uid}/outcome/", {"outcome": "attended", "private_notes": "Needs a budget."}
    )

    as_advisor = client_for(anna.user).get(f"/api/v1/bookings/{uid}/").json()
    as_entrepreneur = client_for(sara).get(f"/api/v1/bookings/{uid}/").json()

    assert as_advisor["entrepreneur_name"] == "Sara Nilsson"
    assert as_advisor["private_notes"] == "Needs a budget."
    assert "private_notes" not in as_entrepreneur
    assert "Needs a budget." not in str(client_for(sara).get("/api/v1/bookings/").json())


@pytest.mark.parametrize("uid", ["00000000-0000-0000-0000-000000000000", "nope"])
def test_an_unknown_booking_is_a_404(sara, uid):
    assert client_for(sara).get(f"/api/v1/bookings/{uid}/").status_code == 404


def test_the_list_reads_a_fixed_number_of_queries(sara, anna, django_assert_max_num_queries):
    for hour in ("09", "10", "11"):
        book(sara, anna, start=f"2027-03-02T{hour}:00:00+01:00")
    with django_assert_max_num_queries(4):  # user (token), count, bookings with their relations
        response = client_for(sara).get("/api/v1/bookings/")
    assert len(response.json()["results"]) == 3

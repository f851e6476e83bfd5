"""Outcomes and feedback through the API: booking_record_outcome and booking_give_feedback."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bookings.models import (
    Booking,
)
from tests.bookings.api import (
    NOW,  # noqa: F401 (the time frozen_clock stops at)
    TUESDAY_0900,
    book,
)
from tests.conftest import client_for

pytestmark = pytest.mark.usefixtures("frozen_clock")

# --- Outcome and feedback ---------------------------------------------------------------------


def test_only_the_advisor_records_the_outcome_and_only_after_the_start(sara, anna, frozen_clock):
    uid = book(sara, anna).json()["uid"]

    early = client_for(anna.user).post(f"/api/v1/bookings/{uid}/outcome/", {"outcome": "attended"})
    frozen_clock.move_to(datetime(2027, 3, 2, 9, 30, tzinfo=UTC))
    by_entrepreneur = client_for(sara).post(f"/api/v1/bookings/{uid}/outcome/", {"outcome": "attended"})
    bad = client_for(anna.user).post(f"/api/v1/bookings/{uid}/outcome/", {"outcome": "maybe"})
    done = client_for(anna.user).post(f"/api/v1/bookings/{uid}/outcome/", {"outcome": "no_show"})

    assert early.status_code == 400
    # Sara may see her booking, not record its outcome: forbidden, not bad input.
    assert by_entrepreneur.status_code == 403
    assert bad.status_code == 400 and "outcome" in bad.json()
    assert done.status_code == 200 and done.json()["status"] == "no_show"


def test_feedback_once_after_the_session(sara, anna, frozen_clock):
    uid = book(sara, anna).json()["uid"]
    before = client_for(sara).post(f"/api/v1/bookings/{uid}/feedback/", {"rating": 5})
    frozen_clock.move_to(datetime(2027, 3, 2, 10, 0, tzinfo=UTC))
    client_for(anna.user).post(f"/api/v1/bookings/{uid}/outcome/", {"outcome": "attended"})

    bad = client_for(sara).post(f"/api/v1/bookings/{uid}/feedback/", {"rating": 6})
    by_advisor = client_for(anna.user).post(f"/api/v1/bookings/{uid}/feedback/", {"rating": 5})
    given = client_for(sara).post(f"/api/v1/bookings/{uid}/feedback/", {"rating": 4, "comment": "Bra!"})
    twice = client_for(sara).post(f"/api/v1/bookings/{uid}/feedback/", {"rating": 5})

    assert before.status_code == 400
    assert bad.status_code == 400 and "rating" in bad.json()
    assert by_advisor.status_code == 403
    assert given.status_code == 201 and given.json()["feedback"] == {"rating": 4, "comment": "Bra!"}
    assert twice.status_code == 400


def test_no_feedback_after_a_no_show(sara, anna, frozen_clock):
    uid = book(sara, anna).json()["uid"]
    frozen_clock.move_to(datetime(2027, 3, 2, 10, 0, tzinfo=UTC))
    client_for(anna.user).post(f"/api/v1/bookings/{uid}/outcome/", {"outcome": "no_show"})
    assert client_for(sara).post(f"/api/v1/bookings/{uid}/feedback/", {"rating": 1}).status_code == 400


def test_a_session_under_way_still_counts_toward_the_booking_limit(sara, anna, settings, frozen_clock):
    # "Wait until it has taken place": a session is upcoming until it is over,
    # as in the person's list of sessions ahead, not only until it starts.
    settings.BOOKING_MAX_UPCOMING = 1
    assert book(sara, anna, start=TUESDAY_0900).status_code == 201
    frozen_clock.move_to(datetime(2027, 3, 2, 8, 30, tzinfo=UTC))  # Tuesday 09:30, half-way through

    response = book(sara, anna, start="2027-03-03T10:00:00+01:00")

    assert response.status_code == 400, response.json()
    assert "1 kommande möten" in response.json()["detail"]
    assert Booking.objects.count() == 1


# --- The outcome note: the documented support a funder counts -----------------------------------


def test_the_outcome_note_is_recorded_with_its_fact_and_removed_by_emptying_it(sara, anna, frozen_clock):
    from bookings import services

    booking = Booking.objects.get(uid=book(sara, anna).json()["uid"])
    frozen_clock.move_to(datetime(2027, 3, 2, 10, 0, tzinfo=UTC))

    services.booking_record_outcome(
        booking=booking, by=anna.user, attended=True, outcome_note="  Budget klar. "
    )
    noted = Booking.objects.get(pk=booking.pk)
    services.booking_record_outcome(booking=booking, by=anna.user, attended=True)
    kept = Booking.objects.get(pk=booking.pk)
    services.booking_record_outcome(booking=booking, by=anna.user, attended=True, outcome_note="")
    emptied = Booking.objects.get(pk=booking.pk)

    assert (noted.outcome_note, noted.outcome_noted) == (
        "Budget klar.",
        datetime(2027, 3, 2, 10, 0, tzinfo=UTC),
    )
    assert (kept.outcome_note, kept.outcome_noted) == (noted.outcome_note, noted.outcome_noted)
    assert (emptied.outcome_note, emptied.outcome_noted) == ("", None)


def test_the_service_refuses_an_outcome_note_over_5000_characters_and_writes_nothing(
    sara, anna, frozen_clock
):
    from bookings import services

    booking = Booking.objects.get(uid=book(sara, anna).json()["uid"])
    frozen_clock.move_to(datetime(2027, 3, 2, 10, 0, tzinfo=UTC))

    with pytest.raises(services.BookingError) as refused:
        services.booking_record_outcome(booking=booking, by=anna.user, attended=True, outcome_note="x" * 5001)
    services.booking_record_outcome(
        booking=booking, by=anna.user, attended=False, outcome_note=" " + "x" * 5000 + "\n"
    )

    assert refused.value.field == "outcome_note"
    noted = Booking.objects.get(pk=booking.pk)
    assert (noted.status, len(noted.outcome_note)) == ("no_show", 5000)  # the spaces around do not count


def test_erasure_clears_the_outcome_note_and_keeps_the_fact_that_one_was_recorded(sara, anna, frozen_clock):
    from backend.privacy import person_erase
    from bookings import services

    booking = Booking.objects.get(uid=book(sara, anna).json()["uid"])
    frozen_clock.move_to(datetime(2027, 3, 2, 10, 0, tzinfo=UTC))
    services.booking_record_outcome(booking=booking, by=anna.user, attended=True, outcome_note="Budget klar.")

    person_erase(user=sara)

    erased = Booking.objects.get(pk=booking.pk)
    assert erased.outcome_note == ""
    assert erased.outcome_noted is not None


def test_women_led_is_a_statistical_fact_fixed_at_booking(sara, anna):
    from bookings.models import WomenLed

    enterprise = sara.enterprises.get()
    enterprise.women_led = WomenLed.YES
    enterprise.save()
    led_by_women = Booking.objects.get(uid=book(sara, anna).json()["uid"])
    enterprise.women_led = WomenLed.NO
    enterprise.save()

    assert Booking.objects.get(pk=led_by_women.pk).stat_women_led is True


def test_the_api_records_the_outcome_note_which_advisor_and_entrepreneur_both_see(sara, anna, frozen_clock):
    uid = book(sara, anna).json()["uid"]
    frozen_clock.move_to(datetime(2027, 3, 2, 10, 0, tzinfo=UTC))

    done = client_for(anna.user).post(
        f"/api/v1/bookings/{uid}/outcome/",
        {
            "outcome": "attended",
            "outcome_note": "Budget klar.\nSöker ESF i maj.",
            "private_notes": "Hemligt.",
        },
        format="json",
    )
    kept = client_for(anna.user).post(
        f"/api/v1/bookings/{uid}/outcome/", {"outcome": "attended"}, format="json"
    )
    as_entrepreneur = client_for(sara).get(f"/api/v1/bookings/{uid}/").json()
    listed = client_for(sara).get("/api/v1/bookings/").json()["results"]

    assert done.status_code == 200
    assert done.json()["outcome_note"] == "Budget klar.\nSöker ESF i maj."
    assert done.json()["private_notes"] == "Hemligt."
    assert kept.json()["outcome_note"] == "Budget klar.\nSöker ESF i maj."  # left out: left as it is
    assert as_entrepreneur["outcome_note"] == "Budget klar.\nSöker ESF i maj."
    assert "private_notes" not in as_entrepreneur
    assert [b["outcome_note"] for b in listed] == ["Budget klar.\nSöker ESF i maj."]
    assert "Hemligt." not in str(listed)
    assert Booking.objects.get(uid=uid).outcome_noted == datetime(2027, 3, 2, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize("note", ["x" * 5001, "Budget\x00klar", ["a list"], {"a": "dict"}])
def test_the_api_refuses_a_bad_outcome_note_and_changes_nothing(sara, anna, frozen_clock, note):
    uid = book(sara, anna).json()["uid"]
    frozen_clock.move_to(datetime(2027, 3, 2, 10, 0, tzinfo=UTC))
    client = client_for(anna.user)
    client.post(
        f"/api/v1/bookings/{uid}/outcome/", {"outcome": "no_show", "outcome_note": "Först."}, format="json"
    )

    response = client.post(
        f"/api/v1/bookings/{uid}/outcome/", {"outcome": "attended", "outcome_note": note}, format="json"
    )

    assert response.status_code == 400
    assert "outcome_note" in response.json()
    booking = Booking.objects.get(uid=uid)
    assert (booking.status, booking.outcome_note) == ("no_show", "Först.")


def test_the_schema_documents_the_outcome_note(client, db):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    components = schema["components"]["schemas"]

    assert components["Booking"]["properties"]["outcome_note"]["readOnly"] is True
    assert "private_notes" not in components["Booking"]["properties"]
    assert components["Outcome"]["properties"]["outcome_note"]["maxLength"] == 5000

"""Booking through the API: bookings.services.booking_create."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.db import connection

from advisors.models import Advisor, Topic
from backend.models import AuditEntry
from bookings import signals
from bookings.models import (
    Booking,
    Enterprise,
    EnterpriseKind,
    Gender,
)
from bookings.services import BookingError, booking_create
from tests import factories
from tests.bookings.api import NOW, TUESDAY_0900, TUESDAY_1000, book, enterprise_for
from tests.conftest import client_for

pytestmark = pytest.mark.usefixtures("frozen_clock")

# --- Create -------------------------------------------------------------------------------


def test_an_entrepreneur_books_a_free_slot(sara, anna):
    response = book(sara, anna, message="Vi vill växa.")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["start"] == TUESDAY_0900 and body["end"] == "2027-03-02T10:00:00+01:00"
    assert body["status"] == "confirmed" and body["sequence"] == 0
    assert body["meeting_url"] == anna.meeting_url and body["location"] == ""
    booking = Booking.objects.get(uid=body["uid"])
    assert booking.entrepreneur == sara and booking.message == "Vi vill växa."
    assert AuditEntry.objects.filter(booking=booking, action="booking.created", actor=sara).exists()


def test_the_slot_is_gone_for_everyone_else_afterwards(sara, ahmed, anna, client):
    book(sara, anna)

    slots = client.get(f"/api/v1/advisors/{anna.pk}/slots/?start=2027-03-02&end=2027-03-02").json()["slots"]
    response = book(ahmed, anna)

    assert TUESDAY_0900 not in [s["start"] for s in slots]
    assert response.status_code == 409
    assert response.json()["detail"]
    assert Booking.objects.count() == 1


def test_buffers_keep_the_next_slot_free_and_back_to_back_works_without_them(sara, ahmed, anna):
    assert book(sara, anna).status_code == 201
    assert book(ahmed, anna, start=TUESDAY_1000).status_code == 201  # no buffers: back to back

    Advisor.objects.filter(pk=anna.pk).update(buffer_after=15, slot_step=30)
    third = factories.UserFactory()
    enterprise_for(third)
    assert book(third, anna, start="2027-03-02T13:00:00+01:00").status_code == 201  # blocks 13:00-14:15
    assert book(sara, anna, start="2027-03-02T14:00:00+01:00").status_code == 409
    assert book(sara, anna, start="2027-03-02T14:30:00+01:00").status_code == 201


def test_a_booking_keeps_the_buffers_it_was_booked_with(sara, ahmed, anna, client):
    """The slots offered and the database's constraint agree after the advisor
    changes buffers: each booking blocks what it blocked when it was made."""
    Advisor.objects.filter(pk=anna.pk).update(buffer_after=30, slot_step=30)
    assert book(sara, anna).status_code == 201  # 09-10, blocks until 10:30
    Advisor.objects.filter(pk=anna.pk).update(buffer_after=0)

    starts = [
        s["start"]
        for s in client.get(f"/api/v1/advisors/{anna.pk}/slots/?start=2027-03-02&end=2027-03-02").json()[
            "slots"
        ]
    ]

    assert "2027-03-02T10:00:00+01:00" not in starts
    assert "2027-03-02T10:30:00+01:00" in starts
    assert book(ahmed, anna, start="2027-03-02T10:30:00+01:00").status_code == 201


def test_a_booking_keeps_the_statistical_facts_of_its_time(sara, anna):
    booking = Booking.objects.get(uid=book(sara, anna).json()["uid"])
    second = Booking.objects.get(uid=book(sara, anna, start=TUESDAY_1000).json()["uid"])

    assert booking.stat_region == "20"
    assert booking.stat_municipality == "2080"
    assert booking.stat_enterprise_kind == EnterpriseKind.WORK_INTEGRATING
    assert booking.stat_gender == Gender.WOMAN
    assert booking.stat_waiting_days == 1
    assert booking.stat_advisor_organisation == "Coompanion Dalarna"
    assert booking.stat_first_time and not second.stat_first_time
    assert booking.stat_enterprise_key == second.stat_enterprise_key
    assert booking.stat_person_key == second.stat_person_key and len(booking.stat_person_key) == 64


def test_the_enterprise_is_matched_by_organisation_number_for_first_time(sara, ahmed, anna):
    """Two records of one registered enterprise count as one."""
    enterprise_for(ahmed, name="Returhuset (again)", org_number="769600-0004")
    Enterprise.objects.filter(members=ahmed).exclude(org_number="").update(created=NOW + timedelta(days=1))
    book(sara, anna)

    enterprise = Enterprise.objects.get(name="Returhuset (again)")
    second = Booking.objects.get(
        uid=book(ahmed, anna, start=TUESDAY_1000, enterprise=enterprise.pk).json()["uid"]
    )

    assert not second.stat_first_time


def test_the_booking_signal_is_sent_inside_the_transaction(sara, anna):
    seen = []

    def receiver(sender, booking, by, **kwargs):
        seen.append((booking.uid, by, connection.in_atomic_block))

    signals.booking_created.connect(receiver)
    try:
        uid = book(sara, anna).json()["uid"]
    finally:
        signals.booking_created.disconnect(receiver)
    assert [(str(u), by, atomic) for u, by, atomic in seen] == [(uid, sara, True)]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"start": "2027-02-28T09:00:00+01:00"}, "start"),  # the past
        ({"start": "2027-03-01T13:00:00+01:00"}, "start"),  # today, inside 24 h notice
        ({"start": "2027-03-02T09:30:00+01:00"}, "start"),  # off the hourly grid
        ({"start": "2027-03-02T12:00:00+01:00"}, "start"),  # lunch break
        ({"start": "2027-03-06T10:00:00+01:00"}, "start"),  # Saturday
        ({"start": "not a time"}, "start"),
        ({"duration": 45}, "duration"),
        ({"duration": "sixty"}, "duration"),
        ({"mode": "carrier_pigeon"}, "mode"),
        ({"topic": "astrology"}, "topic"),
        ({"topic": "public-procurement"}, "topic"),  # not one of Anna's
        ({"message": "x" * 2001}, "message"),
        ({"advisor": 999999}, "advisor"),
    ],
)
def test_bad_requests_get_a_400_naming_the_field_and_change_nothing(sara, anna, change, field):
    response = book(sara, anna, **change)

    assert response.status_code == 400, response.content
    assert field in response.json()
    assert Booking.objects.count() == 0
    assert AuditEntry.objects.count() == 0


def test_a_mode_the_advisor_does_not_offer_is_refused(sara, anna):
    Advisor.objects.filter(pk=anna.pk).update(offers_video=False)
    response = book(sara, anna, mode="video")
    assert response.status_code == 400 and "mode" in response.json()


def test_an_inactive_advisor_cannot_be_booked(sara, anna):
    Advisor.objects.filter(pk=anna.pk).update(is_active=False)
    assert book(sara, anna).status_code == 400


def test_an_advisor_whose_account_is_deactivated_cannot_be_booked(sara, anna):
    # The coordinator deactivates the account, not the advisor row: the slots
    # answer 404, and the booking must be refused the same way.
    type(anna.user).objects.filter(pk=anna.user_id).update(is_active=False)

    response = book(sara, anna)

    assert response.status_code == 400 and "advisor" in response.json()
    assert not Booking.objects.exists()


def test_the_booking_service_refuses_an_advisor_whose_account_is_deactivated(sara, anna):
    type(anna.user).objects.filter(pk=anna.user_id).update(is_active=False)

    with pytest.raises(BookingError) as refused:
        booking_create(
            entrepreneur=sara,
            advisor=anna,
            start=datetime.fromisoformat(TUESDAY_0900),
            duration=60,
            topic=Topic.objects.get(slug="financing"),
            mode="video",
        )

    assert refused.value.field == "advisor"
    assert not Booking.objects.exists()


def test_a_person_without_an_enterprise_is_asked_to_describe_it(entrepreneur, anna):
    response = book(entrepreneur, anna)
    assert response.status_code == 400
    assert "enterprise" in response.json()


def test_one_cannot_book_for_someone_else_s_enterprise(sara, ahmed, anna):
    theirs = Enterprise.objects.get(members=ahmed)
    response = book(sara, anna, enterprise=theirs.pk)
    assert response.status_code == 400 and "enterprise" in response.json()


def test_advisors_and_coordinators_do_not_book(anna, other_advisor, coordinator):
    assert book(other_advisor.user, anna).status_code == 400
    assert book(coordinator.user, anna).status_code == 400
    assert Booking.objects.count() == 0


def test_anonymous_requests_are_refused(client, anna):
    response = client.post("/api/v1/bookings/", {"advisor": anna.pk}, content_type="application/json")
    assert response.status_code in (401, 403)


def test_a_person_holds_at_most_three_upcoming_sessions(sara, anna, settings):
    settings.BOOKING_MAX_UPCOMING = 3
    for start in (TUESDAY_0900, TUESDAY_1000, "2027-03-02T11:00:00+01:00"):
        assert book(sara, anna, start=start).status_code == 201

    response = book(sara, anna, start="2027-03-02T13:00:00+01:00")

    assert response.status_code == 400
    assert "3" in response.json()["detail"]


def test_a_non_json_body_is_a_400(sara, anna):
    response = client_for(sara).generic("POST", "/api/v1/bookings/", "{oops", content_type="application/json")
    assert response.status_code == 400

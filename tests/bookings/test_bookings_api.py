"""Booking, rescheduling, cancelling, outcomes and feedback through the API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection

from advisors.models import Advisor, Topic
from backend.models import AuditEntry
from bookings import signals
from bookings.models import (
    Booking,
    BookingStatus,
    Enterprise,
    EnterpriseKind,
    EntrepreneurProfile,
    Gender,
)
from bookings.services import BookingError, booking_create
from tests import factories
from tests.conftest import client_for

# Monday 1 March 2027, 07:00 in Stockholm.
NOW = datetime(2027, 3, 1, 6, 0, tzinfo=UTC)
TUESDAY_0900 = "2027-03-02T09:00:00+01:00"
TUESDAY_1000 = "2027-03-02T10:00:00+01:00"


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def anna(advisor) -> Advisor:
    """Anna: hourly slots, no buffers, a day's notice, advises on financing and starting up."""
    Advisor.objects.filter(pk=advisor.pk).update(slot_step=60, buffer_after=0, session_lengths=[60, 90])
    advisor.refresh_from_db()
    advisor.topics.set(Topic.objects.filter(slug__in=["financing", "starting-up"]))
    return advisor


def enterprise_for(user, **over) -> Enterprise:
    values = {"name": "Returhuset", "kind": EnterpriseKind.WORK_INTEGRATING, "municipality_id": "2080"}
    values.update(over)
    enterprise = Enterprise.objects.create(**values)
    enterprise.members.add(user)
    return enterprise


@pytest.fixture
def sara(entrepreneur):
    enterprise_for(entrepreneur, org_number="769600-0004")
    EntrepreneurProfile.objects.create(user=entrepreneur, gender=Gender.WOMAN)
    return entrepreneur


@pytest.fixture
def ahmed(other_entrepreneur):
    enterprise_for(other_entrepreneur, name="Matlaget", municipality_id="2081")
    return other_entrepreneur


def book(user, adv, start=TUESDAY_0900, **over):
    body = {"advisor": adv.pk, "start": start, "duration": 60, "topic": "financing", "mode": "video"}
    body.update(over)
    return client_for(user).post("/api/v1/bookings/", body, format="json")


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

"""POST /api/v1/me/erase/ and the confirmation page: future sessions cancelled
through the booking service, personal data gone, statistics unchanged."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

from backend.models import ApiToken, AuditEntry
from backend.privacy import person_erase
from bookings import services
from bookings.models import (
    Booking,
    BookingStatus,
    Enterprise,
    EntrepreneurProfile,
    Feedback,
    FollowUpAnswer,
    WaitlistEntry,
    WaitlistStatus,
)
from notifications.models import CalendarFeed, MessageKind, MessageState, NotificationSettings, OutboxMessage
from reporting.selectors import region_figures, region_report
from tests.conftest import client_for
from tests.factories import PASSWORD
from tests.reporting.test_statistics import FIRST, LAST, build_history

from .conftest import AHEAD_START

ERASE = "/api/v1/me/erase/"
User = get_user_model()


def test_erasing_cancels_future_sessions_and_tells_the_advisor(sara, anna):
    response = client_for(sara).post(ERASE, {"password": PASSWORD}, format="json")

    assert response.status_code == 200, response.content
    ahead = Booking.objects.get(start=AHEAD_START)
    assert ahead.status == BookingStatus.CANCELLED
    assert ahead.entrepreneur is None
    notice = OutboxMessage.objects.get(booking=ahead, kind=MessageKind.CANCELLATION, recipient="advisor")
    assert notice.state == MessageState.PENDING
    # Nothing more goes to the erased person, not even that notice.
    to_her = OutboxMessage.objects.filter(booking__in=Booking.objects.all(), recipient="entrepreneur")
    assert not to_her.filter(state=MessageState.PENDING).exists()
    assert AuditEntry.objects.filter(action="booking.cancelled", booking=ahead, actor=None).exists()


def test_erasing_removes_the_person_s_data(sara, anna):
    sara_pk = sara.pk
    held = Booking.objects.get(entrepreneur=sara, status=BookingStatus.COMPLETED)
    FollowUpAnswer.objects.create(booking=held, financing=True, comment="We got the loan, thanks to Anna.")
    client_for(sara).post(ERASE, {"password": PASSWORD}, format="json")

    person = User.objects.get(pk=sara_pk)
    assert person.full_name == ""
    assert "sara" not in person.email and person.email.endswith("@erased.invalid")
    assert not person.is_active and not person.has_usable_password()
    assert not EmailAddress.objects.filter(user_id=sara_pk).exists()
    assert not ApiToken.objects.filter(user_id=sara_pk).exists()
    assert not EntrepreneurProfile.objects.filter(user_id=sara_pk).exists()
    assert not NotificationSettings.objects.filter(user_id=sara_pk).exists()
    assert not CalendarFeed.objects.filter(user_id=sara_pk).exists()
    enterprise = Enterprise.objects.get()
    assert (enterprise.name, enterprise.org_number) == ("—", "")
    assert not enterprise.members.exists()
    for booking in Booking.objects.all():
        assert (booking.entrepreneur_id, booking.enterprise_id) == (None, None)
        assert booking.message == booking.private_notes == booking.cancel_reason == booking.outcome_note == ""
    # That a summary was written is a fact funders count, tied to no one.
    assert Booking.objects.filter(outcome_noted__isnull=False).exists()
    assert FollowUpAnswer.objects.get().comment == ""
    assert FollowUpAnswer.objects.get().financing  # a fact for statistics, tied to no one
    feedback = Feedback.objects.get()
    assert (feedback.rating, feedback.comment) == (4, "")
    entry = WaitlistEntry.objects.get()
    assert entry.status == WaitlistStatus.WITHDRAWN and entry.entrepreneur_id is None
    assert AuditEntry.objects.filter(action="person.erased").exists()


def test_an_enterprise_others_belong_to_keeps_its_details(sara, other_entrepreneur):
    enterprise = Enterprise.objects.get()
    enterprise.members.add(other_entrepreneur)

    person_erase(user=sara)

    enterprise.refresh_from_db()
    assert enterprise.name == "Returhuset"
    assert list(enterprise.members.all()) == [other_entrepreneur]


@pytest.mark.parametrize("body", [{}, {"password": ""}, {"password": "not-my-password"}])
def test_a_missing_or_wrong_password_is_a_400_and_changes_nothing(sara, body):
    response = client_for(sara).post(ERASE, body, format="json")

    assert response.status_code == 400
    assert "password" in response.json()
    sara.refresh_from_db()
    assert sara.is_active and sara.full_name == "Sara Nilsson"
    assert Booking.objects.filter(entrepreneur=sara, status=BookingStatus.CONFIRMED).exists()


def test_an_advisor_with_sessions_ahead_is_told_to_ask_the_coordinator(sara, anna):
    response = client_for(anna.user).post(ERASE, {"password": PASSWORD}, format="json")

    assert response.status_code == 409
    assert "coordinator" in response.json()["detail"] or "samordnare" in response.json()["detail"]
    anna.user.refresh_from_db()
    anna.refresh_from_db()
    assert anna.user.is_active and anna.is_active
    assert Booking.objects.filter(advisor=anna, status=BookingStatus.CONFIRMED).exists()


def test_an_advisor_without_sessions_ahead_is_erased_and_deactivated(anna, db):
    response = client_for(anna.user).post(ERASE, {"password": PASSWORD}, format="json")

    assert response.status_code == 200
    anna.refresh_from_db()
    assert not anna.is_active and anna.bio == "" and anna.meeting_url == ""
    assert not anna.user.is_active and anna.user.full_name == ""


def test_erasing_twice_changes_nothing_more(sara):
    person_erase(user=sara)
    email = User.objects.get(pk=sara.pk).email

    person_erase(user=User.objects.get(pk=sara.pk))

    assert User.objects.get(pk=sara.pk).email == email


def test_the_confirmation_page_asks_for_the_password_and_signs_out(client, sara):
    client.force_login(sara)
    assert client.get("/account/privacy/erase/").status_code == 200

    wrong = client.post("/account/privacy/erase/", {"password": "nope", "confirm": "on"})
    assert wrong.status_code == 400
    assert wrong.context["form"].errors["password"]
    unconfirmed = client.post("/account/privacy/erase/", {"password": PASSWORD})
    assert unconfirmed.status_code == 400
    assert User.objects.get(pk=sara.pk).is_active

    done = client.post("/account/privacy/erase/", {"password": PASSWORD, "confirm": "on"})
    assert done.status_code == 200
    assert not User.objects.get(pk=sara.pk).is_active
    assert "_auth_user_id" not in client.session


def test_the_page_shows_an_advisor_why_not_with_a_409(client, sara, anna):
    client.force_login(anna.user)

    response = client.post("/account/privacy/erase/", {"password": PASSWORD, "confirm": "on"})

    assert response.status_code == 409
    assert response.context["form"].non_field_errors()


def test_erasing_people_changes_no_statistics_total(db):
    history = build_history()
    people = [p.user for p in history.people[:6]]
    theirs = Booking.objects.filter(entrepreneur__in=people)
    # What they wrote and what the advisors noted about them, to be removed.
    theirs.update(message="a message", private_notes="a note", cancel_reason="a reason")
    rated = Feedback.objects.filter(booking__in=theirs)
    rated.update(comment="a comment")
    assert theirs.exists() and rated.exists()
    rng = random.Random(8)
    region = history.region
    before = region_report(region=region, start=FIRST, end=LAST)
    raw_before = region_figures(region=region, start=FIRST, end=LAST)

    # After the history (January to June 2026): nothing of theirs is still ahead.
    now = datetime(2026, 11, 1, tzinfo=UTC)
    for person in rng.sample(people, len(people)):
        person_erase(user=person, now=now)

    assert not Booking.objects.filter(entrepreneur__in=people).exists()
    assert not Booking.objects.exclude(message="").exists()
    assert not Feedback.objects.exclude(comment="").exists()
    assert region_figures(region=region, start=FIRST, end=LAST) == raw_before
    assert region_report(region=region, start=FIRST, end=LAST) == before


def test_no_audit_entry_keeps_the_reason_given_for_cancelling(sara, anna):
    ahead = Booking.objects.get(start=AHEAD_START)
    services.booking_cancel(booking=ahead, by=sara, reason="Sara är sjukskriven till april")

    assert AuditEntry.objects.get(action="booking.cancelled", booking=ahead).data == {"with_reason": True}
    assert Booking.objects.get(pk=ahead.pk).cancel_reason  # on the booking, where erasure clears it
    client_for(sara).post(ERASE, {"password": PASSWORD}, format="json")

    assert Booking.objects.get(pk=ahead.pk).cancel_reason == ""
    assert not [e for e in AuditEntry.objects.all() if "sjukskriven" in json.dumps(e.data)]


# The reasons entries kept before migration 0006: tests/backend/test_audit_migration.py.

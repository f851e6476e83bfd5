"""Who booked, as the advisor sees them: the person's name (their email for an
account without one), and for a session by phone the number to call, which
the booking asks for (bookings.services.phone_for_session), keeps on the
person's account, and shows the advisor on their list, the booking's page,
their mail and the API.

Time is frozen on Monday 1 March 2027, 08:00 in Stockholm; Anna works Monday
to Friday 09–12 and 13–16 and meets in person, by phone and by video."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from rest_framework.test import APIClient

from advisors.models import Topic
from bookings.models import Booking, Enterprise
from notifications import sending
from tests import factories

pytestmark = pytest.mark.usefixtures("frozen_clock")  # at NOW (tests/conftest.py)

NOW = datetime(2027, 3, 1, 7, 0, tzinfo=UTC)
WEDNESDAY_10 = datetime(2027, 3, 3, 10, 0, tzinfo=ZoneInfo("Europe/Stockholm"))


@pytest.fixture
def advisor(advisor):
    advisor.topics.set(Topic.objects.filter(slug="financing"))
    return advisor


@pytest.fixture
def enterprise(entrepreneur):
    enterprise = Enterprise.objects.create(
        name="Kafé Kvarnen", kind="work_integrating", municipality_id="2080"
    )
    enterprise.members.add(entrepreneur)
    return enterprise


@pytest.fixture
def sara(client, entrepreneur, enterprise):
    client.force_login(entrepreneur)
    client.cookies["django_language"] = "en"
    return client


def visible(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))).strip()


def describe(advisor, **answers) -> dict:
    return {
        "advisor": advisor.pk,
        "start": WEDNESDAY_10.isoformat(),
        "duration": 60,
        "topic": "financing",
        "mode": "phone",
        "message": "",
        "step": "describe",
        **answers,
    }


def as_advisor(client, advisor):
    client.force_login(advisor.user)
    client.cookies["django_language"] = "en"
    return client


# --- Booking by phone -----------------------------------------------------------------


def test_a_session_by_phone_asks_for_the_number_before_the_last_step(sara, advisor, entrepreneur):
    page = sara.get(
        f"/bookings/new/?advisor={advisor.pk}&start={WEDNESDAY_10.isoformat().replace('+', '%2B')}"
    )
    missing = sara.post("/bookings/new/", describe(advisor))
    wrong = sara.post("/bookings/new/", describe(advisor, phone="ring mig"))

    assert 'name="phone"' in page.content.decode() and 'type="tel"' in page.content.decode()
    assert missing.status_code == 400
    assert 'href="#id_phone"' in missing.content.decode()
    assert "Write the phone number the advisor can call you on." in visible(missing)
    assert wrong.status_code == 400 and "Write a phone number we can call" in visible(wrong)
    assert not Booking.objects.exists()


def test_the_number_given_is_shown_to_confirm_kept_on_the_account_and_shown_to_the_advisor(
    sara, client, advisor, entrepreneur
):
    confirm = sara.post("/bookings/new/", describe(advisor, phone=" 070-123  45 67 "))
    booked = sara.post("/bookings/new/", {**describe(advisor, phone="070-123 45 67"), "step": "confirm"})

    assert "Your phone number 070-123 45 67" in visible(confirm)
    assert '<input type="hidden" name="phone" value="070-123 45 67">' in confirm.content.decode()
    assert booked.status_code == 302
    booking = Booking.objects.get()
    entrepreneur.refresh_from_db()
    assert booking.mode == "phone" and entrepreneur.phone == "070-123 45 67"

    anna = as_advisor(client, advisor)
    listed = visible(anna.get("/bookings/advisor/"))
    detail = anna.get(f"/bookings/{booking.uid}/")
    assert "Sara Nilsson" in listed and "Call them on 070-123 45 67" in listed
    assert "Call them on 070-123 45 67" in visible(detail)
    assert 'href="tel:0701234567"' in detail.content.decode()


def test_the_number_on_the_account_is_offered_and_used(sara, advisor, entrepreneur):
    entrepreneur.phone = "+46 70 765 43 21"
    entrepreneur.save()

    page = sara.get(
        f"/bookings/new/?advisor={advisor.pk}&start={WEDNESDAY_10.isoformat().replace('+', '%2B')}"
    )
    confirm = sara.post("/bookings/new/", describe(advisor, phone=""))

    assert 'value="+46 70 765 43 21"' in page.content.decode()
    assert confirm.status_code == 200 and "Your phone number +46 70 765 43 21" in visible(confirm)


def test_an_advisor_who_does_not_meet_by_phone_asks_for_no_number(sara, advisor):
    advisor.offers_phone = False
    advisor.save()

    page = sara.get(
        f"/bookings/new/?advisor={advisor.pk}&start={WEDNESDAY_10.isoformat().replace('+', '%2B')}"
    )

    assert 'name="phone"' not in page.content.decode()


def test_the_advisor_sees_no_number_for_a_session_by_video(client, advisor, entrepreneur, enterprise):
    entrepreneur.phone = "070-123 45 67"
    entrepreneur.save()
    booking = factories.book(entrepreneur, advisor, WEDNESDAY_10, mode="video")

    anna = as_advisor(client, advisor)

    assert "070-123 45 67" not in anna.get("/bookings/advisor/").content.decode()
    assert "070-123 45 67" not in anna.get(f"/bookings/{booking.uid}/").content.decode()
    api = APIClient()
    api.force_authenticate(advisor.user)
    assert api.get(f"/api/v1/bookings/{booking.uid}/").json()["entrepreneur_phone"] == ""


def test_the_api_asks_for_the_number_of_a_session_by_phone(advisor, entrepreneur, enterprise):
    api = APIClient()
    api.force_authenticate(entrepreneur)
    body = {
        "advisor": advisor.pk,
        "start": WEDNESDAY_10.isoformat(),
        "duration": 60,
        "topic": "financing",
        "mode": "phone",
    }

    missing = api.post("/api/v1/bookings/", body, format="json")
    wrong = api.post("/api/v1/bookings/", {**body, "phone": "12"}, format="json")
    booked = api.post("/api/v1/bookings/", {**body, "phone": "070-123 45 67"}, format="json")

    assert missing.status_code == 400 and list(missing.json()) == ["phone"]
    assert wrong.status_code == 400 and list(wrong.json()) == ["phone"]
    assert booked.status_code == 201, booked.json()
    api.force_authenticate(advisor.user)
    seen = api.get(f"/api/v1/bookings/{booked.json()['uid']}/").json()
    assert seen["entrepreneur_name"] == "Sara Nilsson" and seen["entrepreneur_phone"] == "070-123 45 67"


def test_the_advisor_s_mail_has_the_number_to_call(advisor, entrepreneur, enterprise):
    factories.book(entrepreneur, advisor, WEDNESDAY_10, mode="phone", phone="070-123 45 67")

    for pk in sending.claim_due():
        sending.deliver(pk)

    to_anna = next(m for m in mail.outbox if "anna@example.se" in m.to[0])
    to_sara = next(m for m in mail.outbox if "sara@example.se" in m.to[0])
    assert "Ring upp på: 070-123 45 67" in to_anna.body
    assert 'href="tel:0701234567"' in to_anna.alternatives[0][0]
    assert "Ring upp på" not in to_sara.body


# --- The person's name ----------------------------------------------------------------


def test_the_advisor_sees_the_person_by_name_and_by_email_without_one(client, advisor, enterprise):
    named = enterprise.members.get()
    nameless = factories.UserFactory(email="nytt.foretag@example.se", full_name="")
    enterprise.members.add(nameless)
    factories.book(named, advisor, WEDNESDAY_10)
    unnamed = factories.book(nameless, advisor, WEDNESDAY_10.replace(hour=13))

    anna = as_advisor(client, advisor)
    listed = visible(anna.get("/bookings/advisor/"))
    detail = visible(anna.get(f"/bookings/{unnamed.uid}/"))

    assert "10:00 – 11:00 : Sara Nilsson" in listed
    assert "13:00 – 14:00 : nytt.foretag@example.se" in listed
    assert "nytt.foretag@example.se" in detail

"""No account enumeration: whether an email address has an account, or a
booking exists, nobody learns from the answer (status, redirect, page, body)
who does not already own it."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.core import mail

from advisors.models import Topic
from bookings import services
from bookings.models import Enterprise, EnterpriseKind
from tests import factories

KNOWN = "sara@example.se"
UNKNOWN = "nobody-here@example.se"


def page_without_tokens(response) -> str:
    """The page as a person reads it, less what differs on every request anyway."""
    text = response.content.decode()
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)


@pytest.fixture
def sara(entrepreneur):
    assert entrepreneur.email == KNOWN
    return entrepreneur


def test_sign_up_answers_the_same_for_a_taken_address(client, sara):
    answers = []
    for email in (KNOWN, UNKNOWN):
        response = client.post(
            "/accounts/signup/",
            {
                "full_name": "Ny Person",
                "email": email,
                "language": "sv",
                "password1": "a-new-long-password-9",
                "password2": "a-new-long-password-9",
            },
        )
        answers.append((response.status_code, response.get("Location")))
        client.logout()

    assert answers[0] == answers[1]
    assert answers[0][0] == 302
    # Each address gets a mail: the owner of the taken one hears that it is taken.
    assert sorted(m.to[0] for m in mail.outbox) == sorted([KNOWN, UNKNOWN])


def test_password_reset_answers_the_same_for_an_unknown_address(client, sara):
    known = client.post("/accounts/password/reset/", {"email": KNOWN})
    unknown = client.post("/accounts/password/reset/", {"email": UNKNOWN})

    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert page_without_tokens(client.get(known["Location"])) == page_without_tokens(
        client.get(unknown["Location"])
    )


def test_the_api_token_answers_the_same_for_an_unknown_address_and_a_wrong_password(api_client, sara):
    wrong_password = api_client.post(
        "/api/v1/auth/token/", {"email": KNOWN, "password": "wrong"}, format="json"
    )
    unknown = api_client.post("/api/v1/auth/token/", {"email": UNKNOWN, "password": "wrong"}, format="json")

    assert wrong_password.status_code == unknown.status_code == 400
    assert wrong_password.json() == unknown.json()


def test_only_the_right_password_learns_that_an_address_is_unverified(api_client, db):
    factories.UserFactory(email="new@example.se", verified=False)
    wrong = api_client.post(
        "/api/v1/auth/token/", {"email": "new@example.se", "password": "wrong"}, format="json"
    )
    unknown = api_client.post("/api/v1/auth/token/", {"email": UNKNOWN, "password": "wrong"}, format="json")

    assert wrong.json() == unknown.json()


def test_sign_in_answers_the_same_for_an_unknown_address_and_a_wrong_password(client, sara):
    known = client.post("/accounts/login/", {"login": KNOWN, "password": "wrong"})
    unknown = client.post("/accounts/login/", {"login": UNKNOWN, "password": "wrong"})

    assert known.status_code == unknown.status_code == 200
    assert known.context["form"].errors == unknown.context["form"].errors


@pytest.mark.parametrize(
    "path",
    [
        "/bookings/{uid}/",
        "/bookings/{uid}/cancel/",
        "/bookings/{uid}/reschedule/",
        "/bookings/{uid}/invite.ics",
        "/bookings/{uid}/add-to/google/",
        "/api/v1/bookings/{uid}/",
    ],
)
def test_someone_elses_booking_looks_like_no_booking(client, other_entrepreneur, path, booking_of_sara):
    client.force_login(other_entrepreneur)
    theirs = client.get(path.format(uid=booking_of_sara.uid))
    missing = client.get(path.format(uid="00000000-0000-4000-8000-000000000000"))

    assert theirs.status_code == missing.status_code == 404
    assert page_without_tokens(theirs).replace(str(booking_of_sara.uid), "") == page_without_tokens(
        missing
    ).replace("00000000-0000-4000-8000-000000000000", "")


@pytest.fixture
def booking_of_sara(sara, advisor):
    financing = Topic.objects.get(slug="financing")
    advisor.topics.set([financing])
    enterprise = Enterprise.objects.create(
        name="Returhuset", kind=EnterpriseKind.WORK_INTEGRATING, municipality_id="2080"
    )
    enterprise.members.add(sara)
    return services.booking_create(
        entrepreneur=sara,
        advisor=advisor,
        start=datetime(2027, 3, 2, 8, 0, tzinfo=UTC),
        duration=60,
        topic=financing,
        mode="video",
        now=datetime(2027, 3, 1, 6, 0, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/bookings/", lambda advisor: {"advisor": advisor.pk, "topic": "financing", "mode": "video"}),
        ("/api/v1/waitlist/", lambda advisor: {"advisor": advisor.pk}),
    ],
)
def test_someone_elses_enterprise_looks_like_no_enterprise(
    api_client, other_entrepreneur, booking_of_sara, path, body
):
    from bookings.models import Booking, WaitlistEntry

    theirs = booking_of_sara.enterprise_id
    missing = Enterprise.objects.order_by("-pk").values_list("pk", flat=True).first() + 1000
    api_client.force_authenticate(other_entrepreneur)
    answers = [
        api_client.post(path, {**body(booking_of_sara.advisor), "enterprise": pk}, format="json")
        for pk in (theirs, missing)
    ]

    assert [a.status_code for a in answers] == [400, 400]
    assert answers[0].json() == answers[1].json()
    assert answers[0].json()["enterprise"] == ["Välj ett av dina egna företag."]
    assert Booking.objects.count() == 1 and not WaitlistEntry.objects.exists()

"""Sign-up with mandatory email verification, login by email, password reset."""

from __future__ import annotations

import re

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail

from tests.factories import PASSWORD

User = get_user_model()


def link_in(message) -> str:
    return re.search(r"https?://[^/\s]+(/\S+)", message.body).group(1)


def test_signing_up_sends_a_verification_mail_and_verifying_signs_in(client, db):
    response = client.post(
        "/accounts/signup/",
        {
            "full_name": "Maria Svensson",
            "email": "ny@example.se",
            "language": "sv",
            "password1": "ett-langt-losenord-42",
            "password2": "ett-langt-losenord-42",
        },
    )

    assert response.status_code == 302
    user = User.objects.get(email="ny@example.se")
    assert user.is_entrepreneur
    assert user.full_name == "Maria Svensson" and user.language == "sv"
    assert not EmailAddress.objects.get(user=user).verified
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ny@example.se"]

    confirm = link_in(mail.outbox[0])
    assert client.post(confirm).status_code == 302
    assert EmailAddress.objects.get(user=user).verified
    assert client.get("/").wsgi_request.user == user


def test_an_unverified_account_cannot_sign_in(client, db):
    from tests.factories import UserFactory

    UserFactory(email="ny@example.se", verified=False)

    response = client.post("/accounts/login/", {"login": "ny@example.se", "password": PASSWORD})

    assert not client.get("/").wsgi_request.user.is_authenticated
    assert response.status_code == 302
    assert "confirm-email" in response["Location"]


def test_a_verified_person_signs_in_with_email_and_password(client, entrepreneur):
    response = client.post("/accounts/login/", {"login": "sara@example.se", "password": PASSWORD})

    assert response.status_code == 302
    assert client.get("/").wsgi_request.user == entrepreneur


def test_a_wrong_password_shows_a_form_error_and_signs_in_no_one(client, entrepreneur):
    response = client.post("/accounts/login/", {"login": "sara@example.se", "password": "fel"})

    assert response.status_code == 200
    assert not client.get("/").wsgi_request.user.is_authenticated
    assert "E-postadressen eller lösenordet är fel." in response.content.decode()


def test_password_reset_mails_a_link_that_sets_a_new_password(client, entrepreneur):
    client.post("/accounts/password/reset/", {"email": "sara@example.se"})

    assert len(mail.outbox) == 1
    reset = client.get(link_in(mail.outbox[0]), follow=True)
    form_url = reset.redirect_chain[-1][0] if reset.redirect_chain else link_in(mail.outbox[0])
    response = client.post(
        form_url, {"password1": "nytt-langt-losenord-7", "password2": "nytt-langt-losenord-7"}
    )
    assert response.status_code == 302
    entrepreneur.refresh_from_db()
    assert entrepreneur.check_password("nytt-langt-losenord-7")


def test_a_password_reset_for_an_unknown_address_looks_the_same_and_sends_no_link(client, db):
    response = client.post("/accounts/password/reset/", {"email": "nobody@example.se"})

    assert response.status_code == 302
    assert all("password/reset/key" not in m.body for m in mail.outbox)


def test_two_factor_authentication_can_be_turned_on(client, advisor):
    client.force_login(advisor.user)
    response = client.get("/accounts/2fa/totp/activate/")
    # allauth asks for a fresh password first, then shows the QR code.
    assert response.status_code in (200, 302)


def test_the_role_helpers_say_what_the_person_does(entrepreneur, advisor, coordinator):
    assert entrepreneur.is_entrepreneur and not entrepreneur.is_advisor
    assert advisor.user.is_advisor
    assert coordinator.user.is_coordinator

"""The two-factor pages in our own words and look (templates/mfa/,
backend/forms.py's MFA forms, backend.adapters.MFAAdapter), walked through
allauth's own flows in Swedish: signing in with a code, the overview,
setting up an authenticator app, turning it off, the recovery codes (seen,
downloaded, made anew) and confirming it is you. Codes are computed with
pyotp, as an authenticator app does, at a frozen time."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.template.loader import render_to_string

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.usefixtures("frozen_clock")  # at NOW (tests/conftest.py)

NOW = datetime(2027, 3, 1, 9, 0, 10, tzinfo=UTC)  # 10 s into a 30 s TOTP step


def visible(response) -> str:
    """The page's text as read, without its tags."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))).strip()


class Person:
    """A user with the secret of their authenticator app (None: no app yet)."""

    def __init__(self, user, secret: str | None) -> None:
        self.user, self.secret = user, secret

    def code(self) -> str:
        assert self.secret is not None
        return pyotp.TOTP(self.secret).now()


@pytest.fixture
def operator(db) -> Person:
    """Olle, platform staff, with an authenticator app and recovery codes (the
    admin demands them). A fresh secret per test: allauth remembers spent codes."""
    user = UserFactory(email="drift@example.se", full_name="Olle Drift", is_staff=True)
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    RecoveryCodes.activate(user)
    return Person(user, secret)


def sign_in_with_code(client, person: Person):
    first = client.post("/accounts/login/", {"login": person.user.email, "password": PASSWORD})
    assert first["Location"] == "/accounts/2fa/authenticate/"
    return client.post("/accounts/2fa/authenticate/", {"code": person.code()})


def confirm_with_password(client) -> None:
    """allauth asks who it is again (its reauthentication) before any change to the sign-in."""
    response = client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    assert response.status_code == 302, response.content.decode()


def recovery_codes(user) -> list[str]:
    return RecoveryCodes(
        Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES)
    ).get_unused_codes()


def test_the_code_step_of_signing_in_is_ours(client, operator):
    client.post("/accounts/login/", {"login": operator.user.email, "password": PASSWORD})

    page = client.get("/accounts/2fa/authenticate/")

    text = visible(page)
    assert "Logga in med en kod – Rådtid" in text
    assert "Ditt konto är skyddat med tvåstegsverifiering." in text
    assert "De sex siffror som din autentiseringsapp visar nu, eller en av dina reservkoder." in text
    assert 'class="site-header"' in page.content.decode()  # the site's layout
    assert "placeholder" not in page.content.decode()
    # Leaving the sign-in is a link-styled button, never the primary one.
    assert (
        '<button type="submit" form="logout-from-stage" class="link-button">Avbryt inloggningen</button>'
        in (page.content.decode())
    )
    assert "Two-Factor" not in text and "Tvåfaktor" not in text  # not allauth's page


def test_a_wrong_code_is_refused_in_our_words_and_the_right_one_signs_in(client, operator):
    client.post("/accounts/login/", {"login": operator.user.email, "password": PASSWORD})

    empty = client.post("/accounts/2fa/authenticate/", {"code": ""})
    assert "Skriv koden från appen, eller en reservkod." in visible(empty)
    wrong = client.post("/accounts/2fa/authenticate/", {"code": "000000"})

    assert wrong.status_code == 200
    assert 'class="error-summary"' in wrong.content.decode()
    assert "Koden stämmer inte eller är för gammal. Skriv koden som appen visar nu." in visible(wrong)
    assert "_auth_user_id" not in client.session

    right = client.post("/accounts/2fa/authenticate/", {"code": operator.code()})

    assert right["Location"] == "/staff/status/"
    assert client.session["_auth_user_id"] == str(operator.user.pk)


def test_the_overview_says_what_is_on_and_offers_turning_it_off_as_a_danger_not_primary(client, operator):
    sign_in_with_code(client, operator)

    page = client.get("/accounts/2fa/")

    text = visible(page)
    assert "Tvåstegsverifiering – Rådtid" in text
    assert "På. När du loggar in får du skriva en kod från din autentiseringsapp." in text
    assert "Du har 10 oanvända koder av 10." in text
    assert "Se dina reservkoder" in text and "Skapa nya reservkoder" in text
    assert (
        '<a class="button button-secondary button-danger" href="/accounts/2fa/totp/deactivate/">'
        "Stäng av tvåstegsverifieringen</a>"
    ) in page.content.decode()
    assert 'aria-current="page">Tvåstegsverifiering</a>' in page.content.decode()  # the account menu


def test_an_entrepreneur_sets_up_an_authenticator_app_in_our_words(client, entrepreneur):
    client.post("/accounts/login/", {"login": entrepreneur.email, "password": PASSWORD})
    overview = client.get("/accounts/2fa/")
    assert "Av. Du loggar in med bara ditt lösenord." in visible(overview)
    assert '<a class="button" href="/accounts/2fa/totp/activate/">Ställ in en autentiseringsapp</a>' in (
        overview.content.decode()
    )

    confirm_with_password(client)
    page = client.get("/accounts/2fa/totp/activate/")

    text = visible(page)
    assert "Skanna QR-koden nedan med appen." in text
    assert "Nyckel att skriva in i appen i stället" in text
    assert "Kod från appen" in text and "Sex siffror. Appen visar en ny kod var 30:e sekund." in text
    assert re.search(
        r'<img src="data:image/svg\+xml;base64,[^"]+" alt="QR-kod för din autentiseringsapp"',
        (page.content.decode()),
    )
    secret = re.search(r'id="totp-secret" type="text" readonly value="([A-Z2-7]+)"', page.content.decode())[1]

    empty = client.post("/accounts/2fa/totp/activate/", {"code": ""})
    assert "Skriv koden som appen visar nu." in visible(empty)
    assert "obligatoriskt" not in visible(empty)  # not Django's own words
    wrong = client.post("/accounts/2fa/totp/activate/", {"code": "000000"})

    assert "Koden stämmer inte eller är för gammal." in visible(wrong)
    assert 'href="#id_code"' in wrong.content.decode()  # the error summary links to the field
    assert not Authenticator.objects.filter(user=entrepreneur).exists()

    done = client.post("/accounts/2fa/totp/activate/", {"code": pyotp.TOTP(secret).now()}, follow=True)

    assert Authenticator.objects.filter(user=entrepreneur, type=Authenticator.Type.TOTP).exists()
    text = visible(done)
    assert "Dina reservkoder – Rådtid" in text
    assert all(code in text for code in recovery_codes(entrepreneur))


@pytest.mark.parametrize(
    ("template", "text"),
    [
        ("totp_activated", "Tvåstegsverifieringen är på. Spara dina reservkoder på ett säkert ställe."),
        ("recovery_codes_generated", "Du har fått nya reservkoder; de gamla fungerar inte längre."),
    ],
)
def test_the_messages_after_turning_it_on_and_new_codes_are_ours(template, text):
    # allauth adds them once the transaction commits, which a test's never does.
    assert render_to_string(f"mfa/messages/{template}.txt") == text


def test_turning_it_off_asks_first_with_keeping_it_on_as_the_primary_choice(client, operator):
    sign_in_with_code(client, operator)
    confirm_with_password(client)

    page = client.get("/accounts/2fa/totp/deactivate/")

    source = page.content.decode()
    assert "Stänga av tvåstegsverifieringen?" in visible(page)
    assert "Administrationen kräver tvåstegsverifiering" in visible(page)  # said to staff
    keep = '<a class="button" href="/accounts/2fa/">Behåll den på</a>'
    turn_off = '<button type="submit" class="button-secondary button-danger">Stäng av den</button>'
    assert keep in source and turn_off in source and source.index(keep) < source.index(turn_off)

    done = client.post("/accounts/2fa/totp/deactivate/", follow=True)

    assert "Tvåstegsverifieringen är avstängd." in visible(done)
    assert not Authenticator.objects.filter(user=operator.user).exists()  # the recovery codes went too


def test_the_recovery_codes_are_shown_downloaded_and_made_anew_in_our_words(client, operator):
    sign_in_with_code(client, operator)
    confirm_with_password(client)
    before = recovery_codes(operator.user)

    shown = client.get("/accounts/2fa/recovery-codes/")
    download = client.get("/accounts/2fa/recovery-codes/download/")
    ask = client.get("/accounts/2fa/recovery-codes/generate/")

    assert "Du har 10 oanvända koder av 10." in visible(shown)
    assert all(f"<li><code>{code}</code></li>" in shown.content.decode() for code in before)
    assert download.content.decode().startswith(
        "Rådtid: reservkoder för drift@example.se. Varje kod fungerar för en inloggning."
    )
    assert all(code in download.content.decode() for code in before)
    assert "De koder du har nu slutar att fungera." in visible(ask)
    assert '<button type="submit" class="button-secondary button-danger">Skapa nya koder</button>' in (
        ask.content.decode()
    )

    done = client.post("/accounts/2fa/recovery-codes/generate/", follow=True)

    assert "Dina reservkoder – Rådtid" in visible(done)
    assert set(recovery_codes(operator.user)).isdisjoint(before)


def test_confirming_it_is_you_asks_for_a_code_in_our_words(client, operator, frozen_clock):
    sign_in_with_code(client, operator)
    frozen_clock.move_to(NOW + timedelta(minutes=1))  # the next codes: allauth takes each once

    asked = client.get("/accounts/2fa/totp/deactivate/")
    assert asked.status_code == 302 and "/reauthenticate/" in asked["Location"]
    page = client.get("/accounts/2fa/reauthenticate/?next=/accounts/2fa/totp/deactivate/")

    text = visible(page)
    assert "Bekräfta att det är du – Rådtid" in text
    assert (
        "För att ändra hur du loggar in behöver du skriva koden som din autentiseringsapp visar nu." in text
    )
    assert "Kod från appen" in text

    wrong = client.post(
        "/accounts/2fa/reauthenticate/?next=/accounts/2fa/totp/deactivate/", {"code": "000000"}
    )

    assert "Koden stämmer inte eller är för gammal." in visible(wrong)

    right = client.post(
        "/accounts/2fa/reauthenticate/",
        {"code": operator.code(), "next": "/accounts/2fa/totp/deactivate/"},
    )

    assert right["Location"] == "/accounts/2fa/totp/deactivate/"

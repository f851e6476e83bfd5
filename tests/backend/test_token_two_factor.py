"""POST /api/v1/auth/token/ for accounts with two-factor sign-in: the password
alone gets no token; a TOTP code from the app (computed here with pyotp, as an
authenticator app does) or a recovery code does, once. Staff follow the
admin's rule: no two-factor set up, no token."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core.cache import cache

from backend.models import ApiToken
from tests import factories
from tests.factories import PASSWORD

# Counts in allauth's rate limits, which live in the cache: checked on Redis too.
# Frozen: allauth and pyotp both read time.time(), so a code cannot expire
# between being computed and being checked.
pytestmark = [pytest.mark.services, pytest.mark.usefixtures("frozen_clock")]

URL = "/api/v1/auth/token/"
NOW = datetime(2027, 3, 1, 9, 0, 10, tzinfo=UTC)  # 10 s into a 30 s TOTP step


@pytest.fixture(autouse=True)
def empty_cache():
    """allauth keeps spent TOTP codes (and rate limits) in the cache."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def secret() -> str:
    return generate_totp_secret()


@pytest.fixture
def sara(entrepreneur, secret):
    """Sara has turned on two-factor sign-in on the website: an authenticator
    app (TOTP) and her recovery codes."""
    TOTP.activate(entrepreneur, secret)
    RecoveryCodes.activate(entrepreneur)
    return entrepreneur


def unused_recovery_codes(user) -> list[str]:
    return RecoveryCodes(
        Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES)
    ).get_unused_codes()


def ask(api_client, email: str = "sara@example.se", password: str = PASSWORD, **extra):
    return api_client.post(URL, {"email": email, "password": password, **extra}, format="json")


def test_without_a_code_the_answer_is_401_with_mfa_required_and_no_token(api_client, sara):
    response = ask(api_client)

    assert response.status_code == 401
    body = response.json()
    assert body["mfa_required"] is True
    assert "tvåstegsverifiering" in body["detail"].lower()
    assert "token" not in body
    assert response["WWW-Authenticate"] == "Token"
    assert ApiToken.objects.count() == 0


def test_a_blank_code_is_no_code(api_client, sara):
    response = ask(api_client, code="")

    assert response.status_code == 401
    assert response.json()["mfa_required"] is True


def test_the_code_from_the_app_gets_a_token_that_works(api_client, sara, secret):
    response = ask(api_client, code=pyotp.TOTP(secret).now())

    assert response.status_code == 200
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert api_client.get("/api/v1/me/export/").status_code == 200
    totp = Authenticator.objects.get(user=sara, type=Authenticator.Type.TOTP)
    assert totp.last_used_at == NOW


def test_a_code_is_refused_the_second_time(api_client, sara, secret):
    code = pyotp.TOTP(secret).now()
    assert ask(api_client, code=code).status_code == 200

    replay = ask(api_client, code=code)

    assert replay.status_code == 400
    assert replay.json() == {
        "code": ["Koden stämmer inte eller är för gammal. Skriv koden som appen visar nu."]
    }
    assert ApiToken.objects.filter(user=sara).count() == 1


def test_the_next_code_works_after_the_step(api_client, sara, secret, frozen_clock):
    assert ask(api_client, code=pyotp.TOTP(secret).now()).status_code == 200
    frozen_clock.shift(timedelta(seconds=30))

    assert ask(api_client, code=pyotp.TOTP(secret).now()).status_code == 200


def test_a_wrong_code_gets_400_on_code_and_no_token(api_client, sara, secret):
    someone_elses = pyotp.TOTP(generate_totp_secret()).now()
    last_steps = pyotp.TOTP(secret).at(NOW - timedelta(seconds=30))

    for code in (someone_elses, last_steps, "000000x", "1" * 64):
        response = ask(api_client, code=code)
        assert response.status_code == 400, code
        assert set(response.json()) == {"code"}
    assert ApiToken.objects.count() == 0


def test_a_code_too_long_is_a_field_error_not_a_check(api_client, sara):
    response = ask(api_client, code="1" * 65)

    assert response.status_code == 400
    assert set(response.json()) == {"code"}


def test_a_recovery_code_gets_a_token_once(api_client, sara):
    first, second = unused_recovery_codes(sara)[:2]

    assert ask(api_client, code=first).status_code == 200
    again = ask(api_client, code=first)
    assert again.status_code == 400
    assert ask(api_client, code=second).status_code == 200

    left = unused_recovery_codes(sara)
    assert first not in left
    assert second not in left
    assert ApiToken.objects.filter(user=sara).count() == 2


def test_a_wrong_password_with_a_right_code_is_still_a_wrong_password(api_client, sara, secret):
    """Nothing about two-factor is told to someone who does not know the password."""
    code = pyotp.TOTP(secret).now()
    response = ask(api_client, password="wrong", code=code)
    unknown = ask(api_client, email="nobody@example.se", password="wrong")

    assert response.status_code == 400
    assert response.json() == unknown.json()
    assert "mfa_required" not in response.json()
    # The code was not spent on a request that failed at the password.
    assert ask(api_client, code=code).status_code == 200


def test_an_account_without_two_factor_needs_no_code_and_ignores_one(api_client, entrepreneur):
    assert ask(api_client).status_code == 200
    assert ask(api_client, code="123456").status_code == 200


def test_staff_without_two_factor_get_403_and_no_token(api_client, db):
    factories.StaffFactory(email="new-ops@example.se", totp=False)

    response = ask(api_client, email="new-ops@example.se")

    assert response.status_code == 403
    assert "tvåstegsverifiering" in response.json()["detail"].lower()
    assert ApiToken.objects.count() == 0


def test_staff_with_two_factor_send_a_code_like_everyone(api_client, db, secret):
    operator = factories.StaffFactory(email="new-ops@example.se", totp=False)
    TOTP.activate(operator, secret)

    assert ask(api_client, email="new-ops@example.se").status_code == 401
    response = ask(api_client, email="new-ops@example.se", code=pyotp.TOTP(secret).now())
    assert response.status_code == 200


def test_the_staff_rule_is_the_admin_s_setting(api_client, db, settings):
    settings.ADMIN_REQUIRES_MFA = False
    factories.StaffFactory(email="new-ops@example.se", totp=False)

    assert ask(api_client, email="new-ops@example.se").status_code == 200


def test_the_messages_are_in_english_for_an_english_client(api_client, sara):
    response = api_client.post(
        URL, {"email": "sara@example.se", "password": PASSWORD}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 401
    assert "two-factor" in response.json()["detail"].lower()

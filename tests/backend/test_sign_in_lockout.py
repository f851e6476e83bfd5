"""One lockout for the website and the API: the token endpoint counts its
failed sign-ins into allauth's own rate-limit buckets ("login_failed", per
account and per address), so failures on either side lock both, and a locked
account gets 429 from the API even with the right password.

allauth's default limit is used here: 5 failures per account in 5 minutes,
10 per address a minute (tests/settings.py turns rate limits off elsewhere)."""

from __future__ import annotations

import pyotp
import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core.cache import cache

from backend.models import ApiToken
from tests import factories
from tests.factories import PASSWORD

# Counts in allauth's rate limits, which live in the cache: checked on Redis too.
pytestmark = pytest.mark.services

TOKEN_URL = "/api/v1/auth/token/"
LOGIN_URL = "/accounts/login/"
PER_ACCOUNT = 5  # allauth's default: "5/300s/key"
PER_ADDRESS = 10  # and "10/m/ip"
LOCKED_SV = "För många misslyckade inloggningsförsök"


@pytest.fixture(autouse=True)
def allauth_rate_limits(settings):
    """allauth's default rate limits, counted in an empty cache."""
    settings.ACCOUNT_RATE_LIMITS = {}
    cache.clear()
    yield
    cache.clear()


def api_sign_in(api_client, email: str = "sara@example.se", password: str = PASSWORD, code=None, **headers):
    body = {"email": email, "password": password, **({"code": code} if code is not None else {})}
    return api_client.post(TOKEN_URL, body, format="json", **headers)


def web_sign_in(client, email: str = "sara@example.se", password: str = PASSWORD):
    return client.post(LOGIN_URL, {"login": email, "password": password})


def test_wrong_passwords_on_the_api_lock_the_api_even_for_the_right_one(api_client, entrepreneur):
    for _ in range(PER_ACCOUNT):
        assert api_sign_in(api_client, password="wrong").status_code == 400

    locked = api_sign_in(api_client)

    assert locked.status_code == 429
    assert LOCKED_SV in locked.json()["detail"]
    assert ApiToken.objects.count() == 0


def test_wrong_passwords_on_the_api_lock_the_website(api_client, client, entrepreneur):
    for _ in range(PER_ACCOUNT):
        api_sign_in(api_client, password="wrong")

    response = web_sign_in(client)

    assert response.status_code == 200  # the form again, not a redirect into the site
    assert LOCKED_SV in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_wrong_passwords_on_the_website_lock_the_api(api_client, client, entrepreneur):
    for _ in range(PER_ACCOUNT):
        assert web_sign_in(client, password="wrong").status_code == 200

    response = api_sign_in(api_client)

    assert response.status_code == 429
    assert ApiToken.objects.count() == 0


def test_fewer_failures_than_the_limit_lock_nothing(api_client, client, entrepreneur):
    for _ in range(PER_ACCOUNT - 1):
        api_sign_in(api_client, password="wrong")

    assert api_sign_in(api_client).status_code == 200
    assert web_sign_in(client).status_code == 302


def test_the_lock_is_per_account(api_client, entrepreneur, other_entrepreneur):
    for _ in range(PER_ACCOUNT):
        api_sign_in(api_client, password="wrong")

    assert api_sign_in(api_client, email="ahmed@example.se").status_code == 200


def test_an_unknown_address_locks_like_a_known_one(api_client, db):
    """The same answers for both: the lockout tells nobody which accounts exist."""
    for email, address in (("nobody@example.se", "192.0.2.1"), ("sara@example.se", "192.0.2.2")):
        answers = [
            api_sign_in(api_client, email=email, password="wrong", REMOTE_ADDR=address).status_code
            for _ in range(PER_ACCOUNT + 1)
        ]
        assert answers == [400] * PER_ACCOUNT + [429]


def test_one_address_trying_many_accounts_is_locked_by_address(api_client, db):
    factories.UserFactory(email="last@example.se")
    for n in range(PER_ADDRESS):
        assert api_sign_in(api_client, email=f"guess{n}@example.se", password="wrong").status_code == 400

    assert api_sign_in(api_client, email="last@example.se").status_code == 429
    assert api_sign_in(api_client, email="last@example.se", REMOTE_ADDR="192.0.2.7").status_code == 200


def test_wrong_two_factor_codes_lock_the_account_too(api_client, entrepreneur):
    secret = generate_totp_secret()
    TOTP.activate(entrepreneur, secret)
    for _ in range(PER_ACCOUNT):
        assert api_sign_in(api_client, code="000000x").status_code == 400

    response = api_sign_in(api_client, code=pyotp.TOTP(secret).now())

    assert response.status_code == 429
    assert ApiToken.objects.count() == 0

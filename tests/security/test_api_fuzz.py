"""The API fuzzed against its own OpenAPI schema (schemathesis), and the
validators fed arbitrary input (Hypothesis).

Whatever a client sends, the API answers without a 5xx, with a status the
schema documents, in the documented content type and shape (invariant 6:
bad input is a 400 that changes nothing, never a 500). Requests carry an
entrepreneur's token, or the advisor's for the advisor's operations; about
half the generated ids are swapped for real ones (the person's own booking,
waitlist entry, an advisor, a region, a topic), so that the fuzzer reaches
past "not found" into the operations themselves.
"""

from __future__ import annotations

import io
import json
import zlib
from datetime import UTC, date, datetime, timedelta

import pytest
import schemathesis
import time_machine
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rest_framework import serializers
from rest_framework.exceptions import ParseError
from rest_framework.test import APIClient
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from advisors.models import Advisor, Topic
from advisors.serializers import AvailabilitySerializer
from backend import limits
from backend.fields import DateField, InstantField
from backend.models import ApiToken
from backend.parsers import JSONParser, json_depth
from backend.services import api_token_issue
from bookings import services
from bookings.models import Enterprise, EnterpriseKind, WaitlistEntry
from bookings.serializers import BookingCreateSerializer
from bookings.validation import normalise_org_number
from tests import factories

NOW = datetime(2027, 3, 1, 6, 0, tzinfo=UTC)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
ADVISOR_OPERATIONS = ("/api/v1/me/availability/", "/api/v1/bookings/{uid}/outcome/")

# Small on purpose: the whole file runs in well under a minute.
FUZZ = settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)


@pytest.fixture
def fuzz_world(db, advisor):
    with time_machine.travel(NOW, tick=False):
        sara = factories.UserFactory(email="fuzz-sara@example.se")
        financing = Topic.objects.get(slug="financing")
        advisor.topics.set([financing])
        Advisor.objects.filter(pk=advisor.pk).update(session_lengths=[60], slot_step=60)
        advisor.refresh_from_db()
        enterprise = Enterprise.objects.create(
            name="Fuzzhuset", kind=EnterpriseKind.WORK_INTEGRATING, municipality_id="2080"
        )
        enterprise.members.add(sara)
        booking = services.booking_create(
            entrepreneur=sara,
            advisor=advisor,
            start=datetime(2027, 3, 2, 8, 0, tzinfo=UTC),
            duration=60,
            topic=financing,
            mode="video",
            now=NOW,
        )
        entry = WaitlistEntry.objects.create(entrepreneur=sara, advisor=advisor, enterprise=enterprise)
        return {
            "tokens": {
                "entrepreneur": api_token_issue(user=sara),
                "advisor": api_token_issue(user=advisor.user),
            },
            "real": {
                "uid": str(booking.uid),
                "id": advisor.pk,
                "pk": advisor.pk,
                "code": "20",
                "slug": "financing",
            },
            "entry": entry.pk,
        }


@pytest.fixture(autouse=True)
def one_connection():
    """The fuzzer calls the real WSGI handler, which closes the database
    connection around each request; the test's transaction lives on it, so
    keep it open, as Django's own test client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def load_schema():
    """The schema as the running API serves it at /api/schema/. Loaded when
    the module is collected: schemathesis' fixture-based loader does not work
    with the pytest this suite runs (it sets a node attribute pytest 9 no
    longer has), and serving the schema needs no database."""
    from backend.wsgi import application

    return schemathesis.openapi.from_wsgi("/api/schema/", application)


schema = load_schema()


def some_real(case, world) -> None:
    """Swap about half the generated path ids for real ones, by a stable hash
    of the generated value (so a failing example replays the same way)."""
    for name, value in (case.path_parameters or {}).items():
        if zlib.crc32(repr(value).encode()) % 2:
            continue
        if name == "id" and "/waitlist/" in case.operation.path:
            case.path_parameters[name] = world["entry"]
        elif name in world["real"]:
            case.path_parameters[name] = world["real"][name]


@schema.parametrize()
@FUZZ
def test_the_api_answers_any_request_as_its_schema_says(case, fuzz_world):
    some_real(case, fuzz_world)
    role = "advisor" if case.operation.path in ADVISOR_OPERATIONS else "entrepreneur"
    with time_machine.travel(NOW, tick=True):
        response = case.call(headers={"Authorization": f"Token {fuzz_world['tokens'][role]}"})
    case.validate_response(response, checks=CHECKS)


# --- The validators, fed anything -----------------------------------------------------------

anything_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)


@given(st.text(max_size=30) | st.from_regex(r"\A[0-9]{6}-?[0-9]{4}\Z"))
@settings(max_examples=300, deadline=None)
def test_an_organisation_number_is_normalised_or_refused_with_a_reason(value):
    try:
        normalised = normalise_org_number(value)
    except DjangoValidationError as error:
        assert error.messages and error.code in {"format", "personal_number", "checksum"}
    else:
        assert len(normalised) == 11 and normalised[6] == "-"
        assert normalise_org_number(normalised) == normalised  # idempotent


availability_body = st.fixed_dictionaries(
    {},
    optional={
        "timezone": st.sampled_from(["Europe/Stockholm", "UTC", "Mars/Olympus", ""]) | st.text(max_size=70),
        "weekly_hours": st.lists(
            st.fixed_dictionaries(
                {
                    "weekday": st.integers(-2, 9) | anything_json,
                    "start": st.sampled_from(["09:00", "24:00", "25:61", "9:00", "00:00"]) | anything_json,
                    "end": st.sampled_from(["12:00", "24:00", "00:00", "23:59"]) | anything_json,
                }
            )
            | anything_json,
            max_size=4,
        )
        | anything_json,
        "overrides": st.lists(
            st.fixed_dictionaries(
                {
                    "date": st.sampled_from(["2026-12-23", "2026-02-30", "9999-12-31"]) | anything_json,
                    "intervals": st.lists(anything_json, max_size=3) | anything_json,
                }
            ),
            max_size=3,
        )
        | anything_json,
        "time_off": st.lists(anything_json, max_size=3) | anything_json,
        "session_lengths": st.lists(st.integers(-10, 1000), max_size=8) | anything_json,
        "slot_step": st.integers(-10, 500) | anything_json,
        "buffer_before": anything_json,
        "buffer_after": anything_json,
        "min_notice_hours": anything_json,
        "horizon_days": anything_json,
        "max_per_day": anything_json,
        "closed_on_public_holidays": anything_json,
        "busy_calendar_url": st.sampled_from(["https://x.example/a.ics", "javascript:alert(1)", ""])
        | anything_json,
    },
)


@given(availability_body | anything_json, st.booleans())
@example({"weekly_hours": [{"weekday": 0, "end": "12:00"}]}, True)  # was a KeyError (500) on PATCH
@example({"time_off": [{"end": "2027-07-01T00:00:00+02:00"}]}, True)
@settings(max_examples=100, deadline=None)
def test_the_availability_body_is_valid_or_refused_field_by_field(body, partial):
    serializer = AvailabilitySerializer(data=body, partial=partial)
    if not serializer.is_valid():
        assert serializer.errors  # field errors, the 400 the API answers


# What once answered 500: NUL bytes, years out of reach, ids beyond 64 bits.
hostile_text = st.sampled_from(
    ["\x00", "financing\x00", "9999-12-31T23:00:00+00:00", "0001-01-01T00:00:00+01:00", "2027-03-03T09:00:00"]
)
huge_ints = st.integers(-(2**70), -1) | st.integers(2**63, 2**70)

booking_body = st.fixed_dictionaries(
    {},
    optional={
        "advisor": st.integers(-1, 3) | huge_ints | hostile_text | anything_json,
        "start": st.sampled_from(["2027-03-02T09:00:00+01:00", "2027-13-02T09:00", "now"])
        | hostile_text
        | st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat())
        | anything_json,
        "duration": st.integers(-5, 10**6) | anything_json,
        "topic": st.sampled_from(["financing", "nope"]) | hostile_text | anything_json,
        "mode": st.sampled_from(["video", "phone", "in_person", "carrier pigeon"]) | anything_json,
        "message": st.text(max_size=2100) | anything_json,
        "enterprise": st.integers(-1, 3) | huge_ints | hostile_text | anything_json,
    },
)


@pytest.mark.django_db
@given(booking_body | anything_json)
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_the_booking_body_is_valid_or_refused_field_by_field(body):
    serializer = BookingCreateSerializer(data=body)
    try:
        valid = serializer.is_valid()
    except serializers.ValidationError:  # pragma: no cover - is_valid() collects, never raises
        pytest.fail("is_valid() raised instead of collecting the errors")
    if not valid:
        assert serializer.errors


# --- The token endpoint's second factor, fed anything ------------------------------------------


@pytest.fixture
def two_factor_sara(db):
    """Sara with two-factor authentication on (an authenticator app and recovery codes)."""
    sara = factories.UserFactory(email="fuzz-sara@example.se")
    TOTP.activate(sara, generate_totp_secret())
    RecoveryCodes.activate(sara)
    return sara


def _json_encodable(value) -> bool:
    try:
        json.dumps(value, allow_nan=False)
    except ValueError:  # NaN and infinities: no JSON client sends them
        return False
    return True


@given(
    code=st.text(max_size=80) | st.from_regex(r"\A[0-9 -]{0,12}\Z") | anything_json.filter(_json_encodable)
)
@example(code="1" * 65)
@example(code=None)
@example(code={"$ne": ""})
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_the_token_endpoint_answers_any_code_with_a_client_error_and_no_token(two_factor_sara, code):
    """The right password and anything for `code`: 401 (no code) or 400 (a field
    error on code), never a token and never a 500. The code is in the schema,
    so the schema fuzzing above sends it too, but never with a right password."""
    client = APIClient()
    response = client.post(
        "/api/v1/auth/token/",
        {"email": "fuzz-sara@example.se", "password": factories.PASSWORD, "code": code},
        format="json",
    )
    assert response.status_code in {400, 401}, response.content[:300]
    body = response.json()
    if response.status_code == 401:
        assert body["mfa_required"] is True
    else:
        assert set(body) == {"code"}
    assert not ApiToken.objects.filter(user=two_factor_sara).exists()


# --- The parsers and the date fields, fed anything ------------------------------------------


def nested(depth: int, leaf: str) -> str:
    return "[" * depth + leaf + "]" * depth


@given(
    st.text(max_size=200)
    | anything_json.map(json.dumps)
    | st.integers(0, 5000).map(lambda depth: nested(depth, '"\\u0000"'))
    | st.integers(0, 5000).map(lambda depth: '{"a": ' * depth + "1" + "}" * depth)
)
@settings(max_examples=200, deadline=None)
def test_the_json_parser_reads_a_body_or_refuses_it_with_a_400(body):
    try:
        data = JSONParser().parse(io.BytesIO(body.encode()), "application/json", {})
    except (ParseError, serializers.ValidationError) as error:
        assert error.status_code == 400
    else:
        assert json_depth(body) <= limits.MAX_JSON_DEPTH
        assert not limits.nul_in(data)


@given(st.text(max_size=40) | st.datetimes(timezones=st.none() | st.timezones()).map(lambda d: d.isoformat()))
@settings(max_examples=300, deadline=None)
def test_an_instant_is_aware_and_within_reach_or_refused_with_a_reason(value):
    try:
        instant = InstantField().run_validation(value)
    except serializers.ValidationError as error:
        assert error.detail
    else:
        assert instant.utcoffset() is not None
        # The range holds for the date as written; in the current zone it may be a day either side.
        assert (
            limits.EARLIEST_DATE - timedelta(days=1)
            <= instant.date()
            <= limits.LATEST_DATE + timedelta(days=1)
        )


@given(st.text(max_size=20) | st.dates().map(date.isoformat))
@settings(max_examples=300, deadline=None)
def test_a_date_is_within_reach_or_refused_with_a_reason(value):
    try:
        day = DateField().run_validation(value)
    except serializers.ValidationError as error:
        assert error.detail
    else:
        assert limits.EARLIEST_DATE <= day <= limits.LATEST_DATE

"""A database that does not answer: pages say so with a 503 in the visitor's
language (no traceback), the API answers 503 JSON, /healthz names the cause.

The database here is a real connection to a port where nothing listens: the
test's own database is swapped out only while the request runs."""

from __future__ import annotations

import socket
from contextlib import contextmanager

import pytest
from django.db import connections
from django.db.backends.postgresql.base import DatabaseWrapper
from django.test import Client

from tests import factories


def closed_port() -> int:
    # Bind and release: the port is free, so a connection to it is refused.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def database_down():
    settings_dict = {
        **connections["default"].settings_dict,
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "radtid",
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": "127.0.0.1",
        "PORT": closed_port(),
        "OPTIONS": {"connect_timeout": 2},
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": False,
    }
    broken = DatabaseWrapper(settings_dict, alias="default")
    real = connections["default"]
    connections["default"] = broken
    try:
        yield
    finally:
        connections["default"] = real
        broken.close()


@pytest.fixture
def visitor():
    # A real server answers errors with pages; it does not re-raise them.
    return Client(raise_request_exception=False)


def test_a_page_answers_503_in_the_visitor_s_language(visitor, db):
    factories.UserFactory(email="someone@example.se")
    with database_down():
        swedish = visitor.get("/advisors/")
        english = visitor.get("/advisors/", headers={"accept-language": "en"})

    assert swedish.status_code == 503
    assert swedish["Retry-After"] == "60"
    assert '<html lang="sv">' in swedish.content.decode()
    assert english.status_code == 503
    page = english.content.decode()
    assert '<html lang="en">' in page
    assert "We cannot reach our database right now." in page
    assert "Traceback" not in page and "OperationalError" not in page


def test_a_signed_in_person_gets_the_503_page_too(visitor, db):
    visitor.force_login(factories.UserFactory(email="someone@example.se"))
    with database_down():
        response = visitor.get("/accounts/email/")

    assert response.status_code == 503
    assert "Traceback" not in response.content.decode()


def test_the_api_answers_503_json(visitor, db):
    with database_down():
        response = visitor.get("/api/v1/topics/")

    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"]


def test_healthz_names_the_database_when_it_is_down(visitor, db):
    with database_down():
        response = visitor.get("/healthz")

    assert response.status_code == 503
    assert response.json()["database"].startswith("OperationalError")
    assert response.json()["broker"] == "ok"


def test_other_errors_are_still_a_500(visitor, db, settings):
    settings.ROOT_URLCONF = "tests.backend.urls_broken"

    response = visitor.get("/broken/")

    assert response.status_code == 500

from __future__ import annotations

from unittest import mock

import pytest
from django.db import OperationalError

from backend import health


def test_healthz_says_ok_when_the_database_and_the_broker_answer(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["database"] == "ok"
    assert response.json()["broker"] == "ok"


def test_healthz_answers_503_naming_the_broker_when_it_is_down(client, db, settings):
    # A real connection attempt to a port where nothing listens.
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["database"] == "ok"
    assert body["broker"] != "ok"


def test_healthz_answers_503_naming_the_database_when_it_is_down(client, db):
    # The one stand-in here: a database that refuses, only for the duration of the request.
    with mock.patch.object(health.connection, "cursor", side_effect=OperationalError("connection refused")):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert "connection refused" in response.json()["database"]


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_healthz_only_answers_get(client, db, method):
    assert getattr(client, method)("/healthz").status_code == 405

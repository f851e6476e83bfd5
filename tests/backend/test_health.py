from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.db import OperationalError
from django.utils import timezone

from backend import health
from backend.services import worker_heartbeat_record


def answered(minutes_ago: float, worker: str = "celery@radtid-1") -> None:
    worker_heartbeat_record(worker=worker, now=timezone.now() - timedelta(minutes=minutes_ago))


def test_healthz_says_ok_when_the_database_and_the_broker_and_a_worker_answer(client, db):
    answered(minutes_ago=1)

    response = client.get("/healthz")

    assert response.status_code == 200
    checks = {name: value for name, value in response.json().items() if name != "broker_kind"}
    assert checks == {"status": "ok", "database": "ok", "broker": "ok", "worker": "ok"}


def test_a_stale_heartbeat_is_a_failing_check_saying_since_when_while_the_site_serves(client, db):
    answered(minutes_ago=7.1)

    response = client.get("/healthz", HTTP_ACCEPT_LANGUAGE="en")

    # The web serves without a worker: 200, so the proxy keeps it; the detail says what fails.
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["worker"] == "The worker last answered 7\xa0minutes ago."
    assert body["database"] == body["broker"] == "ok"


def test_the_stale_heartbeat_is_told_in_swedish_too(client, db):
    answered(minutes_ago=7.1)

    assert client.get("/healthz").json()["worker"] == "Workern svarade senast för 7\xa0minuter sedan."


def test_the_freshest_of_several_workers_counts(client, db):
    answered(minutes_ago=30, worker="celery@radtid-1")
    answered(minutes_ago=2, worker="celery@radtid-2")

    assert client.get("/healthz").json()["worker"] == "ok"


def test_the_age_allowed_is_a_setting(client, db, settings):
    answered(minutes_ago=2)
    settings.WORKER_HEARTBEAT_MAX_AGE_SECONDS = 60

    assert client.get("/healthz").json()["status"] == "degraded"


def test_no_heartbeat_at_all_is_a_failing_check(client, db):
    body = client.get("/healthz", HTTP_ACCEPT_LANGUAGE="en").json()

    assert body["status"] == "degraded"
    assert body["worker"] == "No worker has answered yet."


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
    assert response.json()["worker"] == "Kontrollerades inte: databasen svarar inte."


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_healthz_only_answers_get(client, db, method):
    assert getattr(client, method)("/healthz").status_code == 405

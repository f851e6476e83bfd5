"""The workers' heartbeat: one row a worker, stamped by the heartbeat task
(beat sends it every minute; a worker sends itself one when ready), read by
the status page and /healthz (tests/backend/test_health.py). A real worker
writing it: tests/integration/test_embedded_worker.py."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta

from django.conf import settings

from backend.celery import HEARTBEAT_TASK, app
from backend.models import WorkerHeartbeat
from backend.services import WORKER_HEARTBEAT_KEEP, worker_heartbeat_record
from backend.tasks import record_worker_heartbeat

NOW = datetime(2027, 3, 1, 6, 0, tzinfo=UTC)


def heartbeats() -> dict[str, datetime]:
    return dict(WorkerHeartbeat.objects.values_list("worker", "answered_at"))


def test_each_worker_has_one_row_updated_in_place(db):
    worker_heartbeat_record(worker="celery@a", now=NOW - timedelta(minutes=2))
    worker_heartbeat_record(worker="celery@b", now=NOW - timedelta(minutes=1))
    worker_heartbeat_record(worker="celery@a", now=NOW)

    assert heartbeats() == {"celery@a": NOW, "celery@b": NOW - timedelta(minutes=1)}


def test_a_worker_silent_for_a_week_is_forgotten(db):
    worker_heartbeat_record(worker="celery@gone", now=NOW - WORKER_HEARTBEAT_KEEP - timedelta(seconds=1))
    worker_heartbeat_record(worker="celery@quiet", now=NOW - WORKER_HEARTBEAT_KEEP + timedelta(minutes=1))

    worker_heartbeat_record(worker="celery@here", now=NOW)

    assert set(heartbeats()) == {"celery@quiet", "celery@here"}


def test_the_task_stamps_the_worker_that_runs_it(db):
    record_worker_heartbeat.apply()  # Celery names the host it runs on, as a worker would

    assert list(heartbeats()) == [socket.gethostname()]


def test_beat_sends_the_heartbeat_every_minute_and_a_late_one_expires():
    app.loader.import_default_modules()
    entries = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == HEARTBEAT_TASK]

    assert entries == [
        {"task": HEARTBEAT_TASK, "schedule": 60, "options": {"expires": 60}},
    ]
    assert HEARTBEAT_TASK in app.tasks
    # A silence shorter than this is at most a few missed beats, not a failing check.
    assert settings.WORKER_HEARTBEAT_MAX_AGE_SECONDS >= 3 * settings.WORKER_HEARTBEAT_SECONDS

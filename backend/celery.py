"""The Celery app. Configuration comes from Django settings (CELERY_*)."""

import logging
import os
from typing import Any

from celery import Celery, signals
from kombu import transport

from backend import observability

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")

# `filesystem://` (the embedded mode's broker) is kombu's filesystem transport
# without its half-written messages (backend/broker.py), wherever the URL is used.
transport.TRANSPORT_ALIASES["filesystem"] = "backend.broker:Transport"

app = Celery("radtid")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The request id travels from the request that queued a task to the worker's
# log lines (backend/observability.py).
signals.before_task_publish.connect(observability.stamp_task_headers)
signals.task_prerun.connect(observability.enter_task)
signals.task_postrun.connect(observability.leave_task)

# backend/tasks.py; named, since this module loads before Django's apps.
HEARTBEAT_TASK = "backend.tasks.record_worker_heartbeat"


@signals.worker_ready.connect
def _answer_at_once(**kwargs: Any) -> None:
    """A worker that has just started stamps its heartbeat now, through its
    own queue, rather than at beat's next minute (a restarted worker shows
    at once on the status page)."""
    from django.conf import settings

    app.send_task(HEARTBEAT_TASK, expires=settings.WORKER_HEARTBEAT_SECONDS)


@signals.after_setup_logger.connect
@signals.after_setup_task_logger.connect
def _structured_worker_logs(logger: logging.Logger | None = None, **kwargs: Any) -> None:
    """Celery sets up the worker's and beat's own log handlers (`-l` still sets
    the level); give them the web's format and the request id."""
    from django.conf import settings

    for handler in getattr(logger, "handlers", []):
        handler.addFilter(observability.RequestIdFilter())
        handler.setFormatter(observability.log_formatter(settings.LOG_FORMAT))


@signals.task_postrun.connect
def drop_broken_connections(**kwargs: Any) -> None:
    """With CELERY_DB_REUSE_MAX the worker keeps its database connection
    between tasks; one that broke (database restarted, network cut) is closed
    here so the next task opens a fresh one instead of failing on it."""
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        if connection.connection is not None and connection.errors_occurred and not connection.is_usable():
            connection.close()

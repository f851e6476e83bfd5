"""What /healthz and the staff status page check: the database and the broker,
each with a short timeout, and whether a Celery worker still answers.

The web serves without a worker, so a silent worker does not make /healthz a
503 (that would take the web replicas out of the proxy for something they
cannot mend): its status is "degraded", and the check says since when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _

from .models import WorkerHeartbeat

OK, DEGRADED, FAIL = "ok", "degraded", "fail"
# Without these the site cannot serve a request (/healthz answers 503).
SERVING_CHECKS = ("database", "broker")


def _reason(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}".strip()[:300]


def check_database() -> str | None:
    """None when the database answers, else why not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return _reason(exc)
    return None


def check_broker() -> str | None:
    """None when the Celery broker accepts a connection, else why not."""
    from backend.celery import app

    try:
        with app.connection_for_write(settings.CELERY_BROKER_URL) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=2)
    except Exception as exc:
        return _reason(exc)
    return None


def latest_worker_heartbeat() -> WorkerHeartbeat | None:
    """The worker that answered last (any of them: each heartbeat goes to
    whichever worker takes it)."""
    return WorkerHeartbeat.objects.order_by("-answered_at").first()


def check_worker(heartbeat: WorkerHeartbeat | None, now: datetime) -> str | None:
    """None when a worker answered within WORKER_HEARTBEAT_MAX_AGE_SECONDS,
    else since when none has."""
    if heartbeat is None:
        return _("No worker has answered yet.")
    if now - heartbeat.answered_at <= timedelta(seconds=settings.WORKER_HEARTBEAT_MAX_AGE_SECONDS):
        return None
    return _("The worker last answered %(age)s ago.") % {"age": timesince(heartbeat.answered_at, now)}


@dataclass(frozen=True)
class HealthReport:
    """`status` is OK, DEGRADED (the site serves; a worker does not answer)
    or FAIL (the database or the broker is away); `checks` maps each check
    to "ok" or why not."""

    status: str
    checks: dict[str, str]
    worker: WorkerHeartbeat | None


def _worker(now: datetime) -> tuple[WorkerHeartbeat | None, str | None]:
    try:
        heartbeat = latest_worker_heartbeat()
    except Exception as exc:  # the table not migrated yet, the database gone mid-way
        return None, _("The workers' heartbeat could not be read: %(error)s") % {"error": _reason(exc)}
    return heartbeat, check_worker(heartbeat, now)


def health_report() -> HealthReport:
    database = check_database()
    if database is None:
        heartbeat, worker = _worker(timezone.now())
    else:
        heartbeat, worker = None, _("Not checked: the database does not answer.")
    errors = {"database": database, "broker": check_broker(), "worker": worker}
    if any(errors[name] is not None for name in SERVING_CHECKS):
        status = FAIL
    elif worker is not None:
        status = DEGRADED
    else:
        status = OK
    checks = {name: ("ok" if error is None else error) for name, error in errors.items()}
    if settings.BROKER_IS_FILESYSTEM:
        checks["broker_kind"] = "filesystem"
    return HealthReport(status, checks, heartbeat)

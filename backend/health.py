"""What /healthz checks: the database and the broker, each with a short timeout."""

from __future__ import annotations

from django.conf import settings
from django.db import connection


def check_database() -> str | None:
    """None when the database answers, else why not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}".strip()[:300]
    return None


def check_broker() -> str | None:
    """None when the Celery broker accepts a connection, else why not."""
    from backend.celery import app

    try:
        with app.connection_for_write(settings.CELERY_BROKER_URL) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=2)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}".strip()[:300]
    return None


def health_report() -> tuple[bool, dict[str, str]]:
    checks = {"database": check_database(), "broker": check_broker()}
    parts = {name: ("ok" if error is None else error) for name, error in checks.items()}
    if settings.BROKER_IS_FILESYSTEM:
        parts["broker_kind"] = "filesystem"
    return all(error is None for error in checks.values()), parts

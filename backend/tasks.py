"""The project's own Celery task: the workers' heartbeat."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from .services import worker_heartbeat_record

# What a worker is called when Celery gives no name (a task run eagerly).
UNNAMED_WORKER = "unnamed"


@shared_task(bind=True, ignore_result=True)
def record_worker_heartbeat(self: Any) -> None:
    """Every minute (beat), and once when a worker is ready (backend/celery.py):
    the worker that takes it from the queue stamps its name and the time.
    Its age on the status page and /healthz says when a worker last took work."""
    worker_heartbeat_record(worker=self.request.hostname or UNNAMED_WORKER)

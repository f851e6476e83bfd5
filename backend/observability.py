"""Request ids and structured logs.

Every request gets an id: the caller's X-Request-ID when it is a sane token,
else a new one. It lives in a contextvar for the request, goes back in the
response header, is stamped on every log record by `RequestIdFilter`, and
travels with the Celery tasks the request queues (backend/celery.py), so one
id ties a web line to the worker lines it caused.

Also here: the cache key beat tasks stamp when they run (shown on the staff
status page)."""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

REQUEST_ID_HEADER = "X-Request-ID"
# The Celery message header carrying the id from the publisher to the worker.
TASK_HEADER = "radtid_request_id"
# Ids from outside go into log lines and response headers: only short tokens of
# safe characters (UUIDs, hex, trace ids), nothing that could forge a log line.
_VALID_ID = re.compile(r"[A-Za-z0-9._:-]{8,128}")
NO_REQUEST_ID = "-"

request_id_var: ContextVar[str | None] = ContextVar("radtid_request_id", default=None)


def new_request_id() -> str:
    return uuid.uuid4().hex


def valid_request_id(value: str | None) -> str | None:
    """`value` when it may be used as a request id, else None."""
    if value and _VALID_ID.fullmatch(value):
        return value
    return None


def current_request_id() -> str | None:
    return request_id_var.get()


class RequestIdMiddleware:
    """Outermost middleware: the id covers everything below it, redirects and
    error pages included."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = valid_request_id(request.headers.get(REQUEST_ID_HEADER)) or new_request_id()
        request.request_id = request_id  # type: ignore[attr-defined]
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            # gunicorn's threads serve one request after another: never leak an id.
            request_id_var.reset(token)
        response[REQUEST_ID_HEADER] = request_id
        return response


# --- Logging ------------------------------------------------------------------


class RequestIdFilter(logging.Filter):
    """Puts the current request id (or "-") on every record as `request_id`."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get() or NO_REQUEST_ID
        return True


# LogRecord's own attributes: anything else on a record came from `extra=`.
_RECORD_FIELDS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id"}


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC), level, logger, message, request_id,
    the `extra=` fields, and the traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", NO_REQUEST_ID),
        }
        for key, value in vars(record).items():
            if key not in _RECORD_FIELDS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def log_formatter(kind: str) -> logging.Formatter:
    """The formatter LOG_FORMAT names ("json" or "plain")."""
    return JsonFormatter() if kind == "json" else logging.Formatter(PLAIN_FORMAT)


# --- Celery (connected in backend/celery.py) ------------------------------------


def stamp_task_headers(headers: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
    """before_task_publish: carry the publisher's request id in the message."""
    request_id = request_id_var.get()
    if request_id and isinstance(headers, dict):
        headers[TASK_HEADER] = request_id


def task_request_id(task: Any) -> str | None:
    """The id a task message carries. Celery puts custom message headers on the
    request itself; some versions nest them under `headers` (celery#4875)."""
    request = getattr(task, "request", None)
    if request is None:
        return None
    found = getattr(request, TASK_HEADER, None)
    if found is None:
        found = (getattr(request, "headers", None) or {}).get(TASK_HEADER)
    return valid_request_id(found)


def enter_task(task: Any = None, **kwargs: Any) -> None:
    """task_prerun: the task's lines (and the tasks it queues) carry the id that
    came with it. An eager task (run inside a request) keeps the request's; a
    task from beat starts an id of its own, so a sweep and the sends it hands
    out share one."""
    previous = request_id_var.get()
    request = getattr(task, "request", None)
    if request is not None:
        request.radtid_previous_request_id = previous
    request_id_var.set(task_request_id(task) or previous or new_request_id())


def leave_task(task: Any = None, **kwargs: Any) -> None:
    """task_postrun: a pool process runs task after task; give back what was
    there before (None in a worker, the request's id for an eager task)."""
    request_id_var.set(getattr(getattr(task, "request", None), "radtid_previous_request_id", None))


# --- Beat ----------------------------------------------------------------------


def beat_cache_key(task_name: str) -> str:
    return f"beat:last-run:{task_name}"


def record_beat_run(task_name: str) -> None:
    """Stamp the time a periodic task ran, for the staff status page. Kept a
    week: long enough to show a beat that has stopped."""
    cache.set(beat_cache_key(task_name), timezone.now().isoformat(), 7 * 24 * 3600)


def last_beat_run(task_name: str) -> datetime | None:
    value = cache.get(beat_cache_key(task_name))
    return datetime.fromisoformat(value) if value else None

"""Request ids: taken from X-Request-ID when sane, else made; returned in the
response, stamped on every log record, and carried into Celery tasks."""

from __future__ import annotations

import io
import json
import logging
from types import SimpleNamespace

import pytest
from django.contrib import admin
from django.urls import path

from backend import observability
from backend.celery import app
from backend.observability import (
    TASK_HEADER,
    JsonFormatter,
    RequestIdFilter,
    enter_task,
    leave_task,
    request_id_var,
    stamp_task_headers,
)

logger = logging.getLogger("tests.observability")


def _logging_view(request):
    """Logs one line inside the request and answers with the id it saw."""
    from django.http import JsonResponse

    logger.warning("inside the view")
    return JsonResponse({"seen": request_id_var.get()})


# The admin too: other middleware reverses its URLs.
urlpatterns = [path("echo-request-id/", _logging_view), path("admin/", admin.site.urls)]


@pytest.fixture
def captured():
    """Records reaching a handler with the filter, as the console handler has it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    logger.addHandler(handler)
    yield stream
    logger.removeHandler(handler)


def _lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


# --- The middleware -------------------------------------------------------------


@pytest.mark.urls("tests.backend.test_observability")
def test_a_valid_request_id_goes_round_trip_and_into_the_log(client, captured):
    response = client.get("/echo-request-id/", headers={"X-Request-ID": "abc-123_DEF.456:7"})

    assert response["X-Request-ID"] == "abc-123_DEF.456:7"
    assert response.json() == {"seen": "abc-123_DEF.456:7"}
    assert _lines(captured)[0]["request_id"] == "abc-123_DEF.456:7"
    assert request_id_var.get() is None  # nothing leaks to the thread's next request


@pytest.mark.urls("tests.backend.test_observability")
@pytest.mark.parametrize(
    "sent",
    [
        "",
        "short",
        "has space in it",
        "x" * 129,
        "newline\ninjected-log-line",
        "semi;colon-1234",
        "åäö-12345678",
    ],
)
def test_an_invalid_request_id_is_replaced_by_a_new_one(client, sent):
    response = client.get("/echo-request-id/", headers={"X-Request-ID": sent} if sent else {})

    made = response["X-Request-ID"]
    assert made != sent
    assert len(made) == 32
    int(made, 16)  # a uuid4 in hex
    assert response.json() == {"seen": made}


@pytest.mark.urls("tests.backend.test_observability")
def test_each_request_without_an_id_gets_its_own(client):
    first = client.get("/echo-request-id/")["X-Request-ID"]
    second = client.get("/echo-request-id/")["X-Request-ID"]
    assert first != second


def test_even_a_404_page_carries_the_request_id(client, db):
    response = client.get("/no-such-page/", headers={"X-Request-ID": "trace-0001-abcd"})
    assert response.status_code == 404
    assert response["X-Request-ID"] == "trace-0001-abcd"


# --- The logging filter and formatter --------------------------------------------


def test_the_filter_stamps_the_current_id_and_a_dash_outside_a_request(captured):
    logger.warning("outside")
    token = request_id_var.set("req-inside-0001")
    try:
        logger.warning("inside %s", "a request", extra={"booking": "b-1"})
    finally:
        request_id_var.reset(token)

    outside, inside = _lines(captured)
    assert outside["request_id"] == "-"
    assert inside["request_id"] == "req-inside-0001"
    assert inside["message"] == "inside a request"
    assert inside["level"] == "WARNING"
    assert inside["logger"] == "tests.observability"
    assert inside["booking"] == "b-1"  # extra= fields are kept


def test_the_json_formatter_keeps_the_traceback(captured):
    try:
        raise ValueError("boom")
    except ValueError:
        logger.exception("it failed")

    (line,) = _lines(captured)
    assert "ValueError: boom" in line["exc_info"]


def test_the_settings_put_the_filter_on_the_console_handler():
    from django.conf import settings

    console = settings.LOGGING["handlers"]["console"]
    assert "request_id" in console["filters"]
    assert settings.LOGGING["filters"]["request_id"]["()"] == "backend.observability.RequestIdFilter"
    assert console["formatter"] in settings.LOGGING["formatters"]


# --- Celery: publisher to worker ------------------------------------------------


def test_a_task_published_during_a_request_carries_its_id_in_the_message(settings):
    """Publish for real, to an in-memory broker, and read the message back."""
    from kombu import Connection

    from notifications.tasks import send_message

    token = request_id_var.set("req-publish-0001")
    try:
        with Connection("memory://") as conn:
            send_message.apply_async(args=[42], connection=conn, queue="request-id-test")
            with conn.SimpleQueue("request-id-test") as queue:
                message = queue.get(timeout=5)
                message.ack()
    finally:
        request_id_var.reset(token)

    assert message.headers[TASK_HEADER] == "req-publish-0001"
    assert message.headers["task"] == "notifications.tasks.send_message"


def test_a_task_published_outside_a_request_carries_no_id():
    headers: dict = {}
    stamp_task_headers(headers=headers)
    assert TASK_HEADER not in headers


def test_the_worker_runs_the_task_under_the_id_it_came_with_and_forgets_it_after(captured):
    task = SimpleNamespace(request=SimpleNamespace(**{TASK_HEADER: "req-worker-0001"}, headers=None))

    enter_task(task=task)
    logger.warning("sending")
    leave_task(task=task)
    logger.warning("idle")

    during, after = _lines(captured)
    assert during["request_id"] == "req-worker-0001"
    assert after["request_id"] == "-"


def test_the_worker_also_finds_the_id_nested_under_headers():
    task = SimpleNamespace(request=SimpleNamespace(headers={TASK_HEADER: "req-nested-0001"}))
    assert observability.task_request_id(task) == "req-nested-0001"


def test_a_forged_id_in_a_task_message_is_not_used():
    task = SimpleNamespace(request=SimpleNamespace(**{TASK_HEADER: "bad id\nforged"}, headers=None))
    enter_task(task=task)
    try:
        assert request_id_var.get() != "bad id\nforged"
        assert len(request_id_var.get()) == 32
    finally:
        leave_task(task=task)


def test_a_task_from_beat_gets_an_id_of_its_own():
    task = SimpleNamespace(request=SimpleNamespace(headers=None))
    enter_task(task=task)
    try:
        assert len(request_id_var.get()) == 32
    finally:
        leave_task(task=task)
    assert request_id_var.get() is None


def test_an_eager_task_keeps_the_request_id_and_gives_it_back(db):
    """apply() runs the task here, through the real prerun and postrun signals."""
    seen = []

    @app.task(name="tests.observability.record_id")
    def record_id():
        seen.append(request_id_var.get())

    token = request_id_var.set("req-eager-0001")
    try:
        record_id.apply()
        assert request_id_var.get() == "req-eager-0001"
    finally:
        request_id_var.reset(token)
    assert seen == ["req-eager-0001"]

"""The worker that cannot die silently (issue 15, item 12), with real parts: a
real `celery worker` process, the real filesystem broker in a folder of its
own, `manage.py serve` as `make run` starts it, and a database of the run's
kind (SQLite in the embedded pass, PostgreSQL in the second), read directly.

- a worker stamps its heartbeat when it is ready and for each heartbeat task;
- a half-written message in the filesystem broker's queue (what made the
  worker of `make run` exit on JSONDecodeError) is skipped, and the worker
  goes on;
- `serve` starts a worker that was killed again, says so, and the new one
  answers.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import (
    BASE_DIR,
    CeleryWorker,
    broker_for,
    cache_env,
    free_port,
    own_database,
    run_manage,
    run_sql,
)

pytestmark = [pytest.mark.integration, pytest.mark.services]

HEARTBEATS_SQL = "SELECT worker, answered_at FROM backend_workerheartbeat"
SEND_HEARTBEAT = "from backend.tasks import record_worker_heartbeat; record_worker_heartbeat.delay()"


class Stack:
    """A migrated database and the environment a production worker gets."""

    def __init__(self, vendor: str, database_url: str, broker: str, workdir: Path) -> None:
        self.vendor, self.database_url, self.workdir = vendor, database_url, workdir
        self.env = {
            **{k: os.environ[k] for k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR") if k in os.environ},
            "DJANGO_SETTINGS_MODULE": "backend.settings",
            "DJANGO_DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(40),
            "SITE_URL": "https://radtid.example.se",
            "ALLOWED_HOSTS": "radtid.example.se",
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": broker,
            **cache_env(broker),
            "EMAIL_URL": "dummymail://",
            "RADTID_VAR_DIR": str(workdir / "var"),
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
        }

    def manage(self, *args: str) -> str:
        return run_manage(args, env=self.env)

    def heartbeats(self) -> dict[str, datetime]:
        found = {}
        for worker, answered_at in run_sql(self.vendor, self.database_url, HEARTBEATS_SQL):
            # SQLite holds Django's naive UTC text; PostgreSQL gives aware values.
            if isinstance(answered_at, str):
                answered_at = datetime.fromisoformat(answered_at).replace(tzinfo=UTC)
            found[worker] = answered_at.astimezone(UTC)
        return found

    @property
    def queue(self) -> Path:
        return self.workdir / "var" / "broker" / "queue"


@contextlib.contextmanager
def migrated(vendor: str, workdir: Path, *, broker: str | None = None) -> Iterator[Stack]:
    with own_database(vendor, workdir, migrated=True) as database_url, broker_for(vendor) as run_broker:
        yield Stack(vendor, database_url, broker or run_broker, workdir)


def wait_for(what: str, found: Callable[[], Any], *, timeout: float = 60, log: Callable[[], str]) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = found()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"{what}: not within {timeout} s\n{log()}")


def node_name(name: str) -> str:
    """A worker's name as Celery expands it (`%h`: this host's name)."""
    return name.replace("%h", socket.gethostname())


def test_a_worker_stamps_its_heartbeat_when_ready_and_for_each_heartbeat_task(database_vendor, tmp_path):
    with migrated(database_vendor, tmp_path) as stack:
        worker = CeleryWorker(stack.env, tmp_path / "worker.log")
        with worker:
            name = node_name(worker.name)
            first = wait_for(
                "the heartbeat of a worker that is ready",
                lambda: stack.heartbeats().get(name),
                log=worker.tail,
            )
            stack.manage("shell", "-c", SEND_HEARTBEAT)
            wait_for(
                "the heartbeat the task asked for",
                lambda: (stack.heartbeats().get(name) or first) > first,
                log=worker.tail,
            )
        assert list(stack.heartbeats()) == [name]  # one row a worker, updated in place


def test_a_half_written_message_is_skipped_and_the_worker_goes_on(database_vendor, tmp_path):
    """What a worker listing the queue used to read from kombu, whose publisher
    created the file before writing it: an empty file, half a message, a
    message of another shape. Named to sort first, so the worker meets them
    before the heartbeat it sends itself when ready."""
    with migrated(database_vendor, tmp_path, broker="filesystem://") as stack:
        stack.queue.mkdir(parents=True, exist_ok=True)
        (stack.queue / "0000000001_a.celery.msg").write_bytes(b"")
        (stack.queue / "0000000002_b.celery.msg").write_bytes(b'{"body": "eyJhcmdzIjogW10s')
        (stack.queue / "0000000003_c.celery.msg").write_bytes(b'{"body": "e30="}')
        worker = CeleryWorker(stack.env, tmp_path / "worker.log")
        with worker:
            name = node_name(worker.name)
            wait_for(
                "the heartbeat behind the broken messages",
                lambda: name in stack.heartbeats(),
                log=worker.tail,
            )
            assert worker.process is not None and worker.process.poll() is None  # still running
            # Each was taken off the queue, and so was the heartbeat, whose file
            # goes once the task is acknowledged, just after its row is written.
            wait_for("an empty queue", lambda: not list(stack.queue.glob("*.msg")), log=worker.tail)
            log = worker.log.read_text()

    assert log.count("Skipped a message in the queue 'celery'") == 3
    assert "JSONDecodeError" not in log


@pytest.fixture
def serve(database_vendor, tmp_path):
    """`manage.py serve` on a free port, as `make run` starts it (DEBUG, the
    filesystem broker, mail as files), on a migrated database of the run's kind."""
    with migrated(database_vendor, tmp_path, broker="filesystem://") as stack:
        port = free_port()
        env = {
            **stack.env,
            "DJANGO_DEBUG": "1",
            "SECRET_KEY": "",
            "SITE_URL": "",
            "ALLOWED_HOSTS": "",
            "EMAIL_URL": "",
            "HOST": "127.0.0.1",
            "PORT": str(port),
        }
        log = tmp_path / "serve.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "manage.py", "serve", f"127.0.0.1:{port}"],
                cwd=BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        try:
            yield stack, process, log
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
            # Each worker runs in a session of its own: none outlives a failed test.
            for pid in re.findall(r"\(pid (\d+)\)", log.read_text(errors="replace")):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(int(pid), signal.SIGKILL)


def running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_serve_starts_a_killed_worker_again_and_the_new_one_answers(serve):
    stack, process, log = serve
    name = f"celery@{socket.gethostname()}"

    def tail() -> str:
        return log.read_text(errors="replace")[-3000:]

    started = wait_for(
        "the worker started by serve", lambda: re.search(r"started \(pid (\d+)\)", tail()), log=tail
    )
    first_pid = int(started[1])
    first = wait_for("the first heartbeat", lambda: stack.heartbeats().get(name), log=tail)

    os.killpg(first_pid, signal.SIGKILL)  # the worker and its pool, as the OOM killer would
    killed_at = datetime.now(UTC)

    again = wait_for(
        "serve starting the worker again", lambda: re.search(r"started again \(pid (\d+)\)", tail()), log=tail
    )
    assert "exited with signal 9 (SIGKILL)" in tail()
    wait_for("the new worker's heartbeat", lambda: stack.heartbeats()[name] > max(first, killed_at), log=tail)
    second_pid = int(again[1])
    assert second_pid != first_pid and running(second_pid)

    os.kill(process.pid, signal.SIGTERM)  # what runserver's reloader ends on, as on Ctrl-C
    assert process.wait(timeout=30) == 0
    assert "Celery worker stopped." in tail()
    assert not running(second_pid)

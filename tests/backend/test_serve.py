"""`manage.py serve` keeps its worker running (backend/management/commands/serve.py):
the restart logic with real processes standing in for the worker (a Python
that exits, one that runs until killed); the real worker's restart is in
tests/integration/test_embedded_worker.py."""

from __future__ import annotations

import logging
import os
import signal
import sys
import time

import pytest

from backend.management.commands import serve

EXITS = [sys.executable, "-c", "import sys; sys.exit(3)"]
RUNS = [sys.executable, "-c", "import time; time.sleep(120)"]


def wait_until(condition, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("not within the time")
        time.sleep(0.02)


def quick(command, tmp_path, **kwargs) -> serve.EmbeddedWorker:
    kwargs.setdefault("restart_delays", (0.05, 0.1, 0.2))
    return serve.EmbeddedWorker(command, tmp_path / "worker.log", poll_interval=0.02, **kwargs)


def restarts(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if "exited with" in r.getMessage()]


def test_a_worker_that_exits_is_started_again_with_a_log_line(tmp_path, caplog):
    worker = quick(EXITS, tmp_path)
    with caplog.at_level(logging.WARNING, logger=serve.__name__):
        worker.start()
        try:
            wait_until(lambda: worker.starts >= 3)
        finally:
            worker.stop()

    lines = restarts(caplog)
    assert lines[0].startswith("The Celery worker (pid ")
    assert "exited with code 3" in lines[0]
    assert str(tmp_path / "worker.log") in lines[0]
    assert any(r.getMessage().startswith("The Celery worker is started again (pid ") for r in caplog.records)


def test_exits_in_a_row_wait_longer_each_time_up_to_the_last_delay(tmp_path, caplog):
    worker = quick(EXITS, tmp_path, restart_delays=(0.05, 0.1, 0.2), stable_after=60)
    with caplog.at_level(logging.WARNING, logger=serve.__name__):
        worker.start()
        try:
            wait_until(lambda: len(restarts(caplog)) >= 5)
        finally:
            worker.stop()

    delays = [line.split("starting it again in ")[1].split(" s.")[0] for line in restarts(caplog)[:5]]
    assert delays == ["0.05", "0.1", "0.2", "0.2", "0.2"]


def test_a_worker_that_ran_a_while_before_exiting_is_started_again_at_once(tmp_path, caplog):
    worker = quick(EXITS, tmp_path, restart_delays=(0.05, 0.1, 0.2), stable_after=0)
    with caplog.at_level(logging.WARNING, logger=serve.__name__):
        worker.start()
        try:
            wait_until(lambda: len(restarts(caplog)) >= 3)
        finally:
            worker.stop()

    assert all("starting it again in 0.05 s" in line for line in restarts(caplog))


def test_a_killed_worker_is_named_by_its_signal_and_replaced(tmp_path, caplog):
    worker = quick(RUNS, tmp_path)
    with caplog.at_level(logging.WARNING, logger=serve.__name__):
        worker.start()
        try:
            first = worker.process
            os.kill(first.pid, signal.SIGKILL)
            wait_until(lambda: worker.starts == 2 and worker.process.pid != first.pid)
            assert first.returncode == -signal.SIGKILL  # reaped, not left a zombie
            assert worker.process.poll() is None
        finally:
            worker.stop()

    assert "exited with signal 9 (SIGKILL)" in restarts(caplog)[0]


def test_stop_ends_the_worker_and_starts_no_other(tmp_path, caplog):
    worker = quick(RUNS, tmp_path).start()
    process = worker.process

    worker.stop()

    assert process.returncode == -signal.SIGTERM  # asked to stop (a warm shutdown for Celery)
    time.sleep(0.2)
    assert worker.starts == 1
    assert not restarts(caplog)


def test_a_worker_that_ignores_the_request_to_stop_is_killed(tmp_path):
    stubborn = [
        sys.executable,
        "-c",
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True); time.sleep(120)",
    ]
    worker = quick(stubborn, tmp_path, stop_timeout=0.5).start()
    wait_until(lambda: b"ready" in (tmp_path / "worker.log").read_bytes())

    worker.stop()

    assert worker.process.returncode == -signal.SIGKILL


def test_the_worker_runs_in_a_session_of_its_own(tmp_path):
    """So the terminal's Ctrl-C reaches the server alone, and serve stops the worker."""
    worker = quick(RUNS, tmp_path).start()
    try:
        assert os.getsid(worker.process.pid) == worker.process.pid != os.getsid(0)
    finally:
        worker.stop()


@pytest.mark.parametrize(
    ("code", "said"),
    [
        (0, "code 0"),
        (1, "code 1"),
        (-9, "signal 9 (SIGKILL)"),
        (-15, "signal 15 (SIGTERM)"),
        (-200, "signal 200"),
    ],
)
def test_an_exit_is_described_by_its_code_or_signal(code, said):
    assert serve.describe_exit(code) == said


def test_serve_warns_when_mailed_links_lead_to_another_port(settings, capsys):
    settings.SITE_URL = "http://127.0.0.1:8000"
    command = serve.Command()

    command.warn_if_links_lead_elsewhere("127.0.0.1:8100")
    command.warn_if_links_lead_elsewhere("127.0.0.1:8000")
    command.warn_if_links_lead_elsewhere("8000")

    err = capsys.readouterr().err
    assert err.count("SITE_URL is") == 1
    assert "listens on port 8100" in err
    assert "make run PORT=8100" in err

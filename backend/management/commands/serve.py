"""`manage.py serve`: the embedded mode in one command (what `make run` calls).

Starts a Celery worker with embedded beat beside Django's development server,
starts it again whenever it exits, and stops it when the server stops (Ctrl-C)."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

logger = logging.getLogger(__name__)

# Seconds before starting the worker again after the 1st, 2nd, … exit in a
# row; a worker that ran RESTART_STABLE_SECONDS counts as well again.
RESTART_DELAYS = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
RESTART_STABLE_SECONDS = 60.0


class EmbeddedWorker:
    """A worker process kept running: started, watched from a thread, and
    started again (with a log line) whenever it exits until `stop()`.

    It runs in a session of its own, so the terminal's Ctrl-C reaches only
    the server; `stop()` then asks the worker for a warm shutdown. Were the
    terminal's signals to reach it too, it would exit on its own first and
    be started again on the way out."""

    def __init__(
        self,
        command: Sequence[str],
        log: Path,
        *,
        restart_delays: Sequence[float] = RESTART_DELAYS,
        stable_after: float = RESTART_STABLE_SECONDS,
        poll_interval: float = 0.5,
        stop_timeout: float = 15.0,
    ) -> None:
        self.command = list(command)
        self.log = log
        self.restart_delays = tuple(restart_delays)
        self.stable_after = stable_after
        self.poll_interval = poll_interval
        self.stop_timeout = stop_timeout
        self.process: subprocess.Popen | None = None
        self.starts = 0
        self._started_at = 0.0
        self._stopping = threading.Event()
        self._watcher = threading.Thread(target=self._watch, name="embedded-worker", daemon=True)

    def start(self) -> EmbeddedWorker:
        self._spawn()
        self._watcher.start()
        return self

    def _spawn(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 (our own worker)
                self.command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self._started_at = time.monotonic()
        self.starts += 1

    def _watch(self) -> None:
        exits_in_a_row = 0
        while not self._stopping.wait(self.poll_interval):
            code = self.process.poll() if self.process is not None else None  # reaps it: no zombie
            if code is None or self.process is None:
                continue
            ran = time.monotonic() - self._started_at
            exits_in_a_row = 1 if ran >= self.stable_after else exits_in_a_row + 1
            delay = self.restart_delays[min(exits_in_a_row, len(self.restart_delays)) - 1]
            logger.warning(
                "The Celery worker (pid %s) exited with %s after %.0f s; starting it again in %g s. Its log: %s",
                self.process.pid,
                describe_exit(code),
                ran,
                delay,
                self.log,
            )
            if self._stopping.wait(delay):
                return
            try:
                self._spawn()
            except OSError:
                # Tried again after the next delay (the old process is still the one polled).
                logger.exception("The Celery worker could not be started again.")
                continue
            logger.warning("The Celery worker is started again (pid %s).", self.process.pid)

    def stop(self) -> None:
        """No more restarts; a warm shutdown (tasks in hand finish), SIGKILL
        to its whole group after `stop_timeout` seconds."""
        self._stopping.set()
        if self._watcher.is_alive():
            self._watcher.join()
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=self.stop_timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)  # the pool's children too
            process.wait()


def describe_exit(code: int) -> str:
    """ "code 1", or "signal 9 (SIGKILL)" for a process a signal ended."""
    if code >= 0:
        return f"code {code}"
    try:
        name = signal.Signals(-code).name
    except ValueError:
        return f"signal {-code}"
    return f"signal {-code} ({name})"


def _exit_on_hangup(signum: int, frame: FrameType | None) -> None:
    # The terminal closed: leave through `finally`, which stops the worker
    # (in its own session it would not get the hangup and run on).
    sys.exit(0)


class Command(BaseCommand):
    help = "Serve Rådtid with a Celery worker and beat beside it; Ctrl-C stops both."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--no-worker", action="store_true", help="Serve without the Celery worker.")

    def handle(self, *args, addrport: str, no_worker: bool, **options):
        # runserver's autoreloader re-runs this command in a child process
        # (RUN_MAIN=true); only the parent starts the worker, once.
        worker = None
        if os.environ.get("RUN_MAIN") != "true":
            self.warn_if_links_lead_elsewhere(addrport)
            if not no_worker:
                signal.signal(signal.SIGHUP, _exit_on_hangup)
                worker = self.start_worker()
        try:
            call_command("runserver", addrport)
        finally:
            if worker is not None:
                worker.stop()
                self.stdout.write("Celery worker stopped.")

    def start_worker(self) -> EmbeddedWorker:
        var = Path(settings.VAR_DIR)
        var.mkdir(parents=True, exist_ok=True)
        celery = Path(sys.executable).with_name("celery")
        command = [str(celery), "-A", "backend", "worker", "-B", "-l", "info", "--concurrency", "2"]
        command += ["-s", str(var / "celerybeat-schedule"), "--without-mingle", "--without-gossip"]
        worker = EmbeddedWorker(command, var / "worker.log").start()
        pid = worker.process.pid if worker.process else "?"
        self.stdout.write(f"Celery worker and beat started (pid {pid}); their log: {var / 'worker.log'}")
        return worker

    def warn_if_links_lead_elsewhere(self, addrport: str) -> None:
        """Mailed links lead to SITE_URL: say so when this server is not there."""
        port = addrport.rpartition(":")[2]
        site_port = str(urlsplit(settings.SITE_URL).port or "")
        if port.isdigit() and site_port and port != site_port:
            self.stderr.write(
                f"SITE_URL is {settings.SITE_URL}, but this server listens on port {port}: "
                f"links in mail lead there. Run `make run PORT={port}`, or set SITE_URL.",
                style_func=self.style.WARNING,
            )

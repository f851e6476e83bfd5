"""`manage.py serve`: the embedded mode in one command (what `make run` calls).

Starts a Celery worker with embedded beat beside Django's development server,
and stops the worker when the server stops (Ctrl-C)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve Rådtid with a Celery worker and beat beside it; Ctrl-C stops both."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--no-worker", action="store_true", help="Serve without the Celery worker.")

    def handle(self, *args, addrport: str, no_worker: bool, **options):
        # runserver's autoreloader re-runs this command in a child process
        # (RUN_MAIN=true); only the parent starts the worker, once.
        worker = None
        if not no_worker and os.environ.get("RUN_MAIN") != "true":
            worker = self.start_worker()
        try:
            call_command("runserver", addrport)
        finally:
            if worker is not None:
                self.stop_worker(worker)

    def start_worker(self) -> subprocess.Popen:
        var = Path(settings.VAR_DIR)
        var.mkdir(parents=True, exist_ok=True)
        log = (var / "worker.log").open("ab")
        celery = Path(sys.executable).with_name("celery")
        command = [str(celery), "-A", "backend", "worker", "-B", "-l", "info", "--concurrency", "2"]
        command += ["-s", str(var / "celerybeat-schedule"), "--without-mingle", "--without-gossip"]
        self.stdout.write(f"Celery worker and beat started; their log: {var / 'worker.log'}")
        return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603 (our own worker)

    def stop_worker(self, worker: subprocess.Popen) -> None:
        worker.terminate()  # warm shutdown: tasks in hand finish first
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
        self.stdout.write("Celery worker stopped.")

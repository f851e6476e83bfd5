"""The production stack on this machine, for the load scenario: a throwaway
PostgreSQL database, Redis (broker and cache on databases of their own), one or
more gunicorn instances and Celery workers, exactly one beat, and a local SMTP
server (aiosmtpd) that keeps every message.

The parts shared with tests/integration are reused from there: the SMTP sink
(tests/integration/smtp.py), the Celery worker process and the seed of
bookable advisors and entrepreneurs (tests/integration/conftest.py)."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import requests

from tests.integration.conftest import (
    BASE_DIR,
    BIN,
    SEED_SCRIPT,
    CeleryWorker,
    free_port,
    run_manage,
    throwaway_postgres,
    with_database,
)
from tests.integration.smtp import MailSink
from tests.services import REDIS_URL

PASSWORD = "load-test-password-2026"
# Redis databases of the run (5 and 6 belong to `make test`, 9–12 to the
# integration tests and benchmarks); flushed before and after.
BROKER_REDIS_DB = 13
CACHE_REDIS_DB = 14
# The seed above verifies only the entrepreneurs' addresses; advisors sign in
# to the web pages too, and allauth lets no unverified address in.
VERIFY_ADVISORS_SCRIPT = """
from allauth.account.models import EmailAddress
from backend.models import Role, User

EmailAddress.objects.bulk_create(
    EmailAddress(user=u, email=u.email, verified=True, primary=True)
    for u in User.objects.filter(role=Role.ADVISOR, emailaddress__isnull=True)
)
"""
# Bookable advisors made for the run (region 20, every day 08–18, no notice),
# beside seed_demo's own: a 15-minute buffer after each session, as many have.
LOAD_ADVISORS = {f"load{n}": {"buffer_after": 15, "session_lengths": [30, 60]} for n in range(1, 9)}


@dataclass
class Stack:
    """What the load users need to know, and the running processes."""

    workdir: Path
    env: dict[str, str]
    database_url: str
    broker_url: str
    hosts: list[str] = field(default_factory=list)
    entrepreneurs: list[str] = field(default_factory=list)
    advisors: dict[str, int] = field(default_factory=dict)
    topic: str = ""
    processes: list[tuple[str, subprocess.Popen]] = field(default_factory=list)

    tokens: dict[str, str] = field(default_factory=dict)
    sessions: dict[str, str] = field(default_factory=dict)

    @property
    def advisor_emails(self) -> list[str]:
        return [f"{key}@live.example.se" for key in self.advisors]

    coordinators: tuple[str, ...] = ("coordinator.dalarna@example.se",)

    def spec(self) -> dict:
        return {
            "hosts": self.hosts,
            "entrepreneurs": [{"email": e, "token": self.tokens[e]} for e in self.entrepreneurs],
            "advisors": [
                {"email": email, "id": pk, "session": self.sessions[email]}
                for email, pk in zip(self.advisor_emails, self.advisors.values(), strict=True)
            ],
            "topic": self.topic,
            "coordinators": [{"email": e, "session": self.sessions[e]} for e in self.coordinators],
            "region": "20",
        }

    def sign_in_everyone(self) -> float:
        """API tokens for the entrepreneurs, sessions (the allauth form) for the
        advisors and coordinators, before the load: signing in hashes a
        password on purpose slowly, and fifty people do not all sign in in
        the same minute. Returns the seconds it took."""
        from concurrent.futures import ThreadPoolExecutor

        base = self.hosts[0]

        def token(email: str) -> str:
            response = requests.post(
                f"{base}/api/v1/auth/token/", json={"email": email, "password": PASSWORD}, timeout=120
            )
            response.raise_for_status()
            return response.json()["token"]

        def session(email: str) -> str:
            with requests.Session() as browser:
                browser.get(f"{base}/accounts/login/", timeout=120).raise_for_status()
                response = browser.post(
                    f"{base}/accounts/login/",
                    data={
                        "login": email,
                        "password": PASSWORD,
                        "csrfmiddlewaretoken": browser.cookies["csrftoken"],
                    },
                    allow_redirects=False,
                    timeout=120,
                )
                if response.status_code != 302 or "/accounts/" in response.headers.get("Location", ""):
                    raise RuntimeError(
                        f"{email} could not sign in: {response.status_code} {response.text[:300]}"
                    )
                return browser.cookies["sessionid"]

        started = time.monotonic()
        people = [*self.advisor_emails, *self.coordinators]
        with ThreadPoolExecutor(4) as pool:
            self.tokens = dict(zip(self.entrepreneurs, pool.map(token, self.entrepreneurs), strict=True))
            self.sessions = dict(zip(people, pool.map(session, people), strict=True))
        return time.monotonic() - started

    def manage(self, *args: str, env: dict[str, str] | None = None, timeout: float = 600) -> str:
        return run_manage(args, env={**self.env, **(env or {})}, timeout=timeout)

    def sql(self, query: str, params: tuple = ()) -> list[tuple]:
        import psycopg

        with psycopg.connect(self.database_url, autocommit=True) as conn:
            cursor = conn.execute(query, params)  # type: ignore[arg-type]
            return cursor.fetchall() if cursor.description else []


def _flush(*urls: str) -> None:
    import redis

    for url in urls:
        with redis.Redis.from_url(url) as client:
            client.flushdb()


def _wait_for_http(url: str, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: gunicorn exited with {process.returncode}:\n{_tail(log)}")
        with contextlib.suppress(requests.RequestException):
            if requests.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer /healthz within {timeout} s:\n{_tail(log)}")


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _stop(process: subprocess.Popen, timeout: float = 20) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


@contextlib.contextmanager
def running(
    *, workdir: Path, users: int, scale: int, web_workers: int = 2
) -> Iterator[tuple[Stack, MailSink]]:
    """Start everything; yield the stack and the SMTP sink; stop and drop it all.

    `scale` web instances (each its own gunicorn master on its own port) and
    `scale` Celery workers share one database and one Redis; beat is one."""
    broker_url = with_database(REDIS_URL, str(BROKER_REDIS_DB))
    cache_url = with_database(REDIS_URL, str(CACHE_REDIS_DB))
    _flush(broker_url, cache_url)
    ports = [free_port() for _ in range(scale)]
    with MailSink() as sink, throwaway_postgres("radtid_load") as database_url:
        env = {
            **{k: os.environ[k] for k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR") if k in os.environ},
            "DJANGO_SETTINGS_MODULE": "backend.settings",
            "DJANGO_DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(40),
            # Links in mail point at the first instance, as at a load balancer.
            "SITE_URL": f"http://127.0.0.1:{ports[0]}",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": broker_url,
            "REDIS_URL": cache_url,
            "EMAIL_URL": sink.url,
            "RADTID_VAR_DIR": str(workdir / "var"),
            "LOG_LEVEL": "WARNING",
            "LOG_FORMAT": "json",
            "PYTHONUNBUFFERED": "1",
            # Every simulated person comes from 127.0.0.1: the per-address limits
            # meant for the open internet would make this a test of the throttle.
            # Per-account limits (bookings an hour) and the booking cap stay.
            "THROTTLE_TOKEN": "10000/min",
            "THROTTLE_DIRECTORY": "100000/min",
            "THROTTLE_SLOTS": "100000/min",
        }
        stack = Stack(workdir=workdir, env=env, database_url=database_url, broker_url=broker_url)
        try:
            print(f"  migrating and seeding {database_url.rsplit('/', 1)[-1]} …", flush=True)
            stack.manage("migrate", "--noinput")
            # DEBUG off serves hashed static files from the manifest, as the image does.
            stack.manage("collectstatic", "--noinput")
            stack.manage("seed_demo", "--password", PASSWORD)
            seeded = json.loads(
                stack.manage(
                    "shell",
                    "-c",
                    SEED_SCRIPT,
                    env={
                        "LIVE_STACK_SEED": json.dumps(
                            {"password": PASSWORD, "entrepreneurs": users, "advisors": LOAD_ADVISORS}
                        )
                    },
                ).splitlines()[-1]
            )
            stack.entrepreneurs, stack.advisors, stack.topic = (
                seeded["entrepreneurs"],
                seeded["advisors"],
                seeded["topic"],
            )
            stack.manage("shell", "-c", VERIFY_ADVISORS_SCRIPT)
            # seed_demo's history queued mail for past sessions; the run counts
            # only what it causes, so set that aside before anything is served.
            stack.sql("UPDATE notifications_outboxmessage SET state = 'cancelled' WHERE state = 'pending'")
            _flush(broker_url)

            for n, port in enumerate(ports):
                log = workdir / f"web{n + 1}.log"
                process = subprocess.Popen(
                    [
                        str(BIN / "gunicorn"),
                        "backend.wsgi:application",
                        f"--bind=127.0.0.1:{port}",
                        f"--workers={web_workers}",
                        "--worker-class=gthread",
                        "--threads=4",
                        "--timeout=60",
                        "--graceful-timeout=10",
                        "--keep-alive=30",
                    ],
                    cwd=BASE_DIR,
                    env=env,
                    stdout=log.open("wb"),
                    stderr=subprocess.STDOUT,
                )
                stack.processes.append((f"web{n + 1}", process))
                url = f"http://127.0.0.1:{port}"
                _wait_for_http(url, process, log)
                stack.hosts.append(url)

            workers = [
                CeleryWorker({**env, "LOG_LEVEL": "INFO"}, workdir / f"worker{n + 1}.log", concurrency=2)
                for n in range(scale)
            ]
            for worker in workers:
                worker.start(timeout=60)
            beat_log = workdir / "beat.log"
            beat = subprocess.Popen(
                [
                    str(BIN / "celery"),
                    "-A",
                    "backend",
                    "beat",
                    "-l",
                    "info",
                    "-s",
                    str(workdir / "beat-schedule"),
                ],
                cwd=BASE_DIR,
                env=env,
                stdout=beat_log.open("wb"),
                stderr=subprocess.STDOUT,
            )
            stack.processes.append(("beat", beat))
            try:
                yield stack, sink
            finally:
                _stop(beat)
                for worker in workers:
                    worker.stop()
        finally:
            for _name, process in stack.processes:
                _stop(process)
            _flush(broker_url, cache_url)

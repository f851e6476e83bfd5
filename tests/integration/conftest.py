"""Live stacks for the integration tests: a database of their own (a PostgreSQL
database made for the run, or a SQLite file), migrated and seeded in
subprocesses, and served by a real gunicorn, so that tests drive the HTTP API
from many OS threads at once, each request on its own server thread with its
own database connection. Nothing here touches pytest-django's test database;
a stack's database is of the run's kind (`database_vendor`), so each module
runs on SQLite in the embedded pass of `make test` and on PostgreSQL in the
second.

`LiveStack` and `race` are plain code: benchmarks/bookings.py uses them too.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import secrets
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests

from tests.services import POSTGRES_URL, REDIS_URL, reachable, redis_database, require, run_vendor

BASE_DIR = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PASSWORD = "live-stack-password-2026"
# Redis database for the servers' Celery broker on PostgreSQL runs; keys the
# run adds are removed afterwards.
BROKER_REDIS_DB = redis_database(8)

# Run by `manage.py shell -c` against the stack's database. Entrepreneurs (each
# with a verified address, a profile, one enterprise and an API token, issued
# here rather than by signing each in: checking a password is slow on purpose)
# and advisors who can be booked any day 08–18 local time, from now on, a year
# ahead, without a daily cap, on a 15-minute grid; the spec sets each advisor's
# buffers and lengths.
SEED_SCRIPT = """
import json, os
from datetime import time

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.db import transaction

from advisors.models import Advisor, Topic, WeeklyHours
from backend.models import Role, User
from backend.services import api_token_issue
from bookings.models import Enterprise, EnterpriseKind, EntrepreneurProfile

spec = json.loads(os.environ["LIVE_STACK_SEED"])
hashed = make_password(spec["password"])  # hashing is slow on purpose: once for all
with transaction.atomic():
    people = User.objects.bulk_create(
        User(email=f"entrepreneur{n:03d}@live.example.se", full_name=f"Entreprenör {n:03d}",
             role=Role.ENTREPRENEUR, password=hashed)
        for n in range(spec["entrepreneurs"])
    )
    EmailAddress.objects.bulk_create(
        EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in people
    )
    EntrepreneurProfile.objects.bulk_create(EntrepreneurProfile(user=u) for u in people)
    enterprises = Enterprise.objects.bulk_create(
        Enterprise(name=f"Företag {n:03d}", kind=EnterpriseKind.WORK_INTEGRATING, municipality_id="2080")
        for n in range(len(people))
    )
    Membership = Enterprise.members.through
    Membership.objects.bulk_create(Membership(enterprise=e, user=u) for e, u in zip(enterprises, people))
    advisors = {}
    for key, fields in spec["advisors"].items():
        user = User.objects.create(
            email=f"{key}@live.example.se", full_name=f"Rådgivare {key}", role=Role.ADVISOR, password=hashed
        )
        advisor = Advisor.objects.create(
            user=user, region_id="20", organisation="Coompanion Dalarna", address="Åsgatan 23, Falun",
            phone="010-100 00 00", meeting_url="https://meet.example.se/live", slot_step=15,
            min_notice_hours=0, horizon_days=365, max_per_day=None, closed_on_public_holidays=False,
            **fields,
        )
        WeeklyHours.objects.bulk_create(
            WeeklyHours(advisor=advisor, weekday=d, start=time(8), end=time(18)) for d in range(7)
        )
        advisors[key] = advisor.pk
    tokens = {u.email: api_token_issue(user=u) for u in people}
topic = Topic.objects.filter(is_active=True).order_by("position", "slug").values_list("slug", flat=True)[0]
print(json.dumps({"entrepreneurs": [u.email for u in people], "advisors": advisors, "topic": topic, "tokens": tokens}))
"""

# Pairs of one advisor's active bookings whose widened ranges overlap: what
# invariant 1 forbids. Half-open ranges, as the exclusion constraint's '[)'.
OVERLAPS_SQL = """
SELECT a.id, b.id, a.advisor_id, a.blocked_start, a.blocked_end, b.blocked_start, b.blocked_end
FROM bookings_booking a
JOIN bookings_booking b ON b.advisor_id = a.advisor_id AND a.id < b.id
WHERE a.status <> 'cancelled' AND b.status <> 'cancelled'
  AND a.blocked_start < b.blocked_end AND b.blocked_start < a.blocked_end
"""


BOOKINGS_SQL = """
SELECT b.uid, u.email, b.start, b.end, b.blocked_start, b.blocked_end, b.status, b.sequence
FROM bookings_booking b LEFT JOIN backend_user u ON u.id = b.entrepreneur_id
WHERE b.advisor_id = %s
"""


def run_manage(args: Sequence[str], *, env: Mapping[str, str], timeout: float = 120) -> str:
    """`manage.py *args` in a process of its own with exactly `env`; its
    output, or RuntimeError with the end of its errors."""
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"manage.py {args[0]} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return done.stdout


def with_database(url: str, name: str) -> str:
    """`url` with its path (database name or number) set to `name`."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def own_database(vendor: str, workdir: Path, *, migrated: bool = False) -> Iterator[str]:
    """A new database; yields its DATABASE_URL and drops it afterwards. Empty,
    or with `migrated`, a copy of one this process migrated once (see
    `migrated_template`): a stack's own `manage.py migrate` would then find
    nothing to do."""
    if vendor == "sqlite":
        path = workdir / "live.sqlite3"
        if migrated:
            shutil.copyfile(migrated_template(vendor).removeprefix("sqlite:///"), path)
        yield f"sqlite:///{path}"
        return
    template = urlsplit(migrated_template(vendor)).path.lstrip("/") if migrated else None
    with throwaway_postgres("radtid_race", template=template) as url:
        yield url


# Migrating takes seconds of CPU in a process of its own, and a run of the
# suite starts a dozen stacks: each starts instead from a copy of a database
# migrated once per process (per xdist worker: each has its own, so no copy
# waits for another worker's), dropped when the process exits.
_MIGRATED: dict[str, str] = {}


def migrated_template(vendor: str) -> str:
    """The URL of this process's migrated database of `vendor`, migrated on
    first use with the development settings (the migrations read no setting
    that differs)."""
    if vendor in _MIGRATED:
        return _MIGRATED[vendor]
    folder = Path(tempfile.mkdtemp(prefix="radtid-migrated-"))
    atexit.register(shutil.rmtree, folder, True)
    if vendor == "sqlite":
        url = f"sqlite:///{folder / 'migrated.sqlite3'}"
    else:
        name = f"radtid_migrated_{secrets.token_hex(4)}"
        _postgres_admin("CREATE DATABASE {}", name)
        atexit.register(_postgres_admin, "DROP DATABASE IF EXISTS {} WITH (FORCE)", name)
        url = with_database(POSTGRES_URL, name)
    env = {
        **{k: os.environ[k] for k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR") if k in os.environ},
        "DJANGO_SETTINGS_MODULE": "backend.settings",
        "DATABASE_URL": url,
        "CELERY_BROKER_URL": "",
        "REDIS_URL": "",
        "EMAIL_URL": "dummymail://",
        "RADTID_VAR_DIR": str(folder / "var"),
    }
    run_manage(["migrate", "--noinput"], env=env)
    _MIGRATED[vendor] = url
    return url


def _postgres_admin(statement: str, *names: str) -> None:
    """`statement` with `names` as its database identifiers, run on the server."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(with_database(POSTGRES_URL, "postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL(statement).format(*map(sql.Identifier, names)))


@contextlib.contextmanager
def throwaway_postgres(prefix: str, *, template: str | None = None) -> Iterator[str]:
    """A new PostgreSQL database named `prefix` and a random suffix, empty or a
    copy of the database `template`; yields its URL and drops it afterwards
    (for the integration tests and benchmarks)."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    if template:
        _postgres_admin("CREATE DATABASE {} TEMPLATE {}", name, template)
    else:
        _postgres_admin("CREATE DATABASE {}", name)
    try:
        yield with_database(POSTGRES_URL, name)
    finally:
        _postgres_admin("DROP DATABASE IF EXISTS {} WITH (FORCE)", name)


@contextlib.contextmanager
def broker_for(vendor: str) -> Iterator[str]:
    """The servers' Celery broker: Redis on PostgreSQL runs when it answers
    (keys the run adds are deleted afterwards), else the filesystem broker."""
    if vendor != "postgresql" or not reachable(REDIS_URL):
        yield "filesystem://"
        return
    import redis

    url = with_database(REDIS_URL, str(BROKER_REDIS_DB))
    client = redis.Redis.from_url(url)
    before = set(client.keys("*"))
    try:
        yield url
    finally:
        added = set(client.keys("*")) - before
        if added:
            client.delete(*added)
        client.close()


def cache_env(broker: str) -> dict[str, str]:
    """The servers' cache: with a Redis broker, that Redis (its keys go with the
    broker's), so gunicorn's workers share rate limits as in production. Else each
    process's own memory, which DEBUG off accepts only when told: these stacks do
    not test rate limits (tests/security does)."""
    if broker.startswith(("redis://", "rediss://")):
        return {"REDIS_URL": broker}
    return {"REDIS_URL": "", "PER_PROCESS_CACHE": "1"}


@dataclass
class Call:
    """One HTTP request of a race, made as `person` (an email; None: anonymous)."""

    method: str
    path: str
    json: Mapping[str, Any] | None = None
    person: str | None = None


@dataclass
class Outcome:
    """What one call got: status 0 is a connection error (`body` says which)."""

    status: int
    body: Any
    started: float
    finished: float

    @property
    def seconds(self) -> float:
        return self.finished - self.started


def tally(outcomes: Sequence[Outcome]) -> dict[int, int]:
    return dict(sorted(Counter(o.status for o in outcomes).items()))


class LiveStack:
    """A migrated, seeded database served by gunicorn on 127.0.0.1.

    `entrepreneurs` are emails in seed order, `advisors` maps the spec's keys
    to advisor ids, `topic` is a topic slug every advisor accepts, `tokens`
    maps each entrepreneur to an API token (issued by the seed; `log_in` gets
    more from POST /api/v1/auth/token/)."""

    def __init__(self, vendor: str, database_url: str, port: int, env: dict[str, str], log: Path) -> None:
        self.vendor = vendor
        self.database_url = database_url
        self.base_url = f"http://127.0.0.1:{port}"
        self.env = env
        self.log = log
        self.entrepreneurs: list[str] = []
        self.advisors: dict[str, int] = {}
        self.topic = ""
        self.tokens: dict[str, str] = {}

    @classmethod
    @contextlib.contextmanager
    def running(
        cls,
        vendor: str,
        *,
        workdir: Path,
        entrepreneurs: int,
        advisors: Mapping[str, Mapping[str, Any]],
        workers: int = 4,
        threads: int = 5,
        env: Mapping[str, str] | None = None,
    ) -> Iterator[LiveStack]:
        port = free_port()
        with own_database(vendor, workdir, migrated=True) as database_url, broker_for(vendor) as broker:
            # Exactly the environment a production server gets, nothing inherited
            # from the test run (its DATABASE_URL, CI, DJANGO_SETTINGS_MODULE).
            server_env = {
                **{k: os.environ[k] for k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR") if k in os.environ},
                "DJANGO_SETTINGS_MODULE": "backend.settings",
                "DJANGO_DEBUG": "0",
                "SECRET_KEY": secrets.token_urlsafe(40),
                "SITE_URL": f"http://127.0.0.1:{port}",
                "ALLOWED_HOSTS": "127.0.0.1",
                "DATABASE_URL": database_url,
                "CELERY_BROKER_URL": broker,
                **cache_env(broker),
                "EMAIL_URL": "dummymail://",
                "RADTID_VAR_DIR": str(workdir / "var"),
                "LOG_LEVEL": "WARNING",
                "PYTHONUNBUFFERED": "1",
                # Everyone here comes from 127.0.0.1 at once; the rate limits
                # are proven in tests/security, not tripped by the race tests.
                **{f"THROTTLE_{scope}": "off" for scope in ("TOKEN", "BOOKING_CREATE", "DIRECTORY", "SLOTS")},
                # Hundreds of bookings at once on two busy cores: on SQLite a
                # writer may wait its turn longer than a person would (20 s),
                # within the clients' 60.
                "SQLITE_LOCK_TIMEOUT": "50",
                **(env or {}),
            }
            stack = cls(vendor, database_url, port, server_env, workdir / "server.log")
            seeded = json.loads(
                stack.manage(
                    "shell",
                    "-c",
                    SEED_SCRIPT,
                    env={
                        "LIVE_STACK_SEED": json.dumps(
                            {"password": PASSWORD, "entrepreneurs": entrepreneurs, "advisors": advisors}
                        )
                    },
                ).splitlines()[-1]
            )
            stack.entrepreneurs = seeded["entrepreneurs"]
            stack.advisors = seeded["advisors"]
            stack.topic = seeded["topic"]
            stack.tokens = seeded["tokens"]
            with stack._serve(workers=workers, threads=threads):
                yield stack

    def manage(self, *args: str, env: Mapping[str, str] | None = None) -> str:
        return run_manage(args, env={**self.env, **(env or {})})

    @contextlib.contextmanager
    def _serve(self, *, workers: int, threads: int) -> Iterator[None]:
        port = urlsplit(self.base_url).port
        with self.log.open("wb") as log:
            server = subprocess.Popen(
                [
                    str(BIN / "gunicorn"),
                    "backend.wsgi:application",
                    f"--bind=127.0.0.1:{port}",
                    f"--workers={workers}",
                    "--worker-class=gthread",
                    f"--threads={threads}",
                    "--preload",  # import Django once, before forking: quicker on two cores
                    "--keep-alive=30",  # clients open their connection before the barrier
                    "--timeout=60",
                    "--graceful-timeout=10",
                ],
                cwd=BASE_DIR,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            try:
                self._wait_until_up(server)
                yield
            finally:
                server.terminate()
                try:
                    server.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    server.kill()
                    server.wait(timeout=5)

    def _wait_until_up(self, server: subprocess.Popen, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {server.returncode}:\n{self.log_tail()}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(self.url("/api/v1/topics/"), timeout=2).status_code == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not answer within {timeout} s:\n{self.log_tail()}")

    def _log_in(self, emails: Sequence[str]) -> dict[str, str]:
        def token(email: str) -> str:
            # Every sign-in from one address takes allauth's lock on that
            # address's count (its lockout, which the token endpoint shares
            # with the website); one that waits over a second for the lock,
            # as a fresh worker on a busy machine can make it, is answered 429
            # as if locked. Right passwords only here: such a 429 is that
            # wait, and the next try gets through.
            for attempt in range(5):
                response = requests.post(
                    self.url("/api/v1/auth/token/"), json={"email": email, "password": PASSWORD}, timeout=60
                )
                if response.status_code != 429:
                    break
                time.sleep(0.5 * (attempt + 1))
            if response.status_code != 200:
                raise RuntimeError(f"login of {email}: {response.status_code} {response.text[:300]}")
            return response.json()["token"]

        with ThreadPoolExecutor(8) as pool:
            return dict(zip(emails, pool.map(token, emails), strict=True))

    def log_in(self, *emails: str) -> None:
        """API tokens for more accounts (with PASSWORD), say ones seed_demo made."""
        self.tokens.update(self._log_in(emails))

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return "(no server log)"
        return "\n".join(text.splitlines()[-lines:])

    # --- The database, read directly (not through the app) -------------------

    def connect(self) -> contextlib.AbstractContextManager[Any]:
        """A DB-API connection to the stack's database, committed on success."""
        return connect_to(self.vendor, self.database_url)

    def sql(self, query: str, params: Sequence[Any] = ()) -> list[tuple]:
        """Run one statement; `%s` placeholders on both databases."""
        return run_sql(self.vendor, self.database_url, query, params)

    def bookings(self, advisor_id: int, *, active_only: bool = True) -> list[dict[str, Any]]:
        """One advisor's bookings as dicts with aware UTC datetimes and UUID uids."""
        import uuid

        rows = self.sql(BOOKINGS_SQL, [advisor_id])
        keys = ("uid", "person", "start", "end", "blocked_start", "blocked_end", "status", "sequence")
        found = []
        for row in rows:
            booking = dict(zip(keys, row, strict=True))
            booking["uid"] = uuid.UUID(str(booking["uid"]))
            for key in ("start", "end", "blocked_start", "blocked_end"):
                value = booking[key]
                # SQLite holds Django's naive UTC text; PostgreSQL gives aware values.
                if isinstance(value, str):
                    value = datetime.fromisoformat(value).replace(tzinfo=UTC)
                booking[key] = value.astimezone(UTC)
            if booking["status"] != "cancelled" or not active_only:
                found.append(booking)
        return sorted(found, key=lambda b: b["start"])

    def overlaps(self) -> list[tuple]:
        return self.sql(OVERLAPS_SQL)


@contextlib.contextmanager
def connect_to(vendor: str, database_url: str) -> Iterator[Any]:
    """A DB-API connection to a live stack's database (not through the app),
    committed on success."""
    if vendor == "sqlite":
        conn = sqlite3.connect(urlsplit(database_url).path, timeout=20)
    else:
        import psycopg

        conn = psycopg.connect(database_url)
    try:
        yield conn
        conn.commit()
    finally:
        conn.close()


def run_sql(vendor: str, database_url: str, query: str, params: Sequence[Any] = ()) -> list[tuple]:
    """Run one statement on a live stack's database; `%s` placeholders on both."""
    if vendor == "sqlite":
        query = query.replace("%s", "?")
    with connect_to(vendor, database_url) as conn:
        cursor = conn.cursor()
        cursor.execute(query, tuple(params))
        return cursor.fetchall() if cursor.description else []


def race(stack: LiveStack, calls: Sequence[Call], *, clients: int | None = None) -> list[Outcome]:
    """Make `calls` from real threads that start together behind a barrier:
    one thread a call, or `clients` threads taking the calls in turn. Each
    thread opens its own keep-alive connection first, so the requests leave
    at once. Outcomes come back in the order of `calls`."""
    count = clients or len(calls)
    barrier = threading.Barrier(count)
    outcomes: list[Outcome | None] = [None] * len(calls)
    taken = iter(range(len(calls)))
    lock = threading.Lock()

    def client() -> None:
        with requests.Session() as session:
            session.get(stack.url("/api/v1/topics/"), timeout=30)
            barrier.wait(timeout=60)
            while True:
                with lock:
                    index = next(taken, None)
                if index is None:
                    return
                call = calls[index]
                headers = {"Authorization": f"Token {stack.tokens[call.person]}"} if call.person else {}
                started = time.perf_counter()
                try:
                    response = session.request(
                        call.method, stack.url(call.path), json=call.json, headers=headers, timeout=60
                    )
                except requests.RequestException as exc:
                    outcomes[index] = Outcome(0, repr(exc), started, time.perf_counter())
                    continue
                try:
                    body = response.json()
                except ValueError:
                    body = response.text[:300]
                outcomes[index] = Outcome(response.status_code, body, started, time.perf_counter())

    with ThreadPoolExecutor(count) as pool:
        for future in [pool.submit(client) for _ in range(count)]:
            future.result()
    assert None not in outcomes  # every call was made (a client that failed raised above)
    return cast(list[Outcome], outcomes)


@pytest.fixture(scope="module", params=[run_vendor()])
def database_vendor(request) -> str:
    """A live stack's database is of the run's kind: a SQLite file in the
    embedded pass of `make test`, a PostgreSQL database in the pass on
    PostgreSQL and Redis, so each live-stack module (marked `services`) runs
    once on each. Without PostgreSQL the second skips (fails under CI=true)."""
    if request.param == "postgresql":
        require("PostgreSQL", reachable(POSTGRES_URL), f"nothing answers at {POSTGRES_URL}")
    return request.param


# --- The outbox's real parts: an SMTP server and a Celery worker ------------------------
# (tests/integration/test_outbox_faults.py, benchmarks/outbox.py)


@pytest.fixture(scope="module")
def mail_sink():
    """A real SMTP server (aiosmtpd) on 127.0.0.1 keeping every message it accepts."""
    from tests.integration.smtp import MailSink

    with MailSink() as sink:
        yield sink


class CeleryWorker:
    """A real `celery -A backend worker` in a process group of its own, so that
    `kill()` takes the pool's children with it, as a crash or the OOM killer would."""

    def __init__(self, env: Mapping[str, str], log: Path, *, concurrency: int = 2, pool: str = "prefork"):
        self.env, self.log = dict(env), log
        self.name = f"outbox-{secrets.token_hex(3)}@%h"
        self.args = [
            str(BIN / "celery"), "-A", "backend", "worker", "-l", "info", "-n", self.name,
            f"--concurrency={concurrency}", f"--pool={pool}", "-Q", "celery",
            "--without-mingle", "--without-gossip", "--without-heartbeat",
        ]  # fmt: skip
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> CeleryWorker:
        offset = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                self.args, cwd=BASE_DIR, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the Celery worker exited with {self.process.returncode}:\n{self.tail()}")
            with self.log.open("rb") as log:
                log.seek(offset)
                if b" ready." in log.read():
                    return self
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"the Celery worker was not ready within {timeout} s:\n{self.tail()}")

    def kill(self) -> None:
        """SIGKILL to the whole group: no warm shutdown, no ack, no cleanup."""
        import signal

        # Only while the leader lives: once it is reaped, its pid (the group's id)
        # may belong to someone else.
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        """A warm shutdown (SIGTERM): running tasks finish, the rest stays queued."""
        import signal

        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no worker log)"

    def __enter__(self) -> CeleryWorker:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

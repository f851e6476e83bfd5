"""Reachability of the real services some tests need, and which pass of
`make test` this run is.

A test that needs a service it cannot reach skips with the reason, except when
CI=true: there a missing service fails the run, so CI never goes green by
skipping what it was meant to prove.

`make test` runs the suite twice: embedded (SQLite, the filesystem broker, the
local-memory cache), then, on PostgreSQL and Redis, only the tests marked
`services` (`pytest -m services`): those whose outcome can depend on the
database, cache or broker under them. tests/conftest.py fails a test that
shows such a dependence without the mark."""

from __future__ import annotations

import os
import socket
from urllib.parse import urlsplit

import pytest

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/radtid")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/5")


def redis_database(number: int) -> int:
    """A Redis database of a test module's own on this xdist worker: `number` on
    the first worker (and without xdist), `number + 1` on the second, so two
    modules that empty their database never run on the same one. Taken, for the
    two workers of `make test`: 5 the second pass's broker, 6-7 its caches
    (tests/settings.py), 8-9 the live stacks' broker and cache, 10-11 the outbox
    faults' broker, 12-13 the lockout stack's cache, 14-15 the status page's
    queue."""
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    if worker > 1:
        raise RuntimeError("The Redis-backed tests have databases for two xdist workers (-n 2), not more.")
    return number + worker


def on_postgresql() -> bool:
    """Whether this run's database is PostgreSQL (the second pass), not SQLite."""
    return os.environ.get("DATABASE_URL", "").startswith(("postgres", "pgsql"))


def run_vendor() -> str:
    """The run's database, as `connection.vendor` names it: the live stacks of
    tests/integration and tests/e2e use a database of the same kind."""
    return "postgresql" if on_postgresql() else "sqlite"


def reachable(url: str, timeout: float = 1.0) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port), timeout=timeout):
            return True
    except OSError:
        return False


def require(name: str, ok: bool, why: str) -> None:
    """Skip (or, under CI, fail) the calling test when a service is missing."""
    if ok:
        return
    message = f"{name} is not available: {why}"
    if IN_CI:
        pytest.fail(f"{message} (CI=true: a missing service fails the run)")
    pytest.skip(message)


def require_services_pass(what: str) -> None:
    """For a test (marked `services`) that needs PostgreSQL and Redis whatever
    the run: it skips in the embedded pass, even under CI, because the second
    pass runs it; there a missing service fails as `require` says."""
    if not on_postgresql():
        pytest.skip(f"{what}: runs in the pass on PostgreSQL and Redis (make test-services)")
    require("PostgreSQL", reachable(POSTGRES_URL), f"nothing answers at {POSTGRES_URL}")
    require("Redis", reachable(REDIS_URL), f"nothing answers at {REDIS_URL}")


def main() -> int:
    """`python -m tests.services`: exit 0 when PostgreSQL and Redis both answer."""
    services = {"PostgreSQL": POSTGRES_URL, "Redis": REDIS_URL}
    missing = [name for name, url in services.items() if not reachable(url)]
    for name in missing:
        print(f"{name} is not reachable")
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main())

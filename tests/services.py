"""Reachability of the real services some tests need.

A test that needs a service it cannot reach skips with the reason, except when
CI=true: there a missing service fails the run, so CI never goes green by
skipping what it was meant to prove."""

from __future__ import annotations

import os
import socket
from urllib.parse import urlsplit

import pytest

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/radtid")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/5")


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


def main() -> int:
    """`python -m tests.services`: exit 0 when PostgreSQL and Redis both answer."""
    services = {"PostgreSQL": POSTGRES_URL, "Redis": REDIS_URL}
    missing = [name for name, url in services.items() if not reachable(url)]
    for name in missing:
        print(f"{name} is not reachable")
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main())

"""With DEBUG off the cache is shared by every process (REDIS_URL), so rate
limits count once, not once per gunicorn worker. Real gunicorns, as the image
starts them: without REDIS_URL one does not start; with it, two count one
limit together."""

from __future__ import annotations

import contextlib
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.backend.test_settings import PRODUCTION, ROOT
from tests.integration.conftest import free_port, migrated_template
from tests.services import REDIS_URL, require_services_pass

GUNICORN = Path(sys.executable).with_name("gunicorn")


def production_env(tmp_path: Path, port: int, **extra: str) -> dict[str, str]:
    """What a production server gets, on loopback, with a SQLite file; nothing
    inherited from the test run but the path."""
    env = {
        **{k: v for k, v in PRODUCTION.items() if k != "REDIS_URL"},
        "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "backend.settings",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "EMAIL_URL": "dummymail://",
        "RADTID_VAR_DIR": str(tmp_path / "var"),
        "PYTHONUNBUFFERED": "1",
    }
    env.update(extra)
    return env


def start_gunicorn(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    # As the Dockerfile's CMD starts it: three workers, each loading the app.
    with log.open("wb") as out:
        return subprocess.Popen(
            [str(GUNICORN), "backend.wsgi", "-b", f"127.0.0.1:{port}", "-w", "3", "--timeout", "60"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


@contextlib.contextmanager
def serving(env: dict[str, str], ports: list[int], logs: Path) -> Iterator[list[str]]:
    """A gunicorn on each port (started together), until each answers /healthz."""
    servers = [start_gunicorn(env, port, logs / f"gunicorn-{port}.log") for port in ports]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        deadline = time.monotonic() + 60
        waiting = set(range(len(ports)))
        while waiting:
            for n in list(waiting):
                log = logs / f"gunicorn-{ports[n]}.log"
                assert servers[n].poll() is None, log.read_text(errors="replace")[-3000:]
                with contextlib.suppress(requests.RequestException):
                    if requests.get(f"{bases[n]}/healthz", timeout=2).status_code == 200:
                        waiting.discard(n)
            assert time.monotonic() < deadline, "gunicorn did not answer within 60 s"
            time.sleep(0.1)
        yield bases
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)


def test_gunicorn_does_not_start_without_redis_url_when_debug_is_off(tmp_path):
    port = free_port()
    log = tmp_path / "gunicorn.log"

    server = start_gunicorn(production_env(tmp_path, port), port, log)
    try:
        returncode = server.wait(timeout=60)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()

    assert returncode != 0
    output = log.read_text(errors="replace")
    assert "backend.E001" in output and "REDIS_URL is required when DJANGO_DEBUG is off" in output


@pytest.mark.services
def test_with_redis_url_every_server_process_counts_one_rate_limit_together(tmp_path):
    """Two gunicorns of three workers each, as with `--scale web=2` (a client
    cannot choose a worker, but it can choose a server): what one counted, the
    other knows."""
    require_services_pass("two gunicorns share a real Redis")
    ports = [free_port(), free_port()]
    env = production_env(
        tmp_path,
        ports[0],
        REDIS_URL=REDIS_URL,
        THROTTLE_DIRECTORY="3/min",
        # Behind our own proxy the client is the one X-Forwarded-For names: a
        # client address of this test's own, counted apart from anyone else's.
        TRUSTED_PROXY="1",
    )
    shutil.copyfile(migrated_template("sqlite").removeprefix("sqlite:///"), tmp_path / "db.sqlite3")
    client = {"X-Forwarded-For": f"2001:db8::{secrets.token_hex(2)}:{secrets.token_hex(2)}"}

    with serving(env, ports, tmp_path) as (first, second):

        def status(base: str) -> int:
            return requests.get(f"{base}/api/v1/advisors/", headers=client, timeout=10).status_code

        statuses = [status(first) for _ in range(3)] + [status(second), status(first)]

    assert statuses == [200, 200, 200, 429, 429]

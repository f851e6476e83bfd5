"""Configuration from the environment: bad values stop start-up with a message
naming the variable; production settings pass Django's deployment checks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "SECRET_KEY": "a-production-secret-key-that-is-long-and-random-enough-0123456789",
    "SITE_URL": "https://radtid.example.se",
    "ALLOWED_HOSTS": "radtid.example.se",
    "DATABASE_URL": "sqlite:///:memory:",
    "REDIS_URL": "redis://redis.example.se:6379/1",
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION and k != "DJANGO_SETTINGS_MODULE"}
    clean.update(env)
    clean["RADTID_VAR_DIR"] = env.get("RADTID_VAR_DIR", str(ROOT / "var" / "test-settings"))
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DATABASE_URL", "mysql-ish:/nowhere"),
        ("DATABASE_URL", "postgres://"),
        ("CELERY_BROKER_URL", "rabbit//nope"),
        ("EMAIL_URL", "mailto:someone"),
        ("DJANGO_DEBUG", "perhaps"),
        ("REDIS_URL", "localhost:6379"),
    ],
)
def test_a_malformed_variable_stops_start_up_with_a_message_naming_it(variable, value):
    result = manage("check", **{variable: value})
    assert result.returncode != 0
    assert variable in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("missing", ["SECRET_KEY", "SITE_URL", "ALLOWED_HOSTS", "REDIS_URL"])
def test_production_refuses_to_start_without_a_required_variable(missing):
    env = {k: v for k, v in PRODUCTION.items() if k != missing}
    result = manage("check", **env)
    assert result.returncode != 0
    assert missing in result.stderr


def test_production_settings_pass_the_deployment_checks():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_without_redis_url_the_deployment_checks_fail_naming_it():
    env = {k: v for k, v in PRODUCTION.items() if k != "REDIS_URL"}
    result = manage("check", "--deploy", **env)
    assert result.returncode != 0
    assert "backend.E001" in result.stderr and "REDIS_URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_server_of_one_process_may_opt_out_but_the_deployment_checks_still_name_it():
    env = {**{k: v for k, v in PRODUCTION.items() if k != "REDIS_URL"}, "PER_PROCESS_CACHE": "1"}
    assert manage("check", **env).returncode == 0
    result = manage("check", "--deploy", "--fail-level", "WARNING", **env)
    assert result.returncode != 0
    assert "backend.W001" in result.stderr and "PER_PROCESS_CACHE" in result.stderr


def test_the_embedded_mode_needs_no_redis():
    result = manage("check", DATABASE_URL="sqlite:///:memory:")
    assert result.returncode == 0, result.stdout + result.stderr


def test_https_behaviour_follows_the_scheme_of_the_site_url():
    code = (
        "from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.SECURE_HSTS_SECONDS)"
    )
    https = manage("shell", "-c", code, **PRODUCTION)
    plain = manage("shell", "-c", code, **{**PRODUCTION, "SITE_URL": "http://127.0.0.1:8765"})
    assert https.stdout.split()[-3:] == ["True", "True", "31536000"], https.stderr
    assert plain.stdout.split()[-3:] == ["False", "False", "0"], plain.stderr


@pytest.mark.services  # reads connection.vendor; skips on PostgreSQL
def test_the_embedded_defaults_use_sqlite_in_immediate_mode_and_the_filesystem_broker(settings):
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("this run uses DATABASE_URL for PostgreSQL")
    assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert settings.TIME_ZONE == "Europe/Stockholm"
    assert settings.LANGUAGE_CODE == "sv"
    assert settings.USE_TZ


SHOW_LOCK_WAIT = "from django.db import connection as c; print(c.settings_dict['OPTIONS']['timeout'])"


@pytest.mark.parametrize(("given", "seconds"), [("", "20"), ("50", "50")])
def test_a_write_waits_for_sqlites_lock_as_long_as_sqlite_lock_timeout_says(given, seconds):
    env = {"SQLITE_LOCK_TIMEOUT": given} if given else {}
    result = manage("shell", "-c", SHOW_LOCK_WAIT, DATABASE_URL="sqlite:///:memory:", **env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == seconds


# --- The development server's address (`make run HOST=… PORT=…`) --------------------------

SHOW_SITE = "from django.conf import settings as s; print(s.SITE_URL, ' '.join(s.ALLOWED_HOSTS))"


@pytest.mark.parametrize(
    ("host", "port", "site_url"),
    [
        ("", "", "http://127.0.0.1:8000"),
        ("localhost", "8765", "http://localhost:8765"),
        ("0.0.0.0", "8100", "http://127.0.0.1:8100"),  # noqa: S104 (a wildcard bind is reached on loopback)
        ("::1", "8100", "http://[::1]:8100"),
    ],
)
def test_in_development_site_url_follows_the_host_and_port_served(host, port, site_url):
    result = manage("shell", "-c", SHOW_SITE, DATABASE_URL="sqlite:///:memory:", HOST=host, PORT=port)

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].split()[0] == site_url


def test_a_site_url_given_wins_over_the_port_served():
    result = manage(
        "shell",
        "-c",
        SHOW_SITE,
        DATABASE_URL="sqlite:///:memory:",
        PORT="8100",
        SITE_URL="http://radtid.local:9000",
    )

    site_url, *allowed_hosts = result.stdout.splitlines()[-1].split()
    assert site_url == "http://radtid.local:9000"
    assert "radtid.local" in allowed_hosts  # the development server answers to its own name


def test_production_takes_no_site_url_from_the_port():
    env = {k: v for k, v in PRODUCTION.items() if k != "SITE_URL"}
    result = manage("check", **env, PORT="8100")

    assert result.returncode != 0
    assert "SITE_URL" in result.stderr


def test_make_run_hands_its_host_and_port_to_the_server_and_its_worker():
    result = subprocess.run(
        ["make", "-n", "run", "HOST=localhost", "PORT=8100"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert "HOST=localhost PORT=8100 .venv/bin/python manage.py serve localhost:8100" in result.stdout


# --- System checks on SQLite ------------------------------------------------------------


def test_check_on_sqlite_prints_no_warnings_not_even_those_migrate_sees(tmp_path):
    database = f"sqlite:///{tmp_path / 'check.sqlite3'}"
    for args in (["check"], ["check", "--database", "default"]):  # the second runs migrate's checks
        result = manage(*args, "--fail-level", "WARNING", DATABASE_URL=database)
        output = result.stdout + result.stderr
        assert result.returncode == 0, output
        assert "WARNING" not in output
        assert "W040" not in output
        assert "no issues" in result.stdout


def test_the_index_warning_is_silenced_on_sqlite_only():
    show = "from django.conf import settings as s; print(s.SILENCED_SYSTEM_CHECKS)"
    sqlite = manage("shell", "-c", show, DATABASE_URL="sqlite:///:memory:")
    postgres = manage("shell", "-c", show, DATABASE_URL="postgres://radtid@127.0.0.1:5432/radtid")

    assert sqlite.stdout.split()[-1] == "['models.W040']"
    assert postgres.stdout.split()[-1] == "[]"

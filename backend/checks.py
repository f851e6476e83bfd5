"""Rådtid's own system checks (`manage.py check`, and every command that runs
the checks: migrate, runserver, serve, seed_demo).

Checks tagged START_UP also run when the WSGI or ASGI application is loaded
(backend/wsgi.py, backend/asgi.py): gunicorn runs no system checks, and a
check that only `check --deploy` runs is a check nobody runs.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

START_UP = "radtid_start_up"

# Cache backends whose entries each process keeps for itself.
PER_PROCESS_BACKENDS = frozenset(
    {
        "django.core.cache.backends.locmem.LocMemCache",
        "django.core.cache.backends.dummy.DummyCache",
    }
)


def _cache_is_per_process() -> bool:
    return settings.CACHES["default"]["BACKEND"] in PER_PROCESS_BACKENDS


@checks.register(checks.Tags.caches, START_UP)
def shared_cache(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """With DEBUG off the cache must be shared by every process: the sign-in and
    API rate limits count in it, so three gunicorn workers with a cache each let
    three times the guesses through, and the status page reads there when the
    beat tasks last ran."""
    if settings.DEBUG or settings.PER_PROCESS_CACHE or not _cache_is_per_process():
        return []
    return [
        checks.Error(
            "REDIS_URL is required when DJANGO_DEBUG is off: without it each process "
            "keeps its own cache, and rate limits count per process.",
            hint="Set REDIS_URL (e.g. redis://redis.example.se:6379/1), or, for a server "
            "of one process, PER_PROCESS_CACHE=1.",
            id="backend.E001",
        )
    ]


@checks.register(checks.Tags.caches, deploy=True)
def per_process_cache_allowed(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """The opt-out is allowed, but a deployment check still names it."""
    if settings.DEBUG or not settings.PER_PROCESS_CACHE or not _cache_is_per_process():
        return []
    return [
        checks.Warning(
            "PER_PROCESS_CACHE=1 without REDIS_URL: rate limits count in each process apart.",
            hint="Fine for a server of one process; with more, set REDIS_URL.",
            id="backend.W001",
        )
    ]


def refuse_to_start_when_misconfigured() -> None:
    """Run the START_UP checks; ImproperlyConfigured with their errors, if any."""
    errors = [message for message in checks.run_checks(tags=[START_UP]) if message.is_serious()]
    if errors:
        raise ImproperlyConfigured("\n".join(str(error) for error in errors))

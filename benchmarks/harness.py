"""A small harness: a throwaway database, timing, and the report table."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import django


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    django.setup()


@contextmanager
def throwaway_database() -> Iterator[None]:
    """A fresh test database (SQLite in memory, or test_<name> on PostgreSQL
    when DATABASE_URL points there), migrated, and dropped afterwards."""
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    setup_test_environment(debug=False)  # DEBUG would log every query and slow everything
    assert not settings.DEBUG
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        yield
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()


def best_of(fn: Callable[[], object], *, repeat: int = 7, number: int = 1) -> float:
    """The median of `repeat` timings of `number` calls, in seconds per call.
    The median, not the minimum: it is what a person would meet."""
    times = []
    fn()  # warm caches and imports
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - start) / number)
    return statistics.median(times)


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    target: str
    ok: bool

    def row(self) -> str:
        mark = "ok  " if self.ok else "MISS"
        return f"  {mark} {self.name:<62} {self.value:>10.2f} {self.unit:<8} target {self.target}"


def report(title: str, figures: list[Figure]) -> bool:
    print(f"\n{title}")
    for figure in figures:
        print(figure.row())
    return all(f.ok for f in figures)

"""Regional statistics on a big history, on PostgreSQL (the production shape):
`seed_demo --history-bookings N` (1,000,000 by default; BENCH_STATISTICS_BOOKINGS
scales it down for a quick run), the nightly build of the monthly rollups, then
the busiest region's report for the last twelve whole months (as the
dashboard's "last year" reads it), its queries, one of its months built again
alone after a change in it (its fingerprint read and its rollup built and
stored, as a report does first), the year report just after such a change,
the report of a period that is not whole months (its whole months from the
rollups, the days at its ends from their bookings), and the coordinator's
dashboard.

It runs in a process of its own, `python -m benchmarks.statistics` (also
alone), and makes and drops its own database, test_radtid_bench_statistics, on
the PostgreSQL server of DATABASE_URL or else TEST_POSTGRES_URL; without
PostgreSQL it prints a note and passes."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlsplit

from .harness import Figure, best_of, report, setup_django, throwaway_database

BOOKINGS = int(os.environ.get("BENCH_STATISTICS_BOOKINGS", "1000000"))
TITLE = "Regional statistics on PostgreSQL"


def peak_mb(work: Callable[[], object]) -> float:
    """The most memory Python held while `work` ran (tracemalloc: what the
    report allocates, not the database driver's buffers), in MB."""
    tracemalloc.start()
    try:
        work()
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20


def bench(bookings: int) -> list[Figure]:
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count
    from django.test import Client

    from advisors.models import Coordinator, Region
    from bookings.models import Booking, Feedback
    from reporting import periods
    from reporting.periods import add_months, period_bounds
    from reporting.rollups import build_months, month_fingerprints, refresh_months
    from reporting.selectors import region_report

    started = time.perf_counter()
    with open(os.devnull, "w") as quiet:
        # The progress bar goes to stderr, where whoever runs this sees it.
        call_command("seed_demo", history_bookings=bookings, stdout=quiet)
    seeded = time.perf_counter() - started
    with connection.cursor() as cursor:
        # What autovacuum does after a bulk load, sooner or later.
        for model in (Booking, Feedback):
            cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}")

    started = time.perf_counter()
    months_built = refresh_months()  # what the nightly task does
    refreshed = time.perf_counter() - started

    today = periods.today()
    end = add_months(today, 0) - timedelta(days=1)  # the last day of the last whole month
    start = add_months(today, -12)  # twelve months before
    since, until = period_bounds(start, end)
    busiest = (
        Booking.objects.filter(start__gte=since, start__lt=until)
        .values("stat_region")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    region = Region.objects.get(code=busiest["stat_region"])

    def year() -> None:
        region_report(region=region, start=start, end=end)

    year_seconds = best_of(year, repeat=5)
    queries: list[str] = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        year()
    counted = region_report(region=region, start=start, end=end)["totals"]["bookings"]

    # A booking of the last month is saved (an advisor records an outcome, say):
    # the next report builds that month again first.
    last_month = period_bounds(end.replace(day=1), end)

    def change_last_month() -> None:
        Booking.objects.filter(
            stat_region=region.code, start__gte=last_month[0], start__lt=last_month[1]
        ).first().save()

    def rebuild_last_month() -> None:
        # What a report does first for a stale month: read its fingerprint, build it, store it.
        fingerprints = month_fingerprints(region.code, end.replace(day=1), end)
        assert list(fingerprints) == [end.replace(day=1)], fingerprints
        build_months(region.code, fingerprints)

    rebuilds = []
    for _ in range(3):
        change_last_month()
        started = time.perf_counter()
        rebuild_last_month()
        rebuilds.append(time.perf_counter() - started)
    rebuilt = statistics.median(rebuilds)
    month_bookings = Booking.objects.filter(
        stat_region=region.code, start__gte=last_month[0], start__lt=last_month[1]
    ).count()

    change_last_month()
    started = time.perf_counter()
    year()
    after_change = time.perf_counter() - started
    change_last_month()
    after_change_mb = peak_mb(year)
    year_mb = peak_mb(year)

    def not_whole() -> None:
        # Widened to the whole weeks around it (reporting.periods): its whole
        # months from the rollups, the days at its ends from their bookings.
        region_report(region=region, start=start + timedelta(days=1), end=end)

    started = time.perf_counter()
    not_whole()
    not_whole_months = time.perf_counter() - started
    not_whole_mb = peak_mb(not_whole)
    most_mb = max(after_change_mb, year_mb, not_whole_mb)

    coordinator = Coordinator.objects.filter(region=region).select_related("user").first()
    client = Client()
    client.force_login(coordinator.user)

    def dashboard() -> None:
        response = client.get("/statistics/")
        assert response.status_code == 200, response.status_code

    dashboard_seconds = best_of(dashboard, repeat=3)
    return [
        Figure(f"seed_demo --history-bookings {bookings:,}", seeded, "s", "(printed)", True),
        # The three peaks, for whoever looks for the largest.
        Figure("  (peak: month built again)", after_change_mb, "MB", "(printed)", True),
        Figure("  (peak: year report)", year_mb, "MB", "(printed)", True),
        Figure("  (peak: not whole months)", not_whole_mb, "MB", "(printed)", True),
        Figure(
            f"monthly rollups built (nightly refresh): {months_built} months",
            refreshed,
            "s",
            "(printed)",
            True,
        ),
        Figure(
            f"year report, {region.name}, {counted:,} bookings: median",
            year_seconds * 1000,
            "ms",
            "< 1000 ms",
            year_seconds < 1,
        ),
        Figure("  its queries", len(queries), "", "<= 20", len(queries) <= 20),
        Figure(
            f"one stale month built again ({month_bookings:,} bookings)",
            rebuilt * 1000,
            "ms",
            "< 1000 ms",
            rebuilt < 1,
        ),
        Figure(
            "  year report just after a change (month built first)",
            after_change * 1000,
            "ms",
            "(printed)",
            True,
        ),
        Figure(
            "  a period not of whole months",
            not_whole_months * 1000,
            "ms",
            "< 2000 ms",
            not_whole_months < 2,
        ),
        Figure(
            "  peak memory: month built again / year / not whole months",
            most_mb,
            "MB",
            "< 300 MB",
            most_mb < 300,
        ),
        Figure(
            "dashboard /statistics/ (last quarter and the one before): median",
            dashboard_seconds * 1000,
            "ms",
            "< 1500 ms",
            dashboard_seconds < 1.5,
        ),
    ]


def run() -> bool:
    """From `python -m benchmarks`: in a child process on PostgreSQL."""
    from tests.services import POSTGRES_URL, reachable

    if not reachable(POSTGRES_URL):
        print(f"\n{TITLE}\n  skipped: PostgreSQL does not answer at {POSTGRES_URL}")
        return True
    sys.stdout.flush()
    return subprocess.run([sys.executable, "-m", "benchmarks.statistics"], check=False).returncode == 0


def main() -> int:
    from tests.services import POSTGRES_URL

    # A database of its own on the PostgreSQL server of DATABASE_URL (or
    # TEST_POSTGRES_URL): test_radtid_bench_statistics, apart from test runs'.
    url = os.environ.get("DATABASE_URL", "")
    url = url if url.startswith("postgres") else POSTGRES_URL
    os.environ.update(
        DATABASE_URL=urlsplit(url)._replace(path="/radtid_bench_statistics").geturl(),
        CELERY_BROKER_URL="",
        REDIS_URL="",
    )
    setup_django()
    with throwaway_database():
        ok = report(f"{TITLE} ({BOOKINGS:,} history bookings)", bench(BOOKINGS))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

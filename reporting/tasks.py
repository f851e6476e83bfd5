"""Celery tasks of reporting: the nightly build of the monthly rollups, and
the monthly statistics mail (reporting.services). Tasks call a service."""

from __future__ import annotations

from celery import shared_task

from .rollups import refresh_months
from .services import monthly_reports_record


# Beat runs this on the first of each month at 06:00 (CELERY_BEAT_SCHEDULE).
# Safe to run twice, even at once: see monthly_reports_record.
@shared_task
def send_monthly_reports() -> int:
    """Record last month's report mail to every region's active coordinators
    in the outbox; returns how many were recorded."""
    return monthly_reports_record()


@shared_task
def refresh_statistics_months() -> int:
    """Nightly: build the monthly statistics rollups that changed during the
    day, so that coordinators' reports seldom wait for one."""
    return refresh_months()


# The names these tasks had while they lived in bookings (before issue 14).
# Messages already queued under them (by beat, or waiting to be retried) must
# still find a task when they are delivered: the same functions answer to them.
refresh_statistics_months_by_old_name = shared_task(name="bookings.tasks.refresh_statistics_months")(
    refresh_statistics_months.run
)
send_monthly_reports_by_old_name = shared_task(name="bookings.tasks_statistics.send_monthly_reports")(
    send_monthly_reports.run
)

"""Celery tasks of the advisors app. Tasks take ids and call a service."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db.models import F

from .busy_calendar import busy_calendar_sync
from .models import Advisor

logger = logging.getLogger(__name__)


# Beat runs this every 15 minutes (CELERY_BEAT_SCHEDULE). Each calendar may
# take a few timeouts to give up on, so the limits are longer than the
# project's default, yet shorter than the schedule so runs do not pile up.
@shared_task(soft_time_limit=10 * 60, time_limit=11 * 60)
def sync_busy_calendars() -> None:
    """Read the busy calendar of every active advisor who has one.

    Safe to run twice: each sync replaces the advisor's rows as a whole.
    """
    # Least recently checked first: if a run is cut short by the time limit,
    # the next one starts with the advisors this one did not reach.
    advisor_ids = list(
        Advisor.objects.filter(is_active=True)
        .exclude(busy_calendar_url="")
        .order_by(F("busy_calendar_checked_at").asc(nulls_first=True), "pk")
        .values_list("pk", flat=True)
    )
    for advisor_id in advisor_ids:
        try:
            advisor = Advisor.objects.filter(pk=advisor_id).first()
            if advisor is not None:  # deleted since the list was taken
                busy_calendar_sync(advisor=advisor)
        except SoftTimeLimitExceeded:
            raise
        except Exception:
            # Expected failures (a server down, a bad file) are recorded on the
            # advisor by the service; this is for bugs, and one advisor's must
            # not stop the others' calendars from being read.
            logger.exception("Busy calendar sync crashed for advisor %s", advisor_id)


@shared_task
def sync_busy_calendar(advisor_id: int) -> None:
    """Read one advisor's busy calendar now, e.g. after they saved a new link."""
    advisor = Advisor.objects.filter(pk=advisor_id).first()
    if advisor is None:  # deleted since the task was queued
        return
    busy_calendar_sync(advisor=advisor)

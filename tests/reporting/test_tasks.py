"""reporting's Celery tasks answer to the names they had in bookings too, so a
message queued before the move (by beat, or waiting for a retry) still runs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.conf import settings

from backend.celery import app
from reporting.models import StatisticsMonth
from tests.reporting.test_statistics import build_history

OLD_AND_NEW = [
    ("bookings.tasks.refresh_statistics_months", "reporting.tasks.refresh_statistics_months"),
    ("bookings.tasks_statistics.send_monthly_reports", "reporting.tasks.send_monthly_reports"),
]


@pytest.fixture
def registry():
    """The tasks a worker knows: what it imports at start (autodiscovery)."""
    app.loader.import_default_modules()
    return app.tasks


@pytest.mark.parametrize(("old", "new"), OLD_AND_NEW)
def test_a_task_is_registered_under_its_new_and_its_old_name(registry, old, new):
    assert registry[old].run is registry[new].run


def test_every_task_on_the_beat_schedule_is_registered(registry):
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in registry, entry["task"]


def test_a_message_queued_under_the_old_name_of_the_nightly_build_still_builds_the_months(db, registry):
    build_history()
    with time_machine.travel(datetime(2026, 7, 3, 1, 0, tzinfo=UTC), tick=False):
        result = registry["bookings.tasks.refresh_statistics_months"].apply()
    assert result.successful() and result.result > 0
    assert StatisticsMonth.objects.count() == result.result


def test_a_message_queued_under_the_old_name_of_the_monthly_mail_still_records_it(coordinator, registry):
    with time_machine.travel(datetime(2026, 8, 1, 4, 0, tzinfo=UTC), tick=False):
        result = registry["bookings.tasks_statistics.send_monthly_reports"].apply()
    assert result.successful() and result.result == 1

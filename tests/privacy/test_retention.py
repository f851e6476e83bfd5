"""The nightly retention task: bookings older than RETENTION_MONTHS lose what
ties them to a person; statistics keep every figure; running it again changes
nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import time_machine
from django.conf import settings

from backend.models import AuditEntry
from bookings.models import Booking, Feedback
from bookings.services import months_before
from bookings.tasks import pseudonymise_old_bookings
from reporting.selectors import region_figures, region_report
from tests.reporting.test_statistics import FIRST, LAST, build_history


def test_the_task_is_in_the_beat_schedule_nightly():
    entry = settings.CELERY_BEAT_SCHEDULE["pseudonymise-old-bookings"]

    assert entry["task"] == "bookings.tasks.pseudonymise_old_bookings"
    assert pseudonymise_old_bookings.name == entry["task"]


def test_retention_defaults_to_36_months():
    assert settings.RETENTION_MONTHS == 36


def test_months_before_counts_calendar_months_and_keeps_to_short_months():
    assert months_before(datetime(2029, 5, 31, 3, tzinfo=UTC), 3) == datetime(2029, 2, 28, 3, tzinfo=UTC)
    assert months_before(datetime(2029, 1, 15, tzinfo=UTC), 36) == datetime(2026, 1, 15, tzinfo=UTC)


def test_old_bookings_are_pseudonymised_new_ones_kept_and_statistics_unchanged(db, settings):
    settings.RETENTION_MONTHS = 36
    history = build_history()  # sessions from January to June 2026
    Booking.objects.update(
        message="a message", private_notes="a note", outcome_note="a summary", cancel_reason="a reason"
    )
    Feedback.objects.update(comment="a comment")
    region = history.region
    before = region_report(region=region, start=FIRST, end=LAST)
    raw_before = region_figures(region=region, start=FIRST, end=LAST)
    # 36 months after 1 April 2026: the sessions of January to March are old.
    cutoff = datetime(2026, 4, 1, tzinfo=UTC)
    old, recent = Booking.objects.filter(end__lt=cutoff), Booking.objects.filter(end__gte=cutoff)
    assert old.exists() and recent.exists()

    with time_machine.travel(datetime(2029, 4, 1, tzinfo=UTC), tick=False):
        changed = pseudonymise_old_bookings()

    assert changed == old.count()
    assert not old.exclude(entrepreneur=None).exists()
    assert not old.exclude(message="", private_notes="", outcome_note="", cancel_reason="").exists()
    assert not Feedback.objects.filter(booking__in=old).exclude(comment="").exists()
    assert not recent.filter(entrepreneur=None).exists()
    assert not recent.filter(message="").exists()
    assert not recent.exclude(outcome_note="a summary").exists()
    assert Feedback.objects.filter(booking__in=recent, comment="a comment").exists()
    assert region_figures(region=region, start=FIRST, end=LAST) == raw_before
    assert region_report(region=region, start=FIRST, end=LAST) == before
    assert AuditEntry.objects.filter(action="bookings.pseudonymised").count() == 1


def test_running_it_again_changes_nothing(db, settings):
    settings.RETENTION_MONTHS = 36
    build_history()
    with time_machine.travel(datetime(2029, 4, 1, tzinfo=UTC), tick=False):
        assert pseudonymise_old_bookings() > 0
        snapshot = list(Booking.objects.order_by("pk").values())

        assert pseudonymise_old_bookings() == 0

    assert list(Booking.objects.order_by("pk").values()) == snapshot
    assert AuditEntry.objects.filter(action="bookings.pseudonymised").count() == 1


def test_the_retention_period_is_a_setting(db, settings):
    build_history()
    with time_machine.travel(datetime(2029, 4, 1, tzinfo=UTC), tick=False):
        settings.RETENTION_MONTHS = 48
        assert pseudonymise_old_bookings() == 0
        settings.RETENTION_MONTHS = 12
        assert pseudonymise_old_bookings() == Booking.objects.count()

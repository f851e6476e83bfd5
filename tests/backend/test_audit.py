"""The audit trail (backend.audit, backend.models.AuditEntry): one function
writes it, and an entry's subject is any object or none."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import transaction

from backend.audit import audit
from backend.models import AuditEntry
from bookings.models import Booking, Enterprise
from tests import factories

NOW = datetime(2027, 3, 1, 6, 0, tzinfo=UTC)


@pytest.fixture
def booking(entrepreneur, advisor):
    return factories.BookingFactory(entrepreneur=entrepreneur, advisor=advisor)


# --- audit() -------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_it_records_who_did_what_to_what_and_when(booking, entrepreneur):
    entry = audit("booking.cancelled", actor=entrepreneur, subject=booking, with_reason=True)

    entry = AuditEntry.objects.get(pk=entry.pk)
    assert (entry.action, entry.actor, entry.subject, entry.created) == (
        "booking.cancelled",
        entrepreneur,
        booking,
        NOW,
    )
    assert entry.data == {"with_reason": True}


def test_an_entry_may_be_about_nothing_in_particular_and_by_no_one(db):
    entry = audit("bookings.pseudonymised", actor=None, count=3, before="2026-01-01T00:00:00+00:00")

    entry.refresh_from_db()
    assert (entry.actor, entry.content_type, entry.object_id, entry.subject) == (None, None, None, None)
    assert entry.data == {"count": 3, "before": "2026-01-01T00:00:00+00:00"}


def test_any_object_can_be_the_subject(entrepreneur, booking):
    enterprise = booking.enterprise

    audit("personal_data.viewed", actor=None, subject=entrepreneur)
    audit("enterprise.updated", actor=entrepreneur, subject=enterprise)

    assert AuditEntry.objects.about(entrepreneur).get().action == "personal_data.viewed"
    assert AuditEntry.objects.about(enterprise).get().subject == enterprise
    assert not AuditEntry.objects.about(booking).exists()


def test_an_unsaved_subject_is_refused_and_nothing_is_written(entrepreneur):
    with pytest.raises(ValueError, match="must be saved"):
        audit("enterprise.created", actor=entrepreneur, subject=Enterprise(name="Returhuset"))

    assert not AuditEntry.objects.exists()


def test_a_booking_s_entries_are_found_from_either_side(booking, entrepreneur, other_entrepreneur):
    mine = audit("booking.created", actor=entrepreneur, subject=booking)
    other = factories.BookingFactory(
        entrepreneur=other_entrepreneur, advisor=booking.advisor, start=booking.end + timedelta(hours=1)
    )
    audit("booking.created", actor=other_entrepreneur, subject=other)
    audit("person.erased", actor=None)

    assert list(AuditEntry.objects.filter(booking=booking)) == [mine]
    assert list(booking.audit.all()) == [mine]
    assert list(AuditEntry.objects.about(booking)) == [mine]


def test_a_booking_deleted_takes_its_entries_with_it_as_before(booking, entrepreneur):
    audit("booking.created", actor=entrepreneur, subject=booking)
    kept = audit("person.erased", actor=None)

    Booking.objects.filter(pk=booking.pk).delete()

    assert list(AuditEntry.objects.all()) == [kept]


def test_an_entry_is_written_with_its_change_or_not_at_all(entrepreneur):
    with pytest.raises(RuntimeError), transaction.atomic():
        audit("entrepreneur_profile.saved", actor=entrepreneur)
        raise RuntimeError("the change failed")

    assert not AuditEntry.objects.exists()

"""The audit trail's migrations, run on a real database: the entries of
bookings.AuditEntry (as a database from before the move holds them) reach
backend.AuditEntry with their ids, times, actors, actions, data and subjects,
the cancellation reasons of before bookings 0006 forgotten on the way, and
going back puts them where they were."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from backend.audit import audit
from backend.models import AuditEntry, User
from tests import factories

BEFORE_REASONS_FORGOTTEN = [("bookings", "0005_statistics_months")]
# bookings at its last migration with the old table, backend before its own.
BEFORE_THE_MOVE = [("bookings", "0007_pseudonym_secrets"), ("backend", "0001_initial")]
AT = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)


@pytest.fixture
def migrate(transactional_db):
    """migrate(targets) takes the test database to `targets` (None: every app's
    latest) and returns the models as they were there. The database is left
    migrated to the latest again."""
    executor = MigrationExecutor(connection)

    def to(targets: list[tuple[str, str]] | None):
        executor.loader.build_graph()
        targets = targets or executor.loader.graph.leaf_nodes()
        executor.migrate(targets)
        return executor.loader.project_state(targets).apps

    yield to
    to(None)


# Migrations run outside a test transaction, and the flush after a
# transactional test empties every table: serialized_rollback gives this test
# the regions and topics the migrations load (tests/conftest.py puts them back
# for the tests after it).
pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.services]


def test_the_reasons_audit_entries_kept_before_are_forgotten(migrate):
    old = migrate(BEFORE_REASONS_FORGOTTEN).get_model("bookings", "AuditEntry")
    given = old.objects.create(action="booking.cancelled", data={"reason": "Sara är sjuk"})
    empty = old.objects.create(action="booking.cancelled", data={"reason": ""})
    other = old.objects.create(action="booking.rescheduled", data={"reason": "kept: not a cancellation"})

    migrate(None)

    assert AuditEntry.objects.get(pk=given.pk).data == {"with_reason": True}
    assert AuditEntry.objects.get(pk=empty.pk).data == {"with_reason": False}
    assert AuditEntry.objects.get(pk=other.pk).data == {"reason": "kept: not a cancellation"}


def test_the_entries_move_to_backend_with_their_subjects(migrate):
    booking = factories.BookingFactory()
    sara, staff = booking.entrepreneur, factories.StaffFactory()
    old = migrate(BEFORE_THE_MOVE).get_model("bookings", "AuditEntry")
    cancelled = old.objects.create(
        action="booking.cancelled", actor_id=sara.pk, booking_id=booking.pk, data={"with_reason": False}
    )
    viewed_user = old.objects.create(
        action="personal_data.viewed",
        actor_id=staff.pk,
        data={"subjects": [sara.pk], "what": f"admin:backend.user:{sara.pk}"},
    )
    exported = old.objects.create(
        action="personal_data.viewed",
        actor_id=staff.pk,
        data={"subjects": [sara.pk], "what": f"export:{sara.pk}"},
    )
    erased = old.objects.create(action="person.erased", data={"bookings": 1})
    old.objects.filter(pk__in=[cancelled.pk, viewed_user.pk, exported.pk, erased.pk]).update(at=AT)

    migrate(None)

    moved = {entry.pk: entry for entry in AuditEntry.objects.all()}
    assert set(moved) == {cancelled.pk, viewed_user.pk, exported.pk, erased.pk}
    assert {entry.created for entry in moved.values()} == {AT}
    assert (moved[cancelled.pk].action, moved[cancelled.pk].actor, moved[cancelled.pk].subject) == (
        "booking.cancelled",
        User.objects.get(pk=sara.pk),
        booking,
    )
    assert moved[cancelled.pk].data == {"with_reason": False}
    assert list(AuditEntry.objects.filter(booking=booking)) == [moved[cancelled.pk]]
    assert moved[viewed_user.pk].subject == sara
    assert moved[viewed_user.pk].data == {"subjects": [sara.pk], "what": f"admin:backend.user:{sara.pk}"}
    assert moved[exported.pk].subject == sara
    assert (moved[erased.pk].actor, moved[erased.pk].subject, moved[erased.pk].data) == (
        None,
        None,
        {"bookings": 1},
    )
    # Ids were kept: the next entry is numbered after them (PostgreSQL's sequence).
    assert audit("person.erased", actor=None).pk > max(moved)


def test_going_back_puts_the_entries_where_they_were(migrate):
    booking = factories.BookingFactory()
    about_booking = audit("booking.outcome", actor=booking.advisor.user, subject=booking, attended=True)
    about_a_person = audit("personal_data.viewed", actor=None, subject=booking.entrepreneur, what="export:1")

    old = migrate(BEFORE_THE_MOVE).get_model("bookings", "AuditEntry")

    back = {entry.pk: entry for entry in old.objects.all()}
    assert set(back) == {about_booking.pk, about_a_person.pk}
    assert (back[about_booking.pk].booking_id, back[about_booking.pk].actor_id) == (
        booking.pk,
        booking.advisor.user_id,
    )
    assert back[about_booking.pk].data == {"attended": True}
    assert back[about_booking.pk].at == about_booking.created
    # The old table has no room for a subject other than a booking.
    assert back[about_a_person.pk].booking_id is None
    assert back[about_a_person.pk].data == {"what": "export:1"}

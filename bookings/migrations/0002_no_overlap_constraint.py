"""Invariant 1 in the database: on PostgreSQL, one advisor's active bookings,
each widened by its buffers (blocked_start..blocked_end), cannot overlap. An
insert that would overlap fails with an IntegrityError (exclusion_violation),
which the booking service turns into the same 409 as a lost re-check.

SQLite has no exclusion constraints; there the booking service's re-check,
under SQLite's one-writer-at-a-time IMMEDIATE transactions, is the defence."""

from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations

CREATE = """
ALTER TABLE bookings_booking ADD CONSTRAINT booking_no_overlap_per_advisor
EXCLUDE USING gist (
    advisor_id WITH =,
    tstzrange(blocked_start, blocked_end, '[)') WITH &&
) WHERE (status <> 'cancelled')
"""
DROP = "ALTER TABLE bookings_booking DROP CONSTRAINT booking_no_overlap_per_advisor"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("bookings", "0001_initial")]

    operations = [BtreeGistExtension(), migrations.RunPython(create, drop)]

"""Audit entries of cancellations no longer copy the reason (free text that
may speak of the person, which erasure and retention clear on the booking);
the entries written before keep only whether a reason was given."""

from django.db import migrations


def forget_reasons(apps, schema_editor):
    AuditEntry = apps.get_model("bookings", "AuditEntry")
    for entry in AuditEntry.objects.filter(action="booking.cancelled").iterator(chunk_size=2000):
        if "reason" in (entry.data or {}):
            data = dict(entry.data)
            data["with_reason"] = bool(data.pop("reason"))
            entry.data = data
            entry.save(update_fields=["data"])


class Migration(migrations.Migration):
    dependencies = [("bookings", "0005_statistics_months")]

    operations = [migrations.RunPython(forget_reasons, migrations.RunPython.noop)]

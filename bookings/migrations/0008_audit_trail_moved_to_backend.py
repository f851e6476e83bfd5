"""The audit trail lives in backend now (backend 0002 copied the entries)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0007_pseudonym_secrets"),
        ("backend", "0002_audit_trail"),
    ]

    operations = [
        migrations.DeleteModel(
            name="AuditEntry",
        ),
    ]

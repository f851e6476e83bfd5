"""The audit trail moves to backend with a generic subject (any object, as
pretix's LogEntry): the entries of bookings.AuditEntry are copied across with
their ids, times, actors, actions and data; an entry about a booking keeps it
as its subject, and a record of staff opening someone's data gets the object
it names ("admin:backend.user:7", "export:7") as its subject. bookings
0008 then drops the old table."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.core.management.color import no_style
from django.db import migrations, models

BATCH = 2000


def _subject_of(entry, content_type):
    """(content type, id) of what an old entry was about, or (None, None)."""
    if entry.booking_id is not None:
        return content_type("bookings", "booking"), entry.booking_id
    what = (entry.data or {}).get("what", "") if entry.action == "personal_data.viewed" else ""
    kind, _sep, pk = what.rpartition(":")
    if not pk.isdigit():
        return None, None
    if kind == "export":
        return content_type("backend", "user"), int(pk)
    if kind.startswith("admin:") and kind.count(".") == 1:
        app_label, model = kind.removeprefix("admin:").split(".")
        return content_type(app_label, model), int(pk)
    return None, None


def copy_entries(apps, schema_editor):
    db = schema_editor.connection.alias
    Old = apps.get_model("bookings", "AuditEntry")
    New = apps.get_model("backend", "AuditEntry")
    ContentType = apps.get_model("contenttypes", "ContentType")
    types = {}

    def content_type(app_label, model):
        if (app_label, model) not in types:
            types[app_label, model] = ContentType.objects.using(db).get_or_create(
                app_label=app_label, model=model
            )[0]
        return types[app_label, model]

    batch = []
    for entry in Old.objects.using(db).order_by("pk").iterator(chunk_size=BATCH):
        subject_type, subject_id = _subject_of(entry, content_type)
        batch.append(
            New(
                pk=entry.pk,
                created=entry.at,
                actor_id=entry.actor_id,
                action=entry.action,
                content_type=subject_type,
                object_id=subject_id,
                data=entry.data,
            )
        )
        if len(batch) == BATCH:
            New.objects.using(db).bulk_create(batch)
            batch = []
    New.objects.using(db).bulk_create(batch)
    # The ids were given, so the next one must come after them (PostgreSQL's
    # sequence; SQLite needs nothing).
    with schema_editor.connection.cursor() as cursor:
        for sql in schema_editor.connection.ops.sequence_reset_sql(no_style(), [New]):
            cursor.execute(sql)


def copy_entries_back(apps, schema_editor):
    """Back to bookings.AuditEntry: a subject other than a booking is lost (the
    old table cannot hold it); the entry itself stays."""
    db = schema_editor.connection.alias
    Old = apps.get_model("bookings", "AuditEntry")
    New = apps.get_model("backend", "AuditEntry")
    ContentType = apps.get_model("contenttypes", "ContentType")
    booking_type = ContentType.objects.using(db).filter(app_label="bookings", model="booking").first()
    # The old `at` is auto_now_add, which would stamp every entry with now; this
    # model class is the migration's own, built for this run only.
    Old._meta.get_field("at").auto_now_add = False
    batch = []
    for entry in New.objects.using(db).order_by("pk").iterator(chunk_size=BATCH):
        about_booking = booking_type is not None and entry.content_type_id == booking_type.pk
        batch.append(
            Old(
                pk=entry.pk,
                at=entry.created,
                actor_id=entry.actor_id,
                action=entry.action[:40],
                booking_id=entry.object_id if about_booking else None,
                data=entry.data,
            )
        )
        if len(batch) == BATCH:
            Old.objects.using(db).bulk_create(batch)
            batch = []
    Old.objects.using(db).bulk_create(batch)
    with schema_editor.connection.cursor() as cursor:
        for sql in schema_editor.connection.ops.sequence_reset_sql(no_style(), [Old]):
            cursor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("backend", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        # The old entries, with the cancellation reasons already forgotten (0006).
        ("bookings", "0007_pseudonym_secrets"),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditEntry",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "created",
                    models.DateTimeField(
                        db_index=True, default=django.utils.timezone.now, editable=False, verbose_name="when"
                    ),
                ),
                ("action", models.CharField(db_index=True, max_length=64, verbose_name="action")),
                ("object_id", models.PositiveBigIntegerField(blank=True, null=True)),
                ("data", models.JSONField(blank=True, default=dict)),
                (
                    "actor",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="who",
                    ),
                ),
                (
                    "content_type",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="contenttypes.contenttype",
                    ),
                ),
            ],
            options={
                "verbose_name": "audit entry",
                "verbose_name_plural": "audit entries",
                "ordering": ["-created", "-pk"],
                "indexes": [models.Index(fields=["content_type", "object_id"], name="audit_subject")],
            },
        ),
        migrations.RunPython(copy_entries, copy_entries_back),
    ]

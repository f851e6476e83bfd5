from django.conf import settings

from backend.celery import app


def test_every_task_on_the_beat_schedule_is_registered_with_the_worker():
    # The worker registers the tasks of each app's tasks.py module; a beat entry
    # pointing anywhere else would be refused as an unregistered task.
    app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert scheduled
    assert scheduled <= set(app.tasks)


def test_tasks_speak_json_only():
    assert app.conf.task_serializer == "json"
    assert app.conf.accept_content == ["json"]
    assert app.conf.task_acks_late


def test_the_worker_keeps_its_database_connection_between_tasks():
    # Celery's Django fixup reads this key; without it every mail reopens the
    # connection and the outbox falls below its throughput target.
    from celery.fixups.django import DjangoWorkerFixup

    assert DjangoWorkerFixup(app).db_reuse_max == settings.CELERY_DB_REUSE_MAX > 0


class _Connection:
    """Stands in for one of django.db.connections: open, errors seen, usable or not."""

    def __init__(self, *, usable: bool, errors: bool) -> None:
        self.connection = object()
        self.errors_occurred = errors
        self.usable = usable
        self.closed = False

    def is_usable(self) -> bool:
        return self.usable

    def close(self) -> None:
        self.closed = True


def test_a_broken_connection_is_dropped_after_the_task_and_a_healthy_one_kept(monkeypatch):
    from django.db import connections

    from backend.celery import drop_broken_connections

    broken = _Connection(usable=False, errors=True)
    errored_but_fine = _Connection(usable=True, errors=True)
    healthy = _Connection(usable=True, errors=False)
    monkeypatch.setattr(
        connections, "all", lambda initialized_only=False: [broken, errored_but_fine, healthy]
    )

    drop_broken_connections()

    assert broken.closed
    assert not errored_but_fine.closed
    assert not healthy.closed

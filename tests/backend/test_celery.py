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

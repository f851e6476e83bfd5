"""Celery tasks of the outbox. Tasks take ids and are safe to run twice."""

from __future__ import annotations

from celery import shared_task

from backend.observability import record_beat_run

from . import outbox, sending

MAX_BATCHES_PER_SWEEP = 40


@shared_task(acks_late=True, ignore_result=True)
def send_message(message_id: int) -> None:
    """Deliver one outbox message. Queued after commit for immediate mail, and
    by the sweep for due ones; the state guard under the row lock makes a
    second delivery of the same id a no-op."""
    sending.deliver(message_id)


@shared_task(ignore_result=True)
def dispatch_due_messages() -> int:
    """Every minute (beat): hand every due message to send_message. Rows are
    claimed with SELECT … FOR UPDATE SKIP LOCKED, so two sweeps at once never
    hand out the same row."""
    record_beat_run(dispatch_due_messages.name)  # the staff status page shows beat is alive
    handed_out = 0
    # A peak of due reminders drains in one sweep, batch by batch, rather than
    # CLAIM_BATCH a minute (which could leave some past the late limit).
    for _ in range(MAX_BATCHES_PER_SWEEP):
        ids = sending.claim_due()
        for message_id in ids:
            send_message.delay(message_id)
        handed_out += len(ids)
        if len(ids) < sending.CLAIM_BATCH:
            break
    return handed_out


@shared_task(ignore_result=True)
def record_follow_up_surveys() -> int:
    """Daily (beat): the outcome follow-up to enterprises three months after
    their first session; sent by the outbox like every other mail."""
    return outbox.record_follow_ups()


@shared_task(ignore_result=True)
def clean_up_outbox() -> int:
    """Daily (beat): forget messages long done."""
    return outbox.outbox_clean_up()

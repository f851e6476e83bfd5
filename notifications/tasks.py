"""Celery tasks of the outbox. Tasks take ids and are safe to run twice."""

from __future__ import annotations

from celery import shared_task

from . import sending


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
    ids = sending.claim_due()
    for message_id in ids:
        send_message.delay(message_id)
    return len(ids)

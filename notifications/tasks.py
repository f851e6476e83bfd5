"""Celery tasks of the outbox. Tasks take ids and are safe to run twice."""

from __future__ import annotations

import time

from celery import shared_task

from backend.observability import record_beat_run

from . import outbox, sending
from .sending import send_message  # noqa: F401 (defined beside the delivery it runs)

MAX_BATCHES_PER_SWEEP = 40
# The sweep hands claimed messages to the workers in lists of this many: one
# task per mail would cost about as much worker CPU in Celery as in the mail
# itself. Small enough that four processes share a backlog evenly.
SEND_BATCH = 20
# A list that takes longer than this (a slow SMTP server) queues its rest as a
# new task rather than run into the task time limit; should that queueing fail,
# the sweep takes the rest up again after OUTBOX_CLAIM_TIMEOUT_SECONDS.
SEND_BATCH_SECONDS = 45


@shared_task(acks_late=True, ignore_result=True)
def send_messages(message_ids: list[int]) -> None:
    """Deliver claimed messages one after the other. If the worker dies half
    way, the broker hands the list out again: those sent are skipped by the
    state guard, so only the one in flight can go out twice (invariant 3)."""
    started = time.monotonic()
    for n, message_id in enumerate(message_ids):
        if n and time.monotonic() - started > SEND_BATCH_SECONDS:
            send_messages.delay(message_ids[n:])
            return
        sending.deliver(message_id)


@shared_task(ignore_result=True)
def dispatch_due_messages() -> int:
    """Every minute (beat): hand every due message to the workers, SEND_BATCH
    to a task. Rows are claimed with SELECT … FOR UPDATE SKIP LOCKED, so two
    sweeps at once never hand out the same row."""
    record_beat_run(dispatch_due_messages.name)  # the staff status page shows beat is alive
    handed_out = 0
    # A peak of due reminders drains in one sweep, batch by batch, rather than
    # CLAIM_BATCH a minute (which could leave some past the late limit).
    for _ in range(MAX_BATCHES_PER_SWEEP):
        ids = sending.claim_due()
        for first in range(0, len(ids), SEND_BATCH):
            send_messages.delay(ids[first : first + SEND_BATCH])
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

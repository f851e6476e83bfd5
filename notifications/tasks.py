"""Celery tasks of the outbox. Tasks take ids and are safe to run twice."""

from __future__ import annotations

import math
import time

from celery import shared_task

from backend.observability import record_beat_run

from . import outbox, sending
from .sending import send_message  # noqa: F401 (defined beside the delivery it runs)

# Each send_due task claims this many due rows itself and sends them: one
# task per mail would cost about as much worker CPU in Celery as in the mail
# itself. Small, so that a task lost with its worker holds back only this many
# rows until OUTBOX_CLAIM_TIMEOUT_SECONDS, and four processes share a backlog evenly.
SEND_BATCH = 20
# The most send_due tasks one sweep queues: enough to keep every worker
# process of a few workers busy. Each drains batch after batch (it queues its
# successor while it finds a full batch), so more would only queue wake-ups.
MAX_WAKE = 16
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


@shared_task(acks_late=True, ignore_result=True)
def send_due() -> int:
    """Claim SEND_BATCH due messages (SELECT … FOR UPDATE SKIP LOCKED, so tasks
    running at once take different rows), send them, and while a full batch
    was found queue the next such task. Rows are claimed only by the task
    that sends them, at the moment it can: a task never published, or lost
    with a worker, strands no row, or at most its own batch. Returns how
    many it claimed."""
    ids = sending.claim_due(limit=SEND_BATCH)
    if len(ids) == SEND_BATCH:
        # Queued first: the next batch starts on a free process at once.
        send_due.delay()
    send_messages(ids)
    return len(ids)


@shared_task(ignore_result=True)
def dispatch_due_messages() -> int:
    """Every minute (beat): wake the workers for what is due, one send_due
    task for every SEND_BATCH due messages, at most MAX_WAKE. The sweep claims
    nothing itself, so a publish that fails (the broker away) leaves every
    row pending for the next sweep. Returns how many messages are due (counted
    up to SEND_BATCH × MAX_WAKE)."""
    record_beat_run(dispatch_due_messages.name)  # the staff status page shows beat is alive
    due = sending.count_due(limit=SEND_BATCH * MAX_WAKE)
    for _ in range(min(math.ceil(due / SEND_BATCH), MAX_WAKE)):
        send_due.delay()
    return due


@shared_task(ignore_result=True)
def record_follow_up_surveys() -> int:
    """Daily (beat): the outcome follow-up to enterprises three months after
    their first session; sent by the outbox like every other mail."""
    return outbox.record_follow_ups()


@shared_task(ignore_result=True)
def clean_up_outbox() -> int:
    """Daily (beat): forget messages long done."""
    return outbox.outbox_clean_up()

"""Delivering outbox messages: claiming due rows, sending each outside any
transaction (claim, commit, send, mark), classifying SMTP errors."""

from __future__ import annotations

import logging
import smtplib
import socket
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from bookings import rules
from bookings.models import BookingStatus, WaitlistStatus

from .email import build_email
from .models import PERSON_KINDS, MessageKind, MessageState, OutboxMessage

logger = logging.getLogger(__name__)

CLAIM_BATCH = 500


def _due(now) -> Q:
    """Due pending messages, and ones stuck in 'sending' by a dead worker."""
    stuck = now - timedelta(seconds=settings.OUTBOX_CLAIM_TIMEOUT_SECONDS)
    return Q(state=MessageState.PENDING, due_at__lte=now) | Q(
        state=MessageState.SENDING, claimed_at__lt=stuck
    )


def count_due(*, now=None, limit: int) -> int:
    """How many messages are due, counted up to `limit` (the sweep needs no more)."""
    now = now or timezone.now()
    return OutboxMessage.objects.filter(_due(now)).order_by().values("pk")[:limit].count()


def claim_due(*, now=None, limit: int | None = None) -> list[int]:
    """Mark due messages as claimed and return their ids, the longest due
    first. Two claims running at once skip each other's locked rows, so each
    row is handed out by one of them."""
    now = now or timezone.now()
    limit = limit or CLAIM_BATCH
    with transaction.atomic():
        ids = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(_due(now))
            .order_by("due_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        OutboxMessage.objects.filter(pk__in=ids).update(
            state=MessageState.SENDING, claimed_at=now, in_flight=False
        )
    return ids


# This process's SMTP session, kept between mails: a new session for every mail
# (connect, EHLO, perhaps STARTTLS and AUTH, QUIT) costs more CPU and round
# trips than the mail itself. Keyed by the settings it was opened with.
_smtp: tuple[tuple, SMTPBackend] | None = None


def _smtp_key() -> tuple:
    return tuple(
        getattr(settings, name, None)
        for name in (
            "EMAIL_BACKEND",
            "EMAIL_HOST",
            "EMAIL_PORT",
            "EMAIL_HOST_USER",
            "EMAIL_USE_TLS",
            "EMAIL_USE_SSL",
        )
    )


def send(email) -> None:
    """Hand one mail to the configured backend. Over SMTP the session stays
    open for the next mail; one the server has closed since (idle timeout, a
    restart) fails at its first command, before any mail is accepted, and is
    opened again once. Other backends (files, memory) send as usual."""
    global _smtp
    key = _smtp_key()
    if _smtp is not None and _smtp[0] != key:
        _close_smtp()
    if _smtp is None:
        connection = get_connection()
        if not isinstance(connection, SMTPBackend):
            email.connection = connection
            email.send()
            return
        _smtp = (key, connection)
    connection = _smtp[1]
    for attempt in (1, 2):
        try:
            connection.open()  # a no-op while the session is open
            connection.send_messages([email])
            return
        except (smtplib.SMTPServerDisconnected, ConnectionError) as error:
            _close_smtp(keep=connection)
            if attempt == 2:
                raise error
        except Exception:
            _close_smtp()  # after any other failure, start the next mail afresh
            raise


def _close_smtp(*, keep: SMTPBackend | None = None) -> None:
    """Close the kept session; `keep` stays this process's connection object
    (to be opened again), otherwise it is forgotten."""
    global _smtp
    if _smtp is None:
        return
    connection = _smtp[1]
    try:
        connection.close()
    except Exception:  # closing a broken session must not hide why it broke
        logger.debug("Closing the SMTP session failed", exc_info=True)
    connection.connection = None
    if keep is None:
        _smtp = None


def is_transient(error: Exception) -> bool:
    """Worth trying again later: timeouts, connection trouble, 4xx answers.
    A 5xx answer (a recipient refused, a message rejected) will not change."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return 400 <= error.smtp_code < 500
    return isinstance(error, OSError | smtplib.SMTPServerDisconnected | socket.timeout)


def _skip_reason(message: OutboxMessage, now) -> tuple[str, str] | None:
    """(state, why) when the message should not go out now, else None."""
    if message.kind == MessageKind.WAITLIST_OFFER:
        entry = message.waitlist_entry
        if entry is None or entry.status != WaitlistStatus.OFFERED or entry.offer_expires_at <= now:
            return MessageState.CANCELLED, "the offer is no longer open"
        return None
    if message.kind in PERSON_KINDS:
        return None  # an invitation, a monthly report: nothing they depend on changes
    booking = message.booking
    if booking is None:
        return MessageState.CANCELLED, "the booking is gone"
    if message.kind == MessageKind.REMINDER:
        if booking.status != BookingStatus.CONFIRMED:
            return MessageState.CANCELLED, "the booking is no longer confirmed"
        if now - message.due_at > timedelta(minutes=settings.REMINDER_LATE_LIMIT_MINUTES):
            return MessageState.MISSED, "more than two hours late"
        if booking.start <= now:
            return MessageState.MISSED, "the session has started"
    after_session = (MessageKind.FEEDBACK_REQUEST, MessageKind.FOLLOW_UP)
    if message.kind in after_session and booking.status not in rules.NOT_MISSED:
        return MessageState.CANCELLED, "the session was not held"
    return None


def deliver(message_id: int) -> str | None:
    """Send one message, once. Returns its new state (None: nothing to do).

    Claim, commit, send, mark, as pretix does: a conditional update claims the
    attempt (one task wins it, a second task for the same id finds it claimed
    or sent), the mail goes to the SMTP server with no transaction open and no
    row locked, so a slow server holds up nothing else (on SQLite every write
    waits for an open transaction), and a second short update records what
    happened. Only a crash between the SMTP server's accept and that update
    can repeat a mail (invariant 3 allows exactly that): the row stays
    "sending" and the sweep hands it out again after OUTBOX_CLAIM_TIMEOUT_SECONDS."""
    now = timezone.now()
    rows = (
        # The booking's entrepreneur may be gone (a nullable join). A waitlist
        # offer, an invitation or a monthly report (all rare) loads what it
        # needs when rendered, rather than every mail paying for more joins.
        # No ORDER BY: compiling the query is most of a mail's CPU time, and
        # its ordering alone a quarter of that.
        OutboxMessage.objects.select_related(
            "booking__advisor__user", "booking__entrepreneur", "booking__topic", "booking__enterprise"
        )
        .filter(
            pk=message_id,
            state__in=(MessageState.PENDING, MessageState.SENDING),
            in_flight=False,
            due_at__lte=now,
        )
        .order_by()[:1]
    )
    message = next(iter(rows), None)
    if message is None:
        return None  # already sent, being sent, cancelled, failed, or not yet due (a retry's backoff)
    # Each update below applies only to the row as read here: a second task (a
    # list handed out again, the sweep's and the commit's tasks both) that read
    # it too finds it changed and does nothing.
    as_read = OutboxMessage.objects.filter(
        pk=message.pk, state=message.state, in_flight=False, attempts=message.attempts
    )
    skip = _skip_reason(message, now)
    if skip is not None:
        state, why = skip
        return state if as_read.update(state=state, last_error=why) else None
    if not as_read.update(
        state=MessageState.SENDING, in_flight=True, claimed_at=now, attempts=F("attempts") + 1
    ):
        return None
    message.attempts += 1
    try:
        email = build_email(message)
        if email is None:
            message.state, message.last_error = MessageState.CANCELLED, "no recipient address"
        else:
            send(email)
            message.state, message.sent_at, message.last_error = MessageState.SENT, timezone.now(), ""
    except Exception as error:
        _record_failure(message, error, now)
    # This attempt's own claim: unless the sweep took the row back after the
    # claim timeout and another worker claimed it since (then that one records).
    marked = OutboxMessage.objects.filter(
        pk=message.pk, state=MessageState.SENDING, attempts=message.attempts
    ).update(
        state=message.state,
        in_flight=False,
        sent_at=message.sent_at,
        last_error=message.last_error,
        due_at=message.due_at,
    )
    if not marked:
        logger.warning(
            "Mail %s was taken over by another worker before it was marked %s", message.pk, message.state
        )
    return message.state


def _record_failure(message: OutboxMessage, error: Exception, now) -> None:
    backoff = settings.EMAIL_RETRY_BACKOFF_SECONDS
    message.last_error = f"{type(error).__name__}: {error}"[:2000]
    if is_transient(error) and message.attempts <= len(backoff):
        message.state = MessageState.PENDING
        message.due_at = now + timedelta(seconds=backoff[message.attempts - 1])
        logger.warning("Mail %s failed (attempt %s), retrying: %s", message.pk, message.attempts, error)
    else:
        message.state = MessageState.FAILED
        logger.error("Mail %s failed for good: %s", message.pk, error)


# Named for the module Celery finds tasks in, where it lived first: messages
# already queued under that name keep running. It lives here so the outbox
# can queue it without importing the tasks, which import the outbox.
@shared_task(name="notifications.tasks.send_message", acks_late=True, ignore_result=True)
def send_message(message_id: int) -> None:
    """Deliver one outbox message. Queued after commit for immediate mail, and
    by the sweep for due ones; the state guard under the row lock makes a
    second delivery of the same id a no-op."""
    deliver(message_id)

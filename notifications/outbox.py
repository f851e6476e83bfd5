"""Recording messages in the outbox. Called by the receivers of the bookings
signals, inside the booking's transaction: rows only, no I/O (the sending is
queued after commit, and swept by beat if that queueing is lost)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from bookings.models import Booking

from .models import MessageKind, MessageState, NotificationSettings, OutboxMessage, Recipient

INVITE_KINDS = (MessageKind.CONFIRMATION, MessageKind.RESCHEDULE, MessageKind.CANCELLATION)


def _key(booking: Booking, kind: str, recipient: str, suffix: str) -> str:
    return f"{booking.uid}:{kind}:{recipient}:{suffix}"


def _record(
    booking: Booking, kind: str, recipient: str, *, suffix: str, due_at: datetime, **extra
) -> OutboxMessage:
    message, created = OutboxMessage.objects.get_or_create(
        key=_key(booking, kind, recipient, suffix),
        defaults={"kind": kind, "booking": booking, "recipient": recipient, "due_at": due_at, **extra},
    )
    if created and due_at <= timezone.now():
        _send_after_commit(message.pk)
    return message


def _send_after_commit(message_id: int) -> None:
    from .tasks import send_message

    # robust: a broker that is down must not fail the booking; the row stays
    # pending and the beat sweep sends it once the broker is back.
    transaction.on_commit(lambda: send_message.delay(message_id), robust=True)


def _recipients(booking: Booking) -> list[str]:
    found = [Recipient.ADVISOR]
    if booking.entrepreneur_id:
        found.insert(0, Recipient.ENTREPRENEUR)
    return found


def _supersede_invites(booking: Booking) -> None:
    """A newer invite carries everything; an older one still unsent would only
    show the calendar an outdated SEQUENCE."""
    OutboxMessage.objects.filter(booking=booking, kind__in=INVITE_KINDS, state=MessageState.PENDING).update(
        state=MessageState.CANCELLED, last_error="superseded by a newer invite"
    )


def _reminder_hours(booking: Booking, recipient: str) -> list[int]:
    hours = list(settings.REMINDER_HOURS)
    if recipient == Recipient.ENTREPRENEUR and booking.entrepreneur_id:
        choice = NotificationSettings.objects.filter(user_id=booking.entrepreneur_id).first()
        if choice is not None and not choice.reminder_2h:
            hours = [h for h in hours if h != 2]
    return hours


def _schedule_reminders_and_feedback(booking: Booking) -> None:
    now = timezone.now()
    for recipient in _recipients(booking):
        for hours in _reminder_hours(booking, recipient):
            due = booking.start - timedelta(hours=hours)
            if due <= now:
                continue  # booked closer than that: the confirmation is the reminder
            _record(
                booking,
                MessageKind.REMINDER,
                recipient,
                suffix=f"{hours}h:{booking.sequence}",
                due_at=due,
                reminder_hours=hours,
            )
    if booking.entrepreneur_id:
        _record(
            booking,
            MessageKind.FEEDBACK_REQUEST,
            Recipient.ENTREPRENEUR,
            suffix=str(booking.sequence),
            due_at=booking.end + timedelta(hours=settings.FEEDBACK_REQUEST_DELAY_HOURS),
        )


def _cancel_scheduled(booking: Booking) -> None:
    OutboxMessage.objects.filter(
        booking=booking,
        kind__in=(MessageKind.REMINDER, MessageKind.FEEDBACK_REQUEST),
        state=MessageState.PENDING,
    ).update(state=MessageState.CANCELLED, last_error="the booking changed")


def record_booking_created(booking: Booking) -> None:
    """A confirmation with the invite to both, reminders, a feedback request."""
    now = timezone.now()
    for recipient in _recipients(booking):
        _record(booking, MessageKind.CONFIRMATION, recipient, suffix=str(booking.sequence), due_at=now)
    _schedule_reminders_and_feedback(booking)


def record_booking_rescheduled(booking: Booking) -> None:
    """The moved invite (same UID, higher SEQUENCE) to both; reminders move."""
    _supersede_invites(booking)
    _cancel_scheduled(booking)
    now = timezone.now()
    for recipient in _recipients(booking):
        _record(booking, MessageKind.RESCHEDULE, recipient, suffix=str(booking.sequence), due_at=now)
    _schedule_reminders_and_feedback(booking)


def record_booking_cancelled(booking: Booking) -> None:
    """METHOD:CANCEL to both; nothing else about this booking goes out."""
    _supersede_invites(booking)
    _cancel_scheduled(booking)
    now = timezone.now()
    for recipient in _recipients(booking):
        _record(booking, MessageKind.CANCELLATION, recipient, suffix=str(booking.sequence), due_at=now)


def record_booking_completed(booking: Booking, *, attended: bool) -> None:
    """No feedback request to someone who did not come."""
    if not attended:
        OutboxMessage.objects.filter(
            booking=booking, kind=MessageKind.FEEDBACK_REQUEST, state=MessageState.PENDING
        ).update(state=MessageState.CANCELLED, last_error="no-show")

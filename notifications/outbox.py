"""Recording messages in the outbox. Called by the receivers of the bookings
and advisors signals, inside the transaction that made the news: rows only,
no I/O (the sending is queued after commit, and swept by beat if that
queueing is lost)."""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from advisors.models import Advisor, Coordinator, Region
from backend.audit import audit
from backend.models import User
from bookings import rules
from bookings.models import Booking, WaitlistEntry
from bookings.selectors import first_sessions_ended

from .models import (
    MessageKind,
    MessageState,
    NotificationSettings,
    OutboxAttachment,
    OutboxMessage,
    Recipient,
)
from .sending import send_message

logger = logging.getLogger(__name__)

INVITE_KINDS = (MessageKind.CONFIRMATION, MessageKind.RESCHEDULE, MessageKind.CANCELLATION)


def _key(booking: Booking, kind: str, recipient: str, suffix: str) -> str:
    return f"{booking.uid}:{kind}:{recipient}:{suffix}"


def _record(
    booking: Booking, kind: str, recipient: str, *, suffix: str, due_at: datetime, key: str = "", **extra
) -> OutboxMessage:
    message, created = OutboxMessage.objects.get_or_create(
        key=key or _key(booking, kind, recipient, suffix),
        defaults={"kind": kind, "booking": booking, "recipient": recipient, "due_at": due_at, **extra},
    )
    if created and due_at <= timezone.now():
        _send_after_commit(message.pk)
    return message


# After a failed publish, later ones wait this long: with Redis away, each
# attempt costs seconds of the booking's request, and the sweep sends anyway.
BROKER_PAUSE_SECONDS = 30
_broker_paused_until = 0.0


def _send_after_commit(message_id: int) -> None:
    transaction.on_commit(lambda: queue_send(message_id))


def queue_send(message_id: int) -> bool:
    """Hand one message to the worker now. A broker that is down must not fail
    the booking: the row stays pending, the beat sweep sends it once the broker
    is back, and for BROKER_PAUSE_SECONDS no other request waits on the
    broker either. Returns whether the task was queued."""
    global _broker_paused_until
    if time.monotonic() < _broker_paused_until:
        return False
    try:
        send_message.delay(message_id)
    except Exception:
        _broker_paused_until = time.monotonic() + BROKER_PAUSE_SECONDS
        logger.warning(
            "The broker is unreachable; outbox message %s waits for the sweep.", message_id, exc_info=True
        )
        return False
    return True


def _recipients(booking: Booking) -> list[str]:
    found: list[str] = [Recipient.ADVISOR]
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


def record_booking_rescheduled(
    booking: Booking, *, previous_start: datetime | None = None, previous_end: datetime | None = None
) -> None:
    """The moved invite (same UID, higher SEQUENCE) to both, naming the time it
    was moved from (the booking itself knows only the new one); reminders move."""
    _supersede_invites(booking)
    _cancel_scheduled(booking)
    now = timezone.now()
    data = (
        {"previous_start": previous_start.isoformat(), "previous_end": previous_end.isoformat()}
        if previous_start and previous_end
        else {}
    )
    for recipient in _recipients(booking):
        _record(
            booking, MessageKind.RESCHEDULE, recipient, suffix=str(booking.sequence), due_at=now, data=data
        )
    _schedule_reminders_and_feedback(booking)


def _party_of(booking: Booking, user: User | None) -> str:
    """Which of the booking's two people `user` is; "" for anyone else (staff, the system)."""
    if user is None:
        return ""
    if user.pk == booking.advisor.user_id:
        return Recipient.ADVISOR
    if user.pk == booking.entrepreneur_id:
        return Recipient.ENTREPRENEUR
    return ""


def record_booking_cancelled(booking: Booking, *, by: User | None = None) -> None:
    """METHOD:CANCEL to both; nothing else about this booking goes out. Who
    cancelled is kept, so the other one's mail gives the reason written. The
    reason itself stays on the booking, where erasure clears it."""
    _supersede_invites(booking)
    _cancel_scheduled(booking)
    now = timezone.now()
    data = {"cancelled_by": _party_of(booking, by)}
    for recipient in _recipients(booking):
        _record(
            booking, MessageKind.CANCELLATION, recipient, suffix=str(booking.sequence), due_at=now, data=data
        )


def record_booking_completed(booking: Booking, *, attended: bool) -> None:
    """No feedback request to someone who did not come."""
    if not attended:
        OutboxMessage.objects.filter(
            booking=booking, kind=MessageKind.FEEDBACK_REQUEST, state=MessageState.PENDING
        ).update(state=MessageState.CANCELLED, last_error="no-show")


def record_follow_ups(*, now: datetime | None = None) -> int:
    """The outcome follow-up survey to each enterprise whose first session
    ended FOLLOW_UP_AFTER_DAYS ago, once per enterprise (the key says so).
    Sessions up to FOLLOW_UP_CATCH_UP_DAYS older still get theirs, so a beat
    stopped for a while loses nothing, but switching this on does not survey
    years of history. Returns how many were recorded."""
    now = now or timezone.now()
    before = now - timedelta(days=settings.FOLLOW_UP_AFTER_DAYS)
    after = before - timedelta(days=settings.FOLLOW_UP_CATCH_UP_DAYS)
    recorded = 0
    sessions = first_sessions_ended(after, before).exclude(
        enterprise__in=OutboxMessage.objects.filter(kind=MessageKind.FOLLOW_UP).values("booking__enterprise")
    )
    for booking in sessions.select_related("enterprise"):
        with transaction.atomic():
            _record(
                booking,
                MessageKind.FOLLOW_UP,
                Recipient.ENTREPRENEUR,
                suffix="",
                key=f"follow_up:enterprise:{booking.enterprise_id}",
                due_at=now,
            )
        recorded += 1
    return recorded


DONE_STATES = (MessageState.SENT, MessageState.CANCELLED, MessageState.MISSED)


def outbox_clean_up(*, now: datetime | None = None) -> int:
    """Delete messages done more than OUTBOX_KEEP_DAYS ago (by their due time);
    failed ones wait for staff. Follow-up rows stay: their key is what keeps an
    enterprise from being surveyed twice. Returns how many were deleted."""
    now = now or timezone.now()
    deleted, _by_model = (
        OutboxMessage.objects.filter(
            state__in=DONE_STATES, due_at__lt=now - timedelta(days=settings.OUTBOX_KEEP_DAYS)
        )
        .exclude(kind=MessageKind.FOLLOW_UP)
        .delete()
    )
    return deleted


# --- A person's reminder choice ---------------------------------------------------------

REMINDER_TURNED_OFF = "turned off by the person"


def record_reminder_choice(user, *, reminder_2h: bool) -> None:
    """Apply a person's choice about the 2-hour reminder to sessions they have
    already booked (new bookings read it in _reminder_hours): off cancels the
    pending ones, on records them again for sessions still far enough ahead.
    Call inside the transaction that saves the choice."""

    if not reminder_2h:
        OutboxMessage.objects.filter(
            booking__entrepreneur=user,
            recipient=Recipient.ENTREPRENEUR,
            kind=MessageKind.REMINDER,
            reminder_hours=2,
            state=MessageState.PENDING,
        ).update(state=MessageState.CANCELLED, last_error=REMINDER_TURNED_OFF)
        return
    if 2 not in settings.REMINDER_HOURS:
        return
    # Sessions more than two hours ahead still have a two-hour reminder to come.
    upcoming = Booking.objects.filter(
        rules.not_started(timezone.now() + timedelta(hours=2)), entrepreneur=user
    )
    for booking in upcoming:
        message = _record(
            booking,
            MessageKind.REMINDER,
            Recipient.ENTREPRENEUR,
            suffix=f"2h:{booking.sequence}",
            due_at=booking.start - timedelta(hours=2),
            reminder_hours=2,
        )
        if message.state == MessageState.CANCELLED and message.last_error == REMINDER_TURNED_OFF:
            message.state, message.last_error = MessageState.PENDING, ""
            message.save(update_fields=["state", "last_error"])


# --- Sending again (admin) --------------------------------------------------------------

RESENDABLE = (MessageState.FAILED, MessageState.MISSED)


def outbox_messages_resend(*, ids, by) -> int:
    """Put the failed and missed messages among `ids` back in line: pending, due now, with a
    fresh count of attempts, and queue their sending after commit (the beat
    sweep sends them if that is lost). Messages in any other state are left
    alone, so a message already sent again, or being sent, is not repeated.
    Returns how many were put back."""
    with transaction.atomic():
        rows = list(
            OutboxMessage.objects.select_for_update()
            .filter(pk__in=list(ids), state__in=RESENDABLE)
            .values_list("pk", "booking_id", "state")
        )
        now = timezone.now()
        OutboxMessage.objects.filter(pk__in=[pk for pk, _b, _s in rows]).update(
            state=MessageState.PENDING, due_at=now, attempts=0, last_error="", claimed_at=None
        )
        bookings = Booking.objects.in_bulk({booking_id for _pk, booking_id, _s in rows} - {None})
        for pk, booking_id, state in rows:
            audit("outbox.resent", actor=by, subject=bookings.get(booking_id), message=pk, was=state)
            _send_after_commit(pk)
    return len(rows)


# --- Waitlist offers ----------------------------------------------------------------------


def record_waitlist_offered(entry: WaitlistEntry) -> OutboxMessage:
    """The offer of a freed slot to the first in line, written in the offer's
    transaction like every other mail; the key names the slot offered."""
    if entry.offered_start is None:
        raise ValueError("Only an entry offered a slot can be told of it.")
    message, created = OutboxMessage.objects.get_or_create(
        key=f"waitlist:{entry.pk}:offer:{entry.offered_advisor_id}:{int(entry.offered_start.timestamp())}",
        defaults={
            "kind": MessageKind.WAITLIST_OFFER,
            "waitlist_entry": entry,
            "recipient": Recipient.ENTREPRENEUR,
            "due_at": timezone.now(),
        },
    )
    if created:
        _send_after_commit(message.pk)
    return message


# --- Mail to a person, about no booking ----------------------------------------------------


def _record_for_person(*, key: str, kind: str, user, recipient: str, **fields) -> tuple[OutboxMessage, bool]:
    message, created = OutboxMessage.objects.get_or_create(
        key=key,
        defaults={"kind": kind, "user": user, "recipient": recipient, "due_at": timezone.now(), **fields},
    )
    if created:
        _send_after_commit(message.pk)
    return message, created


def record_advisor_invited(*, advisor: Advisor, coordinator: Coordinator, resent: str = "") -> OutboxMessage:
    """The invitation to a new advisor, once per invitation (and once per
    `resent` when it is sent again), written in the invitation's transaction:
    it rolls back with it, and is retried like any mail while the mail server
    is down. Only who invited is stored: the password link is made when the
    mail is sent (notifications/email.py), so no token is ever kept in the
    database."""
    message, _created = _record_for_person(
        key=f"advisor_invitation:{advisor.pk}" + (f":{resent}" if resent else ""),
        kind=MessageKind.ADVISOR_INVITATION,
        user=advisor.user,
        recipient=Recipient.ADVISOR,
        data={"coordinator": coordinator.pk},
    )
    return message


def record_statistics_report(
    *,
    coordinator: Coordinator,
    region: Region,
    month: str,
    subject: str,
    body: str,
    attachment: tuple[str, bytes, str],
) -> OutboxMessage:
    """A coordinator's monthly statistics mail, as reporting wrote it (the
    report it carries is built from the statistics), once per coordinator,
    region and month (`month` is "YYYY-MM"). Written in the transaction
    that records it in reporting's ledger."""
    message, created = _record_for_person(
        key=f"statistics_monthly:{region.code}:{month}:{coordinator.user_id}",
        kind=MessageKind.STATISTICS_MONTHLY,
        user=coordinator.user,
        recipient=Recipient.COORDINATOR,
        subject=" ".join(subject.split()),
        body=body,
    )
    if created:
        filename, content, content_type = attachment
        OutboxAttachment.objects.create(
            message=message, filename=filename, content=content, content_type=content_type
        )
    return message

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


# --- A person's reminder choice ---------------------------------------------------------

REMINDER_TURNED_OFF = "turned off by the person"


def record_reminder_choice(user, *, reminder_2h: bool) -> None:
    """Apply a person's choice about the 2-hour reminder to sessions they have
    already booked (new bookings read it in _reminder_hours): off cancels the
    pending ones, on records them again for sessions still far enough ahead.
    Call inside the transaction that saves the choice."""
    from bookings.models import BookingStatus

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
    upcoming = Booking.objects.filter(
        entrepreneur=user, status=BookingStatus.CONFIRMED, start__gt=timezone.now() + timedelta(hours=2)
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
    from bookings.models import AuditEntry

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
        AuditEntry.objects.bulk_create(
            AuditEntry(
                action="outbox.resent", actor=by, booking_id=booking_id, data={"message": pk, "was": state}
            )
            for pk, booking_id, state in rows
        )
        for pk, _b, _s in rows:
            _send_after_commit(pk)
    return len(rows)


# --- Waitlist offers: outside the outbox ------------------------------------------------
#
# An OutboxMessage belongs to a booking, and a waitlist offer has none yet, so
# the offer is mailed straight after the offer's transaction commits. That
# breaks invariant 3 for this one kind: a mail that fails (SMTP down, a crash
# before sending) is logged and not retried. The waitlist page always shows the
# open offer, so the person can still find it; an outbox row not tied to a
# booking (a nullable booking and a waitlist entry) would make it reliable.


def queue_waitlist_offer_mail(entry_id: int) -> None:
    """Mail the person offered a slot once the offer has committed. robust: a
    failing mail is logged and must not undo or break the offer."""
    transaction.on_commit(lambda: send_waitlist_offer_mail(entry_id), robust=True)


def send_waitlist_offer_mail(entry_id: int) -> bool:
    """Send the offer of waitlist entry `entry_id` if it is still open; returns
    whether a mail went out."""
    import logging

    from bookings.models import WaitlistEntry, WaitlistStatus

    entry = (
        WaitlistEntry.objects.select_related("entrepreneur", "offered_advisor__user", "topic")
        .filter(pk=entry_id, status=WaitlistStatus.OFFERED)
        .first()
    )
    if entry is None or entry.offer_expires_at <= timezone.now():
        return False  # claimed, withdrawn or expired before the mail could go
    email = waitlist_offer_email(entry)
    if email is None:
        return False
    email.send()
    logging.getLogger(__name__).info("Waitlist offer %s mailed", entry.pk)
    return True


def waitlist_offer_email(entry):
    """The offer of a WaitlistEntry as a mail (plain text and HTML) in the
    person's language and time zone; None when the person has no address (an
    erased account)."""
    from zoneinfo import ZoneInfo

    from django.core.mail import EmailMultiAlternatives
    from django.template.loader import render_to_string
    from django.urls import reverse
    from django.utils import translation
    from django.utils.translation import gettext

    person = entry.entrepreneur
    if person is None or not person.email or not person.is_active:
        return None
    advisor = entry.offered_advisor
    zone = ZoneInfo(person.timezone or settings.TIME_ZONE)
    with translation.override(person.language or settings.LANGUAGE_CODE), timezone.override(zone):
        advisor_name = advisor.user.get_full_name()
        context = {
            "person": person,
            "advisor_name": advisor_name,
            "organisation": advisor.organisation,
            "topic": entry.topic,
            "start": timezone.localtime(entry.offered_start, zone),
            "end": timezone.localtime(entry.offered_end, zone),
            "deadline": timezone.localtime(entry.offer_expires_at, zone),
            "zone": zone,
            "waitlist_url": settings.SITE_URL + reverse("waitlist:list"),
            "site_url": settings.SITE_URL,
        }
        subject = gettext("A time is free: advice session with %(name)s") % {"name": advisor_name}
        email = EmailMultiAlternatives(
            subject=" ".join(subject.split()),
            body=render_to_string("notifications/email/waitlist_offer.txt", context),
            to=[f"{person.get_full_name()} <{person.email}>"],
            headers={"Auto-Submitted": "auto-generated", "X-Radtid-Message": f"waitlist-offer:{entry.pk}"},
        )
        email.attach_alternative(
            render_to_string("notifications/email/waitlist_offer.html", context), "text/html"
        )
    return email

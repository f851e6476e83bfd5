"""The notifications app's part of a person's export and erasure
(backend/privacy.py): reminder settings, the calendar feed, mail to them
(about their bookings, their waitlist entries, their role)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _

from backend.models import User
from backend.privacy import ORDER_NOTIFY, iso, register_erasure_step, register_export_section

from .email import _people, _subject_and_intro, invitation_subject
from .models import (
    STORED_KINDS,
    CalendarFeed,
    MessageKind,
    MessageState,
    NotificationSettings,
    OutboxMessage,
    Recipient,
)


def _addressed_to(user: User) -> Q:
    return (
        Q(recipient=Recipient.ENTREPRENEUR, booking__entrepreneur=user)
        | Q(recipient=Recipient.ENTREPRENEUR, waitlist_entry__entrepreneur=user)
        | Q(recipient=Recipient.ADVISOR, booking__advisor__user=user)
        | Q(user=user)  # an invitation, a monthly report
    )


def _subject(message: OutboxMessage) -> str:
    if message.kind in STORED_KINDS:
        return message.subject
    if message.kind == MessageKind.ADVISOR_INVITATION:
        return invitation_subject()
    if message.booking is None:  # a waitlist offer: about the advisor whose time is free
        entry = message.waitlist_entry
        name = entry.offered_advisor.user.get_full_name() if entry and entry.offered_advisor else ""
        subject = _("A time is free: advice session with %(name)s") % {"name": name}
    else:
        _person, other = _people(message.booking, message.recipient)
        subject, _intro = _subject_and_intro(message, other.get_full_name() if other else "")
    return " ".join(str(subject).split())


def export_notification_settings(user: User) -> dict[str, Any] | None:
    choice = NotificationSettings.objects.filter(user=user).first()
    return {"reminder_2h": choice.reminder_2h} if choice else None


def export_calendar_feed(user: User) -> dict[str, Any] | None:
    """That a feed exists, never its token (only a digest is stored anyway)."""
    feed = CalendarFeed.objects.filter(user=user).first()
    if feed is None:
        return None
    return {"exists": True, "created": iso(feed.created), "last_used": iso(feed.last_used)}


def export_messages(user: User) -> list[dict[str, Any]]:
    """Mail addressed to the person: kind, subject as they got it, state, dates."""
    rows = (
        OutboxMessage.objects.filter(_addressed_to(user))
        .select_related(
            "booking__advisor__user", "booking__entrepreneur", "waitlist_entry__offered_advisor__user"
        )
        .order_by("due_at", "pk")
    )
    found = []
    with translation.override(user.language or settings.LANGUAGE_CODE):
        for message in rows:
            found.append(
                {
                    "kind": message.kind,
                    "subject": _subject(message),
                    "state": message.state,
                    "due_at": iso(message.due_at),
                    "sent_at": iso(message.sent_at),
                    "created": iso(message.created),
                }
            )
    return found


def erase(user: User, now: datetime) -> None:
    """No more mail to the person: what is still to be sent to them (the
    cancellation notices of their own erasure included) is cancelled; their
    settings and calendar feed go. Mail to the advisors is untouched."""
    OutboxMessage.objects.filter(_addressed_to(user)).filter(
        state__in=(MessageState.PENDING, MessageState.FAILED)
    ).update(state=MessageState.CANCELLED, last_error="the account was erased")
    NotificationSettings.objects.filter(user=user).delete()
    CalendarFeed.objects.filter(user=user).delete()


def register() -> None:
    register_export_section("notification_settings", export_notification_settings)
    register_export_section("calendar_feed", export_calendar_feed)
    register_export_section("messages", export_messages)
    register_erasure_step("notifications", erase, order=ORDER_NOTIFY)

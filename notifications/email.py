"""Rendering an outbox message as a mail: plain text, HTML, and for invites a
text/calendar part (method=REQUEST or CANCEL) plus the same .ics attached.

MIME: multipart/mixed
        multipart/alternative: text/plain, text/html, text/calendar; method=…
        invite.ics (application/ics)

The advisor's copy of a booking or a move is METHOD:PUBLISH (why:
notifications.invites) and goes as the attached invite.ics alone: Outlook
shows a PUBLISH in a text/calendar part as raw lines in the mail, but imports
it from the file ([MS-STANOICAL] 2.2.99).

Mail about a person's role rather than a booking is plain text: an advisor's
invitation, and the monthly statistics (stored as written, report attached).
"""

from __future__ import annotations

from datetime import datetime
from email import encoders
from email.mime.base import MIMEBase
from email.mime.text import MIMEText
from typing import Any, TypeGuard
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.message import SafeMIMEMultipart
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from advisors.services_coordinator import invitation_url
from backend.models import User
from bookings import needs, rules
from bookings.links import cancel_url, feedback_url, follow_up_url, reschedule_url
from bookings.models import Booking

from .invites import invite_ics, mailed_method
from .models import STORED_KINDS, MessageKind, OutboxMessage, Recipient

# The methods that travel as an iMIP text/calendar part (RFC 6047); any other
# goes as the attached file only.
IMIP_METHODS = {"REQUEST", "CANCEL"}


class CalendarEmail(EmailMultiAlternatives):
    """An EmailMultiAlternatives with an invite: a text/calendar alternative
    that keeps its `method` parameter (Django would fold it into a broken
    subtype), for the IMIP_METHODS, and the same .ics attached."""

    calendar: tuple[bytes, str] | None = None  # (ics, method)

    def _create_alternatives(self, msg):
        msg = super()._create_alternatives(msg)
        if self.calendar is not None and self.calendar[1] in IMIP_METHODS:
            ics, method = self.calendar
            part = MIMEText(ics.decode("utf-8"), "calendar", "utf-8")
            part.set_param("method", method)
            msg.attach(part)
        return msg

    def _create_attachments(self, msg):
        msg = super()._create_attachments(msg)
        if self.calendar is None:
            return msg
        if msg.get_content_subtype() != "mixed":
            mixed = SafeMIMEMultipart(_subtype="mixed", encoding=self.encoding or settings.DEFAULT_CHARSET)
            mixed.attach(msg)
            msg = mixed
        ics, _method = self.calendar
        attachment = MIMEBase("application", "ics", name="invite.ics")
        attachment.set_payload(ics)
        encoders.encode_base64(attachment)
        attachment.add_header("Content-Disposition", "attachment", filename="invite.ics")
        msg.attach(attachment)
        return msg


def _absolute(url: str) -> str:
    return url if url.startswith("http") else f"{settings.SITE_URL}{url}"


def _headers(message: OutboxMessage) -> dict[str, str]:
    return {"Auto-Submitted": "auto-generated", "X-Radtid-Message": message.key}


def _reachable(person: User | None) -> TypeGuard[User]:
    return person is not None and person.has_mailbox and person.is_active


def _people(booking: Booking, recipient: str):
    advisor_user = booking.advisor.user
    entrepreneur = booking.entrepreneur
    if recipient == Recipient.ADVISOR:
        return advisor_user, entrepreneur
    return entrepreneur, advisor_user


def _subject_and_intro(message: OutboxMessage, other_name: str) -> tuple[str, str]:
    kind = message.kind
    # The advisor's copy is a calendar file to open, not an invitation their
    # calendar takes in by itself (notifications.invites).
    to_advisor = message.recipient == Recipient.ADVISOR
    if kind == MessageKind.CONFIRMATION:
        return _("Booked: advice session with %(name)s") % {"name": other_name}, (
            _("The session is booked. Open the attached calendar file to add it to your calendar.")
            if to_advisor
            else _("Your advice session is booked. The calendar invite is attached.")
        )
    if kind == MessageKind.RESCHEDULE:
        return _("Moved: advice session with %(name)s") % {"name": other_name}, (
            _(
                "The session has been moved to a new time. Open the attached calendar file to move it in "
                "your calendar."
            )
            if to_advisor
            else _("Your advice session has been moved to a new time. Your calendar updates the event.")
        )
    if kind == MessageKind.CANCELLATION:
        return _("Cancelled: advice session with %(name)s") % {"name": other_name}, _(
            "Your advice session has been cancelled. Your calendar removes the event."
        )
    if kind == MessageKind.REMINDER:
        return _("Reminder: advice session with %(name)s") % {"name": other_name}, _(
            "A reminder of your advice session."
        )
    if kind == MessageKind.FOLLOW_UP:
        return _("Three months on: what did the advice lead to?"), _(
            "About three months ago your enterprise had its first advice session with us. Did it lead to "
            "anything? Four quick questions help the region show its funder what advice to social "
            "enterprises achieves. Your answer is only reported together with others'."
        )
    return _("How was your advice session with %(name)s?") % {"name": other_name}, _(
        "Thank you for meeting us. Would you tell us in a minute how the session was? It helps us improve."
    )


def _booked_for(booking: Booking, person: User, *, for_advisor: bool) -> dict[str, Any]:
    """A booking an advisor made for the person (bookings.callers) says who
    made it; the person, while their account has no password, also gets the
    link to choose one, which proves the address and opens the account."""
    by = booking.booked_by
    if by is None or by.pk == person.pk:
        return {}
    found: dict[str, Any] = {"booked_by_name": by.get_full_name()}
    if not for_advisor and not person.has_usable_password():
        found["account_url"] = invitation_url(person)
    return found


def _what_changed(message: OutboxMessage, booking: Booking, zone: ZoneInfo) -> dict[str, Any]:
    """A move names the time it was moved from; a cancellation gives the
    other one the reason written (the one who wrote it knows it)."""
    data = message.data or {}
    if message.kind == MessageKind.RESCHEDULE and data.get("previous_start") and data.get("previous_end"):
        return {
            "previous_start": timezone.localtime(datetime.fromisoformat(data["previous_start"]), zone),
            "previous_end": timezone.localtime(datetime.fromisoformat(data["previous_end"]), zone),
        }
    if message.kind == MessageKind.CANCELLATION and data.get("cancelled_by") != message.recipient:
        return {"cancel_reason": booking.cancel_reason}
    return {}


def build_email(message: OutboxMessage) -> EmailMessage | None:
    """The mail for `message`, rendered now in the recipient's language and
    time zone; None when the recipient has no address (an erased account)."""
    if message.kind == MessageKind.WAITLIST_OFFER:
        return waitlist_offer_email(message)
    if message.kind == MessageKind.ADVISOR_INVITATION:
        return advisor_invitation_email(message)
    if message.kind in STORED_KINDS:
        return stored_email(message)
    booking = message.booking
    if booking is None:  # every other kind is about a booking; gone, nobody to tell
        return None
    person, other = _people(booking, message.recipient)
    if person is None or not person.has_mailbox:
        return None
    other_name = other.get_full_name() if other else _("an entrepreneur")
    zone = ZoneInfo(person.timezone or settings.TIME_ZONE)
    with translation.override(person.language or settings.LANGUAGE_CODE), timezone.override(zone):
        subject, intro = _subject_and_intro(message, other_name)
        is_future = rules.can_cancel(booking, timezone.now())
        context = {
            "message": message,
            "booking": booking,
            "person": person,
            "other_name": other_name,
            "intro": intro,
            "is_advisor": message.recipient == Recipient.ADVISOR,
            "phone_to_call": rules.phone_to_call(booking) if message.recipient == Recipient.ADVISOR else "",
            # What the person needs to take part, for the advisor to prepare (in the mail's language).
            "needs": needs.described(booking.needs) if message.recipient == Recipient.ADVISOR else [],
            "start": timezone.localtime(booking.start, zone),
            "end": timezone.localtime(booking.end, zone),
            "zone": zone,
            "site_url": settings.SITE_URL,
            "cancel_url": _absolute(cancel_url(booking)) if is_future else None,
            "reschedule_url": _absolute(reschedule_url(booking)) if is_future else None,
            "feedback_url": _absolute(feedback_url(booking))
            if message.kind == MessageKind.FEEDBACK_REQUEST
            else None,
            "follow_up_url": follow_up_url(booking, due=message.due_at)
            if message.kind == MessageKind.FOLLOW_UP
            else None,
            "kind": message.kind,
            "kinds": MessageKind,
            **_booked_for(booking, person, for_advisor=message.recipient == Recipient.ADVISOR),
            **_what_changed(message, booking, zone),
        }
        text = render_to_string("notifications/email/message.txt", context)
        html = render_to_string("notifications/email/message.html", context)
        email = CalendarEmail(
            subject=" ".join(subject.split()),
            body=text,
            to=[f"{person.get_full_name()} <{person.email}>"],
            headers=_headers(message),
        )
        email.attach_alternative(html, "text/html")
        for_advisor = message.recipient == Recipient.ADVISOR
        method = mailed_method(message.kind, for_advisor=for_advisor)
        if method:
            ics = invite_ics(booking, for_advisor=for_advisor, method=method, dtstamp=timezone.now())
            email.calendar = (ics, method)
    return email


def waitlist_offer_email(message: OutboxMessage) -> EmailMultiAlternatives | None:
    """The offer of a freed slot to a waitlist entry as a mail (plain text and
    HTML) in the person's language and time zone; None when the person has no
    address (an erased account)."""
    entry = message.waitlist_entry
    if entry is None:
        return None
    person = entry.entrepreneur
    advisor = entry.offered_advisor
    if not _reachable(person) or advisor is None:
        return None
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
            "waitlist_url": f"{settings.SITE_URL}{reverse('waitlist:list')}",
            "site_url": settings.SITE_URL,
        }
        subject = _("A time is free: advice session with %(name)s") % {"name": advisor_name}
        email = EmailMultiAlternatives(
            subject=" ".join(subject.split()),
            body=render_to_string("notifications/email/waitlist_offer.txt", context),
            to=[f"{person.get_full_name()} <{person.email}>"],
            headers=_headers(message),
        )
        email.attach_alternative(
            render_to_string("notifications/email/waitlist_offer.html", context), "text/html"
        )
    return email


INVITATION_SUBJECT = "notifications/email/advisor_invitation_subject.txt"


def invitation_subject() -> str:
    return " ".join(render_to_string(INVITATION_SUBJECT).split())


def advisor_invitation_email(message: OutboxMessage) -> EmailMessage | None:
    """The invitation to a new advisor (plain text, Swedish and English) with
    a link to choose a password. The link's token is made now, from the
    account as it is: it is never stored, and it is valid for its full time
    from the moment the mail leaves, however long the mail server was down.
    None when the account is gone, inactive or no advisor's."""
    from advisors.models import Advisor, Coordinator

    person = message.user
    if not _reachable(person):
        return None
    advisor = Advisor.objects.select_related("region").filter(user=person).first()
    if advisor is None:
        return None
    coordinator = (
        Coordinator.objects.select_related("user").filter(pk=message.data.get("coordinator")).first()
    )
    context = {
        "advisor": advisor,
        "coordinator": coordinator,
        "region": advisor.region,
        "url": invitation_url(person),
        "login_url": f"{settings.SITE_URL}{reverse('account_login')}",
        "reset_url": f"{settings.SITE_URL}{reverse('account_reset_password')}",
    }
    return EmailMessage(
        subject=invitation_subject(),
        body=render_to_string("notifications/email/advisor_invitation.txt", context),
        to=[f"{person.get_full_name()} <{person.email}>"],
        headers=_headers(message),
    )


def stored_email(message: OutboxMessage) -> EmailMessage | None:
    """A mail its sender wrote whole (STORED_KINDS: the monthly statistics with
    its report), sent as it was stored; None when the person can no longer be
    reached (an inactive or erased account)."""
    person = message.user
    if not _reachable(person):
        return None
    email = EmailMessage(
        subject=message.subject,
        body=message.body,
        to=[f"{person.get_full_name()} <{person.email}>"],
        headers=_headers(message),
    )
    for attachment in message.attachments.all():
        email.attach(attachment.filename, bytes(attachment.content), attachment.content_type)
    return email

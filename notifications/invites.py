"""A booking as a calendar event, worded for one of its two people.

`booking_event` says what the event is, for the advisor or for the
entrepreneur: SUMMARY names the other party, LOCATION says where or how the
two meet (the address, the phone arrangement, the video link), DESCRIPTION
the rest. Everything that puts a booking in a calendar starts from it: the
invite mailed with each change (notifications.email), the .ics downloaded from
the booking's page and the "Add to Google / Outlook" links beside it
(notifications.views), and the subscription feed (notifications.feeds). So a
calendar that got the mail and the download, or the feed, holds one event
(invariant 4: one UID, the booking's SEQUENCE) that reads the same from
every source.

Who is asked what (RFC 5546, iTIP). The advisor is the ORGANIZER of every
session; the entrepreneur is its one ATTENDEE.

- The entrepreneur's mailed copy is a REQUEST: an invitation to the
  attendee, who may answer it (RSVP=TRUE).
- The advisor's mailed copy is METHOD:PUBLISH. A REQUEST is what calendar
  clients show with Accept / Decline, whoever it is addressed to: Outlook
  turns it into a meeting request, Gmail into an invitation card. Sent to the
  organizer it would ask the advisor to answer their own session, and an
  answer would be mailed to themselves. A PUBLISH is an event to add to one's
  calendar with nobody to answer to; it carries no ATTENDEE (RFC 5546 3.2.1:
  "Attendees MUST NOT be present"), so nothing in it asks for a reply, and
  the entrepreneur is named in SUMMARY instead. RFC 5546 3.2.1 also lets the
  organizer update a published event with another PUBLISH (a reschedule:
  same UID, higher SEQUENCE) and cancel it with a CANCEL, so invariant 4
  holds for the advisor's copy as for the entrepreneur's. (Outlook imports a
  PUBLISH only from an .ics file, not from a text/calendar part of a mail
  ([MS-STANOICAL] 2.2.99), so notifications.email sends it as the attached
  file alone.)
- A cancellation is a CANCEL to both, with the same UID and the raised
  SEQUENCE; it names the attendee and asks nobody anything.
- A download and the feed are PUBLISH too: files to add, not invitations.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from advisors.models import MeetingMode
from bookings.models import Booking, BookingStatus
from bookings.rules import phone_to_call

from .ical import booking_ics
from .models import MessageKind

# The method of each mailed invite, by kind and by reader (see above).
ENTREPRENEUR_METHODS: dict[str, str] = {
    MessageKind.CONFIRMATION: "REQUEST",
    MessageKind.RESCHEDULE: "REQUEST",
    MessageKind.CANCELLATION: "CANCEL",
}
ADVISOR_METHODS: dict[str, str] = {
    MessageKind.CONFIRMATION: "PUBLISH",
    MessageKind.RESCHEDULE: "PUBLISH",
    MessageKind.CANCELLATION: "CANCEL",
}


def mailed_method(kind: str, *, for_advisor: bool) -> str | None:
    """The iTIP method of the invite a mail of `kind` carries to the advisor
    or the entrepreneur; None for a mail without an invite (a reminder)."""
    return (ADVISOR_METHODS if for_advisor else ENTREPRENEUR_METHODS).get(kind)


def _phone_arrangement(booking: Booking, *, for_advisor: bool, advisor_name: str, other_name: str) -> str:
    """Who calls whom, from the reader's side. A session by phone asks the
    person for their number (bookings.rules.phone_to_call): the advisor calls
    it. Bookings from before that, or whose person has no number any more,
    fall back to the advisor's number on the booking, which the person calls;
    with neither, the advisor makes the call."""
    number = phone_to_call(booking)
    if number:
        if for_advisor:
            return _("Call %(name)s on %(number)s") % {"name": other_name, "number": number}
        return _("%(name)s calls you on %(number)s") % {"name": advisor_name, "number": number}
    if booking.phone:
        if for_advisor:
            return _("%(name)s calls you on %(number)s") % {"name": other_name, "number": booking.phone}
        return _("Call %(name)s on %(number)s") % {"name": advisor_name, "number": booking.phone}
    if for_advisor:
        return _("You call %(name)s") % {"name": other_name}
    return _("%(name)s will call you") % {"name": advisor_name}


def booking_event(booking: Booking, *, for_advisor: bool) -> dict[str, Any]:
    """The booking as a calendar event for its advisor (`for_advisor`) or its
    entrepreneur: the arguments of ical.booking_ics but `method` and
    `dtstamp`. Worded in the reader's language, whoever renders it, so the
    mail, the download and the feed say the same. Leaves out the
    entrepreneur's message and the private notes: calendars are synced to
    services outside Rådtid, and those stay here. Needs the booking's advisor
    (with its user), entrepreneur, enterprise and topic."""
    advisor_user = booking.advisor.user
    reader = advisor_user if for_advisor else booking.entrepreneur
    with translation.override((reader.language if reader else "") or settings.LANGUAGE_CODE):
        advisor_name = advisor_user.get_full_name()
        entrepreneur_name = (
            booking.entrepreneur.get_full_name() if booking.entrepreneur else _("an erased account")
        )
        if for_advisor:
            other = entrepreneur_name
            if booking.enterprise:
                other = f"{other} ({booking.enterprise.name})"
        else:
            other = advisor_name

        location: str | None = None
        url: str | None = None
        place: str | None = None
        if booking.mode == MeetingMode.IN_PERSON:
            location = booking.location or None
            place = _("Place: %(place)s") % {"place": location} if location else None
        elif booking.mode == MeetingMode.VIDEO:
            location = url = booking.meeting_url or None
            place = _("Video link: %(url)s") % {"url": url} if url else None
        else:
            location = _phone_arrangement(
                booking, for_advisor=for_advisor, advisor_name=advisor_name, other_name=entrepreneur_name
            )
            place = _("Phone: %(arrangement)s") % {"arrangement": location}

        lines = [
            _("Topic: %(topic)s") % {"topic": booking.topic.name},
            _("Meeting: %(mode)s") % {"mode": booking.get_mode_display()},
        ]
        if place:
            lines.append(place)
        if not for_advisor:
            lines.append(
                _("Advisor: %(name)s, %(organisation)s")
                % {"name": advisor_name, "organisation": booking.advisor.organisation}
            )
        lines.append(
            _("Details, moving and cancelling: %(url)s")
            % {"url": settings.SITE_URL + reverse("bookings:detail", args=[booking.uid])}
        )
        summary = _("Advice session with %(name)s") % {"name": other}
    return {
        "uid": str(booking.uid),
        "sequence": booking.sequence,
        "start": booking.start,
        "end": booking.end,
        "summary": summary,
        "description": "\n".join(lines),
        "location": location,
        "url": url,
        "organizer": (advisor_name, advisor_user.email),
        "attendee": (entrepreneur_name, booking.entrepreneur.email) if booking.entrepreneur else None,
        "status": "CANCELLED" if booking.status == BookingStatus.CANCELLED else "CONFIRMED",
        "site_domain": settings.SITE_DOMAIN,
    }


def invite_ics(booking: Booking, *, for_advisor: bool, method: str, dtstamp: datetime) -> bytes:
    """The booking's event for one reader as an iCalendar file of `method`
    (REQUEST, CANCEL or PUBLISH; mailed_method says which a mail carries)."""
    return booking_ics(method=method, dtstamp=dtstamp, **booking_event(booking, for_advisor=for_advisor))


# --- "Add to Google / Outlook" -------------------------------------------------------------
# Neither service documents these addresses; they are the ones their own
# "add to calendar" buttons use. Both take the times in UTC. Such an event is
# a copy: it has no UID of ours, so a move or a cancellation does not reach
# it (the mailed invite and the feed do), and the page says so.

GOOGLE_CALENDAR = "https://calendar.google.com/calendar/render"
OUTLOOK_HOSTS = {
    "outlook": "https://outlook.live.com",  # Outlook.com, personal accounts
    "microsoft365": "https://outlook.office.com",  # work and school accounts
}
OUTLOOK_COMPOSE = "/calendar/0/deeplink/compose"


def _query(params: dict[str, str | None]) -> str:
    # %20 rather than "+" for spaces: Outlook shows a "+" as it is.
    return urlencode({k: v for k, v in params.items() if v}, quote_via=quote)


def google_calendar_url(event: dict[str, Any]) -> str:
    """Google Calendar's form for a new event, filled in with `event` (a
    booking_event)."""
    dates = "/".join(f"{event[key].astimezone(UTC):%Y%m%dT%H%M%SZ}" for key in ("start", "end"))
    return f"{GOOGLE_CALENDAR}?" + _query(
        {
            "action": "TEMPLATE",
            "text": event["summary"],
            "dates": dates,
            "details": event["description"],
            "location": event["location"],
        }
    )


def outlook_calendar_url(event: dict[str, Any], *, service: str) -> str:
    """Outlook on the web's form for a new event, filled in with `event` (a
    booking_event); `service` is a key of OUTLOOK_HOSTS."""
    start, end = (f"{event[key].astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}" for key in ("start", "end"))
    return f"{OUTLOOK_HOSTS[service]}{OUTLOOK_COMPOSE}?" + _query(
        {
            "path": "/calendar/action/compose",
            "rru": "addevent",
            "subject": event["summary"],
            "startdt": start,
            "enddt": end,
            "body": event["description"],
            "location": event["location"],
        }
    )


ADD_TO_CALENDAR = ("google", *OUTLOOK_HOSTS)


def add_to_calendar_url(booking: Booking, *, for_advisor: bool, service: str) -> str:
    """The address that opens `service` (one of ADD_TO_CALENDAR) with the
    booking's event filled in, as the reader's .ics says it."""
    event = booking_event(booking, for_advisor=for_advisor)
    if service == "google":
        return google_calendar_url(event)
    return outlook_calendar_url(event, service=service)

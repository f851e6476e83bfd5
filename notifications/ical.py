"""iCalendar (RFC 5545) for one booking: the invite mailed with a
confirmation (METHOD:REQUEST), its update after a reschedule (same UID, higher
SEQUENCE), its cancellation (METHOD:CANCEL), and the published event
(METHOD:PUBLISH) of the advisor's mailed copy, of the file a person downloads
and of the feed. Which reader gets which is notifications.invites' to say.

Pure: values in, bytes out. No ORM, no clock, no settings; callers pass the
site's domain and DTSTAMP. Text goes through icalendar's escaping (commas,
semicolons, backslashes, line breaks), so a summary or a name cannot start a
property of its own.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from icalendar import Calendar, Event, vCalAddress

PRODID = "-//Rådtid//Rådtid//SV"
METHODS = {"REQUEST", "CANCEL", "PUBLISH"}
STATUSES = {"CONFIRMED", "CANCELLED"}

# Parameter values (CN) may hold no control characters at all (RFC 5545 3.1).
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_EMAIL = re.compile(r"^[^\s<>\"(),:;@\\]+@[^\s<>\"(),:;@\\]+$")


def _text(value: str) -> str:
    """One line-break convention, so text reads back as it was written."""
    return value.replace("\r\n", "\n").replace("\r", "\n")


def _utc(value: datetime, name: str) -> datetime:
    if value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime")
    return value.astimezone(UTC)


def _address(person: tuple[str, str], **params: str) -> vCalAddress:
    name, email = person
    if not _EMAIL.match(email):
        raise ValueError(f"not an email address: {email!r}")
    address = vCalAddress(f"mailto:{email}")
    cn = _CONTROL.sub(" ", name).strip()
    if cn:
        address.params["CN"] = cn
    for key, value in params.items():
        address.params[key] = value
    return address


def booking_ics(
    *,
    uid: str,
    sequence: int,
    method: str,
    start: datetime,
    end: datetime,
    summary: str,
    description: str,
    location: str | None,
    url: str | None,
    organizer: tuple[str, str],
    attendee: tuple[str, str] | None,
    status: str,
    site_domain: str,
    dtstamp: datetime,
) -> bytes:
    """A VCALENDAR with one VEVENT for a booking, as bytes (UTF-8, CRLF).

    `uid` is the booking's uid; the event's UID is `<uid>@<site_domain>` so it
    is unique worldwide and stays the same for every later version (invariant
    4). Times are written in UTC. `organizer` and `attendee` are (name,
    email). The attendee is asked to answer (PARTSTAT=NEEDS-ACTION,
    RSVP=TRUE) only in a REQUEST; a cancellation names them and asks
    nothing; a PUBLISH leaves them out, as RFC 5546 3.2.1 requires
    ("Attendees MUST NOT be present"): a published event is one to add to a
    calendar, with nobody to answer to. An attendee of None, or without an
    email address, is left out (an erased account).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {sorted(METHODS)}, not {method!r}")
    if status not in STATUSES:
        raise ValueError(f"status must be one of {sorted(STATUSES)}, not {status!r}")
    for name, value in (("uid", uid), ("site_domain", site_domain), ("url", url or "")):
        if _CONTROL.search(value) or " " in value:
            raise ValueError(f"{name} may not hold spaces or control characters")
    start_utc, end_utc = _utc(start, "start"), _utc(end, "end")
    if end_utc <= start_utc:
        raise ValueError("end must be after start")

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", method)

    event = Event()
    event.add("uid", f"{uid}@{site_domain}")
    event.add("sequence", int(sequence))
    event.add("dtstamp", _utc(dtstamp, "dtstamp"))
    event.add("dtstart", start_utc)
    event.add("dtend", end_utc)
    event.add("summary", _text(summary))
    event.add("description", _text(description))
    if location:
        event.add("location", _text(location))
    if url:
        event.add("url", url)
    event.add("organizer", _address(organizer))
    if method != "PUBLISH" and attendee is not None and attendee[1]:
        params = {"ROLE": "REQ-PARTICIPANT"}
        if method == "REQUEST":
            params |= {"PARTSTAT": "NEEDS-ACTION", "RSVP": "TRUE"}
        event.add("attendee", _address(attendee, **params))
    event.add("status", status)
    calendar.add_component(event)
    return calendar.to_ical()

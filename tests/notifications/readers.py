"""Two iCalendar parsers that share no code with the icalendar library that
writes our invites: vobject (what Radicale and many CalDAV tools use) and
ics-py, each read into one shape, so a test can check a file field by field
as a calendar client other than ours would understand it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import ics
import vobject


@dataclass
class Attendee:
    email: str
    cn: str | None
    partstat: str | None
    rsvp: bool | None


@dataclass
class Read:
    """One invite as a parser understood it."""

    method: str | None
    events: int
    uid: str
    sequence: int
    dtstamp: datetime | None
    start: datetime
    end: datetime
    summary: str
    description: str
    location: str | None
    url: str | None
    organizer: tuple[str, str | None]
    attendees: list[Attendee]
    status: str
    # Property names besides the ones read above (vobject: all it saw; ics-py:
    # the ones it keeps as "extra").
    other: set[str] = field(default_factory=set)


def _mailto(value: str) -> str:
    assert value.lower().startswith("mailto:"), value
    return value[len("mailto:") :]


def read_with_vobject(raw: bytes) -> Read:
    calendar = vobject.readOne(raw.decode("utf-8"))
    events = calendar.vevent_list
    event = events[0]
    contents = event.contents

    def one(name: str) -> str | None:
        lines = contents.get(name, [])
        assert len(lines) <= 1, f"{name} appears {len(lines)} times"
        return lines[0].value if lines else None

    def param(line, name: str) -> str | None:
        values = line.params.get(name)
        return values[0] if values else None

    organizer = contents["organizer"][0]
    known = {
        "uid",
        "sequence",
        "dtstamp",
        "dtstart",
        "dtend",
        "summary",
        "description",
        "location",
        "url",
        "organizer",
        "attendee",
        "status",
    }
    return Read(
        method=calendar.method.value if "method" in calendar.contents else None,
        events=len(events),
        uid=one("uid"),
        sequence=int(one("sequence")),
        dtstamp=one("dtstamp"),
        start=one("dtstart"),
        end=one("dtend"),
        summary=one("summary"),
        description=one("description"),
        location=one("location"),
        url=one("url"),
        organizer=(_mailto(organizer.value), param(organizer, "CN")),
        attendees=[
            Attendee(
                email=_mailto(line.value),
                cn=param(line, "CN"),
                partstat=param(line, "PARTSTAT"),
                rsvp={"TRUE": True, "FALSE": False}.get(param(line, "RSVP") or ""),
            )
            for line in contents.get("attendee", [])
        ],
        status=one("status"),
        other=set(contents) - known,
    )


def read_with_ics(raw: bytes) -> Read:
    calendar = ics.Calendar(raw.decode("utf-8"))
    events = list(calendar.events)
    event = events[0]
    # ics-py 0.7 knows no SEQUENCE: it keeps the line among the unknown ones.
    sequences = [line.value for line in event.extra if line.name == "SEQUENCE"]
    assert len(sequences) == 1
    return Read(
        method=calendar.method,
        events=len(events),
        uid=event.uid,
        sequence=int(sequences[0]),
        dtstamp=event.created.datetime if event.created else None,  # ics-py reads DTSTAMP as `created`
        start=event.begin.datetime,
        end=event.end.datetime,
        summary=event.name,
        description=event.description,
        location=event.location,
        url=event.url,
        organizer=(event.organizer.email, event.organizer.common_name),
        attendees=[
            Attendee(email=a.email, cn=a.common_name, partstat=a.partstat, rsvp=a.rsvp)
            for a in event.attendees
        ],
        status=event.status,
        other={line.name.lower() for line in event.extra} - {"sequence"},
    )


PARSERS = {"vobject": read_with_vobject, "ics-py": read_with_ics}

"""Our invites in a real CalDAV server (Radicale, started on loopback for the
test): the confirmation, the reschedule and the cancellation of one session,
stored one after the other under the resource named by their UID, leave one
event with the latest SEQUENCE, the new times and STATUS:CANCELLED, as a
calendar that follows invariant 4 must. Both people's copies: the
entrepreneur's (REQUEST, REQUEST, CANCEL) and the advisor's (PUBLISH,
PUBLISH, CANCEL; notifications.invites says why).

CalDAV stores calendar objects, not iTIP messages, so each invite is stored
without its METHOD, the way a client files an invite it has accepted."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote
from xml.etree import ElementTree

import pytest
import requests
import time_machine
from django.conf import settings
from django.utils import timezone
from icalendar import Calendar

from advisors.models import Topic
from bookings import services
from bookings.models import Enterprise, EnterpriseKind
from notifications.invites import invite_ics, mailed_method
from notifications.models import MessageKind
from tests.integration.conftest import free_port
from tests.services import require

try:
    import radicale
except ImportError:  # the dev extra installs it; CI must have it
    radicale = None

pytestmark = pytest.mark.integration

NOW = datetime(2027, 10, 18, 8, 0, tzinfo=UTC)
# Friday 29 October 10:00 CEST, moved across the autumn change to Monday
# 1 November 10:00 CET.
FIRST_START = datetime(2027, 10, 29, 8, 0, tzinfo=UTC)
MOVED_START = datetime(2027, 11, 1, 9, 0, tzinfo=UTC)
USER = "anna"
AUTH = (USER, "any")  # auth type none: any password
DAV = "{DAV:}"
CALDAV = "{urn:ietf:params:xml:ns:caldav}"


@dataclass
class Radicale:
    base_url: str
    log: Path

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        return requests.request(method, self.url(path), auth=AUTH, timeout=10, **kwargs)


CONFIG = """\
[server]
hosts = 127.0.0.1:{port}

[auth]
type = none

[rights]
type = owner_only

[storage]
filesystem_folder = {storage}

[web]
type = none

[logging]
level = warning
"""


@pytest.fixture(scope="module")
def caldav(tmp_path_factory) -> Iterator[Radicale]:
    """One server for the module; each test has a calendar of its own."""
    require("Radicale", radicale is not None, "not installed; `pip install -e '.[dev]'` installs it")
    tmp_path = tmp_path_factory.mktemp("radicale")
    port = free_port()
    config = tmp_path / "radicale.conf"
    config.write_text(CONFIG.format(port=port, storage=tmp_path / "collections"))
    server = Radicale(f"http://127.0.0.1:{port}", tmp_path / "radicale.log")
    with server.log.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "radicale", "--config", str(config)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                if process.poll() is not None:
                    pytest.fail(f"Radicale exited with {process.returncode}:\n{server.log.read_text()}")
                with contextlib.suppress(requests.ConnectionError):
                    if server.request("OPTIONS", "/").status_code < 500:
                        break
                if time.monotonic() > deadline:
                    pytest.fail(f"Radicale did not answer within 30 s:\n{server.log.read_text()}")
                time.sleep(0.1)
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


@pytest.fixture
def calendar_path() -> str:
    """A new calendar collection's path, made by the test with MKCALENDAR."""
    return f"/{USER}/radtid-{uuid.uuid4().hex[:8]}/"


# --- The invites ----------------------------------------------------------------------


@dataclass
class Session:
    uid: str  # the event's UID, <booking uid>@<domain>
    confirmation: bytes
    reschedule: bytes
    cancellation: bytes


@pytest.fixture
def sara(entrepreneur):
    enterprise = Enterprise.objects.create(
        name="Kafé Kvarnen", kind=EnterpriseKind.WORK_INTEGRATING, municipality_id="2080"
    )
    enterprise.members.add(entrepreneur)
    return entrepreneur


def invite_for(booking, kind: str, *, for_advisor: bool) -> bytes:
    """The invite the mail of `kind` carries to that person, stamped now."""
    method = mailed_method(kind, for_advisor=for_advisor)
    return invite_ics(booking, for_advisor=for_advisor, method=method, dtstamp=timezone.now())


def book(person, advisor, start, *, for_advisor: bool = False) -> tuple:
    booking = services.booking_create(
        entrepreneur=person,
        advisor=advisor,
        start=start,
        duration=60,
        topic=Topic.objects.get(slug="financing"),
        mode="video",
    )
    return booking, invite_for(booking, MessageKind.CONFIRMATION, for_advisor=for_advisor)


@pytest.fixture(params=["entrepreneur", "advisor"])
def session(request, sara, advisor) -> Session:
    """Booked, moved a day later, cancelled a day after that: the copies one
    of its two people gets."""
    for_advisor = request.param == "advisor"
    with time_machine.travel(NOW, tick=False):
        booking, confirmation = book(sara, advisor, FIRST_START, for_advisor=for_advisor)
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        booking = services.booking_reschedule(booking=booking, by=sara, start=MOVED_START)
        reschedule = invite_for(booking, MessageKind.RESCHEDULE, for_advisor=for_advisor)
    with time_machine.travel(NOW + timedelta(days=2), tick=False):
        booking = services.booking_cancel(booking=booking, by=sara)
        cancellation = invite_for(booking, MessageKind.CANCELLATION, for_advisor=for_advisor)
    return Session(f"{booking.uid}@{settings.SITE_DOMAIN}", confirmation, reschedule, cancellation)


def as_stored_object(invite: bytes) -> bytes:
    """The invite as a CalDAV calendar object: the same VCALENDAR without METHOD."""
    calendar = Calendar.from_ical(invite)
    assert calendar["METHOD"] in ("REQUEST", "PUBLISH", "CANCEL")
    del calendar["METHOD"]
    return calendar.to_ical()


def resource(uid: str) -> str:
    return f"{quote(uid, safe='')}.ics"


def events(data: bytes | str) -> list:
    return Calendar.from_ical(data).walk("VEVENT")


# --- CalDAV ---------------------------------------------------------------------------

CALENDAR_QUERY = """<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/><C:calendar-data/></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"/></C:comp-filter></C:filter>
</C:calendar-query>"""


def put(caldav: Radicale, calendar: str, name: str, body: bytes) -> requests.Response:
    return caldav.request(
        "PUT", f"{calendar}{name}", data=body, headers={"Content-Type": "text/calendar; charset=utf-8"}
    )


def report(caldav: Radicale, calendar: str) -> dict[str, bytes]:
    """REPORT calendar-query: every VEVENT object of the calendar, by href."""
    response = caldav.request(
        "REPORT",
        calendar,
        data=CALENDAR_QUERY.encode(),
        headers={"Depth": "1", "Content-Type": "application/xml; charset=utf-8"},
    )
    assert response.status_code == 207, response.text
    tree = ElementTree.fromstring(response.content)  # noqa: S314 (our own server on loopback)
    found = {}
    for item in tree.iter(f"{DAV}response"):
        data = item.find(f".//{CALDAV}calendar-data")
        found[item.findtext(f"{DAV}href")] = data.text.encode() if data is not None else b""
    return found


def test_three_invites_stored_in_turn_leave_one_cancelled_event_at_the_latest_sequence(
    caldav, calendar_path, session, sara, advisor
):
    assert caldav.request("MKCALENDAR", calendar_path).status_code == 201
    name = resource(session.uid)

    assert put(caldav, calendar_path, name, as_stored_object(session.confirmation)).status_code == 201
    [stored] = events(caldav.request("GET", f"{calendar_path}{name}").content)
    assert (stored["SEQUENCE"], stored.decoded("DTSTART")) == (0, FIRST_START)

    assert put(caldav, calendar_path, name, as_stored_object(session.reschedule)).status_code in (201, 204)
    [stored] = events(caldav.request("GET", f"{calendar_path}{name}").content)
    assert (stored["SEQUENCE"], stored.decoded("DTSTART")) == (1, MOVED_START)
    assert stored["STATUS"] == "CONFIRMED"

    assert put(caldav, calendar_path, name, as_stored_object(session.cancellation)).status_code in (201, 204)

    # Another session in the same calendar, to tell events apart by UID.
    with time_machine.travel(NOW, tick=False):
        other, other_invite = book(sara, advisor, FIRST_START + timedelta(days=4))
    other_uid = f"{other.uid}@{settings.SITE_DOMAIN}"
    assert put(caldav, calendar_path, resource(other_uid), as_stored_object(other_invite)).status_code == 201

    objects = report(caldav, calendar_path)
    assert sorted(objects) == sorted([f"{calendar_path}{name}", f"{calendar_path}{resource(other_uid)}"])
    [event] = events(objects[f"{calendar_path}{name}"])
    assert str(event["UID"]) == session.uid
    assert event["SEQUENCE"] == 2
    assert event.decoded("DTSTART") == MOVED_START
    assert event.decoded("DTEND") == MOVED_START + timedelta(hours=1)
    assert event["STATUS"] == "CANCELLED"

    # The whole collection, as a client syncing it reads it: one VEVENT per UID.
    collection = caldav.request("GET", calendar_path)
    assert collection.status_code == 200
    per_uid = Counter(str(e["UID"]) for e in events(collection.content))
    assert per_uid == {session.uid: 1, other_uid: 1}


def test_the_server_refuses_a_second_object_with_the_same_uid(caldav, calendar_path, session):
    assert caldav.request("MKCALENDAR", calendar_path).status_code == 201
    assert (
        put(caldav, calendar_path, resource(session.uid), as_stored_object(session.confirmation)).status_code
        == 201
    )

    # A client that filed the update as a new object would make a duplicate:
    # CalDAV forbids it (RFC 4791 5.3.2.1, no-uid-conflict).
    response = put(caldav, calendar_path, "elsewhere.ics", as_stored_object(session.reschedule))

    assert response.status_code == 409
    assert "no-uid-conflict" in response.text


# --- iTIP, as a client applies it -------------------------------------------------------


def apply_itip(store: dict[str, object], message: bytes) -> None:
    """What a calendar client does with an incoming iTIP message (RFC 5546
    2.1.5): keep one event per UID; a message replaces it only when its
    SEQUENCE is higher (or equal with a later DTSTAMP); CANCEL marks it
    cancelled. An older message arriving late changes nothing."""
    calendar = Calendar.from_ical(message)
    [event] = calendar.walk("VEVENT")
    uid = str(event["UID"])
    current = store.get(uid)
    if current is not None:
        newer = (event["SEQUENCE"], event.decoded("DTSTAMP")) > (
            current["SEQUENCE"],
            current.decoded("DTSTAMP"),
        )
        if not newer:
            return
    if calendar["METHOD"] == "CANCEL":
        event["STATUS"] = "CANCELLED"
    store[uid] = event


@pytest.mark.parametrize(
    "order",
    [
        ("confirmation", "reschedule", "cancellation"),
        ("cancellation", "reschedule", "confirmation"),  # delivered backwards
        ("confirmation", "cancellation", "confirmation", "reschedule"),  # a late duplicate
    ],
)
def test_a_client_applying_itip_keeps_one_event_whatever_the_order(caldav, calendar_path, session, order):
    store: dict[str, object] = {}
    for name in order:
        apply_itip(store, getattr(session, name))

    assert list(store) == [session.uid]
    event = store[session.uid]
    assert (event["SEQUENCE"], event["STATUS"], event.decoded("DTSTART")) == (2, "CANCELLED", MOVED_START)

    # Filed in the CalDAV server, it reads back the same.
    assert caldav.request("MKCALENDAR", calendar_path).status_code == 201
    calendar = Calendar()
    calendar.add("prodid", "-//Rådtid tests//iTIP client//SV")
    calendar.add("version", "2.0")
    calendar.add_component(event)
    assert put(caldav, calendar_path, resource(session.uid), calendar.to_ical()).status_code == 201
    [stored] = events(caldav.request("GET", calendar_path).content)
    assert (str(stored["UID"]), stored["SEQUENCE"], stored["STATUS"]) == (session.uid, 2, "CANCELLED")

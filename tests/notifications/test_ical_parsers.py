"""The mailed invites read back by two parsers that share no code with the
icalendar library that writes them: vobject (what Radicale and many CalDAV
tools use) and ics-py (tests/notifications/readers.py). Every kind of invite
the entrepreneur gets is made the way the outbox makes it
(notifications.invites.invite_ics) from real bookings made, moved and
cancelled with bookings.services, and checked field by field in both. (The
advisor's copies, and the same event by mail and by download, are
tests/notifications/test_invites.py.)

The sessions sit on both sides of the daylight-saving changes of 2027 in
Europe/Stockholm (28 March and 31 October), so a wrong offset shows as an hour
off. (29 March 2027 would be the Monday after the spring change, but it is
Easter Monday, a public holiday on which the advisor takes no bookings.)"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext
from icalendar import Calendar

from advisors.models import Topic
from bookings import services
from bookings.models import Enterprise, EnterpriseKind
from notifications.invites import invite_ics
from tests.notifications.readers import PARSERS, Read

STOCKHOLM = ZoneInfo("Europe/Stockholm")


@pytest.fixture(params=list(PARSERS))
def read(request):
    return PARSERS[request.param]


def reference(raw: bytes):
    """The invite as icalendar reads it, to compare free text against."""
    return Calendar.from_ical(raw).walk("VEVENT")[0]


# --- Real bookings --------------------------------------------------------------------


@dataclass
class Scenario:
    """A session booked a week or so ahead and moved across a DST change."""

    now: datetime
    start: datetime  # local
    moved_to: datetime  # local
    start_utc: datetime
    moved_to_utc: datetime
    mode: str


SCENARIOS = {
    # Thursday 25 March 10:00 CET, moved to Tuesday 30 March 10:00 CEST.
    "spring": Scenario(
        now=datetime(2027, 3, 15, 8, 0, tzinfo=UTC),
        start=datetime(2027, 3, 25, 10, 0, tzinfo=STOCKHOLM),
        moved_to=datetime(2027, 3, 30, 10, 0, tzinfo=STOCKHOLM),
        start_utc=datetime(2027, 3, 25, 9, 0, tzinfo=UTC),
        moved_to_utc=datetime(2027, 3, 30, 8, 0, tzinfo=UTC),
        mode="in_person",
    ),
    # Friday 29 October 10:00 CEST, moved to Monday 1 November 10:00 CET.
    "autumn": Scenario(
        now=datetime(2027, 10, 18, 8, 0, tzinfo=UTC),
        start=datetime(2027, 10, 29, 10, 0, tzinfo=STOCKHOLM),
        moved_to=datetime(2027, 11, 1, 10, 0, tzinfo=STOCKHOLM),
        start_utc=datetime(2027, 10, 29, 8, 0, tzinfo=UTC),
        moved_to_utc=datetime(2027, 11, 1, 9, 0, tzinfo=UTC),
        mode="video",
    ),
}


@pytest.fixture(params=list(SCENARIOS))
def scenario(request) -> Scenario:
    return SCENARIOS[request.param]


@pytest.fixture
def sara(entrepreneur):
    enterprise = Enterprise.objects.create(
        name="Kafé Kvarnen", kind=EnterpriseKind.WORK_INTEGRATING, municipality_id="2080"
    )
    enterprise.members.add(entrepreneur)
    return entrepreneur


@dataclass
class Invites:
    booking_uid: str
    confirmation: bytes
    reschedule: bytes
    cancellation: bytes
    stamps: tuple[datetime, datetime, datetime]


def invite_for(booking, *, method: str) -> bytes:
    """The entrepreneur's mailed invite of `method`, stamped now."""
    return invite_ics(booking, for_advisor=False, method=method, dtstamp=timezone.now())


def make_invites(scenario: Scenario, *, entrepreneur, advisor, topic=None, message="") -> Invites:
    """Book, move and cancel one session the way people do, a day apart, taking
    each invite as the outbox would render it right after the change."""
    topic = topic or Topic.objects.get(slug="financing")
    stamps = (scenario.now, scenario.now + timedelta(days=1), scenario.now + timedelta(days=2))
    with time_machine.travel(stamps[0], tick=False):
        booking = services.booking_create(
            entrepreneur=entrepreneur,
            advisor=advisor,
            start=scenario.start,
            duration=60,
            topic=topic,
            mode=scenario.mode,
            message=message,
        )
        confirmation = invite_for(booking, method="REQUEST")
    with time_machine.travel(stamps[1], tick=False):
        booking = services.booking_reschedule(booking=booking, by=entrepreneur, start=scenario.moved_to)
        reschedule = invite_for(booking, method="REQUEST")
    with time_machine.travel(stamps[2], tick=False):
        booking = services.booking_cancel(booking=booking, by=entrepreneur, reason="Sjuk")
        cancellation = invite_for(booking, method="CANCEL")
    return Invites(str(booking.uid), confirmation, reschedule, cancellation, stamps)


@pytest.fixture
def invites(scenario, sara, advisor) -> Invites:
    return make_invites(scenario, entrepreneur=sara, advisor=advisor)


def expected_summary(advisor_name: str) -> str:
    with translation.override("sv"):  # the entrepreneur's language words her copy
        return gettext("Advice session with %(name)s") % {"name": advisor_name}


# --- Every kind of invite, field by field ------------------------------------------------


def check_common(got: Read, raw: bytes, invites: Invites, scenario: Scenario) -> None:
    assert got.events == 1
    assert got.uid == f"{invites.booking_uid}@{settings.SITE_DOMAIN}"
    assert got.summary == expected_summary("Anna Lindqvist") == "Rådgivning med Anna Lindqvist"
    assert got.description == str(reference(raw)["DESCRIPTION"])
    assert "Ämne: Finansiering" in got.description
    if scenario.mode == "in_person":
        assert got.location == "Åsgatan 23, Falun"
        assert got.url is None
        assert "Plats: Åsgatan 23, Falun" in got.description
    else:
        assert got.url == got.location == "https://meet.example.se/anna"
        assert "Videolänk: https://meet.example.se/anna" in got.description
    assert got.organizer == ("anna@example.se", "Anna Lindqvist")
    assert [(a.email, a.cn) for a in got.attendees] == [("sara@example.se", "Sara Nilsson")]
    assert got.other == set()
    # Times are UTC, written as such (no TZID a client would have to resolve).
    for value in (got.start, got.end, got.dtstamp):
        assert value.utcoffset() == timedelta(0)
    assert b"TZID" not in raw


def test_the_confirmation_is_a_request_at_sequence_0(read, invites, scenario):
    got = read(invites.confirmation)

    check_common(got, invites.confirmation, invites, scenario)
    assert got.method == "REQUEST"
    assert got.sequence == 0
    assert got.dtstamp == invites.stamps[0]
    assert (got.start, got.end) == (scenario.start_utc, scenario.start_utc + timedelta(hours=1))
    assert got.status == "CONFIRMED"
    attendee = got.attendees[0]
    assert (attendee.partstat, attendee.rsvp) == ("NEEDS-ACTION", True)


def test_the_reschedule_is_a_request_with_the_same_uid_at_sequence_1(read, invites, scenario):
    got = read(invites.reschedule)

    check_common(got, invites.reschedule, invites, scenario)
    assert got.method == "REQUEST"
    assert got.sequence == 1
    assert got.uid == read(invites.confirmation).uid
    assert got.dtstamp == invites.stamps[1]
    assert (got.start, got.end) == (scenario.moved_to_utc, scenario.moved_to_utc + timedelta(hours=1))
    assert got.status == "CONFIRMED"
    attendee = got.attendees[0]
    assert (attendee.partstat, attendee.rsvp) == ("NEEDS-ACTION", True)


def test_the_cancellation_is_a_cancel_with_the_same_uid_and_a_higher_sequence(read, invites, scenario):
    got = read(invites.cancellation)

    check_common(got, invites.cancellation, invites, scenario)
    assert got.method == "CANCEL"
    assert got.sequence == 2
    assert got.uid == read(invites.confirmation).uid
    assert got.dtstamp == invites.stamps[2]
    assert (got.start, got.end) == (scenario.moved_to_utc, scenario.moved_to_utc + timedelta(hours=1))
    assert got.status == "CANCELLED"
    attendee = got.attendees[0]
    assert (attendee.partstat, attendee.rsvp) == (None, None)  # a cancellation asks for no answer


def test_the_local_time_is_ten_oclock_on_both_sides_of_the_change(read, invites, scenario):
    first, moved = read(invites.confirmation), read(invites.reschedule)

    assert first.start.astimezone(STOCKHOLM) == scenario.start
    assert moved.start.astimezone(STOCKHOLM) == scenario.moved_to
    assert {first.start.astimezone(STOCKHOLM).hour, moved.start.astimezone(STOCKHOLM).hour} == {10}
    assert first.start.utcoffset() == moved.start.utcoffset() == timedelta(0)


def test_the_times_are_written_in_utc_with_a_z(invites, scenario):
    raw = invites.reschedule.decode()

    assert f"DTSTART:{scenario.moved_to_utc:%Y%m%dT%H%M%S}Z\r\n" in raw
    assert f"DTEND:{scenario.moved_to_utc + timedelta(hours=1):%Y%m%dT%H%M%S}Z\r\n" in raw


# --- Text -----------------------------------------------------------------------------------

AWKWARD_TOPIC = "Råd om ESF-ansökan, budget; tidsplan 🌱\nÅÄÖ åäö \\ bakstreck"
AWKWARD_PLACE = "Åsgatan 23, 791 71 Falun; plan 2 🏢\nIngång från gården"
AWKWARD_NAME = "Åsa Öberg, rådgivare; ESF 🌱"


def test_text_with_line_breaks_commas_semicolons_emoji_and_swedish_letters_round_trips(read, sara, advisor):
    topic = Topic.objects.create(slug="awkward", name_sv=AWKWARD_TOPIC, name_en=AWKWARD_TOPIC)
    advisor.address = AWKWARD_PLACE
    advisor.save(update_fields=["address"])
    advisor.user.full_name = AWKWARD_NAME
    advisor.user.save(update_fields=["full_name"])
    invites = make_invites(SCENARIOS["spring"], entrepreneur=sara, advisor=advisor, topic=topic)

    for raw in (invites.confirmation, invites.reschedule, invites.cancellation):
        got = read(raw)
        assert got.summary == expected_summary(AWKWARD_NAME)
        assert f"Ämne: {AWKWARD_TOPIC}" in got.description
        assert got.location == AWKWARD_PLACE
        assert AWKWARD_PLACE in got.description
        assert got.description == str(reference(raw)["DESCRIPTION"])
        assert got.organizer == (advisor.user.email, AWKWARD_NAME)
        assert got.other == set()


INJECTION = "Hej\r\nATTENDEE:mailto:evil@example.com\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:evil\r\nX-EVIL:1"


def test_an_injection_attempt_adds_no_property_and_no_event(read, sara, advisor):
    topic = Topic.objects.create(slug="injection", name_sv=INJECTION[:120], name_en=INJECTION[:120])
    advisor.address = INJECTION
    advisor.save(update_fields=["address"])
    invites = make_invites(
        SCENARIOS["spring"],
        entrepreneur=sara,
        advisor=advisor,
        topic=topic,
        message="Hemligt. " + INJECTION,
    )

    for raw in (invites.confirmation, invites.reschedule, invites.cancellation):
        got = read(raw)
        assert got.events == 1
        assert got.uid == f"{invites.booking_uid}@{settings.SITE_DOMAIN}"
        assert [a.email for a in got.attendees] == ["sara@example.se"]
        assert got.other == set()
        # The text is there, as text, with its line breaks normalised.
        assert got.summary == expected_summary("Anna Lindqvist")
        assert INJECTION[:120].replace("\r\n", "\n") in got.description
        assert got.location == INJECTION.replace("\r\n", "\n")
        # No line of the file starts with what the text tried to start.
        lines = raw.decode().split("\r\n")
        assert not any(line.startswith(("ATTENDEE:mailto:evil", "UID:evil", "X-EVIL")) for line in lines)
        assert lines.count("BEGIN:VEVENT") == 1
    # The entrepreneur's message never goes into an invite at all.
    assert all(b"Hemligt" not in raw for raw in (invites.confirmation, invites.reschedule))

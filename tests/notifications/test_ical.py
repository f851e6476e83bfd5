"""The iCalendar of a booking (notifications.ical.booking_ics) and the .ics a
booking's parties download. Every file is parsed back with icalendar and
checked field by field; times are checked across the real daylight-saving
changes of 2027 in Europe/Stockholm (28 March and 31 October)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from icalendar import Calendar

from advisors.models import Topic
from bookings import services
from bookings.models import Enterprise
from notifications.ical import PRODID, booking_ics

STOCKHOLM = ZoneInfo("Europe/Stockholm")
STAMP = datetime(2027, 3, 1, 7, 0, tzinfo=UTC)


def ics(**overrides) -> bytes:
    values = {
        "uid": "6f1c2e4a-0b7d-4c1e-9a51-3d2f8e7b6a90",
        "sequence": 0,
        "method": "REQUEST",
        "start": datetime(2027, 3, 3, 10, 0, tzinfo=STOCKHOLM),
        "end": datetime(2027, 3, 3, 11, 0, tzinfo=STOCKHOLM),
        "summary": "Rådgivning: finansiering",
        "description": "Ämne: Finansiering\nMöte: Video",
        "location": "Åsgatan 23, Falun",
        "url": "https://meet.example.se/anna",
        "organizer": ("Anna Lindqvist", "anna@example.se"),
        "attendee": ("Sara Nilsson", "sara@example.se"),
        "status": "CONFIRMED",
        "site_domain": "radtid.example.se",
        "dtstamp": STAMP,
    }
    return booking_ics(**(values | overrides))


def parse(data: bytes):
    calendar = Calendar.from_ical(data)
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return calendar, events[0]


# --- The file ----------------------------------------------------------------------------


def test_a_request_has_every_field_a_calendar_needs():
    calendar, event = parse(ics())

    assert calendar["VERSION"] == "2.0"
    assert calendar["PRODID"] == PRODID == "-//Rådtid//Rådtid//SV"
    assert calendar["METHOD"] == "REQUEST"
    assert event["UID"] == "6f1c2e4a-0b7d-4c1e-9a51-3d2f8e7b6a90@radtid.example.se"
    assert event["SEQUENCE"] == 0
    assert event.decoded("DTSTAMP") == STAMP
    assert event.decoded("DTSTART") == datetime(2027, 3, 3, 9, 0, tzinfo=UTC)
    assert event.decoded("DTEND") == datetime(2027, 3, 3, 10, 0, tzinfo=UTC)
    assert event["SUMMARY"] == "Rådgivning: finansiering"
    assert event["DESCRIPTION"] == "Ämne: Finansiering\nMöte: Video"
    assert event["LOCATION"] == "Åsgatan 23, Falun"
    assert event["URL"] == "https://meet.example.se/anna"
    assert event["STATUS"] == "CONFIRMED"

    organizer = event["ORGANIZER"]
    assert str(organizer) == "mailto:anna@example.se"
    assert organizer.params["CN"] == "Anna Lindqvist"
    attendee = event["ATTENDEE"]
    assert str(attendee) == "mailto:sara@example.se"
    assert dict(attendee.params) == {
        "CN": "Sara Nilsson",
        "PARTSTAT": "NEEDS-ACTION",
        "ROLE": "REQ-PARTICIPANT",
        "RSVP": "TRUE",
    }


def test_times_are_written_in_utc():
    raw = ics().decode()

    assert "DTSTART:20270303T090000Z\r\n" in raw
    assert "DTEND:20270303T100000Z\r\n" in raw
    assert "DTSTAMP:20270301T070000Z\r\n" in raw
    assert "TZID" not in raw


@pytest.mark.parametrize(
    ("local_start", "utc_start"),
    [
        # Spring: 28 March 2027 02:00 CET becomes 03:00 CEST.
        (datetime(2027, 3, 26, 10, 0, tzinfo=STOCKHOLM), datetime(2027, 3, 26, 9, 0, tzinfo=UTC)),
        (datetime(2027, 3, 30, 10, 0, tzinfo=STOCKHOLM), datetime(2027, 3, 30, 8, 0, tzinfo=UTC)),
        # Autumn: 31 October 2027 03:00 CEST becomes 02:00 CET.
        (datetime(2027, 10, 29, 10, 0, tzinfo=STOCKHOLM), datetime(2027, 10, 29, 8, 0, tzinfo=UTC)),
        (datetime(2027, 11, 1, 10, 0, tzinfo=STOCKHOLM), datetime(2027, 11, 1, 9, 0, tzinfo=UTC)),
    ],
)
def test_ten_oclock_in_stockholm_is_the_right_utc_time_on_both_sides_of_daylight_saving(
    local_start, utc_start
):
    _calendar, event = parse(ics(start=local_start, end=local_start + timedelta(hours=1)))

    assert event.decoded("DTSTART") == utc_start
    assert event.decoded("DTEND") == utc_start + timedelta(hours=1)
    assert event.decoded("DTSTART").astimezone(STOCKHOLM).hour == 10


def test_a_session_across_the_autumn_change_keeps_its_real_length():
    # 01:30 CEST to 02:30 CET on 31 October 2027 is two hours, not one.
    start = datetime(2027, 10, 30, 23, 30, tzinfo=UTC)

    _calendar, event = parse(ics(start=start, end=start + timedelta(hours=2)))

    assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(hours=2)


def test_a_reschedule_keeps_the_uid_and_raises_the_sequence():
    _c, first = parse(ics())
    _c, moved = parse(
        ics(
            sequence=1,
            start=datetime(2027, 3, 4, 13, 0, tzinfo=STOCKHOLM),
            end=datetime(2027, 3, 4, 14, 0, tzinfo=STOCKHOLM),
        )
    )

    assert moved["UID"] == first["UID"]
    assert moved["SEQUENCE"] == 1
    assert moved.decoded("DTSTART") == datetime(2027, 3, 4, 12, 0, tzinfo=UTC)


def test_a_cancellation_has_method_cancel_and_status_cancelled():
    calendar, event = parse(ics(method="CANCEL", status="CANCELLED", sequence=2))

    assert calendar["METHOD"] == "CANCEL"
    assert event["STATUS"] == "CANCELLED"
    assert event["SEQUENCE"] == 2
    assert event["UID"] == "6f1c2e4a-0b7d-4c1e-9a51-3d2f8e7b6a90@radtid.example.se"
    # A cancellation asks for no answer.
    assert dict(event["ATTENDEE"].params) == {"CN": "Sara Nilsson", "ROLE": "REQ-PARTICIPANT"}


def test_a_published_file_names_no_attendee_and_asks_for_no_answer():
    # RFC 5546 3.2.1: in a PUBLISH, "Attendees MUST NOT be present".
    raw = ics(method="PUBLISH")
    calendar, event = parse(raw)

    assert calendar["METHOD"] == "PUBLISH"
    assert "ATTENDEE" not in event
    assert str(event["ORGANIZER"]) == "mailto:anna@example.se"
    assert b"RSVP" not in raw
    assert b"PARTSTAT" not in raw


def test_location_and_url_are_left_out_when_there_are_none():
    _calendar, event = parse(ics(location=None, url=None))

    assert "LOCATION" not in event
    assert "URL" not in event


def test_an_attendee_without_an_address_is_left_out():
    _c, event = parse(ics(attendee=None))
    assert "ATTENDEE" not in event
    _c, event = parse(ics(attendee=("Entrepreneur", "")))
    assert "ATTENDEE" not in event


# --- Text and escaping -------------------------------------------------------------------


def test_text_with_line_breaks_commas_semicolons_emoji_and_swedish_letters_round_trips():
    summary = "Råd om ESF-ansökan, budget; tidsplan 🌱 – ÅÄÖ åäö"
    description = "Första raden\nAndra, med komma; och semikolon\n\\ bakstreck\n🎉 Välkommen!"
    location = "Åsgatan 23, 791 71 Falun; plan 2"

    raw = ics(summary=summary, description=description, location=location)
    _calendar, event = parse(raw)

    assert str(event["SUMMARY"]) == summary
    assert str(event["DESCRIPTION"]) == description
    assert str(event["LOCATION"]) == location
    assert "SUMMARY:Råd om ESF-ansökan\\, budget\\; tidsplan".encode() in raw.replace(b"\r\n ", b"")


def test_windows_line_breaks_read_back_as_plain_ones():
    _calendar, event = parse(ics(description="Rad ett\r\nRad två\rRad tre"))

    assert str(event["DESCRIPTION"]) == "Rad ett\nRad två\nRad tre"


def test_lines_are_folded_at_75_octets_with_crlf():
    raw = ics(description="Långt " * 100, summary="🌱" * 40)

    lines = raw.split(b"\r\n")
    assert lines[-1] == b""
    assert all(len(line) <= 75 for line in lines)
    assert b"\n" not in raw.replace(b"\r\n", b"")
    _calendar, event = parse(raw)
    assert str(event["SUMMARY"]) == "🌱" * 40


def test_a_summary_cannot_inject_a_property():
    evil = "Möte\r\nATTENDEE:mailto:evil@example.com\r\nEND:VEVENT"

    raw = ics(summary=evil, description=evil, location=evil)
    calendar, event = parse(raw)

    attendees = event.get("ATTENDEE")
    assert not isinstance(attendees, list)  # exactly one
    assert str(attendees) == "mailto:sara@example.se"
    assert len(calendar.walk("VEVENT")) == 1
    assert b"\r\nATTENDEE:mailto:evil" not in raw
    assert str(event["SUMMARY"]) == evil.replace("\r\n", "\n")


def test_a_name_cannot_inject_a_property_or_parameter():
    evil_name = 'Eve\r\nATTENDEE:mailto:evil@example.com;"x":'

    raw = ics(attendee=(evil_name, "sara@example.se"), organizer=(evil_name, "anna@example.se"))
    _calendar, event = parse(raw)

    assert str(event["ATTENDEE"]) == "mailto:sara@example.se"
    assert str(event["ORGANIZER"]) == "mailto:anna@example.se"
    assert "\n" not in event["ATTENDEE"].params["CN"]
    assert event["ATTENDEE"].params["PARTSTAT"] == "NEEDS-ACTION"
    assert b"\r\nATTENDEE:mailto:evil" not in raw


@pytest.mark.parametrize(
    "overrides",
    [
        {"method": "PUBLISH\r\nX-EVIL:1"},
        {"method": "REPLY"},
        {"status": "TENTATIVE"},
        {"start": datetime(2027, 3, 3, 10, 0, tzinfo=STOCKHOLM).replace(tzinfo=None)},  # naive
        {"end": datetime(2027, 3, 3, 9, 0, tzinfo=STOCKHOLM)},  # before the start
        {"attendee": ("Eve", "evil@example.com\r\nX-EVIL:1")},
        {"organizer": ("Eve", "not an address")},
        {"url": "https://example.se/\r\nX-EVIL:1"},
        {"uid": "abc\r\nX-EVIL:1"},
    ],
)
def test_values_that_would_make_a_broken_or_unsafe_file_are_refused(overrides):
    with pytest.raises(ValueError):
        ics(**overrides)


# --- The download -------------------------------------------------------------------------


@pytest.fixture
def booking(entrepreneur, advisor):
    """Sara's video session with Anna on Tuesday 30 March 2027 at 10:00, two
    days after the spring change (CEST, UTC+2)."""
    enterprise = Enterprise.objects.create(
        name="Kafé Kvarnen", kind="work_integrating", municipality_id="2080"
    )
    enterprise.members.add(entrepreneur)
    with time_machine.travel(datetime(2027, 3, 1, 7, 0, tzinfo=UTC), tick=False):
        booking = services.booking_create(
            entrepreneur=entrepreneur,
            advisor=advisor,
            start=datetime(2027, 3, 30, 10, 0, tzinfo=STOCKHOLM),
            duration=60,
            topic=Topic.objects.get(slug="financing"),
            mode="video",
            message="Hemligt meddelande om ESF",
        )
    return booking


def test_the_entrepreneur_downloads_the_session_as_a_calendar_file(client, booking, entrepreneur):
    client.force_login(entrepreneur)

    response = client.get(f"/bookings/{booking.uid}/invite.ics")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="radtid-2027-03-30.ics"'
    calendar, event = parse(response.content)
    assert calendar["METHOD"] == "PUBLISH"
    assert event["UID"] == f"{booking.uid}@{settings.SITE_DOMAIN}"
    assert event["SEQUENCE"] == booking.sequence == 0
    assert event.decoded("DTSTART") == datetime(2027, 3, 30, 8, 0, tzinfo=UTC)
    assert event.decoded("DTEND") == datetime(2027, 3, 30, 9, 0, tzinfo=UTC)
    assert event["STATUS"] == "CONFIRMED"
    assert event["LOCATION"] == event["URL"] == "https://meet.example.se/anna"
    assert str(event["ORGANIZER"]) == "mailto:anna@example.se"
    assert event["ORGANIZER"].params["CN"] == "Anna Lindqvist"
    assert "ATTENDEE" not in event  # a file to add, not an invitation
    assert event["SUMMARY"] == "Rådgivning med Anna Lindqvist"
    assert f"/bookings/{booking.uid}/" in str(event["DESCRIPTION"])
    # The message stays on Rådtid: calendars are synced to other services.
    assert "Hemligt" not in response.content.decode()


def test_the_advisor_downloads_it_too_named_for_the_entrepreneur(client, booking, advisor):
    client.force_login(advisor.user)

    response = client.get(f"/bookings/{booking.uid}/invite.ics")

    assert response.status_code == 200
    _calendar, event = parse(response.content)
    assert event["SUMMARY"] == "Rådgivning med Sara Nilsson (Kafé Kvarnen)"
    assert "ATTENDEE" not in event


def test_a_moved_booking_downloads_with_the_new_sequence(client, booking, entrepreneur):
    with time_machine.travel(datetime(2027, 3, 1, 7, 0, tzinfo=UTC), tick=False):
        services.booking_reschedule(
            booking=booking, by=entrepreneur, start=datetime(2027, 3, 31, 13, 0, tzinfo=STOCKHOLM)
        )
    client.force_login(entrepreneur)

    _calendar, event = parse(client.get(f"/bookings/{booking.uid}/invite.ics").content)

    assert event["SEQUENCE"] == 1
    assert event["UID"] == f"{booking.uid}@{settings.SITE_DOMAIN}"
    assert event.decoded("DTSTART") == datetime(2027, 3, 31, 11, 0, tzinfo=UTC)


def test_nobody_else_gets_the_file(client, booking, other_entrepreneur, other_advisor):
    assert client.get(f"/bookings/{booking.uid}/invite.ics").status_code == 302  # sign in first
    for outsider in (other_entrepreneur, other_advisor.user):
        client.force_login(outsider)
        assert client.get(f"/bookings/{booking.uid}/invite.ics").status_code == 404

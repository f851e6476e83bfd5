"""One event wherever a booking reaches a calendar (notifications.invites):
the invite mailed to each of its two people and the .ics each downloads from
the booking's page are read back with the independent parsers of
tests/notifications/readers.py (vobject, ics-py) and must agree field by
field, and say what they should for each way of meeting and each reader. The
"Add to Google / Outlook" links carry the same event. The advisor, the
ORGANIZER, is never asked to answer their own session.

Sara books Anna for Tuesday 2 March 2027 at 10:00 in Stockholm (09:00 UTC),
on Monday morning."""

from __future__ import annotations

import email
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core import mail

from bookings import services
from notifications import sending, tasks
from tests import factories
from tests.notifications.readers import PARSERS, Read

pytestmark = pytest.mark.usefixtures("frozen_clock")  # at NOW (tests/conftest.py)

STOCKHOLM = ZoneInfo("Europe/Stockholm")
NOW = datetime(2027, 3, 1, 6, 0, tzinfo=UTC)  # Monday 07:00 in Stockholm
TUESDAY_10 = datetime(2027, 3, 2, 10, 0, tzinfo=STOCKHOLM)
WEDNESDAY_14 = datetime(2027, 3, 3, 14, 0, tzinfo=STOCKHOLM)
ANNAS_PHONE = "070-123 45 67"
SARAS_PHONE = "070-987 65 43"


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    """Sending tasks queued after commit are recorded, not handed to a broker."""
    monkeypatch.setattr(tasks.send_message, "delay", lambda message_id: None)


@pytest.fixture(params=list(PARSERS))
def read(request):
    return PARSERS[request.param]


@pytest.fixture
def sara(entrepreneur):
    factories.EnterpriseFactory(name="Kafé Kvarnen", members=[entrepreneur])
    entrepreneur.phone = SARAS_PHONE  # a session by phone asks for it
    entrepreneur.save(update_fields=["phone"])
    return entrepreneur


@pytest.fixture
def anna(advisor):
    advisor.phone = ANNAS_PHONE
    advisor.save(update_fields=["phone"])
    return advisor


def book(sara, anna, mode: str):
    return factories.book(sara, anna, TUESDAY_10, mode=mode)


def deliver() -> None:
    for pk in sending.claim_due():
        sending.deliver(pk)


class Mailed:
    """The invite in one person's mail: the text/calendar part (None when
    there is none), its method parameter, and the attached invite.ics."""

    def __init__(self, message) -> None:
        parsed = email.message_from_bytes(message.message().as_bytes())
        parts = [part for part in parsed.walk() if not part.is_multipart()]
        calendar = [part for part in parts if part.get_content_type() == "text/calendar"]
        [attached] = [part for part in parts if part.get_filename() == "invite.ics"]
        self.part = calendar[0].get_payload(decode=True) if calendar else None
        self.part_method = calendar[0].get_param("method") if calendar else None
        self.ics: bytes = attached.get_payload(decode=True)
        self.body: str = message.body


def mailed_to(person) -> Mailed:
    """The invite of the one mail sent to `person` since the outbox was emptied."""
    [message] = [m for m in mail.outbox if f"<{person.email}>" in m.to[0]]
    return Mailed(message)


def downloaded(client, person, booking) -> bytes:
    client.force_login(person)
    response = client.get(f"/bookings/{booking.uid}/invite.ics")
    assert response.status_code == 200
    return response.content


def the_event(got: Read) -> dict:
    """What a calendar shows of the event, whichever file it came in."""
    return {
        "uid": got.uid,
        "sequence": got.sequence,
        "start": got.start,
        "end": got.end,
        "summary": got.summary,
        "description": got.description,
        "location": got.location,
        "url": got.url,
        "organizer": got.organizer,
        "status": got.status,
    }


def details_url(booking) -> str:
    return f"{settings.SITE_URL}/bookings/{booking.uid}/"


# What each reader should read, per way of meeting: LOCATION, URL and the
# DESCRIPTION's line about it.
PLACES = {
    ("in_person", "entrepreneur"): ("Åsgatan 23, Falun", None, "Plats: Åsgatan 23, Falun"),
    ("in_person", "advisor"): ("Åsgatan 23, Falun", None, "Plats: Åsgatan 23, Falun"),
    ("video", "entrepreneur"): (
        "https://meet.example.se/anna",
        "https://meet.example.se/anna",
        "Videolänk: https://meet.example.se/anna",
    ),
    ("video", "advisor"): (
        "https://meet.example.se/anna",
        "https://meet.example.se/anna",
        "Videolänk: https://meet.example.se/anna",
    ),
    # The number is Sara's, given when she booked: Anna calls it.
    ("phone", "entrepreneur"): (
        "Anna Lindqvist ringer dig på 070-987 65 43",
        None,
        "Telefon: Anna Lindqvist ringer dig på 070-987 65 43",
    ),
    ("phone", "advisor"): (
        "Ring Sara Nilsson på 070-987 65 43",
        None,
        "Telefon: Ring Sara Nilsson på 070-987 65 43",
    ),
}
MODE_NAMES = {"in_person": "På plats", "video": "Video", "phone": "Telefon"}
SUMMARIES = {
    "entrepreneur": "Rådgivning med Anna Lindqvist",
    "advisor": "Rådgivning med Sara Nilsson (Kafé Kvarnen)",
}


def expected_event(booking, mode: str, reader: str) -> dict:
    location, url, place = PLACES[mode, reader]
    lines = ["Ämne: Finansiering", f"Mötesform: {MODE_NAMES[mode]}", place]
    if reader == "entrepreneur":
        lines.append("Rådgivare: Anna Lindqvist, Coompanion Dalarna")
    lines.append(f"Information, flytt och avbokning: {details_url(booking)}")
    return {
        "uid": f"{booking.uid}@{settings.SITE_DOMAIN}",
        "sequence": booking.sequence,
        "start": booking.start.astimezone(UTC),
        "end": booking.end.astimezone(UTC),
        "summary": SUMMARIES[reader],
        "description": "\n".join(lines),
        "location": location,
        "url": url,
        "organizer": ("anna@example.se", "Anna Lindqvist"),
        "status": "CANCELLED" if booking.status == "cancelled" else "CONFIRMED",
    }


def person(reader: str, sara, anna):
    return sara if reader == "entrepreneur" else anna.user


# --- The booking: the same event by mail and by download ---------------------------------


@pytest.mark.parametrize("reader", ["entrepreneur", "advisor"])
@pytest.mark.parametrize("mode", ["in_person", "video", "phone"])
def test_the_mailed_invite_and_the_download_are_the_same_event(client, read, sara, anna, mode, reader):
    booking = book(sara, anna, mode)
    deliver()
    who = person(reader, sara, anna)

    mailed = mailed_to(who)
    by_mail, by_download = read(mailed.ics), read(downloaded(client, who, booking))

    assert the_event(by_mail) == the_event(by_download) == expected_event(booking, mode, reader)
    assert by_mail.events == by_download.events == 1
    assert by_mail.other == by_download.other == set()
    assert by_download.method == "PUBLISH"
    assert by_download.attendees == []  # a file to add, not an invitation


@pytest.mark.parametrize("mode", ["in_person", "video", "phone"])
def test_the_entrepreneur_is_invited_and_asked_to_answer(read, sara, anna, mode):
    book(sara, anna, mode)
    deliver()

    mailed = mailed_to(sara)
    got = read(mailed.ics)

    assert got.method == mailed.part_method == "REQUEST"
    assert mailed.part == mailed.ics  # the iMIP part and the file are one invite
    [attendee] = got.attendees
    assert (attendee.email, attendee.cn, attendee.partstat, attendee.rsvp) == (
        "sara@example.se",
        "Sara Nilsson",
        "NEEDS-ACTION",
        True,
    )


@pytest.mark.parametrize("mode", ["in_person", "video", "phone"])
def test_the_advisors_copy_asks_the_advisor_for_no_answer(read, sara, anna, mode):
    book(sara, anna, mode)
    deliver()

    mailed = mailed_to(anna.user)
    got = read(mailed.ics)

    # A published event with Anna as its organizer: no attendee, no RSVP, so
    # no Accept / Decline; only the attached file, which Outlook imports.
    assert got.method == "PUBLISH"
    assert got.organizer == ("anna@example.se", "Anna Lindqvist")
    assert got.attendees == []
    assert b"RSVP" not in mailed.ics
    assert b"ATTENDEE" not in mailed.ics
    assert mailed.part is None
    # The mail says what to do with it.
    assert "Öppna den bifogade kalenderfilen för att lägga in det i din kalender." in mailed.body


def test_a_move_and_a_cancellation_update_both_copies_in_place(client, read, sara, anna):
    booking = book(sara, anna, "phone")
    deliver()
    first = {who: read(mailed_to(who).ics) for who in (sara, anna.user)}
    mail.outbox.clear()

    booking = services.booking_reschedule(booking=booking, by=sara, start=WEDNESDAY_14)
    deliver()
    moved = {who: mailed_to(who) for who in (sara, anna.user)}
    mail.outbox.clear()
    assert "Öppna den bifogade kalenderfilen så flyttas det i din kalender." in moved[anna.user].body
    assert "kalenderfilen" not in moved[sara].body

    # Invariant 4: the same UID, SEQUENCE + 1, the new time; the advisor's
    # copy updates the published event with another PUBLISH (RFC 5546 3.2.1).
    for who, method in ((sara, "REQUEST"), (anna.user, "PUBLISH")):
        got = read(moved[who].ics)
        assert got.method == method
        assert (got.uid, got.sequence) == (first[who].uid, 1)
        assert got.start == WEDNESDAY_14.astimezone(UTC)
        assert the_event(got) == the_event(read(downloaded(client, who, booking)))

    booking = services.booking_cancel(booking=booking, by=sara, reason="Sjuk")
    deliver()
    for who, reader in ((sara, "entrepreneur"), (anna.user, "advisor")):
        mailed = mailed_to(who)
        got = read(mailed.ics)
        assert got.method == mailed.part_method == "CANCEL"
        assert (got.uid, got.sequence, got.status) == (first[who].uid, 2, "CANCELLED")
        assert the_event(got) == the_event(read(downloaded(client, who, booking)))
        assert the_event(got) == expected_event(booking, "phone", reader)
        # A cancellation names the attendee and asks nobody anything.
        assert [(a.email, a.partstat, a.rsvp) for a in got.attendees] == [("sara@example.se", None, None)]
        assert b"RSVP" not in mailed.ics


# --- Wording --------------------------------------------------------------------------------


def test_each_copy_is_in_its_readers_language_by_mail_and_by_download(client, read, sara, anna):
    sara.language = "en"
    sara.save(update_fields=["language"])
    booking = book(sara, anna, "phone")
    deliver()

    # Sara's page may be in Swedish: her calendar file is in her language,
    # the same event as her mail.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "sv"
    hers = read(downloaded(client, sara, booking))
    assert the_event(read(mailed_to(sara).ics)) == the_event(hers)
    assert hers.summary == "Advice session with Anna Lindqvist"
    assert hers.location == "Anna Lindqvist calls you on 070-987 65 43"
    assert hers.description.splitlines()[:3] == [
        "Topic: Financing",
        "Meeting: Phone",
        "Phone: Anna Lindqvist calls you on 070-987 65 43",
    ]
    # Anna's stays Swedish.
    assert read(mailed_to(anna.user).ics).summary == "Rådgivning med Sara Nilsson (Kafé Kvarnen)"


def test_a_booking_whose_person_has_no_number_any_more_falls_back(client, read, sara, anna):
    booking = book(sara, anna, "phone")
    sara.phone = ""  # removed from the account after booking
    sara.save(update_fields=["phone"])
    deliver()

    # Anna's number on the booking: Sara calls it.
    for who, location in (
        (sara, "Ring Anna Lindqvist på 070-123 45 67"),
        (anna.user, "Sara Nilsson ringer dig på 070-123 45 67"),
    ):
        assert read(mailed_to(who).ics).location == location

    # Neither number: Anna makes the call.
    anna.phone = ""
    anna.save(update_fields=["phone"])
    booking.phone = ""
    booking.save(update_fields=["phone"])

    for who, location in ((sara, "Anna Lindqvist ringer upp dig"), (anna.user, "Du ringer upp Sara Nilsson")):
        got = read(downloaded(client, who, booking))
        assert got.location == location
        assert f"Telefon: {location}" in got.description


def test_a_person_without_a_name_is_named_by_their_email(client, read, sara, anna):
    for user in (sara, anna.user):
        user.full_name = ""
        user.save(update_fields=["full_name"])
    booking = book(sara, anna, "video")
    deliver()

    for who, summary in (
        (sara, "Rådgivning med anna@example.se"),
        (anna.user, "Rådgivning med sara@example.se (Kafé Kvarnen)"),
    ):
        assert read(mailed_to(who).ics).summary == read(downloaded(client, who, booking)).summary == summary


def test_the_invite_never_carries_the_message(read, sara, anna):
    factories.book(sara, anna, TUESDAY_10, mode="video", message="Hemligt om våra skulder")
    deliver()

    for who in (sara, anna.user):
        assert "Hemligt" not in read(mailed_to(who).ics).description


def test_the_advisors_mail_says_what_the_person_needs_and_no_invite_carries_it(read, sara, anna):
    anna.interpreter_lead_days = 0
    anna.save(update_fields=["interpreter_lead_days"])
    needs = {"interpreter_language": "sgn-SE", "step_free": True, "other": "Ledarhund"}
    factories.book(sara, anna, TUESDAY_10, mode="video", needs=needs)
    deliver()

    advisors, saras = mailed_to(anna.user), mailed_to(sara)
    assert "Behov för att kunna delta:" in advisors.body
    assert "- Tolk: svenskt teckenspråk" in advisors.body and "- Ledarhund" in advisors.body
    assert "Ledarhund" not in saras.body
    for mailed in (advisors, saras):
        assert "Ledarhund" not in read(mailed.ics).description


# --- Add to Google / Outlook ------------------------------------------------------------------

ADD_TO = re.compile(r'href="(/bookings/[0-9a-f-]+/add-to/([a-z0-9]+)/)"')


def add_to_links(client, who, booking) -> dict[str, str]:
    client.force_login(who)
    page = client.get(f"/bookings/{booking.uid}/").content.decode()
    return {service: path for path, service in ADD_TO.findall(page)}


def follow(client, path: str):
    response = client.get(path)
    assert response.status_code == 302
    url = urlsplit(response["Location"])
    # Every value once; spaces as %20, since Outlook shows a "+" as it is.
    query = {key: values[0] for key, values in parse_qs(url.query, strict_parsing=True).items()}
    assert all(len(values) == 1 for values in parse_qs(url.query).values())
    return url, query


@pytest.mark.parametrize("reader", ["entrepreneur", "advisor"])
@pytest.mark.parametrize("mode", ["in_person", "video", "phone"])
def test_the_google_and_outlook_links_carry_the_same_event(client, read, sara, anna, mode, reader):
    booking = book(sara, anna, mode)
    who = person(reader, sara, anna)
    event = the_event(read(downloaded(client, who, booking)))

    links = add_to_links(client, who, booking)

    assert set(links) == {"google", "outlook", "microsoft365"}
    url, query = follow(client, links["google"])
    assert (url.scheme, url.netloc, url.path) == ("https", "calendar.google.com", "/calendar/render")
    assert query == {
        "action": "TEMPLATE",
        "text": event["summary"],
        "dates": "20270302T090000Z/20270302T100000Z",
        "details": event["description"],
        "location": event["location"],
    }
    for service, host in (("outlook", "outlook.live.com"), ("microsoft365", "outlook.office.com")):
        url, query = follow(client, links[service])
        assert (url.scheme, url.netloc, url.path) == ("https", host, "/calendar/0/deeplink/compose")
        assert "+" not in url.query
        assert query == {
            "path": "/calendar/action/compose",
            "rru": "addevent",
            "subject": event["summary"],
            "startdt": "2027-03-02T09:00:00Z",
            "enddt": "2027-03-02T10:00:00Z",
            "body": event["description"],
            "location": event["location"],
        }


def test_the_links_are_the_bookings_two_peoples_and_only_for_a_session_to_come(
    client, sara, anna, other_entrepreneur, other_advisor
):
    booking = book(sara, anna, "video")
    path = f"/bookings/{booking.uid}/add-to/google/"

    assert client.get(path).status_code == 302
    assert client.get(path)["Location"].startswith("/accounts/login/")
    for outsider in (other_entrepreneur, other_advisor.user):
        client.force_login(outsider)
        assert client.get(path).status_code == 404
    client.force_login(sara)
    assert client.get(f"/bookings/{booking.uid}/add-to/yahoo/").status_code == 404

    services.booking_cancel(booking=booking, by=sara, reason="Sjuk")

    assert client.get(path).status_code == 404
    assert add_to_links(client, sara, booking) == {}


def test_the_links_end_with_the_session(client, sara, anna, frozen_clock):
    booking = book(sara, anna, "video")
    client.force_login(sara)
    path = f"/bookings/{booking.uid}/add-to/microsoft365/"

    frozen_clock.move_to(booking.start + timedelta(minutes=30))  # under way: still to add
    assert client.get(path).status_code == 302
    frozen_clock.move_to(booking.end)
    assert client.get(path).status_code == 404


# --- What changed -----------------------------------------------------------------------------


def test_the_moved_mail_names_the_old_time_for_both(sara, anna):
    booking = book(sara, anna, "phone")
    deliver()
    mail.outbox.clear()

    services.booking_reschedule(booking=booking, by=sara, start=WEDNESDAY_14)
    deliver()

    for who in (sara, anna.user):
        [message] = [m for m in mail.outbox if f"<{who.email}>" in m.to[0]]
        assert "När: Onsdag 3 mars kl. 14.00–15.00 (svensk tid)" in message.body
        assert "Tidigare: Tisdag 2 mars kl. 10.00–11.00" in message.body
        html = message.alternatives[0][0]
        assert "Tidigare</th><td>Tisdag 2 mars kl. 10.00–11.00</td>" in html


def test_the_reason_for_cancelling_reaches_the_other_one_only(sara, anna):
    booking = book(sara, anna, "phone")
    deliver()
    mail.outbox.clear()

    services.booking_cancel(booking=booking, by=sara, reason="Vi har fått hjälp på annat håll.")
    deliver()

    to_anna = next(m for m in mail.outbox if f"<{anna.user.email}>" in m.to[0])
    to_sara = next(m for m in mail.outbox if f"<{sara.email}>" in m.to[0])
    assert "Anledning till avbokningen:\nVi har fått hjälp på annat håll." in to_anna.body
    assert "Vi har fått hjälp på annat håll." in to_anna.alternatives[0][0]
    assert "Vi har fått hjälp på annat håll." not in to_sara.body  # she wrote it
    assert "Tidigare" not in to_anna.body


def test_an_advisor_s_reason_reaches_the_entrepreneur(sara, anna):
    booking = book(sara, anna, "phone")
    deliver()
    mail.outbox.clear()

    services.booking_cancel(booking=booking, by=anna.user, reason="Jag är sjuk, boka gärna en ny tid.")
    deliver()

    to_anna = next(m for m in mail.outbox if f"<{anna.user.email}>" in m.to[0])
    to_sara = next(m for m in mail.outbox if f"<{sara.email}>" in m.to[0])
    assert "Anledning till avbokningen:\nJag är sjuk, boka gärna en ny tid." in to_sara.body
    assert "Jag är sjuk" not in to_anna.body


def test_a_cancellation_without_a_reason_has_no_reason_line(sara, anna):
    booking = book(sara, anna, "phone")
    deliver()
    mail.outbox.clear()

    services.booking_cancel(booking=booking, by=sara, reason="")
    deliver()

    assert mail.outbox
    assert all("Anledning" not in m.body for m in mail.outbox)

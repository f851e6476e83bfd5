"""The external busy calendar: ICS files served by a real HTTP server on
127.0.0.1, read by the service and the periodic task. No mocks."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from django.utils import translation

from advisors.busy_calendar import (
    BusyCalendarError,
    _http_url,
    _is_public,
    busy_calendar_sync,
    fetch_ics,
    parse_busy,
)
from advisors.models import ExternalBusy
from advisors.tasks import sync_busy_calendar, sync_busy_calendars
from tests import factories
from tests.advisors.test_advisor_pages import settings_form
from tests.conftest import client_for

# A Monday, two weeks before summer time starts (2027-03-28 in Sweden).
NOW = datetime(2027, 3, 15, 8, 0, tzinfo=UTC)
EARLIER = NOW - timedelta(minutes=15)  # the last good read in the failure tests


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def ics(*events: str) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Rådtid tests//EN", *events, "END:VCALENDAR", ""]
    return "\r\n".join(lines).encode()


def event(uid: str, *lines: str) -> str:
    return "\r\n".join(["BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20270301T000000Z", *lines, "END:VEVENT"])


def stockholm(uid: str, start: str, end: str, *lines: str) -> str:
    return event(uid, f"DTSTART;TZID=Europe/Stockholm:{start}", f"DTEND;TZID=Europe/Stockholm:{end}", *lines)


BOARD_MEETING = stockholm("board", "20270317T130000", "20270317T143000", "SUMMARY:Styrelsemöte")


def busy(advisor) -> list[tuple[datetime, datetime]]:
    rows = ExternalBusy.objects.filter(advisor=advisor).order_by("start")
    return [(b.start, b.end) for b in rows]


# --- A real HTTP server -----------------------------------------------------


@dataclass
class Route:
    body: bytes
    status: int = 200
    delay: float = 0.0
    send_length: bool = True


class CalendarServer:
    """Serves `routes` on 127.0.0.1 and remembers what it was asked."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, str]] = []  # (path, User-Agent)
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._http.calendar = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)
        self._thread.start()
        self.running = True

    def serve(self, path: str, body: bytes, **options) -> str:
        self.routes[path] = Route(body, **options)
        return self.url(path)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._http.server_address[1]}{path}"

    def stop(self) -> None:
        """Shut down and close the port: from now on the connection is refused."""
        if self.running:
            self._http.shutdown()
            self._http.server_close()
            self.running = False


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        calendar: CalendarServer = self.server.calendar  # type: ignore[attr-defined]
        calendar.requests.append((self.path, self.headers.get("User-Agent", "")))
        route = calendar.routes.get(self.path)
        if route is None:
            self.send_error(404)
            return
        time.sleep(route.delay)
        try:
            self.send_response(route.status)
            self.send_header("Content-Type", "text/calendar; charset=utf-8")
            if route.send_length:
                self.send_header("Content-Length", str(len(route.body)))
            self.end_headers()  # HTTP/1.0: without a length, the body ends when the connection closes
            self.wfile.write(route.body)
        except OSError:
            pass  # the client gave up waiting (the slow-server test)

    def log_message(self, format, *args) -> None:
        pass


@pytest.fixture
def calendar_server() -> Iterator[CalendarServer]:
    server = CalendarServer()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def frozen_now() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    # Error messages are stored as text; these tests read the English source.
    with translation.override("en"):
        yield


@pytest.fixture
def synced_advisor(advisor, calendar_server):
    """Anna, whose calendar (one board meeting) was read fine 15 minutes ago."""
    advisor.busy_calendar_url = calendar_server.serve("/anna.ics", ics(BOARD_MEETING))
    advisor.save(update_fields=["busy_calendar_url"])
    assert busy_calendar_sync(advisor=advisor, now=EARLIER)
    assert busy(advisor) == [(utc(2027, 3, 17, 12), utc(2027, 3, 17, 13, 30))]
    return advisor


def assert_kept_last_good_copy(advisor, message: str) -> None:
    advisor.refresh_from_db()
    assert busy(advisor) == [(utc(2027, 3, 17, 12), utc(2027, 3, 17, 13, 30))]
    assert advisor.busy_calendar_synced_at == EARLIER
    assert advisor.busy_calendar_checked_at == NOW
    assert message in advisor.busy_calendar_error


# --- Reading a calendar ---------------------------------------------------------


def test_a_simple_event_blocks_its_time(advisor, calendar_server):
    advisor.busy_calendar_url = calendar_server.serve("/anna.ics", ics(BOARD_MEETING))
    advisor.busy_calendar_error = "An old error."
    advisor.save()

    assert busy_calendar_sync(advisor=advisor) is True

    advisor.refresh_from_db()
    assert busy(advisor) == [(utc(2027, 3, 17, 12), utc(2027, 3, 17, 13, 30))]
    assert advisor.busy_calendar_synced_at == NOW
    assert advisor.busy_calendar_checked_at == NOW
    assert advisor.busy_calendar_error == ""
    assert calendar_server.requests == [("/anna.ics", "Radtid-busy-calendar/1")]


def test_a_weekly_event_moves_an_hour_in_utc_when_summer_time_starts(advisor, calendar_server):
    weekly = stockholm(
        "weekly", "20270316T100000", "20270316T110000", "RRULE:FREQ=WEEKLY;BYDAY=TU;UNTIL=20270406T090000Z"
    )
    advisor.busy_calendar_url = calendar_server.serve("/anna.ics", ics(weekly))
    advisor.save()

    assert busy_calendar_sync(advisor=advisor)

    assert busy(advisor) == [
        (utc(2027, 3, 16, 9), utc(2027, 3, 16, 10)),  # CET, UTC+1
        (utc(2027, 3, 23, 9), utc(2027, 3, 23, 10)),
        (utc(2027, 3, 30, 8), utc(2027, 3, 30, 9)),  # CEST from 2027-03-28, UTC+2
        (utc(2027, 4, 6, 8), utc(2027, 4, 6, 9)),
    ]


def test_an_all_day_event_blocks_the_whole_local_day(advisor, calendar_server):
    day_off = event("day-off", "DTSTART;VALUE=DATE:20270320", "DTEND;VALUE=DATE:20270321")
    # The day summer time starts has 23 hours.
    short_day = event("conference", "DTSTART;VALUE=DATE:20270328")
    advisor.busy_calendar_url = calendar_server.serve("/anna.ics", ics(day_off, short_day))
    advisor.save()

    assert busy_calendar_sync(advisor=advisor)

    assert busy(advisor) == [
        (utc(2027, 3, 19, 23), utc(2027, 3, 20, 23)),
        (utc(2027, 3, 27, 23), utc(2027, 3, 28, 22)),
    ]


def test_free_and_cancelled_events_do_not_block(advisor, calendar_server):
    calendar = ics(
        BOARD_MEETING,
        stockholm("free", "20270318T090000", "20270318T100000", "TRANSP:TRANSPARENT"),
        stockholm("cancelled", "20270319T090000", "20270319T100000", "STATUS:CANCELLED"),
        # A weekly event of which one occurrence is cancelled.
        stockholm("weekly", "20270322T150000", "20270322T160000", "RRULE:FREQ=WEEKLY;COUNT=2"),
        event(
            "weekly",
            "RECURRENCE-ID;TZID=Europe/Stockholm:20270329T150000",
            "DTSTART;TZID=Europe/Stockholm:20270329T150000",
            "DTEND;TZID=Europe/Stockholm:20270329T160000",
            "STATUS:CANCELLED",
        ),
    )
    advisor.busy_calendar_url = calendar_server.serve("/anna.ics", calendar)
    advisor.save()

    assert busy_calendar_sync(advisor=advisor)

    assert busy(advisor) == [
        (utc(2027, 3, 17, 12), utc(2027, 3, 17, 13, 30)),
        (utc(2027, 3, 22, 14), utc(2027, 3, 22, 15)),
    ]


def test_floating_times_are_read_as_stockholm_time():
    calendar = ics(event("floating", "DTSTART:20270401T100000", "DURATION:PT45M"))

    intervals = parse_busy(calendar, start=NOW, end=NOW + timedelta(days=30))

    assert intervals == [(utc(2027, 4, 1, 8), utc(2027, 4, 1, 8, 45))]


def test_intervals_are_clipped_to_the_window_and_sorted():
    calendar = ics(
        event("later", "DTSTART:20270402T100000Z", "DTEND:20270402T110000Z"),
        event("across-the-start", "DTSTART:20270331T230000Z", "DTEND:20270401T010000Z"),
        event("across-the-end", "DTSTART:20270410T230000Z", "DTEND:20270411T010000Z"),
        event("before", "DTSTART:20270301T100000Z", "DTEND:20270301T110000Z"),
        event("after", "DTSTART:20270501T100000Z", "DTEND:20270501T110000Z"),
    )

    intervals = parse_busy(calendar, start=utc(2027, 4, 1), end=utc(2027, 4, 11))

    assert intervals == [
        (utc(2027, 4, 1), utc(2027, 4, 1, 1)),
        (utc(2027, 4, 2, 10), utc(2027, 4, 2, 11)),
        (utc(2027, 4, 10, 23), utc(2027, 4, 11)),
    ]
    assert all(s.tzinfo == UTC and e.tzinfo == UTC for s, e in intervals)


def test_text_with_newlines_commas_and_emoji_does_not_break_reading(advisor, calendar_server):
    chatty = stockholm(
        "chatty",
        "20270317T090000",
        "20270317T100000",
        "SUMMARY:Fika 🎉\\, planering\\; budget\\nrad två",
        # A long line folded as RFC 5545 wants (CRLF and a space).
        "DESCRIPTION:Agenda: 1. Välkommen\\, 2. Ekonomi 💶\\n3. Övrigt – och sedan en hel",
        " del mer text som fortsätter på nästa rad",
        "LOCATION:Åsgatan 23\\, Falun",
    )
    advisor.busy_calendar_url = calendar_server.serve("/anna.ics", ics(chatty))
    advisor.save()

    assert busy_calendar_sync(advisor=advisor)

    assert busy(advisor) == [(utc(2027, 3, 17, 8), utc(2027, 3, 17, 9))]


def test_a_rule_repeating_every_minute_is_refused_rather_than_expanded():
    calendar = ics(event("spam", "DTSTART:20270316T100000Z", "DURATION:PT30S", "RRULE:FREQ=MINUTELY"))

    with pytest.raises(BusyCalendarError, match="more often than every hour"):
        parse_busy(calendar, start=NOW, end=NOW + timedelta(days=91))


@pytest.mark.parametrize(
    "content",
    [
        b"<!DOCTYPE html><html><body>Sign in</body></html>",
        b"",
        b"BEGIN:VEVENT\r\nDTSTART:20270316T100000Z\r\nEND:VEVENT\r\n",
        ics(event("broken", "DTSTART:2027-03-16 kl 10", "DTEND:20270316T110000Z")),
        ics(event("bad-rule", "DTSTART:20270316T100000Z", "DURATION:PT1H", "RRULE:FREQ=SOMETIMES")),
    ],
    ids=["html", "empty", "no-calendar", "bad-date", "bad-rule"],
)
def test_a_malformed_file_raises_a_busy_calendar_error(content):
    with pytest.raises(BusyCalendarError) as caught:
        parse_busy(content, start=NOW, end=NOW + timedelta(days=91))

    assert str(caught.value) == "The calendar file could not be read."


def test_without_a_link_the_busy_times_are_removed(synced_advisor):
    synced_advisor.busy_calendar_url = ""
    synced_advisor.busy_calendar_error = "The calendar file could not be read."
    synced_advisor.save()

    assert busy_calendar_sync(advisor=synced_advisor) is True

    synced_advisor.refresh_from_db()
    assert busy(synced_advisor) == []
    assert synced_advisor.busy_calendar_error == ""


def test_a_new_read_replaces_the_busy_times_as_a_whole(synced_advisor, calendar_server):
    calendar_server.serve("/anna.ics", ics(stockholm("new", "20270318T090000", "20270318T100000")))

    assert busy_calendar_sync(advisor=synced_advisor)

    assert busy(synced_advisor) == [(utc(2027, 3, 18, 8), utc(2027, 3, 18, 9))]


# --- When reading fails: the last good copy stays ------------------------------------


def test_it_keeps_the_last_good_copy_when_the_server_is_down(synced_advisor, calendar_server):
    calendar_server.stop()

    assert busy_calendar_sync(advisor=synced_advisor) is False

    assert_kept_last_good_copy(synced_advisor, "The calendar could not be reached: ")


def test_it_keeps_the_last_good_copy_when_the_server_is_too_slow(synced_advisor, calendar_server, settings):
    settings.BUSY_CALENDAR_TIMEOUT = 1
    calendar_server.serve("/anna.ics", ics(), delay=2)

    started = time.monotonic()
    assert busy_calendar_sync(advisor=synced_advisor) is False

    assert time.monotonic() - started < 2  # it did not wait for the server
    assert_kept_last_good_copy(synced_advisor, "The calendar could not be reached: no answer within 1 s.")


@pytest.mark.parametrize("send_length", [True, False], ids=["declared-length", "read-until-closed"])
def test_it_keeps_the_last_good_copy_when_the_file_is_too_large(
    synced_advisor, calendar_server, settings, send_length
):
    settings.BUSY_CALENDAR_MAX_BYTES = 1000
    huge = ics(*(stockholm(f"e{n}", "20270318T090000", "20270318T100000") for n in range(50)))
    assert len(huge) > 1000
    calendar_server.serve("/anna.ics", huge, send_length=send_length)

    assert busy_calendar_sync(advisor=synced_advisor) is False

    assert_kept_last_good_copy(synced_advisor, "The calendar file is larger than 1000\xa0bytes.")


def test_the_size_cap_is_five_megabytes_by_default(settings):
    assert settings.BUSY_CALENDAR_MAX_BYTES == 5 * 1024 * 1024


def test_it_keeps_the_last_good_copy_when_the_link_is_gone(synced_advisor, calendar_server):
    del calendar_server.routes["/anna.ics"]

    assert busy_calendar_sync(advisor=synced_advisor) is False

    assert_kept_last_good_copy(
        synced_advisor, "The calendar could not be reached: the server answered 404 Not Found."
    )


def test_it_keeps_the_last_good_copy_when_the_file_is_malformed(synced_advisor, calendar_server):
    calendar_server.serve("/anna.ics", b"<html><body>Please sign in</body></html>")

    assert busy_calendar_sync(advisor=synced_advisor) is False

    assert_kept_last_good_copy(synced_advisor, "The calendar file could not be read.")


def test_it_refuses_a_private_host_unless_allowed(synced_advisor, calendar_server, settings):
    settings.BUSY_CALENDAR_ALLOW_PRIVATE_HOSTS = False
    calendar_server.requests.clear()

    assert busy_calendar_sync(advisor=synced_advisor) is False

    assert_kept_last_good_copy(synced_advisor, "private network address")
    assert calendar_server.requests == []  # refused before connecting


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost/calendar.ics",
        "http://10.1.2.3/calendar.ics",
        "http://192.168.1.1/calendar.ics",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.0.1/calendar.ics",
        "http://0.0.0.0/calendar.ics",
        "http://[::1]/calendar.ics",
        "http://[::ffff:127.0.0.1]/calendar.ics",
        "webcal://127.0.0.1/calendar.ics",
    ],
)
def test_private_and_loopback_addresses_are_refused(url, settings):
    settings.BUSY_CALENDAR_ALLOW_PRIVATE_HOSTS = False

    with pytest.raises(BusyCalendarError, match="private network address"):
        fetch_ics(url, timeout=1, max_bytes=1000)


# IPv6 addresses that lead to a private IPv4 address: 169.254.169.254 (a cloud's
# metadata service), 127.0.0.1 or 10.0.0.1 inside a translation or tunnel prefix.
EMBEDDED_PRIVATE = {
    "NAT64, well-known prefix": "64:ff9b::a9fe:a9fe",
    "NAT64, well-known prefix, loopback": "64:ff9b::127.0.0.1",
    "NAT64, local-use prefix": "64:ff9b:1::a9fe:a9fe",
    "6to4": "2002:a9fe:a9fe::1",
    "6to4, private network": "2002:a00:1::1",
    "Teredo, private server": "2001:0:a9fe:a9fe::f7f7:f7f7",  # client 8.8.8.8
    "Teredo, private client": "2001:0:4136:e378:8000:63bf:f5ff:fffe",  # client 10.0.0.1 (inverted)
    "IPv4-mapped": "::ffff:169.254.169.254",
    "IPv4-compatible": "::169.254.169.254",
}


@pytest.mark.parametrize("address", EMBEDDED_PRIVATE.values(), ids=EMBEDDED_PRIVATE.keys())
def test_an_ipv6_address_leading_to_a_private_ipv4_address_is_refused(address, settings):
    settings.BUSY_CALENDAR_ALLOW_PRIVATE_HOSTS = False

    assert not _is_public(address)
    with pytest.raises(BusyCalendarError, match="private network address"):
        fetch_ics(f"http://[{address}]/latest/meta-data/", timeout=1, max_bytes=1000)


@pytest.mark.parametrize(
    "address",
    ["8.8.8.8", "2a00:1450:4001:81c::200e", "64:ff9b::8.8.8.8", "2002:808:808::1", "::ffff:8.8.8.8"],
)
def test_public_addresses_and_ipv6_forms_of_public_ipv4_addresses_are_allowed(address):
    assert _is_public(address)


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.se/calendar.ics", "gopher://example.se/", "https:///no-host"]
)
def test_only_web_links_are_fetched(url):
    with pytest.raises(BusyCalendarError, match="must start with https://"):
        fetch_ics(url, timeout=1, max_bytes=1000)


def test_a_webcal_link_is_read_over_https():
    assert _http_url("webcal://calendar.example.se/anna.ics") == "https://calendar.example.se/anna.ics"
    assert _http_url("WEBCAL://calendar.example.se/anna.ics") == "https://calendar.example.se/anna.ics"
    assert _http_url("http://calendar.example.se/a.ics?k=1") == "http://calendar.example.se/a.ics?k=1"


def test_a_link_saved_with_a_password_before_it_was_refused_fails_with_a_clear_message(calendar_server):
    url = calendar_server.url("/anna.ics").replace("http://", "http://anna:hemligt@")

    with pytest.raises(BusyCalendarError, match="cannot contain a user name or password"):
        fetch_ics(url, timeout=1, max_bytes=1000)
    assert calendar_server.requests == []


# --- Saving a link ------------------------------------------------------------

LINKS_WITH_CREDENTIALS = [
    "https://anna:hemligt@outlook.example.com/calendar.ics",
    "webcal://anna@calendar.example.com/anna.ics",
    "https://anna%40example.se:hemligt@outlook.office365.com/owa/calendar.ics",
]


@pytest.mark.parametrize("url", LINKS_WITH_CREDENTIALS)
def test_the_api_refuses_a_link_with_a_user_name_or_password_and_saves_nothing(advisor, url):
    api = client_for(advisor.user)
    before = api.get("/api/v1/me/availability/").json()
    body = {**before, "buffer_after": 30, "busy_calendar_url": url}
    del body["busy_calendar_status"]

    response = api.put("/api/v1/me/availability/", body, format="json", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert response.json() == {
        "busy_calendar_url": [
            "A calendar link cannot contain a user name or password. "
            "Use the link your calendar publishes for sharing."
        ]
    }
    assert api.get("/api/v1/me/availability/").json() == before


@pytest.mark.parametrize("url", LINKS_WITH_CREDENTIALS)
def test_the_settings_form_refuses_a_link_with_a_user_name_or_password_and_saves_nothing(
    client, advisor, url
):
    client.force_login(advisor.user)

    response = client.post(
        "/advisor/settings/",
        settings_form(busy_calendar_url=url, buffer_after="30"),
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "busy_calendar_url": [
            "A calendar link cannot contain a user name or password. "
            "Use the link your calendar publishes for sharing."
        ]
    }
    advisor.refresh_from_db()
    assert (advisor.busy_calendar_url, advisor.buffer_after) == ("", 15)


def test_the_refusal_is_in_swedish_by_default(advisor):
    response = client_for(advisor.user).patch(
        "/api/v1/me/availability/", {"busy_calendar_url": LINKS_WITH_CREDENTIALS[0]}, format="json"
    )

    assert response.status_code == 400
    assert "lösenord" in response.json()["busy_calendar_url"][0]


# --- The tasks --------------------------------------------------------------


@pytest.fixture
def other_advisor_with_calendar(other_advisor, calendar_server):
    """Erik, whose calendar has one training day."""
    training = stockholm("training", "20270322T090000", "20270322T120000")
    other_advisor.busy_calendar_url = calendar_server.serve("/erik.ics", ics(training))
    other_advisor.save()
    return other_advisor


def test_the_periodic_task_reads_every_active_advisor_with_a_link(
    advisor, other_advisor_with_calendar, calendar_server
):
    advisor.busy_calendar_url = calendar_server.serve("/anna.ics", ics(BOARD_MEETING))
    advisor.save()
    without_link = factories.AdvisorFactory(user__email="lina@example.se")
    inactive = factories.AdvisorFactory(
        user__email="olle@example.se",
        is_active=False,
        busy_calendar_url=calendar_server.serve("/olle.ics", ics(BOARD_MEETING)),
    )

    sync_busy_calendars()

    assert busy(advisor) == [(utc(2027, 3, 17, 12), utc(2027, 3, 17, 13, 30))]
    assert busy(other_advisor_with_calendar) == [(utc(2027, 3, 22, 8), utc(2027, 3, 22, 11))]
    assert busy(without_link) == busy(inactive) == []
    assert sorted(path for path, _ in calendar_server.requests) == ["/anna.ics", "/erik.ics"]


def test_the_periodic_task_carries_on_when_one_calendar_fails(
    advisor, other_advisor_with_calendar, calendar_server
):
    advisor.busy_calendar_url = calendar_server.url("/missing.ics")
    advisor.save()

    sync_busy_calendars()

    advisor.refresh_from_db()
    assert "404" in advisor.busy_calendar_error
    assert advisor.busy_calendar_checked_at == NOW
    assert busy(other_advisor_with_calendar) == [(utc(2027, 3, 22, 8), utc(2027, 3, 22, 11))]


def test_the_periodic_task_carries_on_when_one_sync_crashes(
    advisor, other_advisor_with_calendar, calendar_server, caplog
):
    # A time zone that does not exist is a bug in our data, not in the calendar.
    advisor.busy_calendar_url = calendar_server.serve("/anna.ics", ics(BOARD_MEETING))
    advisor.timezone = "Europe/Nowhere"
    advisor.save()

    with caplog.at_level(logging.ERROR, logger="advisors.tasks"):
        sync_busy_calendars()

    assert f"Busy calendar sync crashed for advisor {advisor.pk}" in caplog.text
    assert busy(other_advisor_with_calendar) == [(utc(2027, 3, 22, 8), utc(2027, 3, 22, 11))]


def test_the_one_advisor_task_reads_that_advisors_calendar(advisor, calendar_server):
    advisor.busy_calendar_url = calendar_server.serve("/anna.ics", ics(BOARD_MEETING))
    advisor.save()

    sync_busy_calendar(advisor.pk)

    advisor.refresh_from_db()
    assert busy(advisor) == [(utc(2027, 3, 17, 12), utc(2027, 3, 17, 13, 30))]
    assert advisor.busy_calendar_synced_at == NOW


def test_the_one_advisor_task_ignores_an_advisor_deleted_since(db):
    sync_busy_calendar(987654)

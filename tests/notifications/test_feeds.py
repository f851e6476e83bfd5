"""Calendar subscription feeds (GET /calendar/<token>.ics), the page that
makes them and holds the reminder choice, and the waitlist offer mail (an
outbox row about the waitlist entry, as the offer has no booking yet)."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.urls import reverse
from icalendar import Calendar

from backend.models import AuditEntry
from bookings import services
from bookings.models import (
    BookingStatus,
    Enterprise,
    EnterpriseKind,
    WaitlistEntry,
    WaitlistStatus,
)
from bookings.waitlist import waitlist_withdraw
from notifications import feeds, sending, tasks
from notifications.invites import invite_ics
from notifications.models import CalendarFeed, MessageKind, MessageState, NotificationSettings, OutboxMessage
from tests import factories
from tests.mail_backends import FailingBackend

pytestmark = pytest.mark.usefixtures("frozen_clock")  # at NOW (tests/conftest.py)

STOCKHOLM = ZoneInfo("Europe/Stockholm")
NOW = datetime(2027, 3, 1, 6, 0, tzinfo=UTC)  # Monday 07:00 in Stockholm


def local(day: int, hour: int, month: int = 3) -> datetime:
    return datetime(2027, month, day, hour, 0, tzinfo=STOCKHOLM)


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    """Sending tasks queued after commit are recorded, not handed to a broker."""
    queued: list[int] = []
    monkeypatch.setattr(tasks.send_message, "delay", queued.append)
    return queued


def with_enterprise(person):
    enterprise = Enterprise.objects.create(
        name=f"Företag {person.pk}", kind=EnterpriseKind.SOCIAL, municipality_id="2080"
    )
    enterprise.members.add(person)
    return person


@pytest.fixture
def sara(entrepreneur):
    return with_enterprise(entrepreneur)


@pytest.fixture
def ahmed(other_entrepreneur):
    return with_enterprise(other_entrepreneur)


def book(person, advisor, start, *, at=None, message="", mode="video"):
    """A booking made at `at` (default: now), as people make them."""
    with time_machine.travel(at or NOW, tick=False):
        return factories.book(person, advisor, start, mode=mode, message=message)


@pytest.fixture
def sessions(sara, ahmed, advisor, other_advisor, frozen_clock):
    """Sara's sessions: one ahead with Anna (with a message only Anna may read on
    Rådtid), one ahead that she cancelled, one held 19 days ago with private
    notes, one held two months ago (outside the feed), and one ahead with
    Erik. Ahmed has one ahead with Anna."""
    held = book(sara, advisor, local(10, 10, month=2), at=datetime(2027, 2, 1, 8, tzinfo=UTC))
    old = book(sara, advisor, local(4, 10, month=1), at=datetime(2026, 12, 14, 8, tzinfo=UTC))
    with time_machine.travel(local(10, 11, month=2), tick=False):
        services.booking_record_outcome(
            booking=held, by=advisor.user, attended=True, private_notes="Privat anteckning om ekonomin"
        )
    ahead = book(sara, advisor, local(2, 9), message="Hemligt meddelande om vår ESF-ansökan")
    cancelled = book(sara, advisor, local(3, 13))
    services.booking_cancel(booking=cancelled, by=sara, reason="Krock")
    with_erik = book(sara, other_advisor, local(4, 10))
    ahmeds = book(ahmed, advisor, local(5, 10))
    return {
        "held": held,
        "old": old,
        "ahead": ahead,
        "cancelled": cancelled,
        "with_erik": with_erik,
        "ahmeds": ahmeds,
    }


def uid(booking) -> str:
    return f"{booking.uid}@{settings.SITE_DOMAIN}"


def feed_url(token: str) -> str:
    return f"/calendar/{token}.ics"


def events_by_uid(content: bytes) -> dict[str, object]:
    calendar = Calendar.from_ical(content)
    found = {}
    for event in calendar.walk("VEVENT"):
        assert str(event["UID"]) not in found, "one VEVENT per UID"
        found[str(event["UID"])] = event
    return found


# --- The token -------------------------------------------------------------------------


def test_a_new_feed_token_is_long_random_and_stored_only_as_its_digest(sara):
    token = feeds.calendar_feed_rotate(user=sara)

    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)  # 32 random bytes
    feed = CalendarFeed.objects.get(user=sara)
    assert feed.digest == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(list(CalendarFeed.objects.values_list()))
    assert AuditEntry.objects.filter(action="calendar_feed.rotated", actor=sara).count() == 1


def test_rotating_makes_a_new_address_and_the_old_one_stops_working(client, sara, frozen_clock):
    old = feeds.calendar_feed_rotate(user=sara)
    frozen_clock.shift(timedelta(days=3))

    new = feeds.calendar_feed_rotate(user=sara)

    assert new != old
    assert CalendarFeed.objects.filter(user=sara).count() == 1
    assert CalendarFeed.objects.get(user=sara).created == NOW + timedelta(days=3)
    assert client.get(feed_url(old)).status_code == 404
    assert client.get(feed_url(new)).status_code == 200


def test_an_unknown_token_is_a_plain_404(client, sara):
    feeds.calendar_feed_rotate(user=sara)
    unknown = client.get(feed_url(secrets.token_urlsafe(32)))
    nonsense = client.get("/calendar/not-a-token.ics")
    missing_page = client.get("/no-such-page/")

    assert unknown.status_code == nonsense.status_code == missing_page.status_code == 404
    # Nothing tells a wrong token from a missing page.
    for response in (unknown, nonsense):
        assert [t.name for t in response.templates] == [t.name for t in missing_page.templates]
        assert response["Content-Type"] == missing_page["Content-Type"]
        assert "ETag" not in response


def test_a_deactivated_persons_feed_is_gone(client, sara):
    token = feeds.calendar_feed_rotate(user=sara)
    sara.is_active = False
    sara.save(update_fields=["is_active"])

    assert client.get(feed_url(token)).status_code == 404


# --- What a feed holds -----------------------------------------------------------------------


def test_the_entrepreneurs_feed_holds_her_sessions_ahead_and_of_the_last_30_days(client, sara, sessions):
    token = feeds.calendar_feed_rotate(user=sara)

    response = client.get(feed_url(token))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    assert calendar["METHOD"] == "PUBLISH"
    assert calendar["X-WR-CALNAME"] == "Rådtid"
    events = events_by_uid(response.content)
    expected = ("held", "ahead", "cancelled", "with_erik")
    assert set(events) == {uid(sessions[name]) for name in expected}
    for name in expected:
        booking = sessions[name]
        booking.refresh_from_db()
        event = events[uid(booking)]
        assert event["SEQUENCE"] == booking.sequence
        assert event.decoded("DTSTART") == booking.start.astimezone(UTC)
        assert event.decoded("DTEND") == booking.end.astimezone(UTC)
        assert event.decoded("DTSTART").utcoffset() == timedelta(0)
        assert str(event["ORGANIZER"]) == f"mailto:{booking.advisor.user.email}"
    assert events[uid(sessions["cancelled"])]["STATUS"] == "CANCELLED"
    assert events[uid(sessions["cancelled"])]["SEQUENCE"] == 1
    assert {str(events[uid(sessions[n])]["STATUS"]) for n in ("held", "ahead", "with_erik")} == {"CONFIRMED"}
    # Worded for her: the advisor by name.
    assert events[uid(sessions["ahead"])]["SUMMARY"] == "Rådgivning med Anna Lindqvist"


def test_the_advisors_feed_holds_their_bookings_without_messages_or_private_notes(client, advisor, sessions):
    token = feeds.calendar_feed_rotate(user=advisor.user)

    response = client.get(feed_url(token))

    events = events_by_uid(response.content)
    expected = ("held", "ahead", "cancelled", "ahmeds")
    assert set(events) == {uid(sessions[name]) for name in expected}
    assert (
        events[uid(sessions["ahead"])]["SUMMARY"]
        == f"Rådgivning med Sara Nilsson (Företag {sessions['ahead'].entrepreneur.pk})"
    )
    assert str(events[uid(sessions["ahmeds"])]["SUMMARY"]).startswith("Rådgivning med Ahmed Ali (")
    # Published events: nobody is asked to answer (RFC 5546 3.2.1, no ATTENDEE).
    assert all("ATTENDEE" not in event for event in events.values())
    assert b"RSVP" not in response.content
    # Calendars are synced to outside services: what was written stays on Rådtid.
    text = response.content.decode().replace("\r\n ", "")
    assert "Hemligt" not in text
    assert "ESF-ansökan" not in text
    assert "Privat anteckning" not in text


def test_the_feed_holds_the_event_of_the_invites(client, sara, sessions):
    token = feeds.calendar_feed_rotate(user=sara)
    ahead = services.booking_reschedule(booking=sessions["ahead"], by=sara, start=local(2, 14))

    events = events_by_uid(client.get(feed_url(token)).content)

    mailed = invite_ics(ahead, for_advisor=False, method="REQUEST", dtstamp=NOW)
    invite = Calendar.from_ical(mailed).walk("VEVENT")[0]
    event = events[str(invite["UID"])]
    assert event["SEQUENCE"] == invite["SEQUENCE"] == 1
    assert event.decoded("DTSTART") == invite.decoded("DTSTART") == local(2, 14).astimezone(UTC)
    for name in ("SUMMARY", "LOCATION", "DESCRIPTION", "URL", "ORGANIZER", "STATUS"):
        assert event[name] == invite[name], name


def test_the_feed_is_worded_in_the_persons_language(client, sara, sessions):
    sara.language = "en"
    sara.save(update_fields=["language"])
    token = feeds.calendar_feed_rotate(user=sara)

    events = events_by_uid(client.get(feed_url(token)).content)

    assert str(events[uid(sessions["ahead"])]["SUMMARY"]).startswith("Advice session with ")
    assert "Topic: Financing" in str(events[uid(sessions["ahead"])]["DESCRIPTION"])


def test_a_feed_without_sessions_is_an_empty_calendar(client, coordinator):
    token = feeds.calendar_feed_rotate(user=coordinator.user)

    response = client.get(feed_url(token))

    assert response.status_code == 200
    assert Calendar.from_ical(response.content).walk("VEVENT") == []


# --- Polling -----------------------------------------------------------------------------------


def test_calendar_apps_may_cache_it_privately_and_poll_with_an_etag(client, sara, sessions):
    token = feeds.calendar_feed_rotate(user=sara)

    first = client.get(feed_url(token))

    assert first["Cache-Control"] == "private, max-age=300"
    etag = first["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{64}"', etag)
    assert first["Last-Modified"]
    again = client.get(feed_url(token), HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    assert again["Cache-Control"] == "private, max-age=300"
    # The same data gives the same file, so the ETag holds across requests.
    assert client.get(feed_url(token)).content == first.content


def test_a_change_gives_a_new_etag_and_the_full_feed(client, sara, sessions, frozen_clock):
    token = feeds.calendar_feed_rotate(user=sara)
    etag = client.get(feed_url(token))["ETag"]
    frozen_clock.shift(timedelta(minutes=10))

    services.booking_cancel(booking=sessions["ahead"], by=sara)
    response = client.get(feed_url(token), HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 200
    assert response["ETag"] != etag
    assert events_by_uid(response.content)[uid(sessions["ahead"])]["STATUS"] == "CANCELLED"


def test_a_renamed_advisor_gives_a_new_etag(client, sara, sessions, advisor):
    token = feeds.calendar_feed_rotate(user=sara)
    etag = client.get(feed_url(token))["ETag"]

    advisor.user.full_name = "Anna Lindqvist Berg"
    advisor.user.save(update_fields=["full_name"])

    assert client.get(feed_url(token), HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_reading_a_feed_notes_when_it_was_last_used_at_most_hourly(client, sara, frozen_clock):
    token = feeds.calendar_feed_rotate(user=sara)
    client.get(feed_url(token))
    assert CalendarFeed.objects.get(user=sara).last_used == NOW

    frozen_clock.shift(timedelta(minutes=30))
    client.get(feed_url(token))
    assert CalendarFeed.objects.get(user=sara).last_used == NOW

    frozen_clock.shift(timedelta(minutes=31))
    client.get(feed_url(token))
    assert CalendarFeed.objects.get(user=sara).last_used == NOW + timedelta(minutes=61)


def test_the_feed_takes_two_queries_however_many_sessions_there_are(
    client, advisor, settings, django_assert_num_queries
):
    settings.BOOKING_MAX_UPCOMING = 100
    token = feeds.calendar_feed_rotate(user=advisor.user)
    person = with_enterprise(factories.UserFactory())
    book(person, advisor, local(2, 9))
    client.get(feed_url(token))  # notes last_used, once an hour

    # The feed by its digest with its person; the bookings with everything shown.
    with django_assert_num_queries(2):
        assert len(events_by_uid(client.get(feed_url(token)).content)) == 1

    for day in (3, 4, 5, 8, 9, 10, 11):
        for hour in (9, 13):
            book(with_enterprise(factories.UserFactory()), advisor, local(day, hour))
    with django_assert_num_queries(2):
        assert len(events_by_uid(client.get(feed_url(token)).content)) == 15


# --- The settings page -------------------------------------------------------------------------


def test_the_settings_page_needs_a_sign_in(client):
    response = client.get("/calendar/settings/")

    assert response.status_code == 302
    assert response["Location"] == f"{reverse(settings.LOGIN_URL)}?next=/calendar/settings/"


def test_the_new_address_is_shown_once(client, sara):
    client.force_login(sara)
    assert client.get("/calendar/settings/").context["feed"] is None

    made = client.post("/calendar/settings/", {"action": "rotate"})

    assert made.status_code == 200
    assert "no-store" in made["Cache-Control"]
    url = made.context["new_url"]
    token = re.fullmatch(rf"{re.escape(settings.SITE_URL)}/calendar/([A-Za-z0-9_-]{{43}})\.ics", url)[1]
    assert token.encode() in made.content
    assert f'href="webcal://{url.split("://", 1)[1]}"'.encode() in made.content
    assert client.get(feed_url(token)).status_code == 200

    later = client.get("/calendar/settings/")
    assert later.status_code == 200
    assert later.context["new_url"] is None
    assert later.context["feed"] == CalendarFeed.objects.get(user=sara)
    assert token.encode() not in later.content


def test_the_new_address_comes_with_a_field_to_select_and_a_copy_button(client, sara):
    client.force_login(sara)

    page = client.post("/calendar/settings/", {"action": "rotate"}).content.decode()

    # The field is there, readonly, to select by hand without JavaScript.
    assert re.search(r'<input id="feed-url" type="text" readonly value="[^"]+"', page)
    # The button waits hidden for js/copy-field.js, which says "Copied" in the live region.
    assert re.search(
        r'<button type="button"[^>]* data-copy="feed-url" data-copy-status="feed-url-status"', page
    )
    assert re.search(r'data-copied="[^"]+"[^>]* hidden>', page)
    assert '<p id="feed-url-status" class="copy-status" aria-live="polite"></p>' in page
    assert "/static/js/copy-field.js" in page
    assert "<script>" not in page  # no inline script: the CSP forbids it


def test_the_advisor_reaches_the_feed_page_from_their_menu(client, advisor):
    client.force_login(advisor.user)

    calendar = client.get("/advisor/").content.decode()
    page = client.get("/calendar/settings/").content.decode()

    assert 'href="/calendar/settings/"' in calendar.split('class="subnav"', 1)[1].split("</nav>", 1)[0]
    assert re.search(r'<a href="/calendar/settings/" aria-current="page">', page)


def test_an_entrepreneur_sees_no_advisor_menu_on_the_feed_page(client, sara):
    client.force_login(sara)

    assert 'class="subnav"' not in client.get("/calendar/settings/").content.decode()


def test_making_a_new_address_on_the_page_ends_the_old_one(client, sara):
    client.force_login(sara)
    first = client.post("/calendar/settings/", {"action": "rotate"}).context["new_url"]
    second = client.post("/calendar/settings/", {"action": "rotate"}).context["new_url"]

    assert first != second
    assert client.get(first.removeprefix(settings.SITE_URL)).status_code == 404
    assert client.get(second.removeprefix(settings.SITE_URL)).status_code == 200


def test_an_unknown_action_changes_nothing(client, sara):
    client.force_login(sara)

    assert client.post("/calendar/settings/", {"action": "delete-everything"}).status_code == 400
    assert not CalendarFeed.objects.filter(user=sara).exists()


# --- The 2-hour reminder -------------------------------------------------------------------------


def two_hour_reminders(booking):
    return OutboxMessage.objects.filter(
        booking=booking, kind=MessageKind.REMINDER, recipient="entrepreneur", reminder_hours=2
    )


def test_turning_the_two_hour_reminder_off_cancels_the_pending_ones(client, sara, advisor):
    booking = book(sara, advisor, local(3, 10))
    assert two_hour_reminders(booking).get().state == MessageState.PENDING
    client.force_login(sara)

    response = client.post("/calendar/settings/", {"action": "reminders"})  # unticked: off

    assert response.status_code == 302
    assert NotificationSettings.objects.get(user=sara).reminder_2h is False
    assert two_hour_reminders(booking).get().state == MessageState.CANCELLED
    # The advisor's reminders and her 24-hour one are untouched.
    assert (
        OutboxMessage.objects.filter(
            booking=booking, kind=MessageKind.REMINDER, state=MessageState.PENDING
        ).count()
        == 3
    )
    # A new booking gets no 2-hour reminder for her.
    later = book(sara, advisor, local(4, 10))
    assert not two_hour_reminders(later).exists()


def test_turning_it_on_again_brings_back_the_reminders_still_ahead(sara, advisor):
    booking = book(sara, advisor, local(3, 10))
    feeds.notification_settings_save(user=sara, reminder_2h=False)
    unreminded = book(sara, advisor, local(4, 10))

    feeds.notification_settings_save(user=sara, reminder_2h=True)

    for b in (booking, unreminded):
        reminder = two_hour_reminders(b).get()
        assert reminder.state == MessageState.PENDING
        assert reminder.due_at == b.start - timedelta(hours=2)
    assert NotificationSettings.objects.get(user=sara).reminder_2h is True


def test_the_page_shows_the_reminder_choice_to_entrepreneurs_only(client, sara, advisor):
    client.force_login(sara)
    page = client.get("/calendar/settings/")
    assert page.context["reminder_form"] is not None
    assert b'name="reminder_2h"' in page.content
    assert b"checked" in page.content  # on by default

    client.force_login(advisor.user)
    page = client.get("/calendar/settings/")
    assert page.context["reminder_form"] is None
    assert b'name="reminder_2h"' not in page.content
    assert client.post("/calendar/settings/", {"action": "reminders"}).status_code == 400
    assert not NotificationSettings.objects.filter(user=advisor.user).exists()


# --- Waitlist offers by mail ---------------------------------------------------------------------


@pytest.fixture
def ahmed_waiting_for_anna(ahmed, advisor):
    """Ahmed on Anna's waitlist (made directly: joining needs a fully booked
    fortnight, which bookings.waitlist's own tests build)."""
    ahmed.language = "en"
    ahmed.save(update_fields=["language"])
    return WaitlistEntry.objects.create(
        entrepreneur=ahmed,
        advisor=advisor,
        enterprise=ahmed.enterprises.get(),
        stat_region="20",
        stat_municipality="2080",
        stat_gender="not_stated",
        stat_enterprise_kind=EnterpriseKind.SOCIAL,
    )


def offer_mails() -> list:
    return [m for m in mail.outbox if m.extra_headers["X-Radtid-Message"].startswith("waitlist:")]


def deliver_all_due() -> list[str]:
    return [sending.deliver(pk) for pk in sending.claim_due()]


def test_a_freed_slot_offered_from_the_waitlist_is_mailed_through_the_outbox(
    sara, advisor, ahmed_waiting_for_anna, django_capture_on_commit_callbacks, no_broker
):
    booking = book(sara, advisor, local(3, 10))

    with django_capture_on_commit_callbacks(execute=True):
        services.booking_cancel(booking=booking, by=sara)
    entry = WaitlistEntry.objects.get(pk=ahmed_waiting_for_anna.pk)
    assert entry.status == WaitlistStatus.OFFERED
    offer = OutboxMessage.objects.get(kind=MessageKind.WAITLIST_OFFER, waitlist_entry=entry)
    assert offer.pk in no_broker  # queued for sending once the offer committed
    deliver_all_due()

    [message] = offer_mails()
    assert message.to == ["Ahmed Ali <ahmed@example.se>"]
    assert message.subject == "A time is free: advice session with Anna Lindqvist"
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"
    deadline = entry.offer_expires_at.astimezone(STOCKHOLM)
    assert "When: Wednesday 3 March at 10:00–11:00 (Swedish time)" in message.body
    assert f"Book it by {deadline:%A} {deadline.day} {deadline:%B} at {deadline:%H:%M}." in message.body
    assert f"{settings.SITE_URL}/bookings/waitlist/" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert f'href="{settings.SITE_URL}/bookings/waitlist/"' in html


def test_no_mail_when_the_offer_is_gone_before_it_could_be_sent(sara, advisor, ahmed, ahmed_waiting_for_anna):
    booking = book(sara, advisor, local(3, 10))
    services.booking_cancel(booking=booking, by=sara)
    waitlist_withdraw(entry=ahmed_waiting_for_anna, by=ahmed)

    deliver_all_due()

    assert offer_mails() == []
    assert OutboxMessage.objects.get(kind=MessageKind.WAITLIST_OFFER).state == MessageState.CANCELLED


def test_no_mail_when_the_offer_expired_before_it_could_be_sent(
    sara, advisor, ahmed_waiting_for_anna, frozen_clock
):
    from bookings import tasks as booking_tasks

    booking = book(sara, advisor, local(3, 10))
    services.booking_cancel(booking=booking, by=sara)
    entry = WaitlistEntry.objects.get(pk=ahmed_waiting_for_anna.pk)
    frozen_clock.move_to(entry.offer_expires_at + timedelta(minutes=1))
    booking_tasks.expire_waitlist_offers()

    deliver_all_due()

    assert offer_mails() == []
    assert OutboxMessage.objects.get(kind=MessageKind.WAITLIST_OFFER).state == MessageState.CANCELLED


def test_a_failing_mail_server_does_not_undo_the_offer_and_the_mail_is_retried(
    sara, advisor, ahmed_waiting_for_anna, settings
):
    settings.EMAIL_BACKEND = "tests.mail_backends.FailingBackend"
    FailingBackend.error = OSError("no server")
    booking = book(sara, advisor, local(3, 10))

    services.booking_cancel(booking=booking, by=sara)
    deliver_all_due()

    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert WaitlistEntry.objects.get(pk=ahmed_waiting_for_anna.pk).status == WaitlistStatus.OFFERED
    offer = OutboxMessage.objects.get(kind=MessageKind.WAITLIST_OFFER)
    assert (offer.state, offer.attempts) == (MessageState.PENDING, 1)  # retried after its backoff
    assert "no server" in offer.last_error

"""The outbox in the admin: staff see what went out and what failed, and send
failed or missed messages again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from advisors.models import Topic
from backend.models import AuditEntry
from bookings import services
from bookings.models import Enterprise, EnterpriseKind
from notifications import feeds, tasks
from notifications.models import MessageKind, MessageState, NotificationSettings, OutboxMessage

pytestmark = pytest.mark.usefixtures("frozen_clock")  # at NOW (tests/conftest.py)

NOW = datetime(2027, 3, 1, 6, 0, tzinfo=UTC)
TUESDAY_0900 = datetime(2027, 3, 2, 8, 0, tzinfo=UTC)
CHANGELIST = "/admin/notifications/outboxmessage/"


@pytest.fixture
def queued(monkeypatch):
    """Sending tasks handed to the broker, by message id."""
    ids: list[int] = []
    monkeypatch.setattr(tasks.send_message, "delay", ids.append)
    return ids


@pytest.fixture
def admin_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def booking(entrepreneur, advisor):
    enterprise = Enterprise.objects.create(
        name="Returhuset", kind=EnterpriseKind.SOCIAL, municipality_id="2080"
    )
    enterprise.members.add(entrepreneur)
    return services.booking_create(
        entrepreneur=entrepreneur,
        advisor=advisor,
        start=TUESDAY_0900,
        duration=60,
        topic=Topic.objects.get(slug="financing"),
        mode="video",
    )


@pytest.fixture
def failed(booking):
    """Sara's confirmation, refused for good by the mail server."""
    message = OutboxMessage.objects.get(
        booking=booking, kind=MessageKind.CONFIRMATION, recipient="entrepreneur"
    )
    message.state, message.attempts = MessageState.FAILED, 6
    message.last_error = "SMTPRecipientsRefused: {'sara@example.se': (550, b'Mailbox unavailable')}"
    message.save()
    return message


def test_the_list_shows_the_outbox_with_states_and_errors(admin_client, failed, booking):
    response = admin_client.get(CHANGELIST)

    assert response.status_code == 200
    page = response.content.decode()
    assert str(booking.uid) in page
    assert "Mailbox unavailable" in page
    assert f"/admin/bookings/booking/{booking.pk}/change/" in page
    assert response.context["cl"].result_count == OutboxMessage.objects.count() == 7


def test_the_list_filters_by_state_and_kind_and_finds_a_booking_by_uid(admin_client, failed, booking):
    by_state = admin_client.get(CHANGELIST, {"state__exact": "failed"})
    assert [m.pk for m in by_state.context["cl"].result_list] == [failed.pk]

    by_kind = admin_client.get(CHANGELIST, {"kind__exact": "reminder"})
    assert {m.kind for m in by_kind.context["cl"].result_list} == {MessageKind.REMINDER}

    found = admin_client.get(CHANGELIST, {"q": str(booking.uid)})
    assert found.context["cl"].result_count == 7
    nothing = admin_client.get(CHANGELIST, {"q": "00000000-0000-0000-0000-000000000000"})
    assert nothing.context["cl"].result_count == 0


def test_a_message_is_read_only(admin_client, failed):
    response = admin_client.get(f"{CHANGELIST}{failed.pk}/change/")

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert list(form.fields) == []  # every field is shown read-only
    assert admin_client.get(f"{CHANGELIST}add/").status_code == 403
    assert admin_client.post(f"{CHANGELIST}{failed.pk}/delete/", {"post": "yes"}).status_code == 403


def test_send_again_requeues_a_failed_message_after_commit(
    admin_client, failed, staff, frozen_clock, queued, django_capture_on_commit_callbacks
):
    frozen_clock.shift(timedelta(hours=3))

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            CHANGELIST, {"action": "send_again", "_selected_action": [failed.pk]}, follow=True
        )

    assert response.status_code == 200
    failed.refresh_from_db()
    assert failed.state == MessageState.PENDING
    assert failed.due_at == NOW + timedelta(hours=3)
    assert failed.attempts == 0
    assert failed.last_error == ""
    assert queued == [failed.pk]
    entry = AuditEntry.objects.get(action="outbox.resent")
    assert (entry.actor, entry.subject, entry.data) == (
        staff,
        failed.booking,
        {"message": failed.pk, "was": "failed"},
    )


def test_send_again_leaves_sent_and_pending_messages_alone(
    admin_client, failed, booking, queued, django_capture_on_commit_callbacks
):
    sent = OutboxMessage.objects.get(booking=booking, kind=MessageKind.CONFIRMATION, recipient="advisor")
    sent.state, sent.attempts = MessageState.SENT, 1
    sent.save()
    missed = OutboxMessage.objects.filter(booking=booking, reminder_hours=2).first()
    missed.state = MessageState.MISSED
    missed.save()
    pending = OutboxMessage.objects.filter(booking=booking, reminder_hours=24).first()
    chosen = [failed.pk, sent.pk, missed.pk, pending.pk]

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            CHANGELIST, {"action": "send_again", "_selected_action": chosen}, follow=True
        )

    assert sorted(queued) == sorted([failed.pk, missed.pk])
    sent.refresh_from_db()
    assert (sent.state, sent.attempts) == (MessageState.SENT, 1)
    missed.refresh_from_db()
    assert missed.state == MessageState.PENDING
    messages = [str(m) for m in response.context["messages"]]
    assert len(messages) == 2  # how many go again, and that the others were left


def test_send_again_is_only_for_staff(client, failed, advisor):
    client.force_login(advisor.user)

    response = client.post(CHANGELIST, {"action": "send_again", "_selected_action": [failed.pk]})

    assert response.status_code == 302  # to the admin's sign-in
    failed.refresh_from_db()
    assert failed.state == MessageState.FAILED


def test_feeds_and_settings_are_listed_without_their_secrets(admin_client, entrepreneur):
    token = feeds.calendar_feed_rotate(user=entrepreneur)
    NotificationSettings.objects.create(user=entrepreneur, reminder_2h=False)

    feeds_page = admin_client.get("/admin/notifications/calendarfeed/")
    settings_page = admin_client.get("/admin/notifications/notificationsettings/")

    assert feeds_page.status_code == settings_page.status_code == 200
    assert "Sara Nilsson" in feeds_page.content.decode()
    feed = entrepreneur.calendar_feed
    detail = admin_client.get(f"/admin/notifications/calendarfeed/{feed.pk}/change/").content.decode()
    assert feed.digest not in detail
    assert token not in detail
    assert admin_client.get("/admin/notifications/calendarfeed/add/").status_code == 403
    assert "Sara Nilsson" in settings_page.content.decode()

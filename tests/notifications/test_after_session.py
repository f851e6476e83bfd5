"""After the session: the feedback request's signed form, the outcome
follow-up three months on, the outbox clean-up, and a broker that is away."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client

from advisors.models import Topic
from bookings import services
from bookings.links import make_token
from bookings.models import Booking, BookingStatus, Enterprise, EnterpriseKind, Feedback, FollowUpAnswer
from bookings.selectors import first_sessions_ended
from notifications import outbox, sending
from notifications.models import MessageKind, MessageState, OutboxMessage
from tests import factories

pytestmark = pytest.mark.usefixtures("frozen_clock")  # at NOW (tests/conftest.py)

NOW = datetime(2027, 3, 1, 6, 0, tzinfo=UTC)  # Monday 07:00 in Stockholm
TUESDAY_0900 = datetime(2027, 3, 2, 8, 0, tzinfo=UTC)


@pytest.fixture
def enterprise(entrepreneur):
    enterprise = Enterprise.objects.create(
        name="Returhuset", kind=EnterpriseKind.SOCIAL, municipality_id="2080"
    )
    enterprise.members.add(entrepreneur)
    return enterprise


def book(entrepreneur, advisor, start: datetime) -> Booking:
    topic = Topic.objects.get(slug="financing")
    advisor.topics.add(topic)
    return factories.book(entrepreneur, advisor, start, topic=topic)


@pytest.fixture
def booking(entrepreneur, advisor, enterprise):
    return book(entrepreneur, advisor, TUESDAY_0900)


def deliver_all_due() -> list[str]:
    return [sending.deliver(pk) for pk in sending.claim_due()]


def link_in(message, name: str) -> str:
    """The path of the signed link `name` (feedback, follow-up) in a mail's text."""
    found = re.search(rf"{re.escape(settings.SITE_URL)}(/b/[^/\s]+/{name}/)", message.body)
    assert found, message.body
    return found.group(1)


# --- The feedback request's form --------------------------------------------------------


def feedback_mail(booking, frozen_clock):
    frozen_clock.move_to(booking.end + timedelta(hours=settings.FEEDBACK_REQUEST_DELAY_HOURS))
    mail.outbox.clear()
    deliver_all_due()
    (message,) = [m for m in mail.outbox if "feedback" in m.body]
    return message


def test_the_feedback_request_links_to_a_form_that_needs_no_sign_in(booking, frozen_clock):
    path = link_in(feedback_mail(booking, frozen_clock), "feedback")
    anonymous = Client()

    page = anonymous.get(path)
    assert page.status_code == 200
    assert 'name="rating"' in page.text

    answered = anonymous.post(path, {"rating": "4", "comment": "Tydligt och konkret"})
    assert answered.status_code == 200
    feedback = Feedback.objects.get(booking=booking)
    assert (feedback.rating, feedback.comment) == (4, "Tydligt och konkret")
    assert 'name="rating"' not in answered.text  # thanked, not asked again

    again = anonymous.post(path, {"rating": "1"})
    assert Feedback.objects.get(booking=booking).rating == 4
    assert again.status_code == 200


def test_a_bad_feedback_answer_is_refused_and_changes_nothing(booking, frozen_clock):
    path = link_in(feedback_mail(booking, frozen_clock), "feedback")

    refused = Client().post(path, {"rating": "9"})

    assert refused.status_code == 400
    assert "errorlist" in refused.text  # the error is shown at the field
    assert not Feedback.objects.exists()


def test_feedback_links_refuse_tampering_other_actions_early_use_and_old_age(booking, frozen_clock):
    anonymous = Client()
    frozen_clock.move_to(booking.end + timedelta(hours=1))
    token = make_token(booking, "feedback", expires=booking.end + timedelta(days=45))

    assert anonymous.get(f"/b/{token}x/feedback/").status_code == 400
    cancel_token = make_token(booking, "cancel", expires=booking.end + timedelta(days=45))
    assert anonymous.get(f"/b/{cancel_token}/feedback/").status_code == 400
    frozen_clock.move_to(booking.end + timedelta(days=46))
    assert anonymous.get(f"/b/{token}/feedback/").status_code == 410
    frozen_clock.move_to(booking.start - timedelta(hours=1))
    assert anonymous.post(f"/b/{token}/feedback/", {"rating": "5"}).status_code == 410  # not held yet
    assert not Feedback.objects.exists()


def test_a_cancelled_session_cannot_be_rated_through_its_link(booking, entrepreneur, frozen_clock):
    token = make_token(booking, "feedback", expires=booking.end + timedelta(days=45))
    services.booking_cancel(booking=booking, by=entrepreneur)
    frozen_clock.move_to(booking.end + timedelta(hours=1))

    assert Client().post(f"/b/{token}/feedback/", {"rating": "5"}).status_code == 410
    assert not Feedback.objects.exists()


# --- The outcome follow-up --------------------------------------------------------------------


def test_the_first_session_is_the_first_held_one_of_the_enterprise(entrepreneur, advisor, enterprise):
    cancelled = book(entrepreneur, advisor, TUESDAY_0900)
    services.booking_cancel(booking=cancelled, by=entrepreneur)
    first = book(entrepreneur, advisor, TUESDAY_0900 + timedelta(days=1))
    book(entrepreneur, advisor, TUESDAY_0900 + timedelta(days=2))
    window = (TUESDAY_0900, TUESDAY_0900 + timedelta(days=10))

    assert list(first_sessions_ended(*window)) == [first]


def test_the_follow_up_goes_once_per_enterprise_three_months_after_the_first_session(
    booking, entrepreneur, advisor, frozen_clock
):
    book(entrepreneur, advisor, TUESDAY_0900 + timedelta(days=7))  # a second session: no second survey
    frozen_clock.move_to(booking.end + timedelta(days=settings.FOLLOW_UP_AFTER_DAYS - 1))
    assert outbox.record_follow_ups() == 0  # not yet

    frozen_clock.move_to(booking.end + timedelta(days=settings.FOLLOW_UP_AFTER_DAYS + 9))
    assert outbox.record_follow_ups() == 1
    assert outbox.record_follow_ups() == 0  # the beat runs daily; the enterprise is asked once
    (message,) = OutboxMessage.objects.filter(kind=MessageKind.FOLLOW_UP)
    assert (message.booking, message.recipient) == (booking, "entrepreneur")


def test_old_history_is_not_surveyed_when_the_follow_up_is_switched_on(booking, frozen_clock):
    late = settings.FOLLOW_UP_AFTER_DAYS + settings.FOLLOW_UP_CATCH_UP_DAYS + 1
    frozen_clock.move_to(booking.end + timedelta(days=late))

    assert outbox.record_follow_ups() == 0


def test_the_follow_up_survey_is_answered_through_its_link_once(booking, frozen_clock):
    frozen_clock.move_to(booking.end + timedelta(days=settings.FOLLOW_UP_AFTER_DAYS + 1))
    outbox.record_follow_ups()
    mail.outbox.clear()
    deliver_all_due()
    (message,) = [m for m in mail.outbox if "/follow-up/" in m.body]
    path = link_in(message, "follow-up")
    anonymous = Client()

    assert anonymous.get(path).status_code == 200
    invalid = anonymous.post(path, {"comment": "x" * 2001})
    assert invalid.status_code == 400
    assert not FollowUpAnswer.objects.exists()

    done = anonymous.post(path, {"new_customers": "on", "hiring": "on", "comment": "Två nya anställda"})
    assert done.status_code == 200
    answer = FollowUpAnswer.objects.get(booking=booking)
    assert (answer.new_customers, answer.public_contract, answer.financing, answer.hiring) == (
        True,
        False,
        False,
        True,
    )
    anonymous.post(path, {"financing": "on"})
    assert FollowUpAnswer.objects.count() == 1
    assert not FollowUpAnswer.objects.get().financing


def test_a_follow_up_is_not_sent_about_a_session_marked_no_show_since(booking, advisor, frozen_clock):
    frozen_clock.move_to(booking.end + timedelta(days=settings.FOLLOW_UP_AFTER_DAYS + 1))
    outbox.record_follow_ups()
    Booking.objects.filter(pk=booking.pk).update(status=BookingStatus.NO_SHOW)

    deliver_all_due()

    follow_up = OutboxMessage.objects.get(kind=MessageKind.FOLLOW_UP)
    assert follow_up.state == MessageState.CANCELLED


# --- Clean-up ----------------------------------------------------------------------------------


def test_the_clean_up_forgets_old_finished_messages_only(booking, frozen_clock):
    deliver_all_due()  # the two confirmations are sent
    failed = OutboxMessage.objects.filter(kind=MessageKind.REMINDER).first()
    OutboxMessage.objects.filter(pk=failed.pk).update(state=MessageState.FAILED)
    frozen_clock.move_to(booking.end + timedelta(days=settings.FOLLOW_UP_AFTER_DAYS + 1))
    outbox.record_follow_ups()
    OutboxMessage.objects.filter(kind=MessageKind.FOLLOW_UP).update(state=MessageState.SENT)

    frozen_clock.move_to(NOW + timedelta(days=settings.OUTBOX_KEEP_DAYS - 1))
    assert outbox.outbox_clean_up() == 0
    frozen_clock.move_to(NOW + timedelta(days=settings.OUTBOX_KEEP_DAYS + 1))
    assert outbox.outbox_clean_up() == 2  # the sent confirmations

    left = set(OutboxMessage.objects.values_list("kind", "state"))
    assert (MessageKind.REMINDER, MessageState.FAILED) in left
    assert (MessageKind.FOLLOW_UP, MessageState.SENT) in left  # remembers the enterprise was asked
    assert (MessageKind.REMINDER, MessageState.PENDING) in left  # not done: untouched


# --- A broker that is away ----------------------------------------------------------------------


@pytest.fixture
def broker_away(monkeypatch):
    from notifications import tasks

    attempts = []

    def refuse(message_id):
        attempts.append(message_id)
        raise ConnectionError("Redis is not answering")

    monkeypatch.setattr(tasks.send_message, "delay", refuse)
    monkeypatch.setattr(outbox, "_broker_paused_until", 0.0)
    return attempts


def test_a_broker_that_is_away_costs_a_booking_one_attempt_and_later_bookings_none(
    broker_away, entrepreneur, advisor, enterprise, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = book(entrepreneur, advisor, TUESDAY_0900)
    with django_capture_on_commit_callbacks(execute=True):
        second = book(entrepreneur, advisor, TUESDAY_0900 + timedelta(days=1))

    assert len(broker_away) == 1  # two confirmations each; only the first waited on the broker
    assert first.status == second.status == BookingStatus.CONFIRMED
    confirmations = OutboxMessage.objects.filter(kind=MessageKind.CONFIRMATION)
    assert confirmations.count() == 4
    assert set(confirmations.values_list("state", flat=True)) == {MessageState.PENDING}  # for the sweep


def test_the_broker_is_tried_again_after_the_pause(broker_away, booking, monkeypatch):
    assert outbox.queue_send(1) is False
    assert outbox.queue_send(2) is False
    assert broker_away == [1]
    now = outbox.time.monotonic()
    monkeypatch.setattr(outbox.time, "monotonic", lambda: now + outbox.BROKER_PAUSE_SECONDS + 1)

    assert outbox.queue_send(3) is False
    assert broker_away == [1, 3]

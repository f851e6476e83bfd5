"""The outbox: rows written with the booking, delivered once, retried, skipped."""

from __future__ import annotations

import email
import smtplib
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import icalendar
import pytest
from django.core import mail
from django.db import connection, transaction

from advisors.models import Topic
from bookings import services
from bookings.models import Enterprise, EnterpriseKind
from notifications import sending
from notifications.models import MessageKind, MessageState, NotificationSettings, OutboxMessage
from tests.mail_backends import FailingBackend, ProbingBackend

pytestmark = pytest.mark.usefixtures("frozen_clock")  # at NOW (tests/conftest.py)

NOW = datetime(2027, 3, 1, 6, 0, tzinfo=UTC)  # Monday 07:00 in Stockholm
TUESDAY_0900 = datetime(2027, 3, 2, 8, 0, tzinfo=UTC)


@pytest.fixture
def sara(entrepreneur):
    enterprise = Enterprise.objects.create(
        name="Returhuset", kind=EnterpriseKind.SOCIAL, municipality_id="2080"
    )
    enterprise.members.add(entrepreneur)
    return entrepreneur


@pytest.fixture
def booking(sara, advisor):
    advisor.topics.set(Topic.objects.filter(slug="financing"))
    return services.booking_create(
        entrepreneur=sara,
        advisor=advisor,
        start=TUESDAY_0900,
        duration=60,
        topic=Topic.objects.get(slug="financing"),
        mode="video",
        message="Vi vill växa; hur?",
    )


def rows(booking, **filters):
    return list(
        OutboxMessage.objects.filter(booking=booking, **filters).order_by("kind", "recipient", "due_at")
    )


def deliver_all_due() -> list[str]:
    return [sending.deliver(pk) for pk in sending.claim_due()]


# --- What a booking records -----------------------------------------------------------


def test_a_booking_records_confirmations_reminders_and_a_feedback_request(booking):
    kinds = sorted((m.kind, m.recipient, m.reminder_hours) for m in rows(booking))

    assert kinds == sorted(
        [
            (MessageKind.CONFIRMATION, "entrepreneur", None),
            (MessageKind.CONFIRMATION, "advisor", None),
            (MessageKind.REMINDER, "entrepreneur", 24),
            (MessageKind.REMINDER, "entrepreneur", 2),
            (MessageKind.REMINDER, "advisor", 24),
            (MessageKind.REMINDER, "advisor", 2),
            (MessageKind.FEEDBACK_REQUEST, "entrepreneur", None),
        ]
    )
    reminder = next(m for m in rows(booking) if m.reminder_hours == 24)
    assert reminder.due_at == TUESDAY_0900 - timedelta(hours=24)
    assert all(m.state == MessageState.PENDING for m in rows(booking))


def test_a_person_may_turn_off_the_two_hour_reminder(sara, advisor):
    NotificationSettings.objects.create(user=sara, reminder_2h=False)
    advisor.topics.set(Topic.objects.filter(slug="financing"))
    b = services.booking_create(
        entrepreneur=sara, advisor=advisor, start=TUESDAY_0900, duration=60,
        topic=Topic.objects.get(slug="financing"), mode="video",
    )  # fmt: skip
    hours = {(m.recipient, m.reminder_hours) for m in rows(b, kind=MessageKind.REMINDER)}
    assert hours == {("entrepreneur", 24), ("advisor", 24), ("advisor", 2)}


def test_the_rows_roll_back_with_a_failed_booking(sara, advisor):
    advisor.topics.set(Topic.objects.filter(slug="financing"))
    with pytest.raises(services.BookingError):
        services.booking_create(
            entrepreneur=sara, advisor=advisor, start=TUESDAY_0900 + timedelta(minutes=7), duration=60,
            topic=Topic.objects.get(slug="financing"), mode="video",
        )  # fmt: skip
    assert OutboxMessage.objects.count() == 0


def test_a_reschedule_supersedes_unsent_invites_and_moves_the_reminders(booking, sara):
    new_start = TUESDAY_0900 + timedelta(days=1, hours=5)  # Wednesday 14:00

    services.booking_reschedule(booking=booking, by=sara, start=new_start)

    assert {m.state for m in rows(booking, kind=MessageKind.CONFIRMATION)} == {MessageState.CANCELLED}
    assert len(rows(booking, kind=MessageKind.RESCHEDULE, state=MessageState.PENDING)) == 2
    pending_reminders = rows(booking, kind=MessageKind.REMINDER, state=MessageState.PENDING)
    assert {m.due_at for m in pending_reminders} == {
        new_start - timedelta(hours=24),
        new_start - timedelta(hours=2),
    }
    assert len(pending_reminders) == 4


def test_a_cancellation_cancels_the_reminders_and_the_feedback_request(booking, sara):
    services.booking_cancel(booking=booking, by=sara)

    assert {m.state for m in rows(booking, kind=MessageKind.REMINDER)} == {MessageState.CANCELLED}
    assert {m.state for m in rows(booking, kind=MessageKind.FEEDBACK_REQUEST)} == {MessageState.CANCELLED}
    assert len(rows(booking, kind=MessageKind.CANCELLATION, state=MessageState.PENDING)) == 2


def test_a_no_show_gets_no_feedback_request(booking, advisor, frozen_clock):
    frozen_clock.move_to(TUESDAY_0900 + timedelta(minutes=30))
    services.booking_record_outcome(booking=booking, by=advisor.user, attended=False)
    assert {m.state for m in rows(booking, kind=MessageKind.FEEDBACK_REQUEST)} == {MessageState.CANCELLED}


# --- Delivery -------------------------------------------------------------------------------


def test_the_confirmation_is_a_multipart_mail_with_the_invite(booking):
    states = deliver_all_due()

    assert states == [MessageState.SENT, MessageState.SENT]
    assert sorted(m.to[0].split("<")[1].rstrip(">") for m in mail.outbox) == [
        "anna@example.se",
        "sara@example.se",
    ]
    parsed = email.message_from_bytes(mail.outbox[0].message().as_bytes())
    assert parsed.get_content_type() == "multipart/mixed"
    alternative = parsed.get_payload()[0]
    assert alternative.get_content_type() == "multipart/alternative"
    types = [p.get_content_type() for p in alternative.get_payload()]
    assert types == ["text/plain", "text/html", "text/calendar"]
    calendar_part = alternative.get_payload()[2]
    assert calendar_part.get_param("method") == "REQUEST"
    attachment = parsed.get_payload()[1]
    assert attachment.get_filename() == "invite.ics"
    invite = icalendar.Calendar.from_ical(attachment.get_payload(decode=True))
    assert invite["METHOD"] == "REQUEST"
    event = invite.walk("VEVENT")[0]
    assert str(event["UID"]) == f"{booking.uid}@127.0.0.1"
    assert int(event["SEQUENCE"]) == 0
    assert event.decoded("DTSTART") == TUESDAY_0900
    assert calendar_part.get_payload(decode=True) == attachment.get_payload(decode=True)


def test_mail_comes_in_the_recipient_s_language_and_time_zone(booking, sara):
    sara.language = "en"
    sara.save()
    deliver_all_due()
    to_sara = next(m for m in mail.outbox if "sara@example.se" in m.to[0])
    to_anna = next(m for m in mail.outbox if "anna@example.se" in m.to[0])
    assert to_sara.subject.startswith("Booked")
    assert "When: Tuesday 2 March at 09:00–10:00 (Swedish time)" in to_sara.body
    assert "När: Tisdag 2 mars kl. 09.00–10.00 (svensk tid)" in to_anna.body
    assert "Vi vill växa; hur?" in to_anna.body  # the advisor sees what they need help with
    assert "Vi vill växa" not in to_sara.body


def test_mail_greets_each_person_by_first_name(booking):
    deliver_all_due()

    to_sara = next(m for m in mail.outbox if "sara@example.se" in m.to[0])
    to_anna = next(m for m in mail.outbox if "anna@example.se" in m.to[0])
    assert to_sara.body.startswith("Hej Sara,\n") and to_anna.body.startswith("Hej Anna,\n")
    assert "<p>Hej Sara,</p>" in to_sara.alternatives[0][0]
    assert to_sara.to == ["Sara Nilsson <sara@example.se>"]
    assert "Med: Sara Nilsson (Returhuset)" in to_anna.body  # the advisor sees who, by name


def test_a_person_without_a_name_is_greeted_plainly_not_by_their_address(booking, sara):
    sara.full_name = ""
    sara.save()

    deliver_all_due()

    to_sara = next(m for m in mail.outbox if "sara@example.se" in m.to[0])
    to_anna = next(m for m in mail.outbox if "anna@example.se" in m.to[0])
    assert to_sara.body.startswith("Hej,\n")
    assert "sara@example.se," not in to_sara.body
    assert "Med: sara@example.se (Returhuset)" in to_anna.body  # the address stands in for the name


def test_a_second_delivery_of_the_same_message_sends_nothing(booking):
    ids = sending.claim_due()
    first = [sending.deliver(pk) for pk in ids]
    second = [sending.deliver(pk) for pk in ids]

    assert first == [MessageState.SENT, MessageState.SENT]
    assert second == [None, None]
    assert len(mail.outbox) == 2


def test_two_sweeps_hand_out_each_row_once(booking):
    first, second = sending.claim_due(), sending.claim_due()
    assert len(first) == 2 and second == []


def test_a_worker_that_died_mid_send_leaves_the_row_to_be_handed_out_again(booking, frozen_clock, settings):
    claimed = sending.claim_due()  # and then the worker died
    assert sending.claim_due() == []
    frozen_clock.shift(timedelta(seconds=settings.OUTBOX_CLAIM_TIMEOUT_SECONDS + 1))
    assert sorted(sending.claim_due()) == sorted(claimed)


def test_reminders_go_out_when_due_and_not_before(booking, frozen_clock):
    deliver_all_due()  # the confirmations
    mail.outbox.clear()

    frozen_clock.move_to(TUESDAY_0900 - timedelta(hours=24, minutes=1))
    assert deliver_all_due() == []
    frozen_clock.move_to(TUESDAY_0900 - timedelta(hours=24) + timedelta(minutes=1))
    assert deliver_all_due() == [MessageState.SENT, MessageState.SENT]
    assert all(m.subject.startswith("Påminnelse") or m.subject.startswith("Reminder") for m in mail.outbox)


def test_a_reminder_more_than_two_hours_late_is_missed_not_sent(booking, frozen_clock):
    deliver_all_due()
    mail.outbox.clear()
    frozen_clock.move_to(TUESDAY_0900 - timedelta(hours=24) + timedelta(hours=2, minutes=1))

    deliver_all_due()

    late = rows(booking, kind=MessageKind.REMINDER, reminder_hours=24)
    assert {m.state for m in late} == {MessageState.MISSED}
    assert not any("24" in m.subject for m in mail.outbox)


@pytest.fixture
def failing_smtp(settings):
    settings.EMAIL_BACKEND = "tests.mail_backends.FailingBackend"

    def fail_with(error: Exception) -> None:
        FailingBackend.error = error

    return fail_with


def test_a_transient_smtp_error_is_retried_with_backoff(booking, failing_smtp, settings):
    failing_smtp(smtplib.SMTPResponseException(451, b"try later"))
    deliver_all_due()

    message = rows(booking, kind=MessageKind.CONFIRMATION)[0]
    assert message.state == MessageState.PENDING
    assert message.attempts == 1
    assert message.due_at == NOW + timedelta(seconds=settings.EMAIL_RETRY_BACKOFF_SECONDS[0])
    assert "451" in message.last_error


def test_a_permanent_smtp_error_fails_at_once(booking, failing_smtp):
    failing_smtp(smtplib.SMTPRecipientsRefused({"sara@example.se": (550, b"no such user")}))
    deliver_all_due()
    assert {m.state for m in rows(booking, kind=MessageKind.CONFIRMATION)} == {MessageState.FAILED}


def test_after_the_last_retry_the_message_fails(booking, failing_smtp, settings, frozen_clock):
    failing_smtp(TimeoutError("timed out"))
    for _ in range(len(settings.EMAIL_RETRY_BACKOFF_SECONDS) + 1):
        deliver_all_due()
        frozen_clock.shift(timedelta(hours=13))
    message = rows(booking, kind=MessageKind.CONFIRMATION)[0]
    assert message.state == MessageState.FAILED
    assert message.attempts == len(settings.EMAIL_RETRY_BACKOFF_SECONDS) + 1


def test_the_sweep_claims_nothing_and_wakes_one_task_for_each_batch_due(booking, monkeypatch):
    from notifications import tasks

    monkeypatch.setattr(tasks, "SEND_BATCH", 3)
    woken = []
    monkeypatch.setattr(tasks.send_due, "delay", lambda: woken.append(1))
    OutboxMessage.objects.filter(booking=booking).update(due_at=NOW - timedelta(minutes=1))

    assert tasks.dispatch_due_messages() == 7
    assert len(woken) == 3
    assert {m.state for m in rows(booking)} == {MessageState.PENDING}


def test_the_sweep_wakes_at_most_max_wake_tasks(booking, monkeypatch):
    from notifications import tasks

    monkeypatch.setattr(tasks, "SEND_BATCH", 1)
    monkeypatch.setattr(tasks, "MAX_WAKE", 2)
    woken = []
    monkeypatch.setattr(tasks.send_due, "delay", lambda: woken.append(1))
    OutboxMessage.objects.filter(booking=booking).update(due_at=NOW - timedelta(minutes=1))

    assert tasks.dispatch_due_messages() == 2  # counted only as far as it needs
    assert len(woken) == 2


def test_a_sweep_that_cannot_reach_the_broker_leaves_every_row_pending(booking, monkeypatch):
    from notifications import tasks

    def broker_down():
        raise ConnectionError("Redis is away")

    monkeypatch.setattr(tasks.send_due, "delay", broker_down)

    with pytest.raises(ConnectionError):
        tasks.dispatch_due_messages()
    assert {m.state for m in rows(booking, kind=MessageKind.CONFIRMATION)} == {MessageState.PENDING}
    assert OutboxMessage.objects.filter(claimed_at__isnull=False).count() == 0


def test_a_send_task_claims_one_batch_sends_it_and_wakes_the_next_while_batches_are_full(
    booking, monkeypatch
):
    from notifications import tasks

    monkeypatch.setattr(tasks, "SEND_BATCH", 3)
    woken = []
    monkeypatch.setattr(tasks.send_due, "delay", lambda: woken.append(1))
    OutboxMessage.objects.filter(booking=booking).update(due_at=NOW - timedelta(minutes=1))
    mail.outbox.clear()

    claimed = [tasks.send_due(), tasks.send_due(), tasks.send_due()]

    assert claimed == [3, 3, 1]
    assert len(woken) == 2  # after each full batch, none after the last
    assert len(mail.outbox) == 7
    assert {m.state for m in rows(booking)} == {MessageState.SENT}


def test_a_send_task_lost_with_its_worker_holds_back_only_its_own_batch(booking, monkeypatch):
    from notifications import tasks

    monkeypatch.setattr(tasks, "SEND_BATCH", 3)
    OutboxMessage.objects.filter(booking=booking).update(due_at=NOW - timedelta(minutes=1))
    sending.claim_due(limit=tasks.SEND_BATCH)  # a task claimed its batch, then its worker died

    states = [m.state for m in rows(booking)]
    assert states.count(MessageState.SENDING) == 3
    assert states.count(MessageState.PENDING) == 4  # there for the next task


def test_a_list_of_messages_is_delivered_and_one_already_sent_is_not_sent_again(booking):
    from notifications import tasks

    confirmations = [m.pk for m in rows(booking, kind=MessageKind.CONFIRMATION)]
    sending.claim_due()
    sending.deliver(confirmations[0])
    mail.outbox.clear()

    tasks.send_messages(confirmations)  # the list handed out again after a worker died

    assert len(mail.outbox) == 1
    assert {m.state for m in rows(booking, kind=MessageKind.CONFIRMATION)} == {MessageState.SENT}


def test_a_list_that_runs_past_its_time_queues_the_rest_as_a_new_task(booking, monkeypatch):
    from notifications import tasks

    confirmations = sorted(m.pk for m in rows(booking, kind=MessageKind.CONFIRMATION))
    sending.claim_due()
    queued = []
    monkeypatch.setattr(tasks.send_messages, "delay", queued.append)
    monkeypatch.setattr(tasks, "SEND_BATCH_SECONDS", -1)  # every mail takes "too long"
    mail.outbox.clear()

    tasks.send_messages(confirmations)

    assert len(mail.outbox) == 1  # the first one is always sent
    assert queued == [confirmations[1:]]
    assert OutboxMessage.objects.get(pk=confirmations[1]).state == MessageState.SENDING


# --- Claim, commit, send, mark ----------------------------------------------------------


@pytest.fixture
def busy_smtp(settings):
    """A mail server that runs `during(mails)` before it accepts them."""
    settings.EMAIL_BACKEND = "tests.mail_backends.ProbingBackend"

    def while_sending(during) -> None:
        ProbingBackend.probe = during

    yield while_sending
    ProbingBackend.probe = None


def _elsewhere(work):
    """`work()` on another thread, so on a database connection of its own;
    its result, or the exception it raised."""

    def run():
        try:
            if connection.vendor == "sqlite":
                # Fail at once, not after 20 s, if the database is locked.
                with connection.cursor() as cursor:
                    cursor.execute("PRAGMA busy_timeout = 0")
            return work()
        except Exception as error:
            return error
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result(timeout=60)


# The worker runs outside any transaction: so must this test. Its flush at the
# end empties the tables; serialized_rollback gives it the regions and topics
# the migrations load even when another such test ran before it, and the
# teardown hook in tests/conftest.py puts them back for the tests after it.
@pytest.mark.services  # row locks: SQLite's IMMEDIATE writes, PostgreSQL's FOR UPDATE NOWAIT
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_no_transaction_or_lock_is_held_while_the_mail_server_is_talked_to(booking, sara, advisor, busy_smtp):
    confirmation = rows(booking, kind=MessageKind.CONFIRMATION)[0]
    seen = {}

    def other_work():
        # Someone else writes to the very row being sent, without waiting for it…
        with transaction.atomic():
            row = OutboxMessage.objects.select_for_update(nowait=True).get(pk=confirmation.pk)
            OutboxMessage.objects.filter(pk=row.pk).update(last_error="touched meanwhile")
        # …and books another time with the same advisor.
        return services.booking_create(
            entrepreneur=sara, advisor=advisor, start=TUESDAY_0900 + timedelta(hours=2), duration=60,
            topic=Topic.objects.get(slug="financing"), mode="video",
        )  # fmt: skip

    def during(mails):
        if not seen:
            seen["in_atomic_block"] = connection.in_atomic_block
            seen["other_work"] = _elsewhere(other_work)

    busy_smtp(during)

    assert sending.deliver(confirmation.pk) == MessageState.SENT

    assert seen["in_atomic_block"] is False
    assert not isinstance(seen["other_work"], Exception), seen["other_work"]
    assert seen["other_work"].status == "confirmed"
    confirmation.refresh_from_db()
    assert (confirmation.state, confirmation.in_flight, confirmation.last_error) == (
        MessageState.SENT,
        False,
        "",
    )
    assert len(mail.outbox) == 1


def test_a_task_for_a_message_another_worker_is_sending_does_nothing(booking, busy_smtp):
    confirmation = rows(booking, kind=MessageKind.CONFIRMATION)[0]
    second = []
    busy_smtp(lambda mails: second.append(sending.deliver(confirmation.pk)) if not second else None)

    assert sending.deliver(confirmation.pk) == MessageState.SENT

    assert second == [None]  # the other task saw the claim and left the row alone
    assert len(mail.outbox) == 1
    assert OutboxMessage.objects.get(pk=confirmation.pk).attempts == 1


class WorkerKilled(BaseException):
    """What a SIGKILL looks like from the row's side: nothing after it runs."""


def test_a_worker_killed_after_the_mail_server_accepted_repeats_only_that_mail(
    booking, busy_smtp, frozen_clock, settings
):
    confirmation = rows(booking, kind=MessageKind.CONFIRMATION)[0]

    def killed(mails):
        mail.outbox.extend(mails)  # accepted by the server, then the worker died
        raise WorkerKilled

    busy_smtp(killed)
    with pytest.raises(WorkerKilled):
        sending.deliver(confirmation.pk)
    busy_smtp(None)
    confirmation.refresh_from_db()
    assert (confirmation.state, confirmation.in_flight) == (MessageState.SENDING, True)
    assert sending.deliver(confirmation.pk) is None  # its claim stands until the timeout

    frozen_clock.shift(timedelta(seconds=settings.OUTBOX_CLAIM_TIMEOUT_SECONDS + 1))
    assert confirmation.pk in sending.claim_due()
    assert sending.deliver(confirmation.pk) == MessageState.SENT

    to_sara = [m for m in mail.outbox if m.extra_headers["X-Radtid-Message"] == confirmation.key]
    assert len(to_sara) == 2  # the one mail in flight, once more; nothing else
    confirmation.refresh_from_db()
    assert (confirmation.state, confirmation.in_flight, confirmation.attempts) == (
        MessageState.SENT,
        False,
        2,
    )


def test_a_mail_server_slower_than_the_claim_timeout_still_mails_once(
    booking, busy_smtp, frozen_clock, settings
):
    confirmation = rows(booking, kind=MessageKind.CONFIRMATION)[0]
    swept = []

    def slow(mails):
        frozen_clock.shift(timedelta(seconds=settings.OUTBOX_CLAIM_TIMEOUT_SECONDS + 1))
        swept.extend(sending.claim_due())  # the sweep takes the row back meanwhile

    busy_smtp(slow)
    assert sending.deliver(confirmation.pk) == MessageState.SENT
    busy_smtp(None)

    assert confirmation.pk in swept
    assert sending.deliver(confirmation.pk) is None  # the sweep's task finds it sent
    assert len([m for m in mail.outbox if m.extra_headers["X-Radtid-Message"] == confirmation.key]) == 1

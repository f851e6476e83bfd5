"""The outbox with its real parts (invariant 3): PostgreSQL, a Redis broker, a
real Celery worker process and a real SMTP server (aiosmtpd) collecting mail.

Bookings are made by the real services in `manage.py shell` subprocesses
against a database made for this module; the sweep runs the way beat runs it
(dispatch_due_messages in a process of its own). The test reads the database
directly and counts mails by their X-Radtid-Message header, the outbox key.

Faults: a worker killed with SIGKILL in the middle of a batch, the broker down
while people book, two sweeps at once, a transaction that rolls back, a broker
that accepts connections and never answers, a mail server that is down while
an advisor is invited and the monthly statistics go out."""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import icalendar
import pytest

from tests.integration.conftest import (
    BASE_DIR,
    SEED_SCRIPT,
    CeleryWorker,
    cache_env,
    free_port,
    migrated_template,
    run_manage,
    throwaway_postgres,
    with_database,
)
from tests.integration.smtp import Received
from tests.services import REDIS_URL, redis_database, require, require_services_pass

pytestmark = [pytest.mark.integration, pytest.mark.services]

ZONE = ZoneInfo("Europe/Stockholm")
SITE_URL = "https://radtid.example.se"
SITE_DOMAIN = "radtid.example.se"
# The Redis database used as this module's broker; flushed before and after each test.
BROKER_REDIS_DB = redis_database(10)
# Advisors (one per test, so their times never collide) bookable 08–18 every day.
ADVISORS = ("invite", "kill", "down", "race", "rollback")
ENTREPRENEURS = 20

# Run by `manage.py shell -c` against the module's database: one operation, given
# as JSON in OUTBOX_OP; the result is printed as JSON on the last line.
OPERATIONS = r"""
import json, os, time
from datetime import datetime, timedelta
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from advisors.models import Advisor, Topic
from backend.models import User
from bookings.models import Booking
from bookings.services import booking_cancel, booking_create, booking_reschedule
from notifications import sending
from notifications.models import MessageKind, OutboxMessage, Recipient
from notifications.tasks import dispatch_due_messages, send_message

op = json.loads(os.environ["OUTBOX_OP"])


def book(spec):
    return booking_create(
        entrepreneur=User.objects.get(email=spec["person"]),
        advisor=Advisor.objects.get(pk=spec["advisor"]),
        start=datetime.fromisoformat(spec["start"]),
        duration=spec["duration"],
        topic=Topic.objects.get(slug=spec["topic"]),
        mode="video",
    )


def run(op):
    name = op["op"]
    if name == "book":
        made = []
        for spec in op["bookings"]:
            began = time.monotonic()
            booking = book(spec)
            made.append({"uid": str(booking.uid), "seconds": time.monotonic() - began})
        return made
    if name == "book_and_roll_back":
        class Abandon(Exception):
            pass

        try:
            with transaction.atomic():
                # The confirmations' send tasks are registered with on_commit in
                # here; then something later in the same transaction fails.
                uid = str(book(op["booking"]).uid)
                raise Abandon
        except Abandon:
            return uid
    if name == "reschedule":
        booking = Booking.objects.get(uid=op["uid"])
        booking_reschedule(booking=booking, by=booking.entrepreneur, start=datetime.fromisoformat(op["start"]))
        return None
    if name == "cancel":
        booking = Booking.objects.get(uid=op["uid"])
        booking_cancel(booking=booking, by=booking.entrepreneur, reason="test")
        return None
    if name == "due_reminders":
        # Reminders due now for existing future bookings, written straight to the
        # outbox (no send queued): work only the sweep will find.
        bookings = list(Booking.objects.filter(uid__in=op["uids"]))
        now = timezone.now()
        OutboxMessage.objects.bulk_create(
            OutboxMessage(
                key=f"{op['prefix']}:{n}", kind=MessageKind.REMINDER, booking=bookings[n % len(bookings)],
                recipient=Recipient.ENTREPRENEUR if n % 2 else Recipient.ADVISOR, reminder_hours=24,
                due_at=now - timedelta(seconds=1),
            )
            for n in range(op["count"])
        )
        return op["count"]
    if name == "dispatch":
        # What beat runs every minute, run now (its body, in this process): it
        # wakes the workers, which claim and send batch after batch.
        return dispatch_due_messages()
    if name == "claim_race":
        # One of two sweeps started at once: claim in small batches, so that the
        # two interleave for as long as there is anything left, and queue each.
        Path(op["go"] + f".ready.{os.getpid()}").touch()
        while not Path(op["go"]).exists():
            time.sleep(0.005)
        mine = []
        while ids := sending.claim_due(limit=op["batch"]):
            for pk in ids:
                send_message.delay(pk)
            mine.extend(ids)
        return mine
    if name == "invite":
        # A coordinator of Dalarna invites an advisor: the real service, whose
        # invitation mail is an outbox row like any other.
        from advisors.models import Coordinator
        from advisors.services_coordinator import advisor_invite
        from backend.models import Role

        user, _ = User.objects.get_or_create(
            email=op["coordinator"], defaults={"full_name": "Samordnare Dalarna", "role": Role.COORDINATOR}
        )
        coordinator, _ = Coordinator.objects.get_or_create(
            user=user, defaults={"region_id": "20", "organisation": "Region Dalarna"}
        )
        advisor = advisor_invite(
            coordinator=coordinator, email=op["email"], full_name="Lisa Berg", organisation="Almi Dalarna"
        )
        return advisor.user.pk
    if name == "monthly_reports":
        from reporting.tasks import send_monthly_reports

        return send_monthly_reports()
    if name == "password_link_works":
        from allauth.account.forms import default_token_generator

        return default_token_generator.check_token(User.objects.get(pk=op["user"]), op["key"])
    raise ValueError(name)


print(json.dumps(run(op)))
"""

OPEN_ROWS_SQL = "SELECT count(*) FROM notifications_outboxmessage WHERE state IN ('pending', 'sending') AND due_at <= now()"


def at(days_ahead: int, hour: int, minute: int = 0) -> datetime:
    day = datetime.now(ZONE).date() + timedelta(days=days_ahead)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZONE)


class OutboxStack:
    """A migrated, seeded database, the environment a production worker gets
    (broker, SMTP server), and the means to act on both."""

    def __init__(self, database_url: str, broker_url: str, email_url: str, workdir: Path) -> None:
        self.database_url = database_url
        self.workdir = workdir
        self.env = {
            # Nothing inherited from the test run (its DATABASE_URL, CI, settings module).
            **{k: os.environ[k] for k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR") if k in os.environ},
            "DJANGO_SETTINGS_MODULE": "backend.settings",
            "DJANGO_DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(40),
            "SITE_URL": SITE_URL,
            "ALLOWED_HOSTS": SITE_DOMAIN,
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": broker_url,
            **cache_env(broker_url),
            "EMAIL_URL": email_url,
            "RADTID_VAR_DIR": str(workdir / "var"),
            "BOOKING_MAX_UPCOMING": "1000",  # a few people make all the bookings
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
        }
        self.entrepreneurs: list[str] = []
        self.advisors: dict[str, int] = {}
        self.topic = ""

    @classmethod
    @contextlib.contextmanager
    def running(
        cls, *, broker_url: str, email_url: str, workdir: Path, advisors: Sequence[str], entrepreneurs: int
    ):
        template = urlsplit(migrated_template("postgresql")).path.lstrip("/")
        with throwaway_postgres("radtid_outbox", template=template) as database_url:
            stack = cls(database_url, broker_url, email_url, workdir)
            spec = {
                "password": secrets.token_urlsafe(12),
                "entrepreneurs": entrepreneurs,
                "advisors": {key: {"buffer_after": 0, "session_lengths": [30]} for key in advisors},
            }
            seeded = json.loads(
                stack.manage(
                    "shell", "-c", SEED_SCRIPT, env={"LIVE_STACK_SEED": json.dumps(spec)}
                ).splitlines()[-1]
            )
            stack.entrepreneurs, stack.advisors, stack.topic = (
                seeded["entrepreneurs"],
                seeded["advisors"],
                seeded["topic"],
            )
            yield stack

    # --- processes ------------------------------------------------------------------

    def manage(self, *args: str, env: Mapping[str, str] | None = None, timeout: float = 120) -> str:
        return run_manage(args, env={**self.env, **(env or {})}, timeout=timeout)

    def op(self, name: str, *, broker: str | None = None, timeout: float = 120, **data: Any) -> Any:
        """Run one of OPERATIONS in a new process; its JSON result."""
        env = {"OUTBOX_OP": json.dumps({"op": name, **data})}
        if broker:
            env["CELERY_BROKER_URL"] = broker
        return json.loads(self.manage("shell", "-c", OPERATIONS, env=env, timeout=timeout).splitlines()[-1])

    def start_op(self, name: str, **data: Any) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "manage.py", "shell", "-c", OPERATIONS],
            cwd=BASE_DIR,
            env={**self.env, "OUTBOX_OP": json.dumps({"op": name, **data})},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def worker(
        self,
        log: Path,
        *,
        broker: str | None = None,
        email_url: str | None = None,
        concurrency: int = 2,
        pool: str = "prefork",
    ):
        env = dict(self.env)
        if broker:
            env["CELERY_BROKER_URL"] = broker
        if email_url:
            env["EMAIL_URL"] = email_url
        return CeleryWorker(env, log, concurrency=concurrency, pool=pool)

    def dispatch(self, *, broker: str | None = None) -> int:
        return self.op("dispatch", broker=broker)

    def booking(self, person: str, advisor: str, start: datetime, duration: int = 30) -> dict[str, Any]:
        return {
            "person": person,
            "advisor": self.advisors[advisor],
            "start": start.isoformat(),
            "duration": duration,
            "topic": self.topic,
        }

    def book(
        self, specs: Sequence[dict[str, Any]], *, broker: str | None = None, timeout: float = 120
    ) -> list[dict[str, Any]]:
        return self.op("book", bookings=list(specs), broker=broker, timeout=timeout)

    # --- the database, read directly -------------------------------------------------

    def sql(self, query: str, params: Sequence[Any] = ()) -> list[tuple]:
        import psycopg

        with psycopg.connect(self.database_url, autocommit=True) as conn:
            cursor = conn.execute(query, tuple(params))  # type: ignore[arg-type]
            return cursor.fetchall() if cursor.description else []

    def due_keys(self) -> set[str]:
        return {
            k
            for (k,) in self.sql(
                "SELECT key FROM notifications_outboxmessage WHERE state = 'pending' AND due_at <= now()"
            )
        }

    def states(self, keys: set[str] | None = None) -> Counter[str]:
        rows = self.sql("SELECT key, state FROM notifications_outboxmessage")
        return Counter(state for key, state in rows if keys is None or key in keys)

    def open_rows(self) -> int:
        return self.sql(OPEN_ROWS_SQL)[0][0]

    def deliver_everything(self, broker: str, *, timeout: float = 60) -> int:
        """Wait until no due row is pending or sending, with a worker running.

        A row whose task died with a killed worker stays 'sending': that task is
        unacked in Redis and comes back only after the visibility timeout (an
        hour), and the sweep re-claims the row once it has been 'sending' longer
        than OUTBOX_CLAIM_TIMEOUT_SECONDS (five minutes, a settings constant).
        Rather than wait that long, this moves such claims into the past, as the
        clock would, once the queue is empty, and runs the sweep again. Moving
        the claim of a row still waiting in a live task's list is harmless: of
        the two tasks that then hold it, the second finds it claimed or sent.
        A row a worker is sending right now (in_flight) is left alone until its
        claim is ten seconds old, far longer than a mail to the local server
        takes: only a dead worker leaves one that old. Returns how many times
        it ran the sweep."""
        deadline = time.monotonic() + timeout
        sweeps = 0
        while self.open_rows():
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.open_rows()} rows still open after {timeout} s: {self.states()}")
            if queue_length(broker) == 0:
                self.sql(
                    "UPDATE notifications_outboxmessage SET claimed_at = now() - interval '1 day'"
                    " WHERE state = 'sending' AND (NOT in_flight OR claimed_at < now() - interval '10 seconds')"
                )
                self.dispatch(broker=broker)
                sweeps += 1
            time.sleep(0.3)
        return sweeps


def queue_length(broker: str) -> int:
    import redis

    with redis.Redis.from_url(broker, socket_connect_timeout=2) as client:
        return client.llen("celery")


@dataclass
class RedisServer:
    url: str
    process: subprocess.Popen


@contextlib.contextmanager
def redis_server(port: int, workdir: Path) -> Iterator[RedisServer]:
    """A redis-server of our own on 127.0.0.1:`port` (never the machine's), without
    persistence; stopped afterwards."""
    import redis

    workdir.mkdir(parents=True, exist_ok=True)
    with (workdir / "redis.log").open("ab") as log:
        server = subprocess.Popen(
            [shutil.which("redis-server") or "redis-server", "--port", str(port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(workdir)],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"redis://127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + 10
        while True:
            with contextlib.suppress(redis.RedisError), redis.Redis.from_url(url) as client:
                if client.ping():
                    break
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"redis-server did not start: {(workdir / 'redis.log').read_text()[-2000:]}"
                )
            time.sleep(0.05)
        yield RedisServer(url, server)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)


def flush(broker: str) -> None:
    import redis

    with redis.Redis.from_url(broker) as client:
        client.flushdb()


def key_counts(messages: Sequence[Received]) -> Counter[str]:
    return Counter(m.key for m in messages if m.key)


# --- Fixtures ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def broker() -> str:
    require_services_pass("the outbox's faults are played on PostgreSQL and Redis")
    return with_database(REDIS_URL, str(BROKER_REDIS_DB))


@pytest.fixture(scope="module")
def stack(broker, mail_sink, tmp_path_factory) -> Iterator[OutboxStack]:
    with OutboxStack.running(
        broker_url=broker,
        email_url=mail_sink.url,
        workdir=tmp_path_factory.mktemp("outbox"),
        advisors=ADVISORS,
        entrepreneurs=ENTREPRENEURS,
    ) as live:
        yield live


@pytest.fixture(autouse=True)
def clean(stack, mail_sink, broker) -> Iterator[None]:
    """Each test starts with an empty broker database, no outbox rows, no mail."""
    flush(broker)
    stack.sql("DELETE FROM notifications_outboxattachment")
    stack.sql("DELETE FROM notifications_outboxmessage")
    mail_sink.clear()
    yield
    flush(broker)


def assert_invite(message: Received, *, uid: str, method: str, sequence: int, status: str) -> None:
    """A multipart/mixed mail with text, HTML and a text/calendar part of `method`
    whose ics (and the attached invite.ics) is this booking's event; a PUBLISH
    (the advisor's copy of a booking or a move, notifications.invites) is the
    attached file alone."""
    parsed = message.parsed()
    assert parsed.get_content_type() == "multipart/mixed"
    parts = {part.get_content_type(): part for part in parsed.walk() if not part.is_multipart()}
    if method == "PUBLISH":
        assert {"text/plain", "text/html", "application/ics"} == set(parts), set(parts)
        files = [parts["application/ics"].get_content()]
    else:
        assert {"text/plain", "text/html", "text/calendar", "application/ics"} <= set(parts), set(parts)
        calendar_part = parts["text/calendar"]
        assert calendar_part.get_param("method") == method
        files = [calendar_part.get_content(), parts["application/ics"].get_content()]
    for ics in files:
        calendar = icalendar.Calendar.from_ical(ics)
        assert str(calendar["METHOD"]) == method
        [event] = calendar.walk("VEVENT")
        assert str(event["UID"]) == f"{uid}@{SITE_DOMAIN}"
        assert int(event["SEQUENCE"]) == sequence
        assert str(event["STATUS"]) == status


def invite_method(message: Received) -> str:
    """The method of a booking's or a move's invite: the entrepreneur is
    invited, the advisor (the organizer) gets the published event."""
    return "PUBLISH" if ":advisor:" in (message.key or "") else "REQUEST"


# --- Cases ------------------------------------------------------------------------------


def test_a_booking_its_move_and_its_cancellation_mail_both_people_one_invite_each(stack, mail_sink, tmp_path):
    with stack.worker(tmp_path / "worker.log"):
        [made] = stack.book([stack.booking(stack.entrepreneurs[0], "invite", at(3, 10))])
        uid = made["uid"]
        people = {stack.entrepreneurs[0], "invite@live.example.se"}

        booked = mail_sink.wait_for(2, timeout=20)
        assert {r for m in booked for r in m.rcpt_tos} == people
        for message in booked:
            assert ":confirmation:" in message.key
            assert_invite(message, uid=uid, method=invite_method(message), sequence=0, status="CONFIRMED")

        stack.op("reschedule", uid=uid, start=at(4, 14).isoformat())
        moved = mail_sink.wait_for(4, timeout=20)[2:]
        assert {r for m in moved for r in m.rcpt_tos} == people
        for message in moved:
            assert ":reschedule:" in message.key
            assert_invite(message, uid=uid, method=invite_method(message), sequence=1, status="CONFIRMED")

        stack.op("cancel", uid=uid)
        cancelled = mail_sink.wait_for(6, timeout=20)[4:]
        assert {r for m in cancelled for r in m.rcpt_tos} == people
        for message in cancelled:
            assert ":cancellation:" in message.key
            assert_invite(message, uid=uid, method="CANCEL", sequence=2, status="CANCELLED")

        stack.deliver_everything(stack.env["CELERY_BROKER_URL"], timeout=20)
    assert mail_sink.count() == 6
    assert set(key_counts(mail_sink.messages).values()) == {1}
    # Four reminders and a feedback request for each time, cancelled by the move
    # and by the cancellation.
    assert stack.states() == Counter({"sent": 6, "cancelled": 10})


def test_a_worker_killed_mid_batch_loses_nothing_and_repeats_at_most_the_mails_in_flight(
    stack, mail_sink, broker, tmp_path
):
    # 100 bookings on five days, 20 half-hours a day: 200 confirmations, each
    # queued after its commit (the worker is not running yet).
    specs = [
        stack.booking(
            stack.entrepreneurs[n % ENTREPRENEURS], "kill", at(3 + n // 20, 8 + (n % 20) // 2, 30 * (n % 2))
        )
        for n in range(100)
    ]
    stack.book(specs)
    expected = stack.due_keys()
    assert len(expected) == 200
    # Drop the sends queued after commit, so each row has one task, the sweep's:
    # a row whose task dies with the worker can then only come back through the
    # sweep's re-claim of rows stuck in 'sending'.
    flush(broker)

    with stack.worker(tmp_path / "worker.log") as first:
        stack.dispatch()
        mail_sink.wait_for(50, timeout=60, poll=0.002)
        first.kill()
    at_kill = mail_sink.count()
    assert at_kill < 200, "the kill came after the batch: nothing was proved"

    with stack.worker(tmp_path / "worker.log"):
        sweeps = stack.deliver_everything(broker, timeout=60)
        time.sleep(0.5)  # a late duplicate would arrive now

    counts = key_counts(mail_sink.messages)
    summary = (
        f"{at_kill} mails before the kill, {sum(counts.values())} in all, {sweeps} sweeps after,"
        f" states {stack.states()}"
    )
    print(summary)
    assert set(counts) == expected, summary
    repeated = {key: n for key, n in counts.items() if n > 1}
    # Concurrency 2: at most the two mails in flight at the kill (accepted by the
    # SMTP server, not yet recorded as sent) go out again, each once more.
    assert len(repeated) <= 2, f"{repeated}; {summary}"
    assert set(repeated.values()) <= {2}, summary
    assert stack.states(expected) == Counter({"sent": 200}), summary


def test_bookings_made_while_redis_is_down_are_mailed_once_it_is_back(stack, mail_sink, tmp_path):
    require("redis-server", shutil.which("redis-server") is not None, "redis-server is not installed")
    port = free_port()
    workdir = tmp_path / "redis"
    with redis_server(port, workdir) as server:
        down_broker = server.url  # it ran; now it is stopped

    made = stack.book(
        [stack.booking(stack.entrepreneurs[n], "down", at(3, 9 + n)) for n in range(3)], broker=down_broker
    )
    assert len(made) == 3  # every booking succeeded with the broker away
    expected = stack.due_keys()
    assert len(expected) == 6
    assert stack.states(expected) == Counter({"pending": 6})

    with redis_server(port, workdir) as server, stack.worker(tmp_path / "worker.log", broker=server.url):
        broker = server.url
        stack.dispatch(broker=broker)
        stack.deliver_everything(broker, timeout=30)
        time.sleep(0.5)

    assert key_counts(mail_sink.messages) == Counter(dict.fromkeys(expected, 1))
    assert stack.states(expected) == Counter({"sent": 6})


def test_two_sweeps_at_once_hand_out_each_message_once(stack, mail_sink, broker, tmp_path):
    made = stack.book([stack.booking(stack.entrepreneurs[n], "race", at(3, 9 + n)) for n in range(2)])
    stack.op("due_reminders", uids=[m["uid"] for m in made], count=296, prefix="race")
    expected_ids = {
        pk
        for (pk,) in stack.sql(
            "SELECT id FROM notifications_outboxmessage WHERE state = 'pending' AND due_at <= now()"
        )
    }
    expected = stack.due_keys()
    assert len(expected) == len(expected_ids) == 300

    # The sweeps race each other alone: the worker starts after them (else it
    # would send the confirmations from their own tasks first).
    go = tmp_path / "go"
    sweeps = [stack.start_op("claim_race", go=str(go), batch=10) for _ in range(2)]
    deadline = time.monotonic() + 30
    while len(list(tmp_path.glob("go.ready.*"))) < 2:
        assert time.monotonic() < deadline, [p.poll() for p in sweeps]
        time.sleep(0.02)
    go.touch()  # both are ready: off they go together
    claimed = []
    for sweep in sweeps:
        out, err = sweep.communicate(timeout=60)
        assert sweep.returncode == 0, err[-3000:]
        claimed.append(json.loads(out.splitlines()[-1]))

    first, second = (set(ids) for ids in claimed)
    print(f"the sweeps claimed {len(first)} and {len(second)} rows")
    assert len(claimed[0]) == len(first) and len(claimed[1]) == len(second)
    assert not first & second, "a row was handed out by both sweeps"
    assert first | second == expected_ids
    assert first and second, "one sweep got everything: no race happened"

    with stack.worker(tmp_path / "worker.log"):
        stack.deliver_everything(broker, timeout=60)
        time.sleep(0.5)  # a late duplicate would arrive now

    assert key_counts(mail_sink.messages) == Counter(dict.fromkeys(expected, 1))
    assert stack.states(expected) == Counter({"sent": 300})


def test_a_send_queued_in_a_transaction_that_rolls_back_sends_nothing(stack, mail_sink, broker, tmp_path):
    with stack.worker(tmp_path / "worker.log"):
        uid = stack.op(
            "book_and_roll_back", booking=stack.booking(stack.entrepreneurs[0], "rollback", at(3, 10))
        )

        assert stack.sql("SELECT count(*) FROM bookings_booking WHERE uid = %s", [uid]) == [(0,)]
        assert stack.sql("SELECT count(*) FROM notifications_outboxmessage") == [(0,)]
        assert queue_length(broker) == 0  # the on_commit send was dropped, never queued
        with pytest.raises(AssertionError):
            mail_sink.wait_for(1, timeout=3)

        # The same booking committed does mail, through the same worker: the
        # silence above was the rollback, not a dead worker.
        stack.book([stack.booking(stack.entrepreneurs[0], "rollback", at(3, 10))])
        assert len(mail_sink.wait_for(2, timeout=20)) == 2


def test_a_booking_does_not_hang_on_a_broker_that_accepts_connections_but_never_answers(stack, tmp_path):
    require("redis-server", shutil.which("redis-server") is not None, "redis-server is not installed")
    with redis_server(free_port(), tmp_path / "redis") as server:
        # A hung Redis (stopped, swapping, or a partition after connect): the
        # kernel still completes the TCP handshake, and nothing ever answers.
        os.kill(server.process.pid, signal.SIGSTOP)
        try:
            spec = stack.booking(stack.entrepreneurs[1], "down", at(5, 9))
            try:
                [made] = stack.book([spec], broker=server.url, timeout=30)
            except subprocess.TimeoutExpired:
                pytest.fail("booking_create was still waiting on the broker after 30 s")
        finally:
            os.kill(server.process.pid, signal.SIGCONT)
    # Each of the two sends queued after commit gives up after the broker's socket_timeout.
    print(f"the booking took {made['seconds']:.1f} s")
    rows = stack.sql(
        "SELECT m.state FROM notifications_outboxmessage m JOIN bookings_booking b ON b.id = m.booking_id"
        " WHERE b.uid = %s AND m.kind = 'confirmation'",
        [made["uid"]],
    )
    assert rows == [("pending",), ("pending",)]  # the sweep sends them once the broker answers


def test_an_invitation_and_a_monthly_report_wait_out_a_mail_server_that_is_down_and_go_once(
    stack, mail_sink, broker, tmp_path
):
    """The two mails that once left without the outbox: each is a row written
    by its own service, retried while nothing answers on the SMTP port, and
    delivered once when a server does."""
    dead_smtp = f"smtp://127.0.0.1:{free_port()}"  # nothing listens there
    with stack.worker(tmp_path / "worker-down.log", email_url=dead_smtp):
        invitee = stack.op("invite", coordinator="samordnare@live.example.se", email="lisa@live.example.se")
        assert stack.op("monthly_reports") == 1  # the one coordinator, of Dalarna
        deadline = time.monotonic() + 30
        while True:
            rows = stack.sql("SELECT key, state, attempts, last_error FROM notifications_outboxmessage")
            if len(rows) == 2 and all(attempts == 1 for _k, _s, attempts, _e in rows):
                break
            assert time.monotonic() < deadline, rows
            time.sleep(0.2)
    assert {(state, "Connection refused" in error) for _k, state, _a, error in rows} == {("pending", True)}
    assert mail_sink.count() == 0
    keys = {key for key, *_ in rows}
    assert {key.split(":")[0] for key in keys} == {"advisor_invitation", "statistics_monthly"}

    # The backoff passes (as the clock would), and a mail server answers now.
    stack.sql("UPDATE notifications_outboxmessage SET due_at = now() - interval '1 second'")
    with stack.worker(tmp_path / "worker.log"):
        stack.dispatch()
        stack.deliver_everything(broker, timeout=30)
        time.sleep(0.5)  # a late duplicate would arrive now

    assert key_counts(mail_sink.messages) == Counter(dict.fromkeys(keys, 1))
    assert stack.sql("SELECT state, attempts FROM notifications_outboxmessage") == [("sent", 2)] * 2
    by_kind = {m.key.split(":")[0]: m for m in mail_sink.messages}
    invitation = by_kind["advisor_invitation"]
    assert invitation.rcpt_tos == ("lisa@live.example.se",)
    body = invitation.parsed().get_body(("plain",)).get_content()
    link = re.search(rf"{re.escape(SITE_URL)}/accounts/password/reset/key/([0-9a-z]+)-(\S+)/", body)
    assert link, body
    assert stack.op("password_link_works", user=invitee, key=link.group(2)) is True  # made when it was sent
    report = by_kind["statistics_monthly"]
    assert report.rcpt_tos == ("samordnare@live.example.se",)
    [attachment] = list(report.parsed().iter_attachments())
    assert (
        attachment.get_content_type() == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert attachment.get_filename().startswith("radtid-statistik-20-")
    assert attachment.get_content()[:2] == b"PK"  # an XLSX is a zip file

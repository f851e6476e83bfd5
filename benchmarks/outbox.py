"""Outbox delivery under load, with the real parts (the production shape):
10,000 reminders due at once, swept by dispatch_due_messages and delivered by
one Celery worker to a local SMTP server (aiosmtpd). Prints messages per
second, lost (keys that never arrived) and duplicated (keys that arrived more
than once), and the CPU each message cost, to tell what limits the rate.

One sweep wakes the worker (notifications.tasks.dispatch_due_messages); its
send_due tasks then claim and send batch after batch until nothing is due.

It makes and drops its own PostgreSQL database and uses Redis database 11 as
the broker (flushed before and after); without PostgreSQL or Redis it prints a
note and passes. OUTBOX_BENCH_POOL and OUTBOX_BENCH_CONCURRENCY try another
worker pool (prefork × 4 by default, as docker-compose.yml runs the worker:
sending mail waits on the network, so two processes a core keep it busy)."""

from __future__ import annotations

import os
import resource
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from .harness import Figure, report

MESSAGES = 10_000
BOOKINGS = 50  # 200 reminders each
POOL = os.environ.get("OUTBOX_BENCH_POOL", "prefork")
CONCURRENCY = int(os.environ.get("OUTBOX_BENCH_CONCURRENCY", "4"))
BROKER_REDIS_DB = 11
TIMEOUT = 900  # seconds: a slow run still reports its figures
ZONE = ZoneInfo("Europe/Stockholm")


def _at(days_ahead: int, hour: int, minute: int) -> datetime:
    day = datetime.now(ZONE).date() + timedelta(days=days_ahead)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZONE)


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _worker_sessions(stack) -> int:
    """PostgreSQL sessions open on the stack's database, besides the asking one."""
    return stack.sql(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )[0][0]


def bench_delivery(stack, sink, broker: str, workdir: Path) -> list[Figure]:
    from tests.integration.test_outbox_faults import flush

    # Bookings through the real service, then the reminders written straight to
    # the outbox, due now. The bookings' own confirmations are set aside, so
    # that exactly the reminders are measured.
    specs = [
        stack.booking(
            stack.entrepreneurs[n % len(stack.entrepreneurs)],
            "bench",
            _at(3 + n // 20, 8 + (n % 20) // 2, 30 * (n % 2)),
        )
        for n in range(BOOKINGS)
    ]
    made = stack.book(specs)
    stack.sql("UPDATE notifications_outboxmessage SET state = 'cancelled'")
    stack.op("due_reminders", uids=[m["uid"] for m in made], count=MESSAGES, prefix="bench")
    expected = stack.due_keys()
    assert len(expected) == MESSAGES
    flush(broker)
    sink.clear()

    log = workdir / "worker.log"
    with stack.worker(log, concurrency=CONCURRENCY, pool=POOL):
        # The worker's pool processes and the sweep are our children: their CPU
        # is counted once they have exited, after this block. This process runs
        # the SMTP server (and a cheap poll of the database).
        children_before, self_before = _cpu(resource.RUSAGE_CHILDREN), _cpu(resource.RUSAGE_SELF)
        started = time.monotonic()
        sweep = stack.start_op("dispatch")
        deadline = started + TIMEOUT
        while stack.open_rows() and time.monotonic() < deadline:
            time.sleep(0.2)
        sweep.communicate(timeout=60)
        time.sleep(1)  # a late duplicate would arrive now
        timed_out = time.monotonic() > deadline
        # Django keeps a connection for CONN_MAX_AGE; none left while the worker
        # is still up means each task opened one of its own.
        sessions = _worker_sessions(stack)
    worker_cpu = _cpu(resource.RUSAGE_CHILDREN) - children_before
    smtp_cpu = _cpu(resource.RUSAGE_SELF) - self_before

    counts = sink.keys()
    last = max((m.at for m in sink.messages), default=started)
    delivered = len(set(counts) & expected)
    lost = len(expected - set(counts))
    duplicated = sum(1 for n in counts.values() if n > 1)
    seconds = max(last - started, 1e-9)
    rate = delivered / seconds
    if timed_out:
        print(f"  gave up after {TIMEOUT} s with {stack.open_rows()} rows open: {stack.states()}")
    print(f"  ({delivered} mails in {seconds:.1f} s on {os.cpu_count()} CPUs; worker log {log})")
    per_message = 1000 / max(delivered, 1)
    figures = [
        Figure(
            f"{MESSAGES} due reminders, one worker ({POOL} × {CONCURRENCY}): delivered",
            delivered,
            "",
            f"{MESSAGES}",
            delivered == MESSAGES,
        ),
        Figure("  throughput (first sweep to last mail)", rate, "msg/s", ">= 100/s", rate >= 100),
        Figure("  lost (never arrived)", lost, "", "0", lost == 0),
        Figure("  duplicated (arrived more than once)", duplicated, "", "0", duplicated == 0),
        Figure(
            "  CPU a message: worker and sweep processes", worker_cpu * per_message, "ms", "(printed)", True
        ),
        Figure(
            "  CPU a message: the SMTP server (this process)", smtp_cpu * per_message, "ms", "(printed)", True
        ),
    ]
    if not sessions:
        print("  (the worker held no database session at the end: every task connected anew)")
    return figures


def run() -> bool:
    from tests.integration.conftest import with_database
    from tests.integration.smtp import MailSink
    from tests.integration.test_outbox_faults import OutboxStack, flush
    from tests.services import POSTGRES_URL, REDIS_URL, reachable

    title = f"Outbox delivery: PostgreSQL, Redis broker, one Celery worker, local SMTP ({MESSAGES} reminders)"
    missing = [
        name for name, url in (("PostgreSQL", POSTGRES_URL), ("Redis", REDIS_URL)) if not reachable(url)
    ]
    if missing:
        print(f"\n{title}\n  skipped: {' and '.join(missing)} not reachable ({POSTGRES_URL}, {REDIS_URL})")
        return True
    broker = with_database(REDIS_URL, str(BROKER_REDIS_DB))
    flush(broker)
    try:
        with (
            tempfile.TemporaryDirectory(prefix="radtid-bench-outbox-") as workdir,
            MailSink() as sink,
            OutboxStack.running(
                broker_url=broker,
                email_url=sink.url,
                workdir=Path(workdir),
                advisors=("bench",),
                entrepreneurs=10,
            ) as stack,
        ):
            figures = bench_delivery(stack, sink, broker, Path(workdir))
    finally:
        flush(broker)
    return report(title, figures)

"""What must hold after the load: the figures, and the invariants read from the
stack's database, its broker and the SMTP server's inbox."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

from tests.integration.conftest import OVERLAPS_SQL
from tests.integration.smtp import MailSink

from .stack import Stack

# Due rows not yet delivered: once drained there are none.
OPEN_DUE_SQL = "SELECT count(*) FROM notifications_outboxmessage WHERE state IN ('pending', 'sending') AND due_at <= now()"
SENT_KEYS_SQL = "SELECT key FROM notifications_outboxmessage WHERE state = 'sent'"
STATES_SQL = "SELECT state, count(*) FROM notifications_outboxmessage GROUP BY state ORDER BY state"
# A row left pending by a lost immediate send waits for beat's next sweep (60 s).
DRAIN_TIMEOUT = 180


def queue_length(broker_url: str) -> int:
    import redis

    with redis.Redis.from_url(broker_url, socket_connect_timeout=2) as client:
        return int(client.llen("celery"))


def wait_until_drained(stack: Stack, timeout: float = DRAIN_TIMEOUT) -> float:
    """Seconds until no due row is open and the broker's queue is empty (or
    the timeout: the checks then say what was left)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if stack.sql(OPEN_DUE_SQL)[0][0] == 0 and queue_length(stack.broker_url) == 0:
            time.sleep(2)  # a late duplicate would arrive now
            if stack.sql(OPEN_DUE_SQL)[0][0] == 0 and queue_length(stack.broker_url) == 0:
                break
        time.sleep(1)
    return time.monotonic() - started


def _row(ok: bool, name: str, value: str) -> bool:
    print(f"  {'ok  ' if ok else 'FAIL'} {name:<58} {value}")
    return ok


def report(stack: Stack, sink: MailSink, tally_path: Path) -> bool:
    tally = json.loads(tally_path.read_text())
    rows: dict[str, dict] = tally["rows"]
    statuses: Counter[int] = Counter()
    for row in rows.values():
        statuses.update({int(k): v for k, v in row["statuses"].items()})

    print("\nRequests (milliseconds)")
    print(f"  {'request':<58} {'count':>7} {'p50':>6} {'p95':>6} {'p99':>6}  statuses")
    for name, row in sorted(rows.items()):
        codes = " ".join(f"{k}×{v}" for k, v in row["statuses"].items())
        print(
            f"  {name:<58} {row['requests']:>7} {row['p50']:>6.0f} {row['p95']:>6.0f} {row['p99']:>6.0f}  {codes}"
        )
    total = tally["requests"]
    print(f"  {'all':<58} {total:>7} {tally['p50']:>6.0f} {tally['p95']:>6.0f} {tally['p99']:>6.0f}")

    server_errors = sum(v for k, v in statuses.items() if k >= 500)
    no_answer = statuses.get(0, 0)
    lost_races = statuses.get(409, 0)
    unexpected = sum(v for k, v in statuses.items() if 400 <= k < 500 and k != 409)
    throughput = total / tally["seconds"] if tally["seconds"] else 0.0

    print("\nChecks")
    hosts = tally.get("hosts", {})
    _row(True, "requests by web instance", ", ".join(f"{h or '?'}: {n}" for h, n in sorted(hosts.items())))
    ok = _row(total > 0, "throughput", f"{throughput:.1f} requests/s ({total} in {tally['seconds']:.0f} s)")
    ok &= _row(
        server_errors == 0, "5xx answers (target 0)", f"{server_errors} ({server_errors / max(total, 1):.3%})"
    )
    ok &= _row(no_answer == 0, "requests without an answer (target 0)", str(no_answer))
    ok &= _row(unexpected == 0, "other 4xx answers (target 0)", str(unexpected))
    _row(True, "409 lost races (expected, counted apart)", str(lost_races))
    error_rate = (server_errors + no_answer + unexpected) / max(total, 1)
    _row(True, "error rate (5xx, no answer, other 4xx)", f"{error_rate:.3%}")

    overlaps = stack.sql(OVERLAPS_SQL)
    bookings = dict(stack.sql("SELECT status, count(*) FROM bookings_booking GROUP BY status"))
    ok &= _row(
        not overlaps,
        "overlapping bookings of one advisor (target 0)",
        f"{len(overlaps)}  (bookings: {bookings})",
    )

    waited = wait_until_drained(stack)
    left = queue_length(stack.broker_url)
    ok &= _row(left == 0, "Celery queue drained (Redis list length)", f"{left} after {waited:.0f} s")
    open_due = stack.sql(OPEN_DUE_SQL)[0][0]
    ok &= _row(open_due == 0, "due outbox rows still open (target 0)", str(open_due))

    sent = Counter(key for (key,) in stack.sql(SENT_KEYS_SQL))
    received = sink.keys()
    states = dict(stack.sql(STATES_SQL))
    never = set(sent) - set(received)
    twice = {k: n for k, n in received.items() if n > 1}
    unknown = set(received) - set(sent)
    ok &= _row(bool(sent), "outbox rows sent", f"{sum(sent.values())}  (rows by state: {states})")
    ok &= _row(not never, "sent rows never received by SMTP (target 0)", str(len(never)))
    ok &= _row(not twice, "messages received more than once (target 0)", str(len(twice)))
    ok &= _row(not unknown, "messages received without a sent row (target 0)", str(len(unknown)))
    ok &= _row(states.get("failed", 0) == 0, "failed outbox rows (target 0)", str(states.get("failed", 0)))

    correlated = _worker_request_ids(stack.workdir)
    _row(True, "worker log lines carrying a web request id", str(correlated))
    return ok


def _worker_request_ids(workdir: Path) -> int:
    """Lines of the workers' JSON logs whose request_id is one the load users
    sent with their requests ("load-…"): the id went from request to task."""
    count = 0
    for log in workdir.glob("worker*.log"):
        for line in log.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                try:
                    if str(json.loads(line).get("request_id", "")).startswith("load-"):
                        count += 1
                except ValueError:
                    continue
    return count

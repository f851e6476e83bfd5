"""Booking under load, through a real gunicorn on PostgreSQL (the production
shape): throughput and latency of many clients booking free times, and the
all-want-one-slot contention case, which must end in one booking and no error.

It makes and drops its own database and server (tests/integration/conftest.py's
LiveStack); without PostgreSQL it prints a note and passes."""

from __future__ import annotations

import os
import statistics
import tempfile
import time as clock
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from .harness import Figure, report

ZONE = ZoneInfo("Europe/Stockholm")
CLIENTS = 16
ADVISORS = 10
DAYS = 3  # × 10 one-hour sessions a day (08–18, no buffers) × 10 advisors = 300 bookings
# (and one more day for the lone client)
CONTENDERS = 50
# Past bookings in the database while it is measured (issue 17: a million),
# spread over the measured advisors, an hour apart, ending before today.
HISTORY = int(os.environ.get("BOOKING_BENCH_HISTORY", "1000000"))

# One INSERT … SELECT: a million rows in well under a minute, where the ORM
# would take many. Completed sessions, each enterprise about five times, so
# the first-time check and the slots query meet a real history.
HISTORY_SQL = """
INSERT INTO bookings_booking (
    uid, advisor_id, start, "end", duration, blocked_start, blocked_end, topic_id, mode, location,
    meeting_url, phone, message, status, sequence, created, updated, cancel_reason, private_notes,
    outcome_note, stat_region, stat_municipality, stat_enterprise_kind, stat_gender, stat_first_time,
    stat_waiting_days, stat_enterprise_key, stat_person_key, stat_advisor_organisation, stat_women_led,
    stat_version
)
SELECT gen_random_uuid(), a.id, t.start, t.start + interval '1 hour', 60, t.start, t.start + interval '1 hour',
    %s, 'video', '', '', '', '', 'completed', 0, t.start - interval '7 days', t.start, '', '', '',
    a.region_id, '2080', 'work_integrating', 'not_stated', false, 7,
    'history-e-' || (n %% %s), 'history-p-' || (n %% %s), a.organisation, false, 1
FROM generate_series(0, %s - 1) AS n
JOIN (SELECT id, region_id, organisation, row_number() OVER (ORDER BY id) - 1 AS k
      FROM advisors_advisor WHERE id = ANY(%s)) AS a ON a.k = n %% %s
CROSS JOIN LATERAL (
    SELECT date_trunc('hour', now()) - interval '2 days' - (n / %s) * interval '1 hour' AS start
) AS t
"""


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _at(days_ahead: int, hour: int) -> datetime:
    day = datetime.now(ZONE).date() + timedelta(days=days_ahead)
    return datetime.combine(day, time(hour), tzinfo=ZONE)


def _booking(stack, person: str, advisor: str, start: datetime):
    from tests.integration.conftest import Call

    body = {
        "advisor": stack.advisors[advisor],
        "start": start.isoformat(),
        "duration": 60,
        "topic": stack.topic,
        "mode": "video",
    }
    return Call("POST", "/api/v1/bookings/", body, person)


HISTORY_PARAMS = ("topic", "enterprises", "enterprises", "count", "advisors", "per", "per")


def seed_history(stack) -> Figure:
    """HISTORY past bookings for the measured advisors, then ANALYZE."""
    started = clock.monotonic()
    advisors = [stack.advisors[f"advisor{a}"] for a in range(ADVISORS)]
    topic = stack.sql("SELECT id FROM advisors_topic WHERE slug = %s", [stack.topic])[0][0]
    values = {
        "topic": topic,
        "count": HISTORY,
        "enterprises": max(HISTORY // 5, 1),
        "advisors": advisors,
        "per": len(advisors),
    }
    stack.sql(HISTORY_SQL, [values[name] for name in HISTORY_PARAMS])
    stack.sql("ANALYZE bookings_booking")
    rows = stack.sql("SELECT count(*) FROM bookings_booking")[0][0]
    print(
        f"  ({rows:,} bookings in the database, the history written in {clock.monotonic() - started:.0f} s)"
    )
    return Figure("bookings in the database while measured", rows, "rows", f">= {HISTORY:,}", rows >= HISTORY)


def bench_throughput(stack) -> list[Figure]:
    from tests.integration.conftest import race, tally

    free_times = [
        (f"advisor{a}", _at(7 + d, hour))
        for d in range(DAYS)
        for hour in range(8, 18)
        for a in range(ADVISORS)
    ]
    people = stack.entrepreneurs
    calls = [_booking(stack, people[n % len(people)], a, start) for n, (a, start) in enumerate(free_times)]
    # One client alone first (a day of its own): the time a booking takes unloaded.
    alone = [
        race(stack, [_booking(stack, people[0], "advisor0", _at(7 + DAYS, hour))])[0] for hour in range(8, 18)
    ]
    outcomes = race(stack, calls, clients=CLIENTS)

    counts = tally(outcomes)
    made = counts.get(201, 0)
    errors = len(outcomes) - made
    wall = max(o.finished for o in outcomes) - min(o.started for o in outcomes)
    latencies = [o.seconds * 1000 for o in outcomes]
    p95 = _percentile(latencies, 0.95)
    if errors or any(o.status != 201 for o in alone):
        print(f"  unexpected answers: {counts}, alone: {tally(alone)}")
    return [
        Figure(
            "one client alone: booking latency p50",
            statistics.median(o.seconds * 1000 for o in alone),
            "ms",
            "(printed)",
            True,
        ),
        Figure(
            f"{len(calls)} free times, {CLIENTS} clients at once: booked (201)",
            made,
            "",
            f"{len(calls)}",
            made == len(calls),
        ),
        Figure("  errors (anything but 201)", errors, "", "0", errors == 0),
        Figure("  throughput", made / wall, "/s", ">= 20/s", made / wall >= 20),
        Figure("  latency p50", statistics.median(latencies), "ms", "(printed)", True),
        Figure("  latency p95", p95, "ms", "<= 1000 ms", p95 <= 1000),
    ]


def bench_contention(stack) -> list[Figure]:
    from tests.integration.conftest import race, tally

    start = _at(7, 10)
    calls = [_booking(stack, person, "contended", start) for person in stack.entrepreneurs[:CONTENDERS]]
    outcomes = race(stack, calls)

    counts = tally(outcomes)
    successes, conflicts = counts.get(201, 0), counts.get(409, 0)
    errors = len(outcomes) - successes - conflicts
    rows = len(stack.bookings(stack.advisors["contended"]))
    if errors:
        print(f"  unexpected answers: {counts}")
    latencies = [o.seconds * 1000 for o in outcomes]
    return [
        Figure(f"{CONTENDERS} clients, one slot: successes (201)", successes, "", "1", successes == 1),
        Figure("  conflicts (409)", conflicts, "", f"{CONTENDERS - 1}", conflicts == CONTENDERS - 1),
        Figure("  errors (5xx, anything else)", errors, "", "0", errors == 0),
        Figure("  bookings in the database", rows, "rows", "1", rows == 1),
        Figure("  latency p95", _percentile(latencies, 0.95), "ms", "(printed)", True),
    ]


def run() -> bool:
    from tests.integration.conftest import LiveStack
    from tests.services import POSTGRES_URL, reachable

    title = f"Booking through gunicorn on PostgreSQL ({CLIENTS} clients; 4 workers × 5 threads)"
    if not reachable(POSTGRES_URL):
        print(f"\n{title}\n  skipped: PostgreSQL does not answer at {POSTGRES_URL}")
        return True
    advisors = {f"advisor{a}": {"buffer_after": 0, "session_lengths": [60]} for a in range(ADVISORS)}
    advisors["contended"] = {"buffer_after": 15, "session_lengths": [60]}
    with (
        tempfile.TemporaryDirectory(prefix="radtid-bench-") as workdir,
        LiveStack.running(
            "postgresql",
            workdir=Path(workdir),
            entrepreneurs=CONTENDERS,
            advisors=advisors,
            env={"BOOKING_MAX_UPCOMING": "100"},  # 50 people make 300 bookings: 6 each
        ) as stack,
    ):
        figures = [seed_history(stack), *bench_throughput(stack), *bench_contention(stack)]
    return report(title, figures)

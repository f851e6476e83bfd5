"""Invariant 1 under real concurrency (DESIGN.md): no double booking, whatever
the concurrency. Many clients hit POST /api/v1/bookings/ of a real gunicorn at
once (several processes and threads, each request on its own database
connection), on a SQLite file (IMMEDIATE transactions) and on PostgreSQL
(advisor row lock, and the exclusion constraint behind it). A lost race is a
409 with a detail, never a 500, and the database, read directly, never holds
two overlapping active bookings of one advisor.

The stack (tests/integration/conftest.py) is made once per database for this
module; each test books its own advisor, so the tests do not depend on each
other's bookings."""

from __future__ import annotations

import itertools
import random
import uuid
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.integration.conftest import Call, LiveStack, Outcome, race, tally

pytestmark = [pytest.mark.integration, pytest.mark.services]

ZONE = ZoneInfo("Europe/Stockholm")
BOOKINGS = "/api/v1/bookings/"

# Everyone books Mon–Sun 08–18, 15-minute grid, no notice, no daily cap (the
# seed); the advisor's buffers and lengths are what each race needs.
ADVISORS = {
    "one_slot": {"buffer_after": 15, "session_lengths": [60]},
    "overlap": {"buffer_after": 15, "session_lengths": [30, 60, 90]},
    "adjacent": {"buffer_after": 0, "session_lengths": [60]},
    "random_a": {"buffer_after": 15, "session_lengths": [30, 60, 90]},
    "random_b": {"buffer_before": 10, "buffer_after": 10, "session_lengths": [30, 60]},
    "random_c": {"buffer_after": 0, "session_lengths": [45, 60, 90]},
    "reschedule": {"buffer_after": 15, "session_lengths": [60]},
    "constraint": {"buffer_after": 15, "session_lengths": [60]},
    "constraint_other": {"buffer_after": 15, "session_lengths": [60]},
}


@pytest.fixture(scope="module")
def stack(database_vendor, tmp_path_factory):
    with LiveStack.running(
        database_vendor,
        workdir=tmp_path_factory.mktemp(f"races-{database_vendor}"),
        entrepreneurs=20,
        advisors=ADVISORS,
        # The fair-access cap (3 upcoming a person) is not what these races test.
        env={"BOOKING_MAX_UPCOMING": "1000"},
    ) as live:
        yield live


def at(days_ahead: int, hour: int, minute: int = 0) -> datetime:
    """A local Stockholm time `days_ahead` days from today: always in the future,
    inside the seeded hours and horizon."""
    day = datetime.now(ZONE).date() + timedelta(days=days_ahead)
    return datetime.combine(day, time(hour, minute), tzinfo=ZONE)


def book(stack: LiveStack, person: str, advisor: str, start: datetime, duration: int) -> Call:
    body = {
        "advisor": stack.advisors[advisor],
        "start": start.isoformat(),
        "duration": duration,
        "topic": stack.topic,
        "mode": "video",
    }
    return Call("POST", BOOKINGS, body, person)


def describe(stack: LiveStack, outcomes: list[Outcome], **extra) -> str:
    """The summary printed when an assertion fails: counts, the odd answers, and
    the server's log when it answered 5xx or not at all."""
    lines = [f"statuses {tally(outcomes)}", *(f"{k}: {v}" for k, v in extra.items())]
    odd = [o for o in outcomes if o.status not in (200, 201, 409)]
    lines += [f"  {o.status}: {str(o.body)[:200]}" for o in odd[:5]]
    if any(o.status == 0 or o.status >= 500 for o in outcomes):
        lines += ["server log:", stack.log_tail(30)]
    return "\n".join(lines)


def assert_conflicts_explained(outcomes: list[Outcome]) -> None:
    for outcome in outcomes:
        if outcome.status == 409:
            assert isinstance(outcome.body, dict), outcome.body
            assert isinstance(outcome.body.get("detail"), str), outcome.body
            assert outcome.body["detail"], outcome.body


def test_twenty_clients_for_one_slot_make_one_booking_and_nineteen_conflicts(stack):
    start = at(7, 10)
    calls = [book(stack, person, "one_slot", start, 60) for person in stack.entrepreneurs[:20]]

    outcomes = race(stack, calls)

    rows = stack.bookings(stack.advisors["one_slot"])
    summary = describe(stack, outcomes, rows=len(rows))
    assert tally(outcomes) == {201: 1, 409: 19}, summary
    assert_conflicts_explained(outcomes)
    [won] = [(call, o) for call, o in zip(calls, outcomes, strict=True) if o.status == 201]
    assert len(rows) == 1, summary
    assert rows[0]["uid"] == uuid.UUID(won[1].body["uid"])
    assert rows[0]["person"] == won[0].person
    assert rows[0]["start"] == start
    assert rows[0]["blocked_end"] == start + timedelta(minutes=60 + 15)


def test_partially_overlapping_sessions_racing_leave_one_winner(stack):
    # Every one of these, widened by the 15-minute buffer after, covers 11:00
    # local, so each pair overlaps and exactly one may stand; no two are equal.
    wanted = [
        ((9, 30), 90),  # ends 11:00: overlaps the 11:00 starts through its buffer only
        ((9, 45), 90),
        ((10, 0), 90),
        ((10, 15), 60),
        ((10, 15), 90),
        ((10, 30), 30),
        ((10, 30), 60),
        ((10, 45), 30),
        ((10, 45), 60),
        ((11, 0), 30),
        ((11, 0), 60),
        ((11, 0), 90),
    ]
    calls = [
        book(stack, person, "overlap", at(7, h, m), duration)
        for person, ((h, m), duration) in zip(stack.entrepreneurs, wanted, strict=False)
    ]

    outcomes = race(stack, calls)

    rows = stack.bookings(stack.advisors["overlap"])
    summary = describe(stack, outcomes, rows=len(rows))
    assert tally(outcomes) == {201: 1, 409: len(wanted) - 1}, summary
    assert_conflicts_explained(outcomes)
    assert len(rows) == 1, summary
    [won] = [o for o in outcomes if o.status == 201]
    assert rows[0]["uid"] == uuid.UUID(won.body["uid"])
    assert stack.overlaps() == []


def test_back_to_back_sessions_booked_at_once_all_succeed(stack):
    # No buffers: 08–09, 09–10, … 17–18 touch but do not overlap.
    starts = [at(7, hour) for hour in range(8, 18)]
    calls = [
        book(stack, person, "adjacent", start, 60)
        for person, start in zip(stack.entrepreneurs[: len(starts)], starts, strict=True)
    ]

    outcomes = race(stack, calls)

    rows = stack.bookings(stack.advisors["adjacent"])
    summary = describe(stack, outcomes, rows=len(rows))
    assert tally(outcomes) == {201: len(starts)}, summary
    assert [b["start"] for b in rows] == starts
    assert all(a["blocked_end"] == b["blocked_start"] for a, b in itertools.pairwise(rows))
    assert stack.overlaps() == []


def test_five_hundred_random_concurrent_bookings_never_overlap(stack):
    seed = random.randrange(10**6)
    rng = random.Random(seed)
    advisors = ["random_a", "random_b", "random_c"]
    calls = []
    for n in range(500):
        advisor = rng.choice(advisors)
        duration = rng.choice(ADVISORS[advisor]["session_lengths"])
        # A start on the grid whose session ends by 18:00, on one of two days:
        # crowded enough that most requests collide with another.
        minute = rng.randrange(8 * 60, 18 * 60 - duration + 1, 15)
        start = at(rng.choice([8, 9]), minute // 60, minute % 60)
        calls.append(book(stack, stack.entrepreneurs[n % len(stack.entrepreneurs)], advisor, start, duration))

    outcomes = race(stack, calls, clients=24)

    rows = [b for key in advisors for b in stack.bookings(stack.advisors[key])]
    overlaps = stack.overlaps()
    made = {uuid.UUID(o.body["uid"]) for o in outcomes if o.status == 201}
    counts = tally(outcomes)
    summary = describe(stack, outcomes, seed=seed, rows=len(rows), overlaps=overlaps[:5])
    assert set(counts) <= {201, 409}, summary
    assert overlaps == [], summary
    assert made == {b["uid"] for b in rows}, summary
    assert counts.get(201, 0) == len(rows) == len(made), summary
    # The race was real: many won, and many more lost to a booking made meanwhile.
    assert counts.get(201, 0) >= 30, summary
    assert counts.get(409, 0) >= 200, summary
    assert_conflicts_explained(outcomes)


def test_a_reschedule_racing_a_new_booking_for_the_same_time_leaves_one_holder(stack):
    rounds = 8
    movers = stack.entrepreneurs[:rounds]
    bookers = stack.entrepreneurs[rounds : 2 * rounds]
    # Round r, on its own day: the mover's booking X at 09:00 moves to 14:00
    # while someone else books 14:00.
    original = [at(10 + r, 9) for r in range(rounds)]
    target = [at(10 + r, 14) for r in range(rounds)]
    made = race(stack, [book(stack, p, "reschedule", s, 60) for p, s in zip(movers, original, strict=True)])
    assert tally(made) == {201: rounds}, describe(stack, made)
    uids = [o.body["uid"] for o in made]

    calls = []
    for uid, mover, booker, start in zip(uids, movers, bookers, target, strict=True):
        calls.append(Call("POST", f"{BOOKINGS}{uid}/reschedule/", {"start": start.isoformat()}, mover))
        calls.append(book(stack, booker, "reschedule", start, 60))

    outcomes = race(stack, calls)

    rows = stack.bookings(stack.advisors["reschedule"])
    summary = describe(stack, outcomes, rows=len(rows))
    assert set(tally(outcomes)) <= {200, 201, 409}, summary
    assert_conflicts_explained(outcomes)
    assert stack.overlaps() == [], summary
    by_uid = {b["uid"]: b for b in rows}
    for r in range(rounds):
        moved, booked = outcomes[2 * r], outcomes[2 * r + 1]
        # The time was free: exactly one of the two gets it, the other a 409.
        assert sorted([moved.status, booked.status]) in ([200, 409], [201, 409]), summary
        holders = [b for b in rows if b["start"] == target[r]]
        assert len(holders) == 1, summary
        x = by_uid[uuid.UUID(uids[r])]
        if moved.status == 200:
            assert holders[0]["uid"] == x["uid"]
            assert (x["start"], x["sequence"]) == (target[r], 1)
        else:
            assert holders[0]["uid"] == uuid.UUID(booked.body["uid"])
            assert (x["start"], x["sequence"]) == (original[r], 0)
    moved_count = sum(o.status == 200 for o in outcomes)
    assert len(rows) == 2 * rounds - moved_count, summary


HOUR = timedelta(hours=1)
# The columns a raw copy of a booking row sets itself rather than copies.
COPY_OVERRIDES = ("uid", "advisor_id", "start", "end", "blocked_start", "blocked_end", "status")


def insert_raw(conn, template_id: int, *, advisor_id: int, start: datetime, status: str) -> None:
    """Insert a copy of booking `template_id`, an hour from `start`, widened by
    the 15 minutes after that these advisors keep, with plain SQL past the
    service: what any code that skips booking_create could write."""
    columns = [
        name
        for (name,) in conn.execute(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_name = 'bookings_booking' AND column_name NOT IN ('id', %s, %s, %s, %s, %s, %s, %s)",
            COPY_OVERRIDES,
        )
    ]
    kept = ", ".join(f'"{c}"' for c in columns)
    conn.execute(
        f'INSERT INTO bookings_booking ({kept}, "uid", "advisor_id", "start", "end", "blocked_start",'  # noqa: S608
        f' "blocked_end", "status") SELECT {kept}, gen_random_uuid(), %s, %s, %s, %s, %s, %s'
        " FROM bookings_booking WHERE id = %s",
        [advisor_id, start, start + HOUR, start, start + HOUR + timedelta(minutes=15), status, template_id],
    )


def test_postgresql_refuses_an_overlap_written_past_the_service(stack):
    if stack.vendor != "postgresql":
        pytest.skip("SQLite has no exclusion constraints; there the service's re-check is the defence")
    import psycopg

    advisor, other = stack.advisors["constraint"], stack.advisors["constraint_other"]
    made = race(stack, [book(stack, stack.entrepreneurs[0], "constraint", at(7, 9), 60)])
    assert tally(made) == {201: 1}, describe(stack, made)
    [(template_id,)] = stack.sql("SELECT id FROM bookings_booking WHERE advisor_id = %s", [advisor])

    def attempt(advisor_id: int, start: datetime, status: str = "confirmed") -> None:
        with stack.connect() as conn:
            insert_raw(conn, template_id, advisor_id=advisor_id, start=start, status=status)

    attempt(advisor, at(8, 10))  # 10:00–11:00, blocked to 11:15
    with pytest.raises(psycopg.errors.ExclusionViolation) as refused:
        attempt(advisor, at(8, 11))  # starts inside the first one's buffer
    assert refused.value.diag.constraint_name == "booking_no_overlap_per_advisor"
    assert "booking_no_overlap_per_advisor" in str(refused.value)
    assert isinstance(refused.value, psycopg.IntegrityError)

    attempt(advisor, at(8, 10, 30), status="cancelled")  # a cancelled one may overlap
    attempt(other, at(8, 10, 30))  # and so may another advisor's
    attempt(advisor, at(8, 11, 15))  # [) ranges: starting where the buffer ends is fine

    # Bringing the cancelled one back, or moving one onto another, is refused too.
    with pytest.raises(psycopg.errors.ExclusionViolation), stack.connect() as conn:
        conn.execute(
            "UPDATE bookings_booking SET status = 'confirmed' WHERE advisor_id = %s AND status = 'cancelled'",
            [advisor],
        )
    with pytest.raises(psycopg.errors.ExclusionViolation), stack.connect() as conn:
        conn.execute(
            "UPDATE bookings_booking SET blocked_start = blocked_start - interval '30 minutes'"
            " WHERE advisor_id = %s AND start = %s",
            [advisor, at(8, 11, 15)],
        )

    rows = stack.bookings(advisor)
    assert [b["start"] for b in rows] == [at(7, 9), at(8, 10), at(8, 11, 15)]
    assert stack.overlaps() == []


@pytest.fixture(scope="module")
def capped_stack(database_vendor, tmp_path_factory):
    """A second, small stack with the fair-access cap as shipped: 3 upcoming
    sessions a person (the main stack lifts it for its many bookings)."""
    with LiveStack.running(
        database_vendor,
        workdir=tmp_path_factory.mktemp(f"capped-{database_vendor}"),
        entrepreneurs=1,
        advisors={"capped": {"buffer_after": 15, "session_lengths": [60]}},
        workers=2,
        env={"BOOKING_MAX_UPCOMING": "3"},
    ) as live:
        yield live


def test_one_person_booking_ten_times_at_once_stays_within_the_upcoming_cap(capped_stack):
    person = capped_stack.entrepreneurs[0]
    calls = [book(capped_stack, person, "capped", at(7 + n, 10), 60) for n in range(10)]

    outcomes = race(capped_stack, calls)

    rows = capped_stack.bookings(capped_stack.advisors["capped"])
    summary = describe(capped_stack, outcomes, rows=len(rows))
    assert tally(outcomes) == {201: 3, 400: 7}, summary
    assert all(o.body.get("detail") for o in outcomes if o.status == 400), summary
    assert len(rows) == 3, summary
    assert {b["uid"] for b in rows} == {uuid.UUID(o.body["uid"]) for o in outcomes if o.status == 201}

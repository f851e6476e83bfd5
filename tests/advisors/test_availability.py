"""The slot engine, by its contract (advisors/availability.py's docstring)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from advisors.availability import (
    Interval,
    Rules,
    free_slots,
    is_public_holiday,
    local_to_utc,
    swedish_closed_days,
    working_intervals,
)

STHLM = ZoneInfo("Europe/Stockholm")
WORKDAY = [(time(9), time(12)), (time(13), time(16))]
WEEK = dict.fromkeys(range(5), WORKDAY)
NOW = datetime(2027, 3, 1, 6, 0, tzinfo=UTC)


def rules(**over) -> Rules:
    base = {"weekly_hours": WEEK, "slot_step": 60, "horizon_days": 365}
    return Rules(**{**base, **over})


def at(day: date, hhmm: str) -> datetime:
    h, m = map(int, hhmm.split(":"))
    return datetime(day.year, day.month, day.day, h, m, tzinfo=STHLM)


def local_starts(slots) -> list[str]:
    return [s.start.astimezone(STHLM).strftime("%Y-%m-%d %H:%M") for s in slots]


def slots_on(day: date, r: Rules | None = None, duration: int = 60, **kw):
    return free_slots(
        r or rules(), duration=duration, first_day=day, last_day=day, now=kw.pop("now", NOW), **kw
    )


# --- Weekly hours, breaks and daylight saving ------------------------------------


def test_weekly_hours_give_slots_on_the_step_grid_with_the_break_as_a_gap():
    tuesday = date(2027, 3, 9)
    assert local_starts(slots_on(tuesday)) == [
        f"2027-03-09 {h}" for h in ("09:00", "10:00", "11:00", "13:00", "14:00", "15:00")
    ]


def test_overlapping_intervals_of_a_day_give_each_slot_once_in_order():
    tuesday = date(2027, 3, 9)
    same_grid = rules(weekly_hours={1: [(time(10), time(12)), (time(9), time(11))]})
    off_grid = rules(weekly_hours={1: [(time(9, 30), time(11, 30)), (time(9), time(11))]})

    assert local_starts(slots_on(tuesday, same_grid)) == [
        f"2027-03-09 {h}" for h in ("09:00", "10:00", "11:00")
    ]
    assert local_starts(slots_on(tuesday, off_grid)) == [
        f"2027-03-09 {h}" for h in ("09:00", "09:30", "10:00", "10:30")
    ]


def test_a_spring_gap_across_midnight_gives_each_slot_once_in_order():
    # America/Nuuk jumped from Saturday 2025-03-29 23:00 to Sunday 00:00: Saturday's
    # 23:00-23:30 is read past the gap, where Sunday's first hour begins.
    r = rules(
        timezone="America/Nuuk",
        weekly_hours={5: [(time(22), time(23, 30))], 6: [(time(0), time(1))]},
        closed_on_public_holidays=False,
        slot_step=30,
    )
    slots = free_slots(
        r,
        duration=30,
        first_day=date(2025, 3, 29),
        last_day=date(2025, 3, 30),
        now=datetime(2025, 3, 1, tzinfo=UTC),
    )
    assert slots == sorted(set(slots)) and len(slots) == 4


def test_a_monday_0900_rule_gives_a_0900_local_slot_on_both_sides_of_the_spring_change():
    before, after = date(2027, 3, 22), date(2027, 4, 5)  # 2027-03-29 is Easter Monday
    r = rules(weekly_hours={0: [(time(9), time(12))]})

    first_before, first_after = slots_on(before, r)[0], slots_on(after, r)[0]

    assert first_before.start.astimezone(STHLM).strftime("%H:%M %z") == "09:00 +0100"
    assert first_after.start.astimezone(STHLM).strftime("%H:%M %z") == "09:00 +0200"
    assert first_before.start.astimezone(UTC).hour == 8
    assert first_after.start.astimezone(UTC).hour == 7


def test_a_monday_0900_rule_gives_a_0900_local_slot_on_both_sides_of_the_autumn_change():
    r = rules(weekly_hours={0: [(time(9), time(12))]})
    before, after = date(2027, 10, 25), date(2027, 11, 1)

    first_before, first_after = slots_on(before, r)[0].start, slots_on(after, r)[0].start

    assert first_before.astimezone(STHLM).strftime("%H:%M %z") == "09:00 +0200"
    assert first_after.astimezone(STHLM).strftime("%H:%M %z") == "09:00 +0100"
    assert (first_before.hour, first_after.hour) == (7, 8)  # UTC


def test_on_the_day_of_the_spring_change_a_non_existent_local_time_moves_forward():
    sunday = date(2027, 3, 28)  # clocks go 02:00 -> 03:00; Easter Sunday, so holidays are off here
    r = rules(weekly_hours={6: [(time(2, 30), time(4, 30))]}, closed_on_public_holidays=False, slot_step=30)

    (interval,) = working_intervals(r, sunday)

    assert interval.start.astimezone(STHLM).strftime("%H:%M %z") == "03:30 +0200"
    assert interval.end.astimezone(STHLM).strftime("%H:%M %z") == "04:30 +0200"
    assert local_starts(slots_on(sunday, r, duration=30)) == ["2027-03-28 03:30", "2027-03-28 04:00"]


def test_on_the_day_of_the_autumn_change_an_ambiguous_local_time_takes_its_first_occurrence():
    sunday = date(2027, 10, 31)  # clocks go 03:00 -> 02:00, so 02:30 happens twice
    r = rules(weekly_hours={6: [(time(2, 30), time(3, 30))]}, slot_step=30)

    (interval,) = working_intervals(r, sunday)

    assert interval.start == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)  # 02:30 +02:00, the first one
    assert interval.end == datetime(2027, 10, 31, 2, 30, tzinfo=UTC)  # 03:30 +01:00
    assert local_to_utc(sunday, time(2, 30), STHLM) == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)


def test_an_interval_may_end_at_midnight():
    r = rules(weekly_hours={2: [(time(22), time(0))]})
    assert local_starts(slots_on(date(2027, 3, 10), r)) == ["2027-03-10 22:00", "2027-03-10 23:00"]


# --- Overrides, holidays, time off -----------------------------------------------------


def test_a_date_override_replaces_the_weekly_hours_of_that_date():
    day = date(2027, 3, 10)
    r = rules(overrides={day: [(time(17), time(20))]})
    assert local_starts(slots_on(day, r)) == ["2027-03-10 17:00", "2027-03-10 18:00", "2027-03-10 19:00"]


def test_an_empty_override_closes_the_day():
    day = date(2027, 3, 10)
    assert slots_on(day, rules(overrides={day: []})) == []


def test_public_holidays_and_their_eves_are_closed_by_default():
    for day in (
        date(2027, 1, 6),  # trettondedag jul
        date(2027, 3, 26),  # långfredagen
        date(2027, 5, 6),  # Kristi himmelfärdsdag
        date(2027, 6, 25),  # midsommarafton
        date(2027, 12, 24),  # julafton
        date(2027, 12, 31),  # nyårsafton
    ):
        assert is_public_holiday(day), day
        assert slots_on(day) == [], day


def test_ordinary_sundays_are_not_counted_as_holidays():
    assert not is_public_holiday(date(2027, 3, 7))
    r = rules(weekly_hours={6: WORKDAY})
    assert slots_on(date(2027, 3, 7), r)


def test_the_holiday_list_includes_midsummer_eve_every_year():
    for year in (2026, 2027, 2028):
        eve = next(
            d for d in swedish_closed_days(year) if d.month == 6 and d.weekday() == 4 and 19 <= d.day <= 25
        )
        assert eve.weekday() == 4


def test_an_advisor_may_stay_open_on_holidays_or_open_one_with_an_override():
    good_friday = date(2027, 3, 26)
    assert slots_on(good_friday, rules(closed_on_public_holidays=False))
    assert local_starts(slots_on(good_friday, rules(overrides={good_friday: [(time(10), time(11))]}))) == [
        "2027-03-26 10:00"
    ]


def test_time_off_removes_every_slot_that_touches_it():
    day = date(2027, 3, 10)
    r = rules(time_off=[Interval(at(day, "10:30"), at(day, "13:30"))])
    assert local_starts(slots_on(day, r)) == ["2027-03-10 09:00", "2027-03-10 14:00", "2027-03-10 15:00"]


def test_a_summer_vacation_closes_every_day_inside_it():
    r = rules(time_off=[Interval(at(date(2027, 7, 1), "00:00"), at(date(2027, 8, 2), "00:00"))])
    slots = free_slots(r, duration=60, first_day=date(2027, 6, 28), last_day=date(2027, 8, 3), now=NOW)
    days = {s.start.astimezone(STHLM).date() for s in slots}
    assert days == {
        date(2027, 6, 28),
        date(2027, 6, 29),
        date(2027, 6, 30),
        date(2027, 8, 2),
        date(2027, 8, 3),
    }


# --- Bookings, buffers, notice, horizon, daily maximum ------------------------------------


def test_a_booking_blocks_its_slot_and_buffers_widen_it():
    day = date(2027, 3, 10)
    booking = Interval(at(day, "10:00"), at(day, "11:00"))

    plain = slots_on(day, rules(slot_step=30), duration=30, bookings=[booking])
    buffered = slots_on(day, rules(slot_step=30, buffer_after=15), duration=30, bookings=[booking])

    assert "2027-03-10 11:00" in local_starts(plain)
    assert "2027-03-10 09:30" in local_starts(plain)
    assert "2027-03-10 11:00" not in local_starts(buffered)  # 15 min after the booking
    assert "2027-03-10 09:30" not in local_starts(buffered)  # ends 10:00, +15 min runs into the booking
    assert "2027-03-10 11:30" in local_starts(buffered)


def test_bookings_widened_by_buffers_back_to_back_are_allowed():
    day = date(2027, 3, 10)
    r = rules(slot_step=15, buffer_before=0, buffer_after=15)
    booking = Interval(at(day, "10:00"), at(day, "11:00"))
    starts = local_starts(slots_on(day, r, duration=30, bookings=[booking]))
    assert "2027-03-10 11:15" in starts
    assert "2027-03-10 11:00" not in starts
    assert "2027-03-10 08:45" not in starts  # outside working hours


def test_external_busy_time_blocks_the_slot_widened_by_the_buffers():
    day = date(2027, 3, 10)
    busy = Interval(at(day, "13:00"), at(day, "13:30"))
    starts = local_starts(slots_on(day, rules(slot_step=30, buffer_before=30), busy=[busy]))
    assert "2027-03-10 13:00" not in starts
    assert "2027-03-10 13:30" not in starts  # its 30 min buffer before reaches back into 13:00-13:30
    assert "2027-03-10 14:00" in starts


def test_no_slot_starts_inside_the_minimum_notice():
    day = date(2027, 3, 10)
    now = at(day, "08:40").astimezone(UTC)
    starts = local_starts(slots_on(day, rules(slot_step=30, min_notice=timedelta(hours=2)), now=now))
    assert starts[0] == "2027-03-10 11:00"


def test_no_slot_starts_after_the_horizon():
    r = rules(horizon_days=10)
    slots = free_slots(r, duration=60, first_day=date(2027, 3, 1), last_day=date(2027, 4, 30), now=NOW)
    assert slots and max(s.start for s in slots) <= NOW + timedelta(days=10)


def test_a_day_with_the_maximum_number_of_bookings_offers_nothing_more():
    day = date(2027, 3, 10)
    bookings = [Interval(at(day, "09:00"), at(day, "10:00")), Interval(at(day, "13:00"), at(day, "14:00"))]
    assert slots_on(day, rules(max_per_day=2), bookings=bookings) == []
    assert len(slots_on(day, rules(max_per_day=3), bookings=bookings)) == 4


def test_limit_returns_the_earliest_slots():
    slots = free_slots(
        rules(), duration=60, first_day=date(2027, 3, 1), last_day=date(2027, 3, 31), now=NOW, limit=1
    )
    assert local_starts(slots) == ["2027-03-01 09:00"]


def test_bad_arguments_give_no_slots_rather_than_an_error():
    assert (
        free_slots(rules(), duration=0, first_day=date(2027, 3, 1), last_day=date(2027, 3, 2), now=NOW) == []
    )
    assert (
        free_slots(rules(), duration=60, first_day=date(2027, 3, 2), last_day=date(2027, 3, 1), now=NOW) == []
    )


# --- Properties -------------------------------------------------------------------------

clock = st.integers(min_value=0, max_value=23 * 4).map(lambda q: time(q // 4, (q % 4) * 15))


@st.composite
def day_intervals(draw) -> list[tuple[time, time]]:
    """Up to three non-overlapping intervals of a day."""
    points = sorted(draw(st.sets(st.integers(min_value=0, max_value=24 * 4 - 1), max_size=6)))
    if len(points) % 2:
        points = points[:-1]
    return [
        (time(a // 4, (a % 4) * 15), time(b // 4, (b % 4) * 15))
        for a, b in zip(points[::2], points[1::2], strict=True)
    ]


@st.composite
def advisor_rules(draw) -> Rules:
    return Rules(
        weekly_hours={d: draw(day_intervals()) for d in range(7)},
        slot_step=draw(st.sampled_from([5, 10, 15, 20, 30, 45, 60, 90, 120])),
        buffer_before=draw(st.sampled_from([0, 5, 15, 30])),
        buffer_after=draw(st.sampled_from([0, 10, 15, 60])),
        min_notice=timedelta(hours=draw(st.integers(0, 72))),
        horizon_days=draw(st.integers(1, 120)),
        max_per_day=draw(st.one_of(st.none(), st.integers(1, 8))),
        closed_on_public_holidays=draw(st.booleans()),
    )


# Windows across both 2027 DST changes.
window_start = st.dates(min_value=date(2027, 3, 20), max_value=date(2027, 11, 5))


@st.composite
def intervals_near(draw, first: date, days: int, n: int) -> list[Interval]:
    found = []
    for _ in range(draw(st.integers(0, n))):
        offset = draw(st.integers(0, days * 24 * 4))
        length = draw(st.integers(1, 16)) * 15
        start = local_to_utc(first, time(0), STHLM) + timedelta(minutes=15 * offset)
        found.append(Interval(start, start + timedelta(minutes=length)))
    return found


@settings(max_examples=150, deadline=None)
@given(data=st.data(), r=advisor_rules(), first=window_start, days=st.integers(0, 20))
def test_slots_lie_in_working_hours_miss_widened_busy_times_and_stay_in_the_window(data, r, first, days):
    last = first + timedelta(days=days)
    now = local_to_utc(first, time(0), STHLM) - timedelta(hours=data.draw(st.integers(0, 48)))
    duration = data.draw(st.sampled_from([15, 30, 45, 60, 90]))
    bookings = data.draw(intervals_near(first, days + 1, 6))
    busy = data.draw(intervals_near(first, days + 1, 4))

    slots = free_slots(
        r, duration=duration, first_day=first, last_day=last, now=now, bookings=bookings, busy=busy
    )

    assert slots == sorted(set(slots)), "sorted and unique"
    before, after = timedelta(minutes=r.buffer_before), timedelta(minutes=r.buffer_after)
    booked_per_day: dict[date, int] = {}
    for b in bookings:
        booked_per_day[b.start.astimezone(STHLM).date()] = (
            booked_per_day.get(b.start.astimezone(STHLM).date(), 0) + 1
        )
    for slot in slots:
        local_day = slot.start.astimezone(STHLM).date()
        assert first <= local_day <= last, "inside the window"
        assert slot.end - slot.start == timedelta(minutes=duration)
        assert any(w.start <= slot.start and slot.end <= w.end for w in working_intervals(r, local_day)), (
            "in hours"
        )
        assert slot.start >= now + r.min_notice
        assert slot.start <= now + timedelta(days=r.horizon_days)
        for b in bookings:  # widened slot misses widened booking
            assert slot.end + after <= b.start - before or b.end + after <= slot.start - before
        for x in busy:  # widened slot misses the busy time
            assert slot.end + after <= x.start or x.end <= slot.start - before
        if r.max_per_day is not None:
            assert booked_per_day.get(local_day, 0) < r.max_per_day


@settings(max_examples=100, deadline=None)
@given(data=st.data(), r=advisor_rules(), first=window_start, days=st.integers(1, 30))
def test_the_result_does_not_depend_on_how_the_window_is_split(data, r, first, days):
    last = first + timedelta(days=days)
    split = first + timedelta(days=data.draw(st.integers(0, days - 1)))
    now = local_to_utc(first, time(0), STHLM) - timedelta(hours=5)
    bookings = data.draw(intervals_near(first, days + 1, 8))

    whole = free_slots(r, duration=60, first_day=first, last_day=last, now=now, bookings=bookings)
    parts = free_slots(
        r, duration=60, first_day=first, last_day=split, now=now, bookings=bookings
    ) + free_slots(
        r, duration=60, first_day=split + timedelta(days=1), last_day=last, now=now, bookings=bookings
    )

    assert whole == parts

"""The reporting periods' tiling check (reporting.projects.period_errors), by
property: every tiling of a span passes; moving one boundary by a day leaves
a gap or an overlap, and is refused."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from reporting.projects import period_errors

START = date(2027, 1, 1)


@st.composite
def tilings(draw) -> tuple[date, date, list[tuple[date, date]]]:
    lengths = draw(st.lists(st.integers(min_value=1, max_value=400), min_size=1, max_size=12))
    periods, first = [], START
    for length in lengths:
        last = first + timedelta(days=length - 1)
        periods.append((first, last))
        first = last + timedelta(days=1)
    return START, periods[-1][1], periods


@given(tilings())
def test_every_tiling_passes(tiling):
    start, end, periods = tiling
    assert period_errors(start, end, periods) == []


@given(tilings(), st.data(), st.sampled_from([-1, 1]))
def test_a_boundary_moved_by_a_day_is_refused(tiling, data, shift):
    start, end, periods = tiling
    index = data.draw(st.integers(min_value=0, max_value=len(periods) - 1))
    first, last = periods[index]
    moved = list(periods)
    if data.draw(st.booleans()):
        moved[index] = (first + timedelta(days=shift), last)
    else:
        moved[index] = (first, last + timedelta(days=shift))
    assert period_errors(start, end, moved) != []

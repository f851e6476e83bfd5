"""Disclosure control of the statistics report (invariant 5): what a
coordinator may see of the exact figures.

Disclosure control, the exact rule (threshold T = STATISTICS_SUPPRESSION_THRESHOLD, 5):

1. Primary. A count of enterprises or people (unique_enterprises,
   first_time_enterprises, returning_enterprises, unique_people,
   unmet_demand) from 1 to T−1 is hidden. Every other figure is hidden when
   the enterprises or the people behind it number 1 to T−1: its base is the
   bookings it is computed from (all bookings for bookings, the cancellation
   rate and the waiting times; held sessions for sessions_held, advice_hours
   and coverage; held and no-show for the no-show rate; held, no-show and
   confirmed for utilisation; rated sessions for mean_rating). Offered hours
   are about advisors' calendars, not about entrepreneurs, and are never hidden.
2. Secondary, in each breakdown and for each figure (figures on the same base
   together): when exactly one row is hidden, the row with the next-smallest
   non-empty base is hidden too, so that neither the total nor the other rows
   give it away. And while the hidden counts could only be all 1 or all T−1
   (their sum, known from the total, equals the number of hidden cells times
   1 or times T−1), one more row is hidden.
3. Controlled rounding, against differencing (issue 16). Every count that
   is shown (bookings, sessions held, enterprises, people, unmet demand; the
   follow-up's answers) is rounded to the nearest multiple of the base B =
   STATISTICS_ROUNDING_BASE (the threshold unless set), halves up, and never
   to 0 when it is not 0: `round_count`. The totals are rounded on their own,
   so rows need not add up to them. Hours of advice (and the booked hours
   behind utilisation) are rounded the same way, in hours. Rates are worked
   out from the rounded counts (`rate_of_rounded`), so they tell no more
   than the counts; and a rate whose numerator, or its denominator less the
   numerator, is 1 to T−1 is hidden, as rate × denominator would give it.
   Why this stops differencing: two reports whose periods overlap (30 days,
   and the same 29 days) each show a count only to within ±B/2 (or as one
   of 5–7, or as "<5"); their difference is then known only as a range of
   three to nine values for B = 5, never one value, so the same rounded pair
   comes from a difference of 1 as from one of 3:
   tests/reporting/test_differencing.py tries the attack. A coordinator's
   report also covers whole ISO weeks or whole calendar months, other dates
   widened to the weeks around them (reporting.periods.reported_period), so
   no two reports differ by less than a week, which leaves far fewer periods
   to combine.
4. How it shows: a hidden count is the string "<5" (f"<{T}"); a hidden rate,
   average, median, share or number of hours is null. Null also means "not
   defined" (no bookings to take a rate of) or "not applicable" (offered hours
   by topic); `DEFINITIONS["hidden"]` says so to readers.

Not protected by rounding: offered hours (advisors' calendars, not
entrepreneurs), the number of municipalities covered, waiting times and the
mean rating, which are not counts of anyone; their bases still hide them.
And rounding is proved against one pair of reports, not against every
combination of many: each further overlapping report narrows the ranges a
little, which is why the periods one may ask for are kept to weeks and months.
"""

from __future__ import annotations

import copy
import math
from collections import defaultdict
from collections.abc import Sequence
from fractions import Fraction

from django.conf import settings

from .measures import BASES, BREAKDOWNS, COUNTS, PEOPLE_COUNTS, RATE_PARTS, round_half_up


def suppression_threshold() -> int:
    return int(getattr(settings, "STATISTICS_SUPPRESSION_THRESHOLD", 5))


def rounding_base(threshold: int | None = None) -> int:
    """The base counts are rounded to: STATISTICS_ROUNDING_BASE, else the threshold."""
    base = getattr(settings, "STATISTICS_ROUNDING_BASE", None)
    if base is None:
        base = suppression_threshold() if threshold is None else threshold
    return max(int(base), 1)


def round_count(value: float, base: int) -> int:
    """`value` to the nearest multiple of `base`, halves up, and at least
    `base` when it is above 0 (a real figure never shows as 0)."""
    if value <= 0:
        return 0
    rounded = base * math.floor(Fraction(str(value)) / base + Fraction(1, 2))
    return max(rounded, base)


def rate_of_rounded(part: int, whole: int, *, threshold: int, base: int) -> float | None:
    """A rate shown beside rounded counts: hidden (None) when its numerator,
    or the denominator less it, is 1 to T−1; else the rounded part over the
    rounded whole, so that the rate gives away no more than the counts."""
    if not whole or 0 < part < threshold or 0 < whole - part < threshold:
        return None
    return round_half_up(round_count(part, base) / round_count(whole, base), 3)


def suppress_report(figures: dict, *, threshold: int) -> dict:
    """The report as it may be shown: the exact figures of `region_figures`
    with disclosure control applied (the rule is in this module's docstring),
    and without the bases. The same result feeds JSON, CSV and XLSX."""
    report = copy.deepcopy(figures)
    mark = f"<{threshold}"
    base = rounding_base(threshold)
    # The totals are a unit of their own: the same whatever breakdowns come with them.
    units: list[list[dict]] = [[report["totals"]]] + [report[name] for name in BREAKDOWNS if name in report]
    for rows in units:
        hidden: dict[int, set[str]] = defaultdict(set)
        for group, measures in _groups():
            for i in _hidden_rows(rows, group, measures, threshold):
                hidden[i].update(measures)
        for i, row in enumerate(rows):
            for measure in hidden[i]:
                if measure == "coverage":
                    row["coverage"] = {"covered": mark, "of": row["coverage"]["of"]}
                elif measure in COUNTS:
                    row[measure] = mark
                else:
                    row[measure] = None
        for row in rows:
            _round(row, threshold=threshold, base=base)
    for rows in units:
        for row in rows:
            row.pop("bases", None)
            row.pop("parts", None)
    if "follow_up" in report:
        _suppress_follow_up(report["follow_up"], threshold=threshold, base=base)
    return report


def _round(row: dict, *, threshold: int, base: int) -> None:
    """Controlled rounding of a row's figures that are still shown (rule 3)."""
    for measure in COUNTS:
        if measure != "coverage" and isinstance(row.get(measure), int):
            row[measure] = round_count(row[measure], base)
    if isinstance(row.get("advice_hours"), float):
        row["advice_hours"] = float(round_count(row["advice_hours"], base))
    parts = row.get("parts")
    if parts is None:  # figures made by hand (tests): nothing to work rates out from
        return
    for measure in RATE_PARTS:
        if row[measure] is not None:
            part, whole = parts[measure]
            row[measure] = rate_of_rounded(part, whole, threshold=threshold, base=base)
    booked_minutes, offered_minutes = parts["utilisation"]
    if row["utilisation"] is not None and offered_minutes:
        booked = round_count(booked_minutes / 60, base)
        row["utilisation"] = round_half_up(booked / (offered_minutes / 60), 3)


def _suppress_follow_up(section: dict, *, threshold: int, base: int) -> None:
    """The follow-up's answers: all hidden when 1 to T−1 enterprises answered;
    otherwise a question's count (and share) when it, or the number who did
    not say yes, is 1 to T−1, as that number is the total less the count.
    What shows is rounded (rule 3), the share worked out from the rounded counts."""
    mark = f"<{threshold}"
    answered = section["answered"]
    few = 0 < answered < threshold
    for outcome in section["outcomes"]:
        count = outcome["count"]
        if few or 0 < count < threshold or 0 < answered - count < threshold:
            outcome["count"], outcome["share"] = mark, None
        else:
            outcome["count"] = round_count(count, base)
            outcome["share"] = rate_of_rounded(count, answered, threshold=threshold, base=base)
    section["answered"] = mark if few else round_count(answered, base)


def _groups() -> list[tuple[str, tuple[str, ...]]]:
    """Figures hidden together: those on one base, and each count of people alone."""
    return list(BASES.items()) + [(m, (m,)) for m in PEOPLE_COUNTS]


def _size(row: dict, group: str) -> int:
    """How many enterprises or people a group of figures of a row rests on (the
    smaller of the two); 0 when nothing, and for figures not applicable."""
    if group in BASES:
        people, enterprises = row["bases"][group]
        return min(people, enterprises)
    value = row[group]
    return value if isinstance(value, int) else 0


def _hidden_rows(rows: Sequence[dict], group: str, measures: Sequence[str], threshold: int) -> set[int]:
    sizes = [_size(row, group) for row in rows]
    primary = {i for i, size in enumerate(sizes) if 0 < size < threshold}
    hidden = set(primary)
    candidates = sorted(
        (size, str(rows[i].get("key", "")), i) for i, size in enumerate(sizes) if size >= threshold
    )
    counts = [m if m != "coverage" else None for m in measures if m in COUNTS]
    while (
        hidden
        and candidates
        and (len(hidden) == 1 or (hidden == primary and _determined(rows, hidden, counts, threshold)))
    ):
        hidden.add(candidates.pop(0)[2])
    return hidden


def _determined(rows: Sequence[dict], hidden: set[int], counts: Sequence[str | None], threshold: int) -> bool:
    """Whether hidden counts, each known to be 1 to T−1, follow from their sum
    (the total less the shown rows): only when all are 1 or all are T−1."""
    for measure in counts:
        if measure is None:
            continue
        values = [rows[i][measure] for i in hidden]
        if all(isinstance(v, int) for v in values) and sum(values) in (
            len(values),
            len(values) * (threshold - 1),
        ):
            return True
    return False

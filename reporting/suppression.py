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
3. How it shows: a hidden count is the string "<5" (f"<{T}"); a hidden rate,
   average, median, share or number of hours is null. Null also means "not
   defined" (no bookings to take a rate of) or "not applicable" (offered hours
   by topic); `DEFINITIONS["hidden"]` says so to readers.

Not protected against: differencing two reports whose periods overlap (a
coordinator can ask for any period); the region's own coordinators are trusted
that far, as DESIGN.md lets them see their region's aggregates.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Sequence

from django.conf import settings

from .measures import BASES, BREAKDOWNS, COUNTS, PEOPLE_COUNTS


def suppression_threshold() -> int:
    return int(getattr(settings, "STATISTICS_SUPPRESSION_THRESHOLD", 5))


def suppress_report(figures: dict, *, threshold: int) -> dict:
    """The report as it may be shown: the exact figures of `region_figures`
    with disclosure control applied (the rule is in this module's docstring),
    and without the bases. The same result feeds JSON, CSV and XLSX."""
    report = copy.deepcopy(figures)
    mark = f"<{threshold}"
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
    for rows in units:
        for row in rows:
            row.pop("bases", None)
    if "follow_up" in report:
        _suppress_follow_up(report["follow_up"], threshold=threshold)
    return report


def _suppress_follow_up(section: dict, *, threshold: int) -> None:
    """The follow-up's answers: all hidden when 1 to T−1 enterprises answered;
    otherwise a question's count (and share) when it, or the number who did
    not say yes, is 1 to T−1, as that number is the total less the count."""
    mark = f"<{threshold}"
    answered = section["answered"]
    few = 0 < answered < threshold
    for outcome in section["outcomes"]:
        count = outcome["count"]
        if few or 0 < count < threshold or 0 < answered - count < threshold:
            outcome["count"], outcome["share"] = mark, None
    if few:
        section["answered"] = mark


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

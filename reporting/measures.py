"""The statistics report's measures and breakdowns: their names, in the order
exports show them, the bases they rest on (for suppression), and how figures
are rounded and percentiles taken."""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

BREAKDOWNS = (
    "by_month",
    "by_topic",
    "by_municipality",
    "by_enterprise_kind",
    "by_gender",
    "by_mode",
    "by_advisor_organisation",
    "by_booked_by",
    "by_need",
    "by_need_not_met",
)

# The figures of the totals and of every row, in the order exports show them.
MEASURES = (
    "bookings",
    "sessions_held",
    "unique_enterprises",
    "first_time_enterprises",
    "returning_enterprises",
    "unique_people",
    "advice_hours",
    "no_show_rate",
    "cancellation_rate",
    "median_waiting_days",
    "p90_waiting_days",
    "share_within_14_days",
    "offered_hours",
    "utilisation",
    "mean_rating",
    "coverage",
    "unmet_demand",
)

# Counts of enterprises or people: hidden by their own value.
PEOPLE_COUNTS = (
    "unique_enterprises",
    "first_time_enterprises",
    "returning_enterprises",
    "unique_people",
    "unmet_demand",
)
# Every other hidden figure by the people and enterprises of its base.
BASES = {
    "all": (
        "bookings",
        "cancellation_rate",
        "median_waiting_days",
        "p90_waiting_days",
        "share_within_14_days",
    ),
    "held": ("sessions_held", "advice_hours", "coverage"),
    "outcome": ("no_show_rate",),
    "booked": ("utilisation",),
    "rated": ("mean_rating",),
}
# Rates of counts, worked out from the rounded counts when shown
# (reporting.suppression, rule 3): each row's `parts` carry their numerator and denominator.
RATE_PARTS = ("no_show_rate", "cancellation_rate", "share_within_14_days")
# Figures shown as "<5" when hidden (counts); the rest become null.
COUNTS = frozenset({"bookings", "sessions_held", "coverage", *PEOPLE_COUNTS})

# Offered hours (and so utilisation) are known by month and advisor
# organisation only; unmet demand (the waitlist) has no meeting mode or
# organisation. Elsewhere these figures are null: not applicable.
WITH_OFFERED = frozenset({"by_month", "by_advisor_organisation"})
WITH_UNMET = frozenset({"by_month", "by_topic", "by_municipality", "by_enterprise_kind", "by_gender"})

GENDER_KEYS = ("women", "men", "other_or_not_stated")


def round_half_up(value: float, places: int) -> float:
    """`value` rounded to `places` decimals, halves away from zero, as a
    spreadsheet and the database round: 1011.25 hours is 1011.3, where Python's
    round() of the binary float gives 1011.2. The float's shortest decimal form
    is what is rounded, so 1011.35 (not exact in binary) also goes up."""
    return float(Decimal(repr(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


# --- Percentiles ----------------------------------------------------------------------------


def percentile_cont(values: Sequence[float], fraction: float) -> float | None:
    """The continuous percentile of sorted values, as PostgreSQL's
    percentile_cont defines it: linear between the two nearest values."""
    return percentile_of_counts([(v, 1) for v in values], fraction)


def percentile_of_counts(counts: Sequence[tuple[float, int]], fraction: float) -> float | None:
    """percentile_cont of the values given as (value, how many) in ascending order."""
    total = sum(n for _, n in counts)
    if not total:
        return None
    position = (total - 1) * fraction
    low, high = math.floor(position), math.ceil(position)
    low_value = high_value = None
    seen = 0
    for value, n in counts:
        if low_value is None and low < seen + n:
            low_value = value
        if high < seen + n:
            high_value = value
            break
        seen += n
    if low_value is None or high_value is None:  # cannot be: both positions are below total
        raise AssertionError(position)
    return low_value + (high_value - low_value) * (position - low)

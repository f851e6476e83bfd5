"""A region's usage statistics: what coordinators report to their funders on
access to advice (DESIGN.md, "The statistics report"; issue 6).

Two steps, kept apart on purpose:

- `region_figures` reads the exact figures, aggregated in SQL: one query
  for the totals and every breakdown by one key a booking, and one for the
  breakdowns by needs, where a booking counts in a row per need
  (reporting.tallies: distinct people and enterprises counted in two
  grouping steps, waiting days as a histogram from which the median and 90th
  percentile are exact; no booking row leaves the database), one for the
  waitlist, and the hours the advisors offered, from the slot engine's
  working intervals, and one for the outcome follow-up. Eight queries in
  all, whatever the number of bookings or advisors (nine on PostgreSQL: one
  sets up the big queries). With the monthly rollups on
  (the default), the same tallies come from them instead (reporting.rollups:
  eight queries for whole months, six more for months that changed, three
  for each part of a month at the period's ends, read from its bookings),
  which the tests hold to the same figures. Never shown to anyone as it is.
- `suppress_report` applies disclosure control (invariant 5) and is the only
  way out: `region_report` is the two together, and the JSON, CSV and XLSX
  views all render its result, so they carry the same hidden cells.

Which bookings count: those of the region (`stat_region`, the advisor's region
when booked) whose session starts on a local date (Europe/Stockholm) from
`start` to `end`, both inclusive, whatever their status. Every figure comes
from the `stat_*` facts fixed at booking time, so an erased account or an
edited enterprise does not change history.

Disclosure control (invariant 5) is reporting.suppression's; the measures and
their order are in reporting.measures, their words in reporting.definitions.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from django.conf import settings
from django.db.models import Case, CharField, Count, F, Q, QuerySet, Value, When
from django.db.models.functions import Cast, Concat, TruncMonth
from django.utils.dates import MONTHS

from advisors.models import MeetingMode, Municipality, Region, Topic
from bookings import needs
from bookings.models import Booking, EnterpriseKind, Gender, WaitlistEntry

from .definitions import FOLLOW_UP_LABELS, FOLLOW_UP_OUTCOMES, english_active, label_text
from .measures import BREAKDOWNS, GENDER_KEYS, WITH_OFFERED, WITH_UNMET, percentile_of_counts, round_half_up
from .offered import offered_hours
from .periods import REPORT_ZONE, month_key, month_keys, period_bounds
from .rollups import tallies_of_period
from .suppression import suppress_report, suppression_threshold
from .tallies import GROUPINGS, Tally, read_tallies

# --- The report ---------------------------------------------------------------------------


def region_report(*, region: Region, start: date, end: date) -> dict:
    """The region's statistics for local dates start..end (both inclusive), as
    coordinators may see them: `region_figures` after `suppress_report`. Eight
    queries or fewer (fourteen when months must be built first), whatever the
    number of bookings or advisors."""
    return suppress_report(
        region_figures(region=region, start=start, end=end), threshold=suppression_threshold()
    )


def region_totals(*, region: Region, start: date, end: date) -> dict:
    """`region_report` without the breakdowns: the same totals, hidden alike,
    for a fraction of the work (the dashboard's period before). One query
    fewer than `region_report`."""
    return suppress_report(
        region_figures(region=region, start=start, end=end, breakdowns=(), follow_up=False),
        threshold=suppression_threshold(),
    )


def region_visible_to(user, code: str) -> Region | None:
    """The region whose statistics `user` may see: their own as its
    coordinator, any as staff; None for everyone else (invariant 7). One query."""
    if not user.is_authenticated:
        return None
    regions = Region.objects.filter(code=code)
    if not user.is_staff:
        regions = regions.filter(coordinators__user=user)
    return regions.first()


def region_bookings(region: Region, start: date, end: date) -> QuerySet[Booking]:
    """The bookings the report counts: the region's, by session start in the period."""
    since, until = period_bounds(start, end)
    return Booking.objects.filter(stat_region=region.code, start__gte=since, start__lt=until).order_by()


def region_figures(
    *, region: Region, start: date, end: date, breakdowns: Sequence[str] = BREAKDOWNS, follow_up: bool = True
) -> dict:
    """The exact figures, unsuppressed: for `suppress_report`, and for tests.
    Each row (and the totals) carries its `bases`, the people and enterprises
    behind each group of figures, which `suppress_report` needs and removes.
    Only the totals and the `breakdowns` asked for (all by default).
    Never show this to anyone as it is (invariant 5)."""
    if end < start:
        raise ValueError("The period ends before it starts.")
    bookings = region_bookings(region, start, end)
    municipalities = {
        code: (name, r) for code, name, r in Municipality.objects.values_list("code", "name", "region_id")
    }
    in_region = [code for code, (_, r) in municipalities.items() if r == region.code]
    topics = list(
        Topic.objects.order_by("position", "slug").values("pk", "slug", "name_sv", "name_en", "is_active")
    )
    topic_slug = {str(t["pk"]): t["slug"] for t in topics}
    offered = offered_hours(region, start, end)
    unmet = _unmet_demand(region, start, end)
    names = ("totals", *breakdowns)
    if settings.STATISTICS_MONTHLY_ROLLUPS:
        tallies = tallies_of_period(region.code, start, end, names)
    else:
        tallies = read_tallies(bookings, region.code, {name: GROUPINGS[name] for name in names})
    coverage_of = len(in_region)

    total = next(iter(tallies["totals"].values()), Tally())
    report: dict[str, Any] = {
        "region": {"code": region.code, "name": region.name},
        "start": start.isoformat(),
        "end": end.isoformat(),
        "totals": _row(total, coverage_of, offered["total"], unmet["total"]),
    }
    months = month_keys(start, end)
    for name in breakdowns:
        found: dict[str, Tally] = {}
        for key, tally in tallies[name].items():
            if name == "by_month":
                key = key[:7]
            elif name == "by_topic":
                key = topic_slug[key]
            found[key] = tally
        keys, labels = _keys_and_labels(
            name, found, unmet.get(name, {}), months, topics, in_region, municipalities, offered
        )
        report[name] = [
            {
                "key": key,
                "label": labels[key],
                **_row(
                    found.get(key, Tally()),
                    coverage_of,
                    offered[name].get(key, 0.0) if name in WITH_OFFERED else None,
                    unmet[name].get(key, 0) if name in WITH_UNMET else None,
                ),
            }
            for key in keys
        ]
    if follow_up:
        report["follow_up"] = _follow_up(bookings)
    return report


# The outcome follow-up's questions (bookings.models.FollowUpAnswer), in order.


def _follow_up(bookings: QuerySet[Booking]) -> dict[str, Any]:
    """The answers about the enterprises whose first session is among
    `bookings` (an answer belongs to that session): how many answered, and
    how many said yes to each question. One query."""
    answered = Q(follow_up__isnull=False)
    counts = bookings.aggregate(
        answered=Count("pk", filter=answered),
        **{o: Count("pk", filter=answered & Q(**{f"follow_up__{o}": True})) for o in FOLLOW_UP_OUTCOMES},
    )
    total = counts["answered"]
    return {
        "answered": total,
        "outcomes": [
            {
                "key": outcome,
                "label": label_text(f"follow_up_{outcome}", FOLLOW_UP_LABELS),
                "count": counts[outcome],
                "share": _ratio(counts[outcome], total),
            }
            for outcome in FOLLOW_UP_OUTCOMES
        ],
    }


def _row(tally: Tally, coverage_of: int, offered_minutes: float | None, unmet: int | None) -> dict:
    """The figures of one row (or the totals) from its tally."""
    sums = [sum(column) for column in zip(*tally.by_waiting, strict=True)] if tally.by_waiting else [0] * 9
    _, bookings, held, no_show, cancelled, held_minutes, booked_minutes, rating_sum, ratings = sums
    histogram = sorted((w[0], w[1]) for w in tally.by_waiting)
    median, p90 = percentile_of_counts(histogram, 0.5), percentile_of_counts(histogram, 0.9)
    within_14_days = sum(n for w, n in histogram if w <= 14)
    people_all, people_held, people_outcome, people_booked, people_rated = tally.people
    (
        enterprises_all,
        enterprises_held,
        enterprises_outcome,
        enterprises_booked,
        enterprises_rated,
        first_time,
        returning,
    ) = tally.enterprises
    return {
        "bookings": bookings,
        "sessions_held": held,
        "unique_enterprises": enterprises_held,
        "first_time_enterprises": first_time,
        "returning_enterprises": returning,
        "unique_people": people_held,
        "advice_hours": round_half_up(held_minutes / 60, 1),
        "no_show_rate": _ratio(no_show, held + no_show),
        "cancellation_rate": _ratio(cancelled, bookings),
        "median_waiting_days": None if median is None else round_half_up(median, 1),
        "p90_waiting_days": None if p90 is None else round_half_up(p90, 1),
        "share_within_14_days": _ratio(within_14_days, bookings),
        "offered_hours": round_half_up(offered_minutes / 60, 1) if offered_minutes is not None else None,
        "utilisation": _ratio(booked_minutes, offered_minutes) if offered_minutes is not None else None,
        "mean_rating": round_half_up(rating_sum / ratings, 2) if ratings else None,
        "coverage": {"covered": tally.covered, "of": coverage_of},
        "unmet_demand": unmet,
        "bases": {
            "all": (people_all, enterprises_all),
            "held": (people_held, enterprises_held),
            "outcome": (people_outcome, enterprises_outcome),
            "booked": (people_booked, enterprises_booked),
            "rated": (people_rated, enterprises_rated),
        },
        # The rates' numerators and denominators, for rounding (reporting.suppression, rule 3).
        "parts": {
            "no_show_rate": (no_show, held + no_show),
            "cancellation_rate": (cancelled, bookings),
            "share_within_14_days": (within_14_days, bookings),
            "utilisation": (booked_minutes, offered_minutes or 0),
        },
    }


def _ratio(part: float, whole: float | None) -> float | None:
    return round_half_up(part / whole, 3) if whole else None


# --- Rows: keys and labels -----------------------------------------------------------------


def _keys_and_labels(
    name: str,
    found: Mapping[str, Any],
    unmet: Mapping[str, int],
    months: Sequence[str],
    topics: Sequence[Mapping[str, Any]],
    in_region: Sequence[str],
    municipalities: Mapping[str, tuple[str, str]],
    offered: Mapping[str, Any],
) -> tuple[list[str], dict[str, str]]:
    """A breakdown's rows: every category there is (so charts show the zeros),
    then any other key the data holds, in a stable order."""
    seen = set(found) | set(unmet)
    if name == "by_month":
        keys = list(months)
        labels = {m: f"{MONTHS[int(m[5:])]} {m[:4]}" for m in keys}
        return keys, labels
    if name == "by_topic":
        english = english_active()
        keys, labels = [], {}
        for t in topics:
            if t["is_active"] or t["slug"] in seen:
                keys.append(t["slug"])
                labels[t["slug"]] = t["name_en"] if english else t["name_sv"]
        if "" in seen:  # waitlists for one advisor name no topic
            keys.append("")
            labels[""] = label_text("any_topic")
        return keys, labels
    if name == "by_municipality":

        def label(code: str) -> str:
            if not code:  # an enterprise an advisor entered for a caller who did not say
                return label_text("municipality_not_stated")
            return municipalities[code][0] if code in municipalities else code

        own = sorted(in_region, key=lambda c: (label(c), c))
        others = sorted((c for c in seen if c not in set(in_region)), key=lambda c: (label(c), c))
        return own + others, {c: label(c) for c in own + others}
    if name == "by_enterprise_kind":
        choices = dict(EnterpriseKind.choices)
        keys = list(choices) + sorted(k for k in seen if k not in choices)
        return keys, {k: str(choices.get(k, k)) for k in keys}
    if name == "by_gender":
        labels = {key: label_text(key) for key in GENDER_KEYS}
        return list(GENDER_KEYS), labels
    if name == "by_mode":
        choices = dict(MeetingMode.choices)
        keys = list(choices) + sorted(k for k in seen if k not in choices)
        return keys, {k: str(choices.get(k, k)) for k in keys}
    if name == "by_advisor_organisation":
        keys = sorted(seen | set(offered["by_advisor_organisation"]))
        return keys, {k: k for k in keys}
    if name == "by_booked_by":
        keys = ["person", "advisor"]
        return keys, {k: label_text(f"booked_by_{k}") for k in keys}
    if name in ("by_need", "by_need_not_met"):
        keys = list(needs.KINDS) + sorted(k for k in seen if k not in needs.KINDS)
        return keys, {k: str(needs.KIND_LABELS.get(k, k)) for k in keys}
    raise ValueError(name)


# --- Unmet demand ---------------------------------------------------------------------------


def _unmet_demand(region: Region, start: date, end: date) -> dict[str, Any]:
    """Unmet demand: the people who joined a waitlist in the period, each
    counted once (one person on three waitlists is one), in total and by
    month, topic, municipality, kind and gender (in each row, the people of
    its entries). One grouped query, one row per person and combination."""
    since, until = period_bounds(start, end)
    gender = Case(
        When(stat_gender=Gender.WOMAN, then=Value("women")),
        When(stat_gender=Gender.MAN, then=Value("men")),
        default=Value("other_or_not_stated"),
    )
    # An entry without a key (none is made so: a safeguard) is a person of its own.
    person_of = Case(
        When(stat_person_key="", then=Concat(Value("waitlist-entry:"), Cast("pk", CharField()))),
        default=F("stat_person_key"),
    )
    groups = (
        WaitlistEntry.objects.filter(stat_region=region.code, created__gte=since, created__lt=until)
        .values(
            "stat_topic",
            "stat_municipality",
            "stat_enterprise_kind",
            month=TruncMonth("created", tzinfo=REPORT_ZONE),
            gender=gender,
            person=person_of,
        )
        .distinct()
        .order_by()
    )
    people: set[str] = set()
    by: dict[str, defaultdict[str, set[str]]] = {name: defaultdict(set) for name in WITH_UNMET}
    for group in groups:
        person = group["person"]
        people.add(person)
        by["by_month"][month_key(group["month"])].add(person)
        by["by_topic"][group["stat_topic"]].add(person)
        by["by_municipality"][group["stat_municipality"]].add(person)
        by["by_enterprise_kind"][group["stat_enterprise_kind"]].add(person)
        by["by_gender"][group["gender"]].add(person)
    return {
        "total": len(people),
        **{name: Counter({key: len(of) for key, of in rows.items()}) for name, rows in by.items()},
    }

"""A region's usage statistics: what coordinators report to their funders on
access to advice (DESIGN.md, "The statistics report"; issue 6).

Two steps, kept apart on purpose:

- `region_figures` reads the exact figures, aggregated in SQL: one query
  for the totals and every breakdown (`_tallies`: distinct people and
  enterprises counted in two grouping steps, waiting days as a histogram from
  which the median and 90th percentile are exact; no booking row leaves the
  database), one for the waitlist, and the hours the advisors offered, from
  the slot engine's working intervals, and one for the outcome follow-up.
  Seven queries in all, whatever the number of bookings or advisors (eight
  on PostgreSQL: one sets up the big query). A period of whole months reads
  the same tallies from monthly rollups instead (reporting.rollups:
  eight queries, six more for months that changed), which the tests hold to
  the same figures. Never shown to anyone as it is.
- `suppress_report` applies disclosure control (invariant 5) and is the only
  way out: `region_report` is the two together, and the JSON, CSV and XLSX
  views all render its result, so they carry the same hidden cells.

Which bookings count: those of the region (`stat_region`, the advisor's region
when booked) whose session starts on a local date (Europe/Stockholm) from
`start` to `end`, both inclusive, whatever their status. Every figure comes
from the `stat_*` facts fixed at booking time, so an erased account or an
edited enterprise does not change history.

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
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connections, transaction
from django.db.models import Case, Count, Exists, F, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import TruncMonth
from django.utils.dates import MONTHS
from django.utils.translation import get_language

from advisors.availability import Interval, Rules, local_to_utc, working_intervals
from advisors.models import Advisor, MeetingMode, Municipality, Region, Topic
from advisors.selectors import advisor_rules, weekly_hours_by_advisor
from bookings import rules
from bookings.models import Booking, BookingStatus, EnterpriseKind, Gender, WaitlistEntry

from .rollups import is_whole_months, tallies_of_months

REPORT_ZONE = ZoneInfo("Europe/Stockholm")

BREAKDOWNS = (
    "by_month",
    "by_topic",
    "by_municipality",
    "by_enterprise_kind",
    "by_gender",
    "by_mode",
    "by_advisor_organisation",
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
# Figures shown as "<5" when hidden (counts); the rest become null.
COUNTS = frozenset({"bookings", "sessions_held", "coverage", *PEOPLE_COUNTS})

# Offered hours (and so utilisation) are known by month and advisor
# organisation only; unmet demand (the waitlist) has no meeting mode or
# organisation. Elsewhere these figures are null: not applicable.
WITH_OFFERED = frozenset({"by_month", "by_advisor_organisation"})
WITH_UNMET = frozenset({"by_month", "by_topic", "by_municipality", "by_enterprise_kind", "by_gender"})

GENDER_KEYS = ("women", "men", "other_or_not_stated")

# PostgreSQL's memory for each of the report's hash tables, for its one query:
# a year of a region with 500,000 bookings needs about 150 MB for its people
# and as much for its enterprises; the default 4 MB spills to disk. Only
# coordinators ask for reports, seldom at once.
STATISTICS_WORK_MEM = "256MB"

HELD = Q(status__in=rules.HELD)
OUTCOME = Q(status__in=[*rules.HELD, BookingStatus.NO_SHOW])
BOOKED = Q(status__in=rules.BOOKED)
RATED = Q(feedback__isnull=False)


# --- Definitions --------------------------------------------------------------------------

# Every measure, breakdown and mark of the report in plain Swedish and English,
# because funders ask. The export's "Definitions" sheet and the definitions
# page render this; "{threshold}" stands for STATISTICS_SUPPRESSION_THRESHOLD
# (see `definitions()`).
DEFINITIONS: dict[str, dict[str, str]] = {
    "period": {
        "kind": "note",
        "name_sv": "Period",
        "name_en": "Period",
        "sv": "Rapporten räknar bokningar vars möte börjar under perioden, från första till sista dagen, "
        "båda inräknade, i svensk tid. Mötena räknas till regionen där rådgivaren arbetade när bokningen "
        "gjordes.",
        "en": "The report counts bookings whose session starts in the period, from the first to the last "
        "day, both included, in Swedish time. Sessions count for the region the advisor worked in when "
        "the booking was made.",
    },
    "bookings": {
        "kind": "measure",
        "name_sv": "Bokningar",
        "name_en": "Bookings",
        "sv": "Alla bokningar av rådgivningsmöten under perioden: genomförda, uteblivna, avbokade och ännu "
        "inte avrapporterade.",
        "en": "All bookings of advice sessions in the period: held, no-show, cancelled and not yet recorded.",
    },
    "sessions_held": {
        "kind": "measure",
        "name_sv": "Genomförda möten",
        "name_en": "Sessions held",
        "sv": "Möten som rådgivaren har rapporterat som genomförda.",
        "en": "Sessions the advisor recorded as held.",
    },
    "unique_enterprises": {
        "kind": "measure",
        "name_sv": "Företag som fått rådgivning",
        "name_en": "Enterprises advised",
        "sv": "Olika företag (och affärsidéer) med minst ett genomfört möte under perioden. Varje företag "
        "räknas en gång, efter organisationsnummer eller, utan nummer, som sin egen post.",
        "en": "Distinct enterprises (and business ideas) with at least one session held in the period. "
        "Each counts once, by organisation number or, without one, as its own record.",
    },
    "first_time_enterprises": {
        "kind": "measure",
        "name_sv": "Nya företag",
        "name_en": "First-time enterprises",
        "sv": "Företag vars första bokning i Rådtid (den första som inte avbokades) var ett möte som "
        "genomfördes under perioden.",
        "en": "Enterprises whose first booking with Rådtid (the first not cancelled) was a session held "
        "in the period.",
    },
    "returning_enterprises": {
        "kind": "measure",
        "name_sv": "Återkommande företag",
        "name_en": "Returning enterprises",
        "sv": "Företag med ett genomfört möte under perioden som inte var deras första bokning: de kom "
        "tillbaka. Ett företag vars första och andra möte båda ligger i perioden räknas både som nytt "
        "och som återkommande.",
        "en": "Enterprises with a session held in the period that was not their first booking: they came "
        "back. An enterprise whose first and second sessions both fall in the period counts as both "
        "first-time and returning.",
    },
    "unique_people": {
        "kind": "measure",
        "name_sv": "Personer som fått rådgivning",
        "name_en": "People advised",
        "sv": "Olika personer med minst ett genomfört möte under perioden, räknade en gång var.",
        "en": "Distinct people with at least one session held in the period, each counted once.",
    },
    "advice_hours": {
        "kind": "measure",
        "name_sv": "Rådgivningstimmar",
        "name_en": "Advice hours",
        "sv": "Summan av de genomförda mötenas bokade längd, i timmar.",
        "en": "The booked length of the sessions held, added up, in hours.",
    },
    "no_show_rate": {
        "kind": "measure",
        "name_sv": "Andel uteblivna",
        "name_en": "No-show rate",
        "sv": "Uteblivna möten delat med genomförda och uteblivna möten (0–1).",
        "en": "No-shows divided by sessions held plus no-shows (0–1).",
    },
    "cancellation_rate": {
        "kind": "measure",
        "name_sv": "Andel avbokade",
        "name_en": "Cancellation rate",
        "sv": "Avbokade bokningar delat med alla bokningar (0–1).",
        "en": "Cancelled bookings divided by all bookings (0–1).",
    },
    "median_waiting_days": {
        "kind": "measure",
        "name_sv": "Väntetid, median (dagar)",
        "name_en": "Waiting time, median (days)",
        "sv": "Dagar från att bokningen gjordes till mötet: hälften av bokningarna väntade kortare, hälften "
        "längre. Alla bokningar räknas, även avbokade.",
        "en": "Days from making the booking to the session: half of the bookings waited less, half more. "
        "All bookings count, cancelled ones too.",
    },
    "p90_waiting_days": {
        "kind": "measure",
        "name_sv": "Väntetid, 90:e percentilen (dagar)",
        "name_en": "Waiting time, 90th percentile (days)",
        "sv": "Nio av tio bokningar hade högst så här många dagar från bokning till möte.",
        "en": "Nine in ten bookings had at most this many days from booking to session.",
    },
    "share_within_14_days": {
        "kind": "measure",
        "name_sv": "Andel med möte inom 14 dagar",
        "name_en": "Share with a session within 14 days",
        "sv": "Andelen bokningar där mötet låg högst 14 dagar efter att bokningen gjordes (0–1).",
        "en": "The share of bookings whose session was at most 14 days after the booking was made (0–1).",
    },
    "offered_hours": {
        "kind": "measure",
        "name_sv": "Erbjudna timmar",
        "name_en": "Offered hours",
        "sv": "Rådgivarnas arbetstid för bokningar under perioden enligt deras kalendrar: veckotider och "
        "ändrade dagar, minus helgdagar och ledighet. Räknas för regionens aktiva rådgivare och för dem "
        "som hade bokningar under perioden. Finns per månad och per organisation.",
        "en": "The advisors' working hours for bookings in the period from their calendars: weekly hours "
        "and changed dates, less public holidays and time off. Counted for the region's active advisors "
        "and for those with bookings in the period. Given by month and by organisation.",
    },
    "utilisation": {
        "kind": "measure",
        "name_sv": "Beläggning",
        "name_en": "Utilisation",
        "sv": "Bokade timmar (genomförda, uteblivna och bekräftade möten) delat med erbjudna timmar.",
        "en": "Booked hours (sessions held, no-shows and confirmed sessions) divided by offered hours.",
    },
    "mean_rating": {
        "kind": "measure",
        "name_sv": "Snittbetyg",
        "name_en": "Mean rating",
        "sv": "Medelvärdet av betygen (1–5) som företagarna gav genomförda möten under perioden.",
        "en": "The average of the ratings (1–5) entrepreneurs gave the sessions held in the period.",
    },
    "coverage": {
        "kind": "measure",
        "name_sv": "Täckning (kommuner)",
        "name_en": "Coverage (municipalities)",
        "sv": "Kommuner i regionen med minst ett företag som fått rådgivning under perioden, av alla "
        "regionens kommuner. Ett företag räknas till kommunen där det finns.",
        "en": "Municipalities of the region with at least one enterprise advised in the period, of all "
        "the region's municipalities. An enterprise counts for the municipality it is in.",
    },
    "unmet_demand": {
        "kind": "measure",
        "name_sv": "Ej tillgodosedd efterfrågan",
        "name_en": "Unmet demand",
        "sv": "Anmälningar till väntelistan under perioden: personer som inte hittade någon ledig tid de "
        "närmaste två veckorna. Per månad då anmälan gjordes.",
        "en": "Waitlist entries made in the period: people who found no free time in the next two weeks. "
        "By the month the entry was made.",
    },
    "follow_up": {
        "kind": "note",
        "name_sv": "Uppföljning efter tre månader",
        "name_en": "Follow-up after three months",
        "sv": "Tre månader efter ett företags första genomförda möte får personen som bokade fyra frågor om "
        "vad rådgivningen ledde till. Räknas för företag vars första möte låg under perioden och som har "
        "svarat. Andelen är ja-svar delat med alla svar. Svaren redovisas bara tillsammans; ett antal, "
        "eller antalet som svarade nej, som bygger på 1–{below} företag döljs.",
        "en": "Three months after an enterprise's first session held, the person who booked it gets four "
        "questions about what the advice led to. Counted for enterprises whose first session fell in the "
        "period and who answered. The share is the yes answers divided by all answers. Answers are only "
        "reported together; a count, or the number who answered no, resting on 1–{below} enterprises is "
        "hidden.",
    },
    "follow_up_new_customers": {
        "kind": "measure",
        "name_sv": "Nya kunder",
        "name_en": "New customers",
        "sv": "Företag som svarade att rådgivningen bidrog till nya kunder.",
        "en": "Enterprises that answered that the advice contributed to new customers.",
    },
    "follow_up_public_contract": {
        "kind": "measure",
        "name_sv": "Offentlig upphandling",
        "name_en": "A public contract",
        "sv": "Företag som svarade att rådgivningen bidrog till ett kontrakt i en offentlig upphandling.",
        "en": "Enterprises that answered that the advice contributed to winning a public contract.",
    },
    "follow_up_financing": {
        "kind": "measure",
        "name_sv": "Finansiering",
        "name_en": "Financing",
        "sv": "Företag som svarade att rådgivningen bidrog till finansiering: lån, bidrag eller investering.",
        "en": "Enterprises that answered that the advice contributed to financing: a loan, a grant or an "
        "investment.",
    },
    "follow_up_hiring": {
        "kind": "measure",
        "name_sv": "Anställningar",
        "name_en": "Hiring",
        "sv": "Företag som svarade att rådgivningen bidrog till att de anställde personer som står långt "
        "från arbetsmarknaden.",
        "en": "Enterprises that answered that the advice contributed to hiring people far from the labour "
        "market.",
    },
    "by_month": {
        "kind": "breakdown",
        "name_sv": "Per månad",
        "name_en": "By month",
        "sv": "Månaden då mötet ägde rum.",
        "en": "The month the session took place.",
    },
    "by_topic": {
        "kind": "breakdown",
        "name_sv": "Per ämne",
        "name_en": "By topic",
        "sv": "Ämnet som valdes vid bokningen.",
        "en": "The topic chosen when booking.",
    },
    "by_municipality": {
        "kind": "breakdown",
        "name_sv": "Per kommun",
        "name_en": "By municipality",
        "sv": "Kommunen där företaget finns; även kommuner utanför regionen när deras företag fått råd här.",
        "en": "The municipality the enterprise is in; municipalities outside the region too, when their "
        "enterprises were advised here.",
    },
    "by_enterprise_kind": {
        "kind": "breakdown",
        "name_sv": "Per typ av företag",
        "name_en": "By kind of enterprise",
        "sv": "Arbetsintegrerande socialt företag, annat socialt företag, idé eller annat.",
        "en": "Work-integrating social enterprise, other social enterprise, idea or other.",
    },
    "by_gender": {
        "kind": "breakdown",
        "name_sv": "Per kön",
        "name_en": "By gender",
        "sv": "Kvinnor, män, samt annat eller ej angivet, som personen själv uppgav när bokningen gjordes.",
        "en": "Women, men, and other or not stated, as the person said when the booking was made.",
    },
    "by_mode": {
        "kind": "breakdown",
        "name_sv": "Per mötesform",
        "name_en": "By meeting mode",
        "sv": "På plats, telefon eller video.",
        "en": "In person, phone or video.",
    },
    "by_advisor_organisation": {
        "kind": "breakdown",
        "name_sv": "Per rådgivande organisation",
        "name_en": "By advisor organisation",
        "sv": "Organisationen som rådgivaren arbetade för när bokningen gjordes.",
        "en": "The organisation the advisor worked for when the booking was made.",
    },
    "hidden": {
        "kind": "note",
        "name_sv": "Dolda uppgifter",
        "name_en": "Hidden figures",
        "sv": "Ingen uppgift får kunna peka ut en person eller ett företag. Ett antal som bygger på 1–{below} "
        "företag eller personer visas som ”<{threshold}”, och andelar, medelvärden, medianer och timmar som "
        "bygger på så få visas inte (tomt). Ytterligare en rad döljs när det behövs för att en dold uppgift "
        "inte ska kunna räknas fram ur totalen och de andra raderna; den visas också som ”<{threshold}” "
        "eller tom. Tomt kan också betyda att uppgiften inte går att beräkna (ingen bokning) eller inte "
        "finns för indelningen.",
        "en": "No figure may single out a person or an enterprise. A count based on 1–{below} enterprises "
        "or people shows as “<{threshold}”, and rates, averages, medians and hours based on so few are not "
        "shown (empty). One more row is hidden where needed so that a hidden figure cannot be worked out "
        "from the total and the other rows; it shows as “<{threshold}” or empty too. Empty can also mean "
        "that the figure cannot be computed (no bookings) or does not exist for the breakdown.",
    },
}


def definitions(threshold: int | None = None) -> dict[str, dict[str, str]]:
    """DEFINITIONS with the suppression threshold filled in."""
    threshold = suppression_threshold() if threshold is None else threshold
    values = {"threshold": threshold, "below": max(threshold - 1, 1)}
    return {
        key: {field: text.format(**values) for field, text in entry.items()}
        for key, entry in DEFINITIONS.items()
    }


def suppression_threshold() -> int:
    return int(getattr(settings, "STATISTICS_SUPPRESSION_THRESHOLD", 5))


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


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The UTC instants [from, to) of local dates start..end in Europe/Stockholm."""
    return local_to_utc(start, time(0), REPORT_ZONE), local_to_utc(
        end + timedelta(days=1), time(0), REPORT_ZONE
    )


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
    offered = _offered(region, start, end)
    unmet = _unmet_demand(region, start, end)
    names = ("totals", *breakdowns)
    if settings.STATISTICS_MONTHLY_ROLLUPS and is_whole_months(start, end):
        tallies = tallies_of_months(region.code, start, end, names)
    else:
        tallies = _tallies(bookings, region.code, {name: GROUPINGS[name] for name in names})
    coverage_of = len(in_region)

    total = next(iter(tallies["totals"].values()), _Tally())
    report: dict[str, Any] = {
        "region": {"code": region.code, "name": region.name},
        "start": start.isoformat(),
        "end": end.isoformat(),
        "totals": _row(total, coverage_of, offered["total"], unmet["total"]),
    }
    months = _months(start, end)
    for name in breakdowns:
        found: dict[str, _Tally] = {}
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
                    found.get(key, _Tally()),
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
FOLLOW_UP_OUTCOMES = ("new_customers", "public_contract", "financing", "hiring")


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


FOLLOW_UP_LABELS = {
    f"follow_up_{o}": (DEFINITIONS[f"follow_up_{o}"]["name_sv"], DEFINITIONS[f"follow_up_{o}"]["name_en"])
    for o in FOLLOW_UP_OUTCOMES
}


# --- Reading the figures --------------------------------------------------------------------

# The groupings the report reads, by the expression each groups on. The
# totals group on the region, the same for every booking read.
GROUPINGS = {
    "totals": F("stat_region"),
    "by_month": TruncMonth("start", tzinfo=REPORT_ZONE),
    "by_topic": F("topic_id"),
    "by_municipality": F("stat_municipality"),
    "by_enterprise_kind": F("stat_enterprise_kind"),
    "by_gender": Case(
        When(stat_gender=Gender.WOMAN, then=Value("women")),
        When(stat_gender=Gender.MAN, then=Value("men")),
        default=Value("other_or_not_stated"),
    ),
    "by_mode": F("mode"),
    "by_advisor_organisation": F("stat_advisor_organisation"),
}
# Groupings whose keys seldom change between one person's (or enterprise's)
# bookings: PostgreSQL reads them in one grouping by person and all of them,
# about one row a person, and groups that apart in a second step. Only a matter
# of speed: grouping finer first gives the same counts, whatever the data.
READ_TOGETHER = ("totals", "by_municipality", "by_enterprise_kind", "by_gender", "by_advisor_organisation")
# The facts read from each booking, besides the groupings (named without
# "fact_" in the SQL; the ORM will not alias a field by its own name).
FACTS = {
    "fact_person": F("stat_person_key"),
    "fact_enterprise": F("stat_enterprise_key"),
    "fact_municipality": F("stat_municipality"),
    "fact_status": F("status"),
    "fact_first_time": F("stat_first_time"),
    "fact_waiting": F("stat_waiting_days"),
    "fact_minutes": F("duration"),
    "fact_rating": F("feedback__rating"),
}


@dataclass
class _Tally:
    """What the database counted for one row: people and enterprises (all,
    held, outcome, booked, rated; enterprises also first-time and returning),
    the municipalities covered, and the bookings by waiting days."""

    people: tuple[int, ...] = (0, 0, 0, 0, 0)
    enterprises: tuple[int, ...] = (0, 0, 0, 0, 0, 0, 0)
    covered: int = 0
    # (waiting days, bookings, held, no-show, cancelled, held minutes, booked minutes, rating sum, ratings)
    by_waiting: list[tuple[int, ...]] = field(default_factory=list)


def _tallies(
    bookings: QuerySet[Booking], region_code: str, groupings: Mapping[str, Any] = GROUPINGS
) -> dict[str, dict[str, _Tally]]:
    """Every grouping's tallies in one query, aggregated in the database.

    Four kinds of rows per grouping ("arms"): people, enterprises, covered
    municipalities and bookings by waiting days. Distinct people and
    enterprises are counted in two steps (group by row and person, then count
    the groups) rather than with COUNT(DISTINCT …), which would sort once per
    distinct count. Waiting days come back as a histogram per row (a few dozen
    values), from which the percentiles are exact. The booking rows are read
    once, as a common table expression built by the ORM.

    On PostgreSQL each arm is one GROUP BY GROUPING SETS over all groupings, so
    a year of a big region is read four times rather than 32 (SQLite has no
    grouping sets: there each arm is a UNION ALL of one GROUP BY per grouping).
    Both give the same rows, which the tests check on both databases."""
    connection = connections[bookings.db]
    columns = {f"g{i}": expression for i, expression in enumerate(groupings.values())}
    base = bookings.values(**columns, **FACTS)
    base_sql, base_params = base.query.get_compiler(using=bookings.db).as_sql()
    names = ", ".join([*columns, *(name.removeprefix("fact_") for name in FACTS)])

    (held,) = rules.HELD
    no_show, cancelled, booked = BookingStatus.NO_SHOW, BookingStatus.CANCELLED, rules.BOOKED
    flags = (
        "MAX(CASE WHEN status = %s THEN 1 ELSE 0 END) AS f_held, "
        "MAX(CASE WHEN status IN (%s, %s) THEN 1 ELSE 0 END) AS f_outcome, "
        "MAX(CASE WHEN status IN (%s, %s, %s) THEN 1 ELSE 0 END) AS f_booked, "
        "MAX(CASE WHEN rating IS NOT NULL THEN 1 ELSE 0 END) AS f_rated"
    )
    flag_params = [held, held, no_show, *booked]
    # Each arm groups the bookings by grouping key and `by`, aggregating
    # `inner` (named as in `cols`); `rollup` aggregates those again (grouping
    # them coarser gives the same result); `outer` makes the arm's numbers
    # from the groups of each key. Columns: grouping, arm, key, waiting days,
    # then eight numbers.
    arms = [
        {
            "by": "person",
            "inner": flags,
            "params": flag_params,
            "cols": ("f_held", "f_outcome", "f_booked", "f_rated"),
            "rollup": "MAX",
            "outer": "CAST(NULL AS INTEGER), COUNT(*), SUM(f_held), SUM(f_outcome), SUM(f_booked), "
            "SUM(f_rated), 0, 0, 0",
        },
        {
            "by": "enterprise",
            "inner": f"{flags}, MAX(CASE WHEN status = %s AND first_time THEN 1 ELSE 0 END) AS f_first, "
            "MAX(CASE WHEN status = %s AND NOT first_time THEN 1 ELSE 0 END) AS f_returning",
            "params": [*flag_params, held, held],
            "cols": ("f_held", "f_outcome", "f_booked", "f_rated", "f_first", "f_returning"),
            "rollup": "MAX",
            "outer": "CAST(NULL AS INTEGER), COUNT(*), SUM(f_held), SUM(f_outcome), SUM(f_booked), "
            "SUM(f_rated), SUM(f_first), SUM(f_returning), 0",
        },
        {
            # A municipality code starts with its region's code.
            "by": "municipality",
            "where": ("WHERE status = %s AND municipality LIKE %s", [held, f"{region_code}%"]),
            "outer": "CAST(NULL AS INTEGER), COUNT(*), 0, 0, 0, 0, 0, 0, 0",
        },
        {
            "by": "waiting",
            "inner": "COUNT(*) AS n, SUM(CASE WHEN status = %s THEN 1 ELSE 0 END) AS n_held, "
            "SUM(CASE WHEN status = %s THEN 1 ELSE 0 END) AS n_no_show, "
            "SUM(CASE WHEN status = %s THEN 1 ELSE 0 END) AS n_cancelled, "
            "SUM(CASE WHEN status = %s THEN minutes ELSE 0 END) AS m_held, "
            "SUM(CASE WHEN status IN (%s, %s, %s) THEN minutes ELSE 0 END) AS m_booked, "
            "SUM(rating) AS r_sum, COUNT(rating) AS r_n",
            "params": [held, no_show, cancelled, held, *booked],
            "cols": ("n", "n_held", "n_no_show", "n_cancelled", "m_held", "m_booked", "r_sum", "r_n"),
            "rollup": "SUM",
            # One row per key and waiting days already: the outer step passes it on.
            "outer": "waiting, SUM(n), SUM(n_held), SUM(n_no_show), SUM(n_cancelled), SUM(m_held), "
            "SUM(m_booked), SUM(r_sum), SUM(r_n)",
        },
    ]
    grouping_sets = connection.vendor == "postgresql"
    ctes, parts, params, cte_params = [], [], [], []
    every = ", ".join(columns)
    names_by_index = list(groupings)
    together = [f"g{names_by_index.index(name)}" for name in READ_TOGETHER if name in groupings]
    alone = [c for c in columns if c not in together]
    for a, arm in enumerate(arms):
        by, where, where_params = arm["by"], *arm.get("where", ("", []))
        inner = f", {arm['inner']}" if "inner" in arm else ""
        then_by = ", waiting" if by == "waiting" else ""
        if not grouping_sets:
            steps = [
                f"SELECT {i} AS g, CAST({c} AS VARCHAR(200)) AS k, {by}{inner} FROM b {where} "  # noqa: S608 - names from GROUPINGS, values are parameters
                f"GROUP BY {c}, {by}"
                for i, c in enumerate(columns)
            ]
            parts.append(
                f"SELECT g, {a}, k, {arm['outer']} FROM ({' UNION ALL '.join(steps)}) AS x GROUP BY g, k{then_by}"  # noqa: S608 - fixed text
            )
            params += [*arm.get("params", []), *where_params] * len(columns)
            continue
        # GROUPING() sets the bit of every grouping column not in the row's
        # set, and those columns are null there: the key is the one that is
        # not, made text only once the rows are few. The groupings read
        # together are grouped apart in a second step, over few rows.
        sets = [f"({c}, {by})" for c in alone] + ([f"({', '.join(together)}, {by})"] if together else [])
        ctes.append(
            f"i{a} AS (SELECT GROUPING({every}) AS g, {every}, {by}{inner} FROM b {where} "  # noqa: S608 - names from GROUPINGS, values are parameters
            f"GROUP BY GROUPING SETS ({', '.join(sets)}))"
        )
        cte_params += [*arm.get("params", []), *where_params]
        cols = "".join(f", {c}" for c in arm.get("cols", ()))
        rolled = "".join(f", {arm['rollup']}({c}) AS {c}" for c in arm.get("cols", ()))
        combined = _grouping(together, columns)
        rows = f"SELECT g, {every}, {by}{cols} FROM i{a} WHERE g <> {combined}"  # noqa: S608 - fixed text
        if together:
            # GROUPING() here takes only this step's own grouping columns; the
            # others are null in these rows.
            grouped = ", ".join(c if c in together else "NULL" for c in columns)
            gid = " ".join(f"WHEN GROUPING({c}) = 0 THEN {_grouping([c], columns)}" for c in together)
            rows += (
                f" UNION ALL SELECT CASE {gid} END, {grouped}, {by}{rolled} FROM i{a} WHERE g = {combined} "  # noqa: S608 - fixed text
                f"GROUP BY GROUPING SETS ({', '.join(f'({c}, {by})' for c in together)})"
            )
        key = "COALESCE(" + ", ".join(f"CAST({c} AS VARCHAR(200))" for c in columns) + ")"
        parts.append(
            f"SELECT g, {a}, {key}, {arm['outer']} FROM ({rows}) AS x GROUP BY g, {every}{then_by}"  # noqa: S608 - fixed text
        )
    sql = f"WITH b ({names}) AS ({base_sql}){''.join(f', {c}' for c in ctes)} " + " UNION ALL ".join(parts)
    params = [*cte_params, *params]
    # SET LOCAL needs a transaction: our own, or the caller's (then the
    # settings last until the caller's ends, harmless for what follows).
    own = transaction.atomic(using=bookings.db) if connection.get_autocommit() else nullcontext()
    with own, connection.cursor() as cursor:
        if grouping_sets:
            # The planner prices this query high enough to JIT-compile its many
            # expressions, which takes longer than running it; and its hash
            # tables (a year of a big region's people) should not spill to disk.
            cursor.execute(f"SET LOCAL jit = off; SET LOCAL work_mem = '{STATISTICS_WORK_MEM}'")
        cursor.execute(sql, [*base_params, *params])
        rows = cursor.fetchall()

    if grouping_sets:
        index_of = {_grouping([c], columns): i for i, c in enumerate(columns)}
    found: dict[str, dict[str, _Tally]] = {name: {} for name in groupings}
    for g, arm, key, waiting, *numbers in rows:
        index = index_of[g] if grouping_sets else g
        tally = found[names_by_index[index]].setdefault(key, _Tally())
        numbers = [int(n or 0) for n in numbers]
        if arm == 0:
            tally.people = tuple(numbers[:5])
        elif arm == 1:
            tally.enterprises = tuple(numbers[:7])
        elif arm == 2:
            tally.covered = numbers[0]
        else:
            tally.by_waiting.append((int(waiting), *numbers))
    return found


def _grouping(included: Iterable[str], columns: Sequence[str]) -> int:
    """What PostgreSQL's GROUPING(all `columns`) is for a grouping set of the
    `included` ones: a bit for each column not in it, the first the highest."""
    return sum(1 << (len(columns) - 1 - i) for i, c in enumerate(columns) if c not in set(included))


def _row(tally: _Tally, coverage_of: int, offered_minutes: float | None, unmet: int | None) -> dict:
    """The figures of one row (or the totals) from its tally."""
    sums = [sum(column) for column in zip(*tally.by_waiting, strict=True)] if tally.by_waiting else [0] * 9
    _, bookings, held, no_show, cancelled, held_minutes, booked_minutes, rating_sum, ratings = sums
    histogram = sorted((w[0], w[1]) for w in tally.by_waiting)
    median, p90 = percentile_of_counts(histogram, 0.5), percentile_of_counts(histogram, 0.9)
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
        "share_within_14_days": _ratio(sum(n for w, n in histogram if w <= 14), bookings),
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
    }


def _ratio(part: float, whole: float | None) -> float | None:
    return round_half_up(part / whole, 3) if whole else None


def round_half_up(value: float, places: int) -> float:
    """`value` rounded to `places` decimals, halves away from zero, as a
    spreadsheet and the database round: 1011.25 hours is 1011.3, where Python's
    round() of the binary float gives 1011.2. The float's shortest decimal form
    is what is rounded, so 1011.35 (not exact in binary) also goes up."""
    return float(Decimal(repr(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


# --- Rows: keys and labels -----------------------------------------------------------------


def _months(start: date, end: date) -> list[str]:
    months, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _month_key(value: date | datetime) -> str:
    if isinstance(value, datetime):
        value = value.astimezone(REPORT_ZONE) if value.tzinfo else value
    return f"{value.year:04d}-{value.month:02d}"


def _keys_and_labels(
    name: str,
    found: Mapping[str, Any],
    unmet: Mapping[str, int],
    months: Sequence[str],
    topics: Sequence[dict],
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
    raise ValueError(name)


# Row labels of the report's own making, in Swedish and English (like
# DEFINITIONS, kept here so the report and its files read right in both).
LABELS = {
    "women": ("Kvinnor", "Women"),
    "men": ("Män", "Men"),
    "other_or_not_stated": ("Annat eller ej angivet", "Other or not stated"),
    "any_topic": ("Inget ämne (väntar på en viss rådgivare)", "No topic (waiting for a particular advisor)"),
}


def label_text(key: str, labels: Mapping[str, tuple[str, str]] = LABELS) -> str:
    """A label in the active language: Swedish unless English is active."""
    swedish, english = labels[key]
    return english if english_active() else swedish


def english_active() -> bool:
    return (get_language() or "sv").startswith("en")


# --- Unmet demand ---------------------------------------------------------------------------


def _unmet_demand(region: Region, start: date, end: date) -> dict[str, Any]:
    """Waitlist entries made in the period, in total and by month, topic,
    municipality, kind and gender: one grouped query, summed per dimension."""
    since, until = period_bounds(start, end)
    gender = Case(
        When(stat_gender=Gender.WOMAN, then=Value("women")),
        When(stat_gender=Gender.MAN, then=Value("men")),
        default=Value("other_or_not_stated"),
    )
    groups = (
        WaitlistEntry.objects.filter(stat_region=region.code, created__gte=since, created__lt=until)
        .values(
            "stat_topic",
            "stat_municipality",
            "stat_enterprise_kind",
            month=TruncMonth("created", tzinfo=REPORT_ZONE),
            gender=gender,
        )
        .annotate(n=Count("pk"))
        .order_by()
    )
    found: dict[str, Any] = {"total": 0, **{name: Counter() for name in WITH_UNMET}}
    for group in groups:
        n = group["n"]
        found["total"] += n
        found["by_month"][_month_key(group["month"])] += n
        found["by_topic"][group["stat_topic"]] += n
        found["by_municipality"][group["stat_municipality"]] += n
        found["by_enterprise_kind"][group["stat_enterprise_kind"]] += n
        found["by_gender"][group["gender"]] += n
    return found


# --- Offered hours --------------------------------------------------------------------------


def _offered(region: Region, start: date, end: date) -> dict[str, Any]:
    """Minutes offered in the period in total, by month and by organisation, by
    the region's active advisors and those who had bookings in it (an advisor
    since made inactive still offered those hours). Two queries."""
    since, until = period_bounds(start, end)
    # Per advisor, on the (advisor, blocked_end) index: a blocked range ends
    # after its session starts, so blocked_end > since holds for every booking
    # of the period and bounds the scan.
    had_bookings = Exists(
        Booking.objects.filter(
            advisor=OuterRef("pk"), blocked_end__gt=since, start__gte=since, start__lt=until
        )
    )
    advisors = list(
        Advisor.objects.filter(region=region)
        .filter(Q(is_active=True, user__is_active=True) | Q(had_bookings))
        .order_by("pk")
    )
    weekly = weekly_hours_by_advisor([a.pk for a in advisors])
    rules = {a.pk: advisor_rules(a, weekly[a.pk]) for a in advisors}
    minutes = offered_minutes_by_month(rules, start, end)
    by_month: Counter[str] = Counter()
    by_organisation: Counter[str] = Counter()
    for advisor in advisors:
        for month, value in minutes[advisor.pk].items():
            by_month[month] += value
            by_organisation[advisor.organisation] += value
    return {
        "total": float(sum(by_month.values())),
        "by_month": by_month,
        "by_advisor_organisation": by_organisation,
    }


def offered_minutes_by_month(
    rules: Mapping[int, Rules], first_day: date, last_day: date
) -> dict[int, Counter[str]]:
    """Minutes each advisor offers on local dates first_day..last_day, by month
    ("YYYY-MM"): the slot engine's working intervals (weekly hours, date
    overrides, public holidays) less time off. Pure. Advisors with the same
    week share the day-by-day work, so a thousand of them cost little more
    than one; only their override and time-off days are worked out apart."""
    days = [first_day + timedelta(days=i) for i in range((last_day - first_day).days + 1)]
    weeks: dict[tuple, tuple[dict[date, float], Counter[str]]] = {}
    found: dict[int, Counter[str]] = {}
    for pk, rule in rules.items():
        signature = (
            rule.timezone,
            rule.closed_on_public_holidays,
            tuple(sorted((d, tuple(sorted(v))) for d, v in rule.weekly_hours.items() if v)),
        )
        if signature not in weeks:
            week_only = Rules(
                timezone=rule.timezone,
                weekly_hours=rule.weekly_hours,
                closed_on_public_holidays=rule.closed_on_public_holidays,
            )
            per_day = {day: _length(working_intervals(week_only, day)) for day in days}
            per_month: Counter[str] = Counter()
            for day, value in per_day.items():
                per_month[f"{day:%Y-%m}"] += value
            weeks[signature] = per_day, per_month
        per_day, per_month = weeks[signature]
        totals = Counter(per_month)
        time_off = _merge(rule.time_off)
        special = {d for d in rule.overrides if first_day <= d <= last_day}
        for off in time_off:
            day = max(first_day, off.start.astimezone(rule.zone).date())
            stop = min(last_day, off.end.astimezone(rule.zone).date())
            while day <= stop:
                special.add(day)
                day += timedelta(days=1)
        for day in special:
            exact = _length(working_intervals(rule, day), minus=time_off)
            totals[f"{day:%Y-%m}"] += exact - per_day[day]
        found[pk] = totals
    return found


def _merge(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if merged and start <= merged[-1].end:
            if end > merged[-1].end:
                merged[-1] = Interval(merged[-1].start, end)
        else:
            merged.append(Interval(start, end))
    return merged


def _length(intervals: Iterable[Interval], minus: Sequence[Interval] = ()) -> float:
    """Minutes covered by the intervals (overlaps once), less those in `minus` (merged)."""
    total = 0.0
    for start, end in _merge(intervals):
        seconds = (end - start).total_seconds()
        for off in minus:
            overlap = (min(end, off.end) - max(start, off.start)).total_seconds()
            if overlap > 0:
                seconds -= overlap
        total += seconds / 60
    return total


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
    return low_value + (high_value - low_value) * (position - low)


# --- Disclosure control ---------------------------------------------------------------------


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

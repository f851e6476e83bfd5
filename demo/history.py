"""A year of past bookings for the demo regions, Dalarna (20) and Kronoberg (07),
with outcomes (most held sessions with the advisor's outcome note, noted at
the session's end), feedback and the statistical facts (`seed_demo`).

- `seed_history`: about 400 bookings over the last 365 days with the six demo
  advisors, by the five demo entrepreneurs and 60 generated ones
  (historik-0001@example.invalid …). Once: nothing is added when the demo
  advisors already have past bookings.
- `seed_bulk_history`: N more, for benchmarks, with generated advisors in the
  same regions (inactive, so the directory stays as it is; about 1,000 bookings
  a year each) and generated entrepreneurs. It works in chunks of about
  `batch_size` bookings: each chunk creates its advisors and people, inserts
  its bookings and feedback with bulk_create and commits, so memory stays flat
  whatever N is.

The booking service refuses past times, so the rows are built here and must
keep what the service keeps:

- Invariant 1: an advisor's blocked ranges (the session widened by the
  buffers) never overlap. Sessions are laid out per advisor, day by day, on
  the slot grid of the working intervals of the day (weekly hours, public
  holidays closed, four weeks of summer vacation), back to back at the
  closest; the PostgreSQL exclusion constraint checks it on insert.
- The stat_* facts are those `bookings.services.booking_create` fixes, with
  the same keys; `stat_first_time` is true for an enterprise's first
  booking in chronological order that is held or still confirmed (neither
  cancelled nor a no-show: reporting.first_time), and only for it.

Generated people are obviously fake (…@example.invalid, names from fixed
lists), have no EmailAddress and an unusable password, so nobody signs in as
them. Everything comes from one random.Random(seed): the same seed on the same
day gives the same history.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import accumulate
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import DateTimeField
from django.db.models.functions import Length
from django.utils import timezone

from advisors.availability import Interval, Rules, working_intervals
from advisors.models import Advisor, MeetingMode, Municipality, Topic, WeeklyHours
from advisors.selectors import weekly_hours_by_advisor
from backend.audit import audit
from backend.models import Role, User
from bookings import needs
from bookings.models import (
    Booking,
    BookingStatus,
    Enterprise,
    EnterpriseKind,
    EntrepreneurProfile,
    Feedback,
    Gender,
    LegalForm,
    WomenLed,
)
from bookings.pseudonyms import KeyMaker, enterprise_ref

SEED = 2026
REGIONS = ("20", "07")
HISTORY_DAYS = 365
BATCH_SIZE = 5000

# The default history: 30 generated entrepreneurs a region, historik-0001 … historik-0060.
PEOPLE_PER_REGION = 30
PERSON_EMAIL = "historik-{:04d}@example.invalid"
ADVISOR_EMAIL = "radgivare-historik-{:04d}@example.invalid"

# The bulk history: bookings a year per generated advisor (their week holds
# about 1,400 after holidays and vacation, six a day at most) and per
# generated entrepreneur (each books with one advisor, about monthly).
BULK_PER_ADVISOR = 1000
BULK_PER_PERSON = 12

# Share of statuses; sessions in the last week may still wait for their outcome.
CANCELLED_SHARE = 0.12
NO_SHOW_SHARE = 0.08
UNRECORDED_DAYS = 7
UNRECORDED_SHARE = 0.3
FEEDBACK_SHARE = 0.6
# Held sessions whose advisor wrote an outcome note (the documented support a
# funder counts). Drawn from a random stream of their own, so adding notes left
# the rest of the history as it was.
OUTCOME_NOTE_SHARE = 0.8
OUTCOME_NOTE_SEED = 1604
# About one booking in twelve asks for something to take part, from a generator
# of its own (so the rest of the history is the same with or without them);
# the weights follow what advice organisations see most: an interpreter, then
# step-free access. Now and then a need could not be met.
NEEDS_SEED = 1812
NEEDS_SHARE = 0.08
NEEDS_NOT_MET_SHARE = 0.15
NEEDS_DRAWN: tuple[tuple[dict[str, Any], float], ...] = (
    ({"interpreter_language": "ar"}, 3),
    ({"interpreter_language": "so"}, 2),
    ({"interpreter_language": "ti"}, 1),
    ({"interpreter_language": "sgn-SE"}, 1),
    ({"step_free": True}, 3),
    ({"hearing_loop": True}, 1),
    ({"companion": True}, 2),
    ({"easy_read": True}, 2),
    ({"companion": True, "easy_read": True}, 1),
    ({"interpreter_language": "fa", "easy_read": True}, 1),
    ({"other": "Behöver pauser under mötet."}, 1),
)

# Fewer sessions in the summer and around Christmas, more in spring and autumn.
MONTH_FACTOR = {
    1: 1.0,
    2: 1.1,
    3: 1.2,
    4: 1.1,
    5: 1.0,
    6: 0.8,
    7: 0.4,
    8: 0.8,
    9: 1.2,
    10: 1.2,
    11: 1.1,
    12: 0.7,
}

# The generated advisors' week: Monday to Friday 8–12 and 13–17.
BULK_WEEK = [(d, time(8), time(12)) for d in range(5)] + [(d, time(13), time(17)) for d in range(5)]

ORGANISATIONS = {
    "20": ["Coompanion Dalarna", "Almi Företagspartner Dalarna", "Region Dalarna"],
    "07": ["Coompanion Kronoberg", "Almi Företagspartner Kronoberg", "Växjö kommun"],
}
ADDRESSES = {"20": "Åsgatan 23, 791 71 Falun", "07": "Kungsgatan 8, 352 33 Växjö"}

# --- Fixed lists of fake people and enterprises ---------------------------------------------

FIRST_NAMES: dict[str, list[str]] = {
    Gender.WOMAN: ["Astrid", "Elin", "Hanna", "Ingrid", "Johanna", "Linnea", "Maja", "Sofia", "Tove", "Amina",
                   "Leyla", "Aino", "Greta", "Saga", "Vera", "Zeynep"],
    Gender.MAN: ["Anders", "Björn", "David", "Emil", "Gustav", "Hassan", "Jonas", "Lars", "Magnus", "Nils",
                 "Olof", "Oskar", "Rasmus", "Yusuf", "Viktor", "Pekka"],
    Gender.OTHER: ["Alex", "Kim", "Robin", "Sam"],
    Gender.NOT_STATED: ["Charlie", "Noa", "Love", "Mika"],
}  # fmt: skip
LAST_NAMES = [
    "Andersson", "Berglund", "Dahlberg", "Ekström", "Forsberg", "Granlund", "Hedlund", "Isaksson",
    "Jonsson", "Karlsson", "Lund", "Mattsson", "Nordin", "Olsson", "Persson", "Sandberg", "Tallberg",
    "Wikström", "Åberg", "Öberg", "Mohammadi", "Yilmaz", "Korhonen", "Nowak",
]  # fmt: skip
# A cycle of 20 with every gender in it: each region's first 20 people hold them all.
GENDER_CYCLE = [Gender.WOMAN, Gender.MAN, Gender.WOMAN, Gender.WOMAN, Gender.MAN, Gender.OTHER,
                Gender.WOMAN, Gender.MAN, Gender.WOMAN, Gender.MAN, Gender.WOMAN, Gender.MAN,
                Gender.NOT_STATED, Gender.WOMAN, Gender.MAN, Gender.WOMAN, Gender.MAN, Gender.WOMAN,
                Gender.MAN, Gender.WOMAN]  # fmt: skip
KIND_CYCLE = [EnterpriseKind.WORK_INTEGRATING, EnterpriseKind.SOCIAL, EnterpriseKind.IDEA,
              EnterpriseKind.WORK_INTEGRATING, EnterpriseKind.OTHER, EnterpriseKind.SOCIAL,
              EnterpriseKind.WORK_INTEGRATING, EnterpriseKind.IDEA, EnterpriseKind.SOCIAL,
              EnterpriseKind.WORK_INTEGRATING]  # fmt: skip
LEGAL_FORMS: dict[str, Sequence[str]] = {
    EnterpriseKind.WORK_INTEGRATING: [LegalForm.ECONOMIC_ASSOCIATION] * 5
    + [LegalForm.LIMITED_COMPANY_SVB] * 3
    + [LegalForm.NON_PROFIT_ASSOCIATION, LegalForm.LIMITED_COMPANY],
    EnterpriseKind.SOCIAL: [LegalForm.ECONOMIC_ASSOCIATION] * 3
    + [LegalForm.NON_PROFIT_ASSOCIATION] * 4
    + [LegalForm.FOUNDATION, LegalForm.LIMITED_COMPANY],
    EnterpriseKind.IDEA: [LegalForm.UNKNOWN],
    EnterpriseKind.OTHER: [LegalForm.LIMITED_COMPANY] * 3
    + [LegalForm.TRADING_PARTNERSHIP] * 2
    + [LegalForm.SOLE_TRADER] * 2
    + [LegalForm.OTHER],
}
# First three digits of a generated organisation number by legal form (none:
# no number; a sole trader's would be a personal identity number).
ORG_PREFIX: dict[str, str] = {
    LegalForm.ECONOMIC_ASSOCIATION: "769",
    LegalForm.NON_PROFIT_ASSOCIATION: "802",
    LegalForm.FOUNDATION: "802",
    LegalForm.LIMITED_COMPANY: "559",
    LegalForm.LIMITED_COMPANY_SVB: "559",
    LegalForm.TRADING_PARTNERSHIP: "969",
    LegalForm.OTHER: "769",
}
NAME_SUFFIX: dict[str, str] = {
    LegalForm.ECONOMIC_ASSOCIATION: " ekonomisk förening",
    LegalForm.NON_PROFIT_ASSOCIATION: " ideell förening",
    LegalForm.FOUNDATION: " stiftelse",
    LegalForm.LIMITED_COMPANY: " AB",
    LegalForm.LIMITED_COMPANY_SVB: " AB (SVB)",
    LegalForm.TRADING_PARTNERSHIP: " HB",
}
ENTERPRISE_WORDS: dict[str, list[str]] = {
    EnterpriseKind.WORK_INTEGRATING: ["Återbruket", "Gröna Händer", "Vävstugan", "Städkooperativet",
                                      "Byggstegen", "Second hand-boden", "Trädgårdsgänget", "Tvätteriet"],
    EnterpriseKind.SOCIAL: ["Kafé Gemenskap", "Läxhjälpen", "Fritidsgården", "Byalaget", "Seniorträffen",
                            "Hembygdsbageriet"],
    EnterpriseKind.IDEA: ["Cykelverkstad", "Delningsförråd", "Stadsodling", "Reparationskafé", "Lånebod"],
    EnterpriseKind.OTHER: ["Skogstjänst", "Bygdebuss", "Hantverkshuset", "Fjällguiderna", "Lokalmat"],
}  # fmt: skip

MESSAGES = [
    "Vi vill söka finansiering för att anställa två personer till.",
    "Hur kommer vi in i kommunens upphandlingar?",
    "Behöver hjälp med stadgarna inför årsmötet.",
    "Vi funderar på att byta associationsform.",
    "Hur mäter vi vår sociala effekt på ett enkelt sätt?",
    "Vi har en idé och vill veta hur vi kommer igång.",
    "Vill diskutera prissättning och marknadsföring.",
    "Frågor om lönebidrag och introduktionsjobb.",
    "",
    "",
]
CANCEL_REASONS = ["Sjuk", "Krockar med ett annat möte", "Vi har redan fått svar på frågan", "", "", ""]
PRIVATE_NOTES = [
    "Följ upp budgeten om en månad.",
    "Skickade mall för affärsplan.",
    "Tipsade om Tillväxtverkets utlysning.",
    "Behöver hjälp med styrelsearbetet framöver.",
]
OUTCOME_NOTES = [
    "Vi gick igenom budgeten för nästa år och kom överens om att du tar fram en likviditetsplan.",
    "Vi pratade om vilka finansieringsvägar som passar; du söker Tillväxtverkets utlysning i vår.",
    "Vi gick igenom affärsplanen. Nästa steg är att beskriva målgruppen och prissättningen tydligare.",
    "Vi jämförde ekonomisk förening och aktiebolag; du pratar med medlemmarna innan ni bestämmer er.",
    "Vi gick igenom hur ni kan ta emot personer med lönebidrag och vad Arbetsförmedlingen behöver.",
    "Vi tog fram tre mått på er sociala effekt som ni börjar följa upp varje kvartal.",
    "Vi gick igenom en kommande upphandling och vad anbudet behöver innehålla.",
    "Vi pratade om styrelsens roll och ansvarsfördelningen; du tar upp det på nästa styrelsemöte.",
    "Vi gick igenom marknadsföringen och kom överens om att ni testar två kanaler under en månad.",
    "Vi gick igenom hur ni kommer igång och vad som behövs för att registrera verksamheten.",
]
RATINGS = [5] * 45 + [4] * 33 + [3] * 13 + [2] * 6 + [1] * 3
COMMENTS = {
    5: ["Mycket givande, tack!", "Precis det vi behövde.", "Tydliga råd som vi kan använda direkt.",
        "Bästa mötet hittills!"],
    4: ["Bra samtal, fick flera tips.", "Hjälpsamt och konkret.", "Bra, men lite kort tid."],
    3: ["Okej, men vi hade hoppats på mer konkreta råd.", "Helt okej."],
    2: ["Rådgivaren var sen och mötet kändes stressat.", "Fick inte svar på våra frågor."],
    1: ["Tekniken krånglade och vi kom aldrig igång."],
}  # fmt: skip
MODE_WEIGHTS = {MeetingMode.IN_PERSON: 5, MeetingMode.VIDEO: 4, MeetingMode.PHONE: 2}


# --- Keys, org numbers, timestamps -----------------------------------------------------------


def org_number(legal_form: str, serial: int) -> str:
    """A valid (Luhn) organisation number, unique per serial (1 … 499,999). The
    demo's own numbers use serials 500000 and up (769600-0004 …)."""
    prefix = ORG_PREFIX.get(legal_form)
    if prefix is None or not 0 < serial < 500_000:
        return ""
    digits = f"{prefix}{serial:06d}"
    total = 0
    for i, char in enumerate(digits):  # Luhn, as bookings.validation.luhn_ok checks it
        n = int(char) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    digits += str(-total % 10)
    return f"{digits[:6]}-{digits[6:]}"


@contextmanager
def given_timestamps(*fields: DateTimeField) -> Iterator[None]:
    """Let bulk_create keep the `created`/`updated` values given to it instead of
    stamping them with now (auto_now_add/auto_now): history needs its own
    times. Cheaper than the alternative, an UPDATE of every row after the
    insert, which on PostgreSQL writes each row (and its index entries) twice.
    The flags live on the model's fields, shared by the process: for
    management commands, not for code serving requests."""
    saved = [(f, f.auto_now, f.auto_now_add) for f in fields]
    for f in fields:
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


def _timestamp_fields() -> list[DateTimeField]:
    fields = [
        Booking._meta.get_field("created"),
        Booking._meta.get_field("updated"),
        Feedback._meta.get_field("created"),
        Enterprise._meta.get_field("created"),
        Advisor._meta.get_field("created"),
    ]
    return [field for field in fields if isinstance(field, DateTimeField)]


# --- The calendar: working days and the slot grid --------------------------------------------


@dataclass(frozen=True)
class Window:
    """The history's local dates, first … last (yesterday), and now."""

    first: date
    last: date
    now: datetime

    @classmethod
    def ending(cls, now: datetime) -> Window:
        today = timezone.localdate(now)
        return cls(today - timedelta(days=HISTORY_DAYS), today - timedelta(days=1), now)

    def vacation(self, day: date) -> bool:
        """Four weeks off from the first Monday of July, as the demo advisors take them."""
        start = date(day.year, 7, 1)
        start += timedelta(days=(7 - start.weekday()) % 7)
        return start <= day < start + timedelta(weeks=4)


@dataclass(frozen=True)
class Geometry:
    """How an advisor's sessions sit on the grid: lengths, step and buffers (minutes)."""

    lengths: tuple[int, ...]
    step: int
    before: int
    after: int
    max_per_day: int | None

    def pitch(self, duration: int) -> int:
        """The least distance from a session's start to the next one's on the
        grid, so that the blocked ranges do not overlap."""
        return math.ceil((duration + self.after + self.before) / self.step) * self.step

    def capacity(self, minutes: int) -> int:
        """Sessions an interval of `minutes` surely holds, whatever their lengths."""
        longest = max(self.lengths)
        return 0 if minutes < longest else 1 + (minutes - longest) // self.pitch(longest)


def working_days(
    window: Window, zone: str, weekly: dict[int, list[tuple[time, time]]]
) -> list[tuple[date, list[Interval]]]:
    """The window's working days with their working intervals in UTC, sorted."""
    rules = Rules(timezone=zone, weekly_hours=weekly)
    days = []
    day = window.first
    while day <= window.last:
        if not window.vacation(day):
            intervals = sorted(working_intervals(rules, day))
            if intervals:
                days.append((day, intervals))
        day += timedelta(days=1)
    return days


def day_capacity(intervals: Sequence[Interval], geo: Geometry) -> int:
    total = sum(geo.capacity(int((i.end - i.start).total_seconds()) // 60) for i in intervals)
    return min(total, geo.max_per_day) if geo.max_per_day else total


def layout_day(
    rng: random.Random, intervals: Sequence[Interval], count: int, geo: Geometry, cursor: datetime | None
) -> tuple[list[tuple[datetime, int]], datetime | None]:
    """`count` sessions (start, minutes) on one day's grid, none of them
    overlapping each other or `cursor` (where the last blocked range ended)
    once widened by the buffers. Fewer only when `count` is more than
    day_capacity. Returns them in order and the new cursor."""
    minutes = [int((i.end - i.start).total_seconds()) // 60 for i in intervals]
    caps = [geo.capacity(m) for m in minutes]
    per_interval = [0] * len(intervals)
    for _ in range(count):
        open_ = [i for i, cap in enumerate(caps) if per_interval[i] < cap]
        if not open_:
            break
        per_interval[rng.choice(open_)] += 1

    placed: list[tuple[datetime, int]] = []
    for interval, length, n in zip(intervals, minutes, per_interval, strict=True):
        if not n:
            continue
        durations = [rng.choice(geo.lengths) for _ in range(n)]
        # The first start on the grid whose blocked range begins after the cursor.
        offset = 0
        if cursor is not None:
            behind = (cursor + timedelta(minutes=geo.before) - interval.start).total_seconds() / 60
            offset = max(0, math.ceil(behind / geo.step) * geo.step)
        room = length - offset
        while durations and sum(geo.pitch(d) for d in durations[:-1]) + durations[-1] > room:
            durations.pop()
        if not durations:
            continue
        need = sum(geo.pitch(d) for d in durations[:-1]) + durations[-1]
        # Spread the spare time between and around the sessions, in whole steps.
        spare = (room - need) // geo.step
        cuts = sorted(rng.randint(0, spare) for _ in durations)
        at, previous = offset, 0
        for duration, cut in zip(durations, cuts, strict=True):
            at += (cut - previous) * geo.step
            previous = cut
            placed.append((interval.start + timedelta(minutes=at), duration))
            at += geo.pitch(duration)
        last_start, last_duration = placed[-1]
        cursor = last_start + timedelta(minutes=last_duration + geo.after)
    return placed, cursor


# --- People -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Client:
    """Who books, with the facts a booking takes from them."""

    user_id: int
    enterprise_id: int
    municipality: str
    kind: str
    gender: str
    enterprise_key: str
    person_key: str
    women_led: bool  # the enterprise's stat_women_led


def load_clients(memberships) -> list[Client]:
    """Clients from a query of Enterprise.members.through rows."""
    rows = memberships.order_by("enterprise_id", "user_id").values_list(
        "user_id",
        "enterprise_id",
        "enterprise__org_number",
        "enterprise__municipality_id",
        "enterprise__kind",
        "user__entrepreneur__gender",
        "enterprise__women_led",
    )
    keys = KeyMaker()  # the service's own keys: demo people count like real ones
    return [
        Client(
            user_id,
            enterprise_id,
            municipality,
            kind,
            gender or Gender.NOT_STATED,  # as the service: no profile, not stated
            keys.enterprise(enterprise_ref(org_number=org, pk=enterprise_id)),
            keys.person(user_id),
            women_led == WomenLed.YES,
        )
        for user_id, enterprise_id, org, municipality, kind, gender, women_led in rows
    ]


@dataclass(frozen=True)
class PersonPlan:
    index: int
    gender: str
    kind: str
    municipality: tuple[str, str]  # code, name


def women_led_of(plan: PersonPlan) -> str:
    """Whether a generated person's enterprise is led by women: mostly so for
    women, now and then for men (a co-led board), and sometimes unsaid. Taken
    from the person's number, so the random stream is left as it was."""
    if plan.index % 7 == 0:
        return WomenLed.NOT_STATED
    if plan.gender == Gender.WOMAN:
        return WomenLed.NO if plan.index % 5 == 0 else WomenLed.YES
    if plan.gender == Gender.MAN:
        return WomenLed.YES if plan.index % 4 == 0 else WomenLed.NO
    return WomenLed.NOT_STATED


def create_people(rng: random.Random, plans: Sequence[PersonPlan], now: datetime) -> list[Client]:
    """Users (unusable password, no EmailAddress), profiles, one enterprise each
    and the memberships: four bulk inserts."""
    users = []
    for plan in plans:
        first = FIRST_NAMES[plan.gender][plan.index % len(FIRST_NAMES[plan.gender])]
        last = LAST_NAMES[(plan.index * 7 + plan.index // len(LAST_NAMES)) % len(LAST_NAMES)]
        users.append(
            User(
                email=PERSON_EMAIL.format(plan.index),
                full_name=f"{first} {last}",
                role=Role.ENTREPRENEUR,
                password=make_password(None),
                date_joined=now - timedelta(days=rng.randint(HISTORY_DAYS + 20, 3 * HISTORY_DAYS)),
            )
        )
    User.objects.bulk_create(users)
    EntrepreneurProfile.objects.bulk_create(
        EntrepreneurProfile(user_id=u.pk, gender=p.gender) for u, p in zip(users, plans, strict=True)
    )
    enterprises = []
    for user, plan in zip(users, plans, strict=True):
        legal_form = rng.choice(LEGAL_FORMS[plan.kind])
        word = rng.choice(ENTERPRISE_WORDS[plan.kind])
        code, place = plan.municipality
        if plan.kind == EnterpriseKind.IDEA:
            name = f"{word} i {place} (idé)"
        elif legal_form == LegalForm.SOLE_TRADER:
            name = f"{user.full_name.split()[-1]}s {word.lower()}"
        else:
            name = f"{word} {place}{NAME_SUFFIX.get(legal_form, '')}"
        enterprises.append(
            Enterprise(
                name=name,
                org_number=org_number(legal_form, plan.index),
                kind=plan.kind,
                legal_form=legal_form,
                municipality_id=code,
                women_led=women_led_of(plan),
                created=user.date_joined + timedelta(hours=1),
            )
        )
    with given_timestamps(Enterprise._meta.get_field("created")):
        Enterprise.objects.bulk_create(enterprises)
    Enterprise.members.through.objects.bulk_create(
        Enterprise.members.through(enterprise_id=e.pk, user_id=u.pk)
        for e, u in zip(enterprises, users, strict=True)
    )
    keys = KeyMaker()
    return [
        Client(
            u.pk,
            e.pk,
            e.municipality_id or "",  # demo enterprises all have one
            e.kind,
            p.gender,
            keys.enterprise(enterprise_ref(org_number=e.org_number, pk=e.pk)),
            keys.person(u.pk),
            e.women_led == WomenLed.YES,
        )
        for u, e, p in zip(users, enterprises, plans, strict=True)
    ]


def region_municipalities(regions: Iterable[str]) -> dict[str, list[tuple[str, str]]]:
    found: dict[str, list[tuple[str, str]]] = {r: [] for r in regions}
    rows = Municipality.objects.filter(region_id__in=found).order_by("code")
    for code, name, region in rows.values_list("code", "name", "region_id"):
        found[region].append((code, name))
    return found


# --- Bookings -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AdvisorFacts:
    """What a booking takes from its advisor, as plain values."""

    id: int
    region: str
    organisation: str
    address: str
    meeting_url: str
    phone: str
    topics: tuple[int, ...]
    modes: tuple[str, ...]
    mode_weights: tuple[int, ...]
    geometry: Geometry
    before: timedelta
    after: timedelta
    lengths: dict[int, timedelta]

    @classmethod
    def of(cls, advisor: Advisor, topics: Sequence[int]) -> AdvisorFacts:
        modes = tuple(advisor.meeting_modes) or (MeetingMode.VIDEO.value,)
        return cls(
            id=advisor.pk,
            region=advisor.region_id,
            organisation=advisor.organisation,
            address=advisor.address,
            meeting_url=advisor.meeting_url,
            phone=advisor.phone,
            topics=tuple(topics),
            modes=modes,
            mode_weights=tuple(MODE_WEIGHTS[MeetingMode(m)] for m in modes),
            geometry=Geometry(
                lengths=tuple(advisor.session_lengths) or (60,),
                step=advisor.slot_step,
                before=advisor.buffer_before,
                after=advisor.buffer_after,
                max_per_day=advisor.max_per_day,
            ),
            before=timedelta(minutes=advisor.buffer_before),
            after=timedelta(minutes=advisor.buffer_after),
            lengths={m: timedelta(minutes=m) for m in advisor.session_lengths or (60,)},
        )


class Builder:
    """Makes Booking rows (and the feedback to go with them) for sessions given
    in chronological order, keeping track of which enterprises have been."""

    def __init__(self, rng: random.Random, window: Window) -> None:
        self.rng = rng
        self.now = window.now
        self.recent = window.now - timedelta(days=UNRECORDED_DAYS)
        self.seen: set[str] = set()  # enterprise keys with a non-cancelled booking so far
        self.bookings: list[Booking] = []
        self.feedback: list[tuple[Booking, int, str, datetime]] = []
        self.summaries = random.Random(OUTCOME_NOTE_SEED)  # noqa: S311 - demo data, not secrets
        self.needs = random.Random(NEEDS_SEED)  # noqa: S311 - demo data, not secrets
        self.columns = [(f.attname, f) for f in Booking._meta.concrete_fields]

    def add(
        self,
        advisor: AdvisorFacts,
        client: Client,
        start: datetime,
        duration: int,
        *,
        unrecorded: bool = False,
    ) -> None:
        rng, now = self.rng, self.now
        end = start + advisor.lengths[duration]
        waiting = min(30, 1 + int(rng.expovariate(1 / 6)))  # days, most within a week or two
        created = start - timedelta(days=waiting)
        draw = rng.random()
        cancelled_at = None
        cancel_reason = notes = summary = ""
        noted = None
        sequence = 0
        if draw < CANCELLED_SHARE:
            status = BookingStatus.CANCELLED
            cancelled_at = created + (start - created) * rng.uniform(0.1, 0.9)
            cancel_reason = rng.choice(CANCEL_REASONS)
            sequence = 1
            updated = cancelled_at
        elif unrecorded or (start > self.recent and rng.random() < UNRECORDED_SHARE):
            status = BookingStatus.CONFIRMED  # the advisor has not recorded the outcome yet
            updated = created
        else:
            status = (
                BookingStatus.NO_SHOW if draw < CANCELLED_SHARE + NO_SHOW_SHARE else BookingStatus.COMPLETED
            )
            updated = min(now, end + timedelta(minutes=rng.randint(5, 48 * 60)))
            if status == BookingStatus.COMPLETED and rng.random() < 0.3:
                notes = rng.choice(PRIVATE_NOTES)
            if status == BookingStatus.COMPLETED and self.summaries.random() < OUTCOME_NOTE_SHARE:
                summary, noted = self.summaries.choice(OUTCOME_NOTES), end
        # reporting.first_time's rule: the first held or still confirmed booking.
        counts = status in (BookingStatus.COMPLETED, BookingStatus.CONFIRMED)
        first_time = counts and client.enterprise_key not in self.seen
        if counts:
            self.seen.add(client.enterprise_key)
        mode = rng.choices(advisor.modes, advisor.mode_weights)[0]
        asked, kinds, not_met = {}, [], []
        if self.needs.random() < NEEDS_SHARE:
            drawn = self.needs.choices([n for n, _w in NEEDS_DRAWN], [w for _n, w in NEEDS_DRAWN])[0]
            asked = needs.clean_needs(drawn)
            kinds = needs.kinds_of(asked)
            if status == BookingStatus.COMPLETED and self.needs.random() < NEEDS_NOT_MET_SHARE:
                not_met = kinds[:1]
        values = {
            "advisor_id": advisor.id,
            "entrepreneur_id": client.user_id,
            "enterprise_id": client.enterprise_id,
            "start": start,
            "end": end,
            "duration": duration,
            "blocked_start": start - advisor.before,
            "blocked_end": end + advisor.after,
            "topic_id": rng.choice(advisor.topics),
            "mode": mode,
            "location": advisor.address if mode == MeetingMode.IN_PERSON else "",
            "meeting_url": advisor.meeting_url if mode == MeetingMode.VIDEO else "",
            "phone": advisor.phone if mode == MeetingMode.PHONE else "",
            "message": rng.choice(MESSAGES),
            "needs": asked,
            "needs_not_met": not_met,
            "status": status,
            "sequence": sequence,
            "created": created,
            "updated": updated,
            "cancelled_at": cancelled_at,
            "cancel_reason": cancel_reason,
            "private_notes": notes,
            "outcome_note": summary,
            "outcome_noted": noted,
            "stat_region": advisor.region,
            "stat_municipality": client.municipality,
            "stat_enterprise_kind": client.kind,
            "stat_gender": client.gender,
            "stat_first_time": first_time,
            "stat_waiting_days": waiting,
            "stat_enterprise_key": client.enterprise_key,
            "stat_person_key": client.person_key,
            "stat_advisor_organisation": advisor.organisation,
            "stat_women_led": client.women_led,
            "stat_needs": kinds,
        }
        # Positional arguments in field order are what Model.__init__ does
        # fastest (a third of the time of keywords); fields not named here
        # (the id, the uid, any added later) get their defaults.
        # (The stubs know keyword arguments only.)
        row = [values[name] if name in values else f.get_default() for name, f in self.columns]
        booking = Booking(*row)  # type: ignore[misc]
        self.bookings.append(booking)
        if status == BookingStatus.COMPLETED and rng.random() < FEEDBACK_SHARE:
            rating = rng.choice(RATINGS)
            comment = rng.choice(COMMENTS[rating]) if rng.random() < 0.7 else ""
            given = min(now, end + timedelta(minutes=rng.randint(30, 72 * 60)))
            self.feedback.append((booking, rating, comment, given))

    def flush(self, batch_size: int) -> tuple[int, int]:
        """Insert what has been built and start afresh: (bookings, feedback)."""
        if not connection.features.can_return_rows_from_bulk_insert:
            raise RuntimeError("The history needs a database that returns ids from bulk inserts.")
        with given_timestamps(*_timestamp_fields()):
            Booking.objects.bulk_create(self.bookings, batch_size=batch_size)
            Feedback.objects.bulk_create(
                (
                    Feedback(booking_id=b.pk, rating=rating, comment=comment, created=at)
                    for b, rating, comment, at in self.feedback
                ),
                batch_size=batch_size,
            )
        counts = len(self.bookings), len(self.feedback)
        self.bookings, self.feedback = [], []
        return counts


# --- The default history --------------------------------------------------------------------


def seed_history(
    *,
    advisor_emails: Sequence[str],
    entrepreneur_emails: Sequence[str],
    now: datetime | None = None,
    seed: int = SEED,
) -> tuple[int, int] | None:
    """About 400 past bookings (and feedback) with the demo advisors, once.
    Returns (bookings, feedback) added, or None when the history is there."""
    now = now or timezone.now()
    advisors = list(
        Advisor.objects.filter(user__email__in=advisor_emails)
        .prefetch_related("topics", "municipalities")
        .order_by("region_id", "pk")
    )
    if not advisors or Booking.objects.filter(advisor__in=advisors, start__lt=now).exists():
        return None
    with transaction.atomic():
        return _seed_history(advisors, entrepreneur_emails, now, seed)


def _seed_history(
    advisors: Sequence[Advisor], entrepreneur_emails: Sequence[str], now: datetime, seed: int
) -> tuple[int, int]:
    rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
    window = Window.ending(now)
    regions = sorted({a.region_id for a in advisors})
    municipalities = region_municipalities(regions)
    clients, demo_users = _default_clients(rng, regions, municipalities, entrepreneur_emails, now)

    weekly = weekly_hours_by_advisor([a.pk for a in advisors])
    calendars: dict[tuple, list[tuple[date, list[Interval]]]] = {}
    sessions: list[tuple[datetime, int, AdvisorFacts, frozenset[str]]] = []
    for advisor in advisors:
        week = {d: list(v) for d, v in weekly[advisor.pk].items()}
        key = (advisor.timezone, tuple(sorted((d, tuple(v)) for d, v in week.items())))
        if key not in calendars:
            calendars[key] = working_days(window, advisor.timezone, week)
        facts = AdvisorFacts.of(advisor, [t.pk for t in advisor.topics.all()] or _all_topics())
        served = frozenset(m.code for m in advisor.municipalities.all())
        cursor = None
        for day, intervals in calendars[key]:
            # A session on about a quarter of the working days, now and then two or three.
            if rng.random() >= 0.23 * MONTH_FACTOR[day.month]:
                continue
            count = 1 + (rng.random() < 0.3) + (rng.random() < 0.1)
            placed, cursor = layout_day(rng, intervals, count, facts.geometry, cursor)
            sessions.extend((start, minutes, facts, served) for start, minutes in placed)

    # Every client books at least once (so statistics have every gender and
    # kind); the rest choose freely, the demo entrepreneurs more often.
    by_region: dict[str, list[int]] = {r: [] for r in regions}
    for i, (_, _, facts, _) in enumerate(sessions):
        by_region[facts.region].append(i)
    chosen: dict[int, Client] = {}
    for region in regions:
        pool = clients[region]
        weights = [3 if c.user_id in demo_users else rng.choice((0.5, 1, 1, 2)) for c in pool]
        order = by_region[region][:]
        rng.shuffle(order)
        for client in pool:
            for i in order:
                served = sessions[i][3]
                if i not in chosen and (not served or client.municipality in served):
                    chosen[i] = client
                    break
        for i in by_region[region]:
            if i not in chosen:
                served = sessions[i][3]
                eligible = [
                    (c, w)
                    for c, w in zip(pool, weights, strict=True)
                    if not served or c.municipality in served
                ]
                chosen[i] = rng.choices([c for c, _ in eligible], [w for _, w in eligible])[0]

    # Each advisor's latest session still waits for its outcome.
    latest: dict[int, int] = {}
    for i, (_, _, facts, _) in enumerate(sessions):
        latest[facts.id] = i
    builder = Builder(rng, window)
    for i in sorted(range(len(sessions)), key=lambda i: (sessions[i][0], sessions[i][2].id)):
        start, minutes, facts, _ = sessions[i]
        builder.add(facts, chosen[i], start, minutes, unrecorded=latest[facts.id] == i)
    counts = builder.flush(BATCH_SIZE)
    audit("demo.history", actor=None, bookings=counts[0], feedback=counts[1], regions=regions)
    return counts


def _all_topics() -> list[int]:
    return list(Topic.objects.filter(is_active=True).values_list("pk", flat=True))


def _default_clients(
    rng: random.Random,
    regions: Sequence[str],
    municipalities: dict[str, list[tuple[str, str]]],
    entrepreneur_emails: Sequence[str],
    now: datetime,
) -> tuple[dict[str, list[Client]], set[int]]:
    """The demo entrepreneurs' enterprises and 30 generated people a region
    (created unless they are there), by region, and the demo entrepreneurs'
    user ids."""
    emails = {}
    plans = []
    for r, region in enumerate(regions):
        places = municipalities[region][:]
        rng.shuffle(places)
        for j in range(PEOPLE_PER_REGION):
            index = r * PEOPLE_PER_REGION + j + 1
            emails[PERSON_EMAIL.format(index)] = region
            plans.append(
                PersonPlan(
                    index,
                    GENDER_CYCLE[j % len(GENDER_CYCLE)],
                    KIND_CYCLE[j % len(KIND_CYCLE)],
                    places[j % len(places)],
                )
            )
    existing = set(User.objects.filter(email__in=emails).values_list("email", flat=True))
    missing = [p for p in plans if PERSON_EMAIL.format(p.index) not in existing]
    if missing:
        create_people(rng, missing, now)
    through = Enterprise.members.through.objects
    demo = load_clients(through.filter(user__email__in=entrepreneur_emails))
    generated = load_clients(through.filter(user__email__in=emails))
    by_region: dict[str, list[Client]] = {region: [] for region in regions}
    region_of = {code: region for region in regions for code, _ in municipalities[region]}
    for client in demo + generated:
        if client.municipality in region_of:
            by_region[region_of[client.municipality]].append(client)
    return by_region, {c.user_id for c in demo}


# --- The bulk history ---------------------------------------------------------------------


def seed_bulk_history(
    count: int,
    *,
    now: datetime | None = None,
    seed: int = SEED,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
) -> tuple[int, int]:
    """`count` more past bookings over the last 365 days in the demo regions,
    with generated advisors (count / 1,000, rounded up, alternately in each
    region) and entrepreneurs. Each chunk of about `batch_size` bookings is
    its own transaction. Returns (bookings, feedback) added."""
    if count <= 0:
        return 0, 0
    now = now or timezone.now()
    window = Window.ending(now)
    weekly: dict[int, list[tuple[time, time]]] = {}
    for d, start, end in BULK_WEEK:
        weekly.setdefault(d, []).append((start, end))
    geometry = Geometry(lengths=(45, 60), step=15, before=0, after=15, max_per_day=6)
    calendar = working_days(window, "Europe/Stockholm", weekly)
    caps = [day_capacity(intervals, geometry) for _, intervals in calendar]
    day_weights = [MONTH_FACTOR[day.month] for day, _ in calendar]
    if sum(caps) < BULK_PER_ADVISOR:
        raise RuntimeError("The generated advisors' week is too short for the bookings they should hold.")

    municipalities = region_municipalities(REGIONS)
    topics = _all_topics()
    advisors_needed = math.ceil(count / BULK_PER_ADVISOR)
    targets = [count // advisors_needed + (i < count % advisors_needed) for i in range(advisors_needed)]
    first_advisor = _next_number(ADVISOR_EMAIL)
    # Numbers up to 60 belong to the default history's people.
    first_person = max(len(REGIONS) * PEOPLE_PER_REGION + 1, _next_number(PERSON_EMAIL))
    rng = random.Random(f"{seed}:{first_advisor}:{first_person}")  # noqa: S311 - demo data, not secrets
    builder = Builder(rng, window)
    per_chunk = max(1, batch_size // BULK_PER_ADVISOR)
    done = feedback = 0
    next_person = first_person
    for chunk_start in range(0, advisors_needed, per_chunk):
        chunk = range(chunk_start, min(chunk_start + per_chunk, advisors_needed))
        builder.seen.clear()  # each chunk's enterprises are new and book only there
        with transaction.atomic():
            advisors = _create_advisors(rng, [first_advisor + i for i in chunk], topics, now)
            plans: list[PersonPlan] = []
            owners: list[int] = []  # which advisor of the chunk each person books with
            for a, i in enumerate(chunk):
                region = advisors[a].region
                for _ in range(math.ceil(targets[i] / BULK_PER_PERSON)):
                    j = next_person - first_person
                    plans.append(
                        PersonPlan(
                            next_person,
                            GENDER_CYCLE[j % len(GENDER_CYCLE)],
                            KIND_CYCLE[j % len(KIND_CYCLE)],
                            rng.choice(municipalities[region]),
                        )
                    )
                    owners.append(a)
                    next_person += 1
            people = create_people(rng, plans, now)
            for a, i in enumerate(chunk):
                own = [c for c, owner in zip(people, owners, strict=True) if owner == a]
                _bulk_advisor_history(rng, builder, advisors[a], own, targets[i], calendar, caps, day_weights)
            added, given = builder.flush(batch_size)
        done += added
        feedback += given
        _forget_queries()
        if progress:
            progress(done)
    audit("demo.history", actor=None, bookings=done, feedback=feedback, bulk=True)
    return done, feedback


def _create_advisors(
    rng: random.Random, numbers: Sequence[int], topics: Sequence[int], now: datetime
) -> list[AdvisorFacts]:
    """Generated advisors in bulk: users, advisor rows, weekly hours, languages, topics."""
    users = []
    for n in numbers:
        gender = (Gender.WOMAN, Gender.MAN)[n % 2]
        first = FIRST_NAMES[gender][(n * 3) % len(FIRST_NAMES[gender])]
        users.append(
            User(
                email=ADVISOR_EMAIL.format(n),
                full_name=f"{first} {LAST_NAMES[(n * 5) % len(LAST_NAMES)]}",
                role=Role.ADVISOR,
                password=make_password(None),
                date_joined=now - timedelta(days=2 * HISTORY_DAYS),
            )
        )
    User.objects.bulk_create(users)
    advisors = []
    for n, user in zip(numbers, users, strict=True):
        region = REGIONS[n % len(REGIONS)]
        advisors.append(
            Advisor(
                user_id=user.pk,
                region_id=region,
                organisation=ORGANISATIONS[region][n % len(ORGANISATIONS[region])],
                title="Rådgivare (historik)",
                bio="Genererad rådgivare med historiska bokningar, för statistik och prestandatester.",
                address=ADDRESSES[region],
                phone=f"010-{n % 1000:03d} 00 00",
                meeting_url=f"https://meet.example.invalid/historik-{n}",
                session_lengths=[45, 60],
                slot_step=15,
                buffer_after=15,
                max_per_day=6,
                is_active=False,  # history only: not in the directory, not bookable
                created=user.date_joined,
            )
        )
    with given_timestamps(Advisor._meta.get_field("created")):
        Advisor.objects.bulk_create(advisors)
    WeeklyHours.objects.bulk_create(
        WeeklyHours(advisor_id=a.pk, weekday=d, start=s, end=e) for a in advisors for d, s, e in BULK_WEEK
    )
    Advisor.languages.through.objects.bulk_create(
        Advisor.languages.through(advisor_id=a.pk, language_id=code)
        for a in advisors
        for code in ("sv", "en")
    )
    chosen = [rng.sample(list(topics), min(len(topics), rng.randint(3, 4))) for _ in advisors]
    Advisor.topics.through.objects.bulk_create(
        Advisor.topics.through(advisor_id=a.pk, topic_id=t)
        for a, ts in zip(advisors, chosen, strict=True)
        for t in ts
    )
    return [AdvisorFacts.of(a, ts) for a, ts in zip(advisors, chosen, strict=True)]


def _bulk_advisor_history(
    rng: random.Random,
    builder: Builder,
    facts: AdvisorFacts,
    clients: Sequence[Client],
    target: int,
    calendar: Sequence[tuple[date, list[Interval]]],
    caps: Sequence[int],
    day_weights: Sequence[float],
) -> None:
    """Exactly `target` sessions for one generated advisor, spread over the
    working days (busier months busier), at most a day's capacity each."""
    quotas = [0] * len(calendar)
    for d in rng.choices(range(len(calendar)), day_weights, k=target):
        quotas[d] += 1
    spare = [d for d in range(len(calendar)) if quotas[d] < caps[d]]
    for d in range(len(calendar)):
        while quotas[d] > caps[d]:
            other = rng.choice(spare)
            if quotas[other] < caps[other]:
                quotas[other] += 1
                quotas[d] -= 1
    # A few regulars, many who come now and then.
    cum = list(accumulate(1 / (k + 1) ** 0.8 for k in range(len(clients))))
    cursor = None
    placed_total = 0
    for (_, intervals), quota in zip(calendar, quotas, strict=True):
        if not quota:
            continue
        placed, cursor = layout_day(rng, intervals, quota, facts.geometry, cursor)
        picks = rng.choices(clients, cum_weights=cum, k=len(placed))
        for (start, minutes), client in zip(placed, picks, strict=True):
            builder.add(facts, client, start, minutes)
        placed_total += len(placed)
    if placed_total != target:
        raise RuntimeError(f"Laid out {placed_total} sessions instead of {target}.")


def _next_number(pattern: str) -> int:
    """One more than the highest number among the users whose email follows
    `pattern` (PERSON_EMAIL, ADVISOR_EMAIL), 1 if there are none."""
    prefix, suffix = pattern.split("{:04d}")
    last = (
        User.objects.filter(email__regex=f"^{re.escape(prefix)}[0-9]+{re.escape(suffix)}$")
        .annotate(length=Length("email"))
        .order_by("-length", "-email")  # zero-padded: longer is higher
        .values_list("email", flat=True)
        .first()
    )
    return int(last[len(prefix) : -len(suffix)]) + 1 if last else 1


def _forget_queries() -> None:
    """With DEBUG on, Django keeps the SQL of the last 9,000 queries, and that of
    a 5,000-row insert is megabytes: forget it, unless someone is counting
    queries (CaptureQueriesContext, as tests do, forces the debug cursor)."""
    if not connection.force_debug_cursor:
        connection.queries_log.clear()

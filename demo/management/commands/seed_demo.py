"""Demo data: accounts for two regions (Dalarna 20, Kronoberg 07), advisors with
weekly hours, entrepreneurs, and a year of past bookings with outcomes and
feedback (demo.history). Idempotent: running it again changes nothing
that is already there except the demo passwords. `--history-bookings N` adds N
more past bookings every time it is given (benchmarks)."""

from __future__ import annotations

import time as clock
from datetime import date, time, timedelta
from decimal import Decimal
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from advisors.models import Advisor, Coordinator, Language, Municipality, Region, Topic, WeeklyHours
from backend.models import Role, User
from bookings.models import Enterprise, EnterpriseKind, EntrepreneurProfile, Gender, LegalForm, WomenLed
from demo import history as demo_history
from reporting.models import Funder, FundingProject
from reporting.project_report import period_close
from reporting.projects import ProjectData, project_save

# Two intervals a day with a lunch break; Friday mornings only.
STANDARD_WEEK = [(d, time(9), time(12)) for d in range(5)] + [(d, time(13), time(16)) for d in range(4)]
LATE_WEEK = [(d, time(10), time(12)) for d in range(1, 5)] + [
    (d, time(13), time(17, 30)) for d in range(1, 5)
]

ADVISORS: dict[str, list[dict[str, Any]]] = {
    "20": [
        {
            "name": "Anna Lindqvist",
            "organisation": "Coompanion Dalarna",
            "title": "Affärsrådgivare",
            "bio": "Hjälper arbetsintegrerande sociala företag att starta och växa, med fokus på kooperativ.",
            "topics": ["starting-up", "business-development", "legal-form-governance", "work-integration"],
            "languages": ["sv", "en"],
            "municipalities": [],
            "address": "Åsgatan 23, 791 71 Falun",
            "week": STANDARD_WEEK,
            "session_lengths": [30, 60],
            "extra_evening": True,
        },
        {
            "name": "Erik Johansson",
            "organisation": "Almi Företagspartner Dalarna",
            "title": "Finansieringsrådgivare",
            "bio": "Lån, bidrag och EU-medel för sociala företag; affärsplaner som håller.",
            "topics": ["financing", "business-development", "marketing-sales"],
            "languages": ["sv", "en", "fi"],
            "municipalities": [],
            "address": "Borganäsvägen 28, 784 33 Borlänge",
            "week": LATE_WEEK,
            "session_lengths": [60, 90],
        },
        {
            "name": "Fatima Hassan",
            "organisation": "Region Dalarna",
            "title": "Utvecklingsledare socialt företagande",
            "bio": "Offentlig upphandling, reserverade kontrakt och effektmätning.",
            "topics": ["public-procurement", "impact-measurement", "work-integration"],
            "languages": ["sv", "ar", "en"],
            "municipalities": ["2080", "2081", "2085"],
            "address": "Myntgatan 2, 791 51 Falun",
            "week": STANDARD_WEEK,
        },
    ],
    "07": [
        {
            "name": "Maria Svensson",
            "organisation": "Coompanion Kronoberg",
            "title": "Rådgivare kooperativ och socialt företagande",
            "bio": "Från idé till registrerat företag: föreningsformer, stadgar och styrelsearbete.",
            "topics": ["starting-up", "legal-form-governance", "business-development"],
            "languages": ["sv", "en"],
            "municipalities": [],
            "address": "Kungsgatan 8, 352 33 Växjö",
            "week": STANDARD_WEEK,
            "session_lengths": [45, 90],
            "extra_evening": True,
        },
        {
            "name": "Johan Berg",
            "organisation": "Almi Företagspartner Kronoberg",
            "title": "Affärsutvecklare",
            "bio": "Finansiering, försäljning och marknadsföring för företag som vill växa.",
            "topics": ["financing", "marketing-sales", "business-development"],
            "languages": ["sv", "en", "de"],
            "municipalities": [],
            "address": "Lineborgsplan 3, 352 33 Växjö",
            "week": LATE_WEEK,
        },
        {
            "name": "Amir Karimi",
            "organisation": "Växjö kommun",
            "title": "Näringslivsutvecklare, arbetsintegration",
            "bio": "Arbetsintegrering, anställningsstöd och samverkan med Arbetsförmedlingen.",
            "topics": ["work-integration", "public-procurement", "impact-measurement"],
            "languages": ["sv", "fa", "prs", "en"],
            "municipalities": ["0780", "0764"],
            "address": "Västra Esplanaden 18, 352 31 Växjö",
            "week": STANDARD_WEEK,
        },
    ],
}

COORDINATORS = {
    "20": ("coordinator.dalarna@example.se", "Karin Dahl", "Region Dalarna, regional utveckling"),
    "07": ("coordinator.kronoberg@example.se", "Per Nyström", "Region Kronoberg, regional utveckling"),
}

# (name, gender, enterprises: (name, organisation number, kind, legal form, municipality))
ENTREPRENEURS = [
    (
        "Sara Nilsson",
        Gender.WOMAN,
        [
            (
                "Returhuset Falun ekonomisk förening",
                "769600-0004",
                EnterpriseKind.WORK_INTEGRATING,
                LegalForm.ECONOMIC_ASSOCIATION,
                "2080",
            ),
            ("Cykelköket", "", EnterpriseKind.IDEA, LegalForm.UNKNOWN, "2080"),
        ],
    ),
    (
        "Ahmed Ali",
        Gender.MAN,
        [
            (
                "Borlänge Matlag AB (SVB)",
                "559000-0005",
                EnterpriseKind.WORK_INTEGRATING,
                LegalForm.LIMITED_COMPANY_SVB,
                "2081",
            )
        ],
    ),
    (
        "Lena Ek",
        Gender.WOMAN,
        [
            (
                "Ludvika Omsorgskooperativ",
                "769610-0002",
                EnterpriseKind.SOCIAL,
                LegalForm.ECONOMIC_ASSOCIATION,
                "2085",
            )
        ],
    ),
    (
        "Mikael Holm",
        Gender.MAN,
        [
            (
                "Växjö Snickeri och Service",
                "769620-0000",
                EnterpriseKind.WORK_INTEGRATING,
                LegalForm.ECONOMIC_ASSOCIATION,
                "0780",
            )
        ],
    ),
    (
        "Noor Rahimi",
        Gender.NOT_STATED,
        [
            (
                "Alvesta Språkcafé ideell förening",
                "802500-0004",
                EnterpriseKind.SOCIAL,
                LegalForm.NON_PROFIT_ASSOCIATION,
                "0764",
            )
        ],
    ),
]

# Whether each demo enterprise is led by women; the others have not said.
WOMEN_LED = {
    "Returhuset Falun ekonomisk förening": WomenLed.YES,
    "Cykelköket": WomenLed.YES,
    "Borlänge Matlag AB (SVB)": WomenLed.NO,
    "Ludvika Omsorgskooperativ": WomenLed.YES,
    "Växjö Snickeri och Service": WomenLed.NO,
}


def advisor_emails() -> list[str]:
    slugs = {"20": "dalarna", "07": "kronoberg"}
    return [
        f"advisor{n}.{slugs[code]}@example.se"
        for code, people in ADVISORS.items()
        for n in range(1, len(people) + 1)
    ]


def entrepreneur_emails() -> list[str]:
    return [f"entrepreneur{n}@example.se" for n in range(1, len(ENTREPRENEURS) + 1)]


class ProgressBar:
    """A text bar on stderr: redrawn in place on a terminal, otherwise a line
    at every 5 %."""

    WIDTH = 30

    def __init__(self, stream, total: int) -> None:
        self.stream = stream
        self.total = max(total, 1)
        self.tty = stream.isatty()
        self.started = clock.monotonic()
        self.shown = 0  # the last 5 % step shown

    def __call__(self, done: int) -> None:
        percent = min(100, done * 100 // self.total)
        if not self.tty and percent // 5 <= self.shown:
            return
        self.shown = percent // 5
        filled = self.WIDTH * percent // 100
        elapsed = clock.monotonic() - self.started
        line = f"[{'#' * filled}{'.' * (self.WIDTH - filled)}] {percent:3d}% {done:,}/{self.total:,} bookings, {elapsed:.0f} s"
        if self.tty:
            self.stream.write("\r" + line, style_func=str, ending="\n" if done >= self.total else "")
            self.stream.flush()
        else:
            self.stream.write(line, style_func=str)


class Command(BaseCommand):
    help = (
        "Load demo accounts, advisors with weekly hours, entrepreneurs and a year of past bookings "
        "(idempotent); --history-bookings N adds N more past bookings."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--password",
            default=settings.DEMO_PASSWORD,
            help="Password of every demo account (default: %(default)s).",
        )
        parser.add_argument(
            "--history-bookings",
            type=int,
            default=0,
            metavar="N",
            help=(
                "Add N more past bookings (the last 365 days) in Dalarna and Kronoberg, with generated "
                "advisors (one per 1,000 bookings) and entrepreneurs, for benchmarks. Added on every run."
            ),
        )

    def handle(self, *args, password: str, history_bookings: int = 0, **options):
        if history_bookings < 0:
            raise CommandError("--history-bookings must be 0 or more.")
        if Region.objects.count() != 21:
            self.stderr.write("Regions are missing: run `manage.py migrate` first.")
            raise SystemExit(1)
        with transaction.atomic():
            accounts = self.seed_accounts(password)
            self.seed_funding_project()
        history = demo_history.seed_history(
            advisor_emails=advisor_emails(), entrepreneur_emails=entrepreneur_emails()
        )
        if history is None:
            self.stdout.write("A year of past bookings is already in place.")
        else:
            self.stdout.write(
                f"Added a year of past bookings: {history[0]} bookings, {history[1]} with feedback."
            )
        self.close_demo_periods()
        if history_bookings:
            started = clock.monotonic()
            added, feedback = demo_history.seed_bulk_history(
                history_bookings, progress=ProgressBar(self.stderr, history_bookings)
            )
            self.stdout.write(
                f"Added {added:,} more past bookings ({feedback:,} with feedback) "
                f"in {clock.monotonic() - started:.1f} s."
            )
        self.stdout.write(self.style.SUCCESS(f"Demo data is in place. Accounts (password: {password}):"))
        width = max(len(email) for email, _ in accounts)
        for email, what in accounts:
            self.stdout.write(f"  {email.ljust(width)}  {what}")

    @staticmethod
    def extra_evening() -> list[dict]:
        """A one-off evening for those who cannot come in the daytime: the
        Thursday three weeks from now, 17–20."""
        day = timezone.localdate() + timedelta(days=21)
        day += timedelta(days=(3 - day.weekday()) % 7)
        return [{"date": day.isoformat(), "intervals": [{"start": "17:00", "end": "20:00"}]}]

    @staticmethod
    def summer_vacation() -> list[dict]:
        """Four weeks off from the first Monday of July, the Swedish way."""
        today = timezone.localdate()
        year = today.year if today.month < 7 else today.year + 1
        start = date(year, 7, 1)
        start += timedelta(days=(7 - start.weekday()) % 7)
        end = start + timedelta(weeks=4)
        return [{"start": f"{start}T00:00:00+02:00", "end": f"{end}T00:00:00+02:00", "reason": "Semester"}]

    def account(self, email: str, name: str, password_hash: str, **extra) -> User:
        user, _ = User.objects.update_or_create(email=email, defaults={"full_name": name, **extra})
        user.password = password_hash
        user.save(update_fields=["password"])
        EmailAddress.objects.update_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        return user

    @staticmethod
    def seed_funding_project() -> None:
        """Dalarna's funding project, from the start of last year to the end of
        next, reported each half year: its bookings show it, and the booking
        flow asks for the de minimis declaration. Once."""
        region = Region.objects.get(code="20")
        if FundingProject.objects.filter(region=region).exists():
            return
        coordinator = Coordinator.objects.get(user__email=COORDINATORS["20"][0])
        year = timezone.localdate().year
        halves = []
        for y in (year - 1, year, year + 1):
            halves += [(date(y, 1, 1), date(y, 6, 30)), (date(y, 7, 1), date(y, 12, 31))]
        project_save(
            by=coordinator.user,
            project=None,
            data=ProjectData(
                region=region,
                name="Starkare sociala företag i Dalarna",
                funder=Funder.TILLVAXTVERKET_NATIONAL,
                reference="NYPS 20203456",
                start=halves[0][0],
                end=halves[-1][1],
                hourly_aid_value_sek=Decimal(1100),
                periods=halves,
            ),
        )

    @staticmethod
    def close_demo_periods() -> None:
        """Close the demo project's periods that are over but the last one,
        once its history is in place: the report then shows figures handed
        in, and an owner still has a period to close. Once: not when any
        period is closed already."""
        project = FundingProject.objects.filter(region_id="20").first()
        if project is None or project.periods.filter(closed=True).exists():
            return
        coordinator = Coordinator.objects.get(user__email=COORDINATORS["20"][0])
        today = timezone.localdate()
        over = [p.number for p in project.periods.order_by("number") if p.end < today]
        for number in over[:-1]:
            period_close(by=coordinator.user, project=project, number=number, now=timezone.now())

    def seed_accounts(self, password: str) -> list[tuple[str, str]]:
        # The demo accounts share one password: hashed once, not once each, as
        # hashing is slow on purpose (half a second a time on two cores).
        password = make_password(password)
        accounts = []
        self.account("admin@example.se", "Rådtid Admin", password, is_staff=True, is_superuser=True)
        accounts.append(("admin@example.se", "staff (admin at /admin/)"))

        topics = {t.slug: t for t in Topic.objects.all()}
        languages = {lang.code: lang for lang in Language.objects.all()}
        for code, people in ADVISORS.items():
            region = Region.objects.get(code=code)
            email, name, organisation = COORDINATORS[code]
            user = self.account(email, name, password, role=Role.COORDINATOR)
            Coordinator.objects.update_or_create(
                user=user, defaults={"region": region, "organisation": organisation}
            )
            accounts.append((email, f"regional coordinator, {region.name}"))

            slug = "dalarna" if code == "20" else "kronoberg"
            for n, person in enumerate(people, start=1):
                email = f"advisor{n}.{slug}@example.se"
                user = self.account(email, person["name"], password, role=Role.ADVISOR)
                advisor, created = Advisor.objects.get_or_create(
                    user=user,
                    defaults={
                        "region": region,
                        "organisation": person["organisation"],
                        "title": person["title"],
                        "bio": person["bio"],
                        "address": person["address"],
                        "accessibility_note": "Entré utan trappsteg, hörslinga i mötesrummet.",
                        "phone": f"010-{100 + n:03d} {20 + n:02d} {30 + n:02d}",
                        "meeting_url": f"https://meet.example.se/{slug}-{n}",
                        "session_lengths": person.get("session_lengths", [60]),
                        "slot_step": 30,
                        "buffer_after": 15,
                        "min_notice_hours": 24,
                        "horizon_days": 90,
                        "max_per_day": 6,
                        "date_overrides": self.extra_evening() if person.get("extra_evening") else [],
                        "time_off": self.summer_vacation(),
                    },
                )
                if created:
                    advisor.topics.set([topics[s] for s in person["topics"]])
                    advisor.languages.set([languages[c] for c in person["languages"]])
                    advisor.municipalities.set(Municipality.objects.filter(code__in=person["municipalities"]))
                    WeeklyHours.objects.bulk_create(
                        WeeklyHours(advisor=advisor, weekday=d, start=s, end=e) for d, s, e in person["week"]
                    )
                accounts.append((email, f"advisor, {person['organisation']}"))

        for n, (name, gender, enterprises) in enumerate(ENTREPRENEURS, start=1):
            email = f"entrepreneur{n}@example.se"
            user = self.account(email, name, password, role=Role.ENTREPRENEUR)
            EntrepreneurProfile.objects.update_or_create(user=user, defaults={"gender": gender})
            for enterprise_name, org_number, kind, legal_form, municipality in enterprises:
                enterprise, _ = Enterprise.objects.get_or_create(
                    name=enterprise_name,
                    defaults={
                        "org_number": org_number,
                        "kind": kind,
                        "legal_form": legal_form,
                        "municipality_id": municipality,
                        "women_led": WOMEN_LED.get(enterprise_name, WomenLed.NOT_STATED),
                    },
                )
                enterprise.members.add(user)
            accounts.append((email, f"entrepreneur, {enterprises[0][0]}"))
        return accounts

"""Demo data: accounts for two regions (Dalarna 20, Kronoberg 07), advisors with
weekly hours, entrepreneurs. Idempotent: running it again changes nothing that
is already there except the demo passwords."""

from __future__ import annotations

from datetime import date, time, timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from advisors.models import Advisor, Coordinator, Language, Municipality, Region, Topic, WeeklyHours
from backend.models import Role

User = get_user_model()

# Two intervals a day with a lunch break; Friday mornings only.
STANDARD_WEEK = [(d, time(9), time(12)) for d in range(5)] + [(d, time(13), time(16)) for d in range(4)]
LATE_WEEK = [(d, time(10), time(12)) for d in range(1, 5)] + [
    (d, time(13), time(17, 30)) for d in range(1, 5)
]

ADVISORS = {
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

ENTREPRENEURS = ["Sara Nilsson", "Ahmed Ali", "Lena Ek", "Mikael Holm", "Noor Rahimi"]


class Command(BaseCommand):
    help = "Load demo accounts, advisors with weekly hours and entrepreneurs (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--password",
            default=settings.DEMO_PASSWORD,
            help="Password of every demo account (default: %(default)s).",
        )

    def handle(self, *args, password: str, **options):
        if Region.objects.count() != 21:
            self.stderr.write("Regions are missing: run `manage.py migrate` first.")
            raise SystemExit(1)
        with transaction.atomic():
            accounts = self.seed_accounts(password)
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

    def account(self, email: str, name: str, password: str, **extra) -> User:
        user, _ = User.objects.update_or_create(email=email, defaults={"full_name": name, **extra})
        user.set_password(password)
        user.save(update_fields=["password"])
        EmailAddress.objects.update_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        return user

    def seed_accounts(self, password: str) -> list[tuple[str, str]]:
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

        for n, name in enumerate(ENTREPRENEURS, start=1):
            email = f"entrepreneur{n}@example.se"
            self.account(email, name, password, role=Role.ENTREPRENEUR)
            accounts.append((email, "entrepreneur"))
        return accounts

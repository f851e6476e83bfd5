"""Issue 3's figures: the slot engine, the slots endpoint, the directory."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

from .harness import Figure, best_of, report

NOW = datetime(2027, 3, 1, 6, 0, tzinfo=UTC)
DIRECTORY_ADVISORS = 500  # a full page (backend.pagination's largest)


def spread_intervals(count: int, first: datetime, days: int, rng: random.Random):
    """`count` one-hour intervals in working hours over `days` days."""
    from advisors.availability import Interval

    found = []
    for _ in range(count):
        day = first + timedelta(days=rng.randrange(days))
        start = day.replace(hour=rng.choice([8, 9, 10, 12, 13, 14]), minute=rng.choice([0, 30]))
        found.append(Interval(start, start + timedelta(hours=1)))
    return sorted(found)


def bench_engine() -> list[Figure]:
    from advisors.availability import Rules, free_slots

    rules = Rules(
        weekly_hours={d: [(time(9), time(12)), (time(13), time(16))] for d in range(5)},
        slot_step=15,
        buffer_after=15,
        horizon_days=365,
    )
    bookings = spread_intervals(1000, NOW, 92, random.Random(1))

    def three_months():
        return free_slots(
            rules,
            duration=60,
            first_day=date(2027, 3, 1),
            last_day=date(2027, 5, 31),
            now=NOW,
            bookings=bookings,
        )

    per_call = best_of(three_months, repeat=9, number=5)
    per_month_ms = per_call / 3 * 1000
    return [
        Figure(
            "engine: one advisor-month, 1,000 bookings, 15 min step",
            per_month_ms,
            "ms",
            "< 5 ms",
            per_month_ms < 5,
        )
    ]


def bench_endpoints() -> list[Figure]:
    import time_machine
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from rest_framework.generics import ListAPIView
    from rest_framework.permissions import AllowAny
    from rest_framework.test import APIRequestFactory

    from advisors.api import AdvisorViewSet
    from advisors.models import Advisor, ExternalBusy, Language, Topic, WeeklyHours
    from advisors.selectors import advisor_directory
    from advisors.serializers import AdvisorSerializer
    from backend.models import User

    rng = random.Random(2)
    topics = list(Topic.objects.all())
    languages = list(Language.objects.filter(code__in=["sv", "en", "ar", "fi"]))
    users = User.objects.bulk_create(
        User(email=f"bench{i}@example.se", full_name=f"Rådgivare {i:03d}", role="advisor")
        for i in range(DIRECTORY_ADVISORS)
    )
    advisors = Advisor.objects.bulk_create(
        Advisor(user=u, region_id="20", organisation="Coompanion", min_notice_hours=0, horizon_days=365)
        for u in users
    )
    WeeklyHours.objects.bulk_create(
        WeeklyHours(advisor=a, weekday=d, start=s, end=e)
        for a in advisors
        for d in range(5)
        for s, e in ((time(9), time(12)), (time(13), time(16)))
    )
    for a in advisors:
        a.topics.set(rng.sample(topics, 3))
        a.languages.set(rng.sample(languages, 2))
    # The first advisor's calendar is full of busy time (the bookings app, not
    # yet there, will add real bookings through the same booked-source path).
    busy = spread_intervals(1000, NOW, 92, rng)
    ExternalBusy.objects.bulk_create(
        ExternalBusy(advisor=advisors[0], start=b.start, end=b.end) for b in busy
    )
    # Every other advisor has a few busy hours in the coming weeks.
    ExternalBusy.objects.bulk_create(
        ExternalBusy(advisor=a, start=b.start, end=b.end)
        for a in advisors[1:]
        for b in spread_intervals(20, NOW, 30, rng)
    )

    client = Client()
    figures = []
    with time_machine.travel(NOW, tick=False):
        slots_url = f"/api/v1/advisors/{advisors[0].pk}/slots/?start=2027-03-01&end=2027-05-31&duration=60"
        with CaptureQueriesContext(connection) as queries:
            assert client.get(slots_url).status_code == 200
        slots_queries = len(queries)  # now: the next request resets the query log
        slots_time = best_of(lambda: client.get(slots_url), repeat=9) * 1000
        figures.append(
            Figure(
                "slots endpoint: 92 days, 1,000 busy intervals: queries",
                slots_queries,
                "queries",
                "<= 4",
                slots_queries <= 4,
            )
        )
        figures.append(
            Figure("slots endpoint: 92 days, 1,000 busy intervals: time", slots_time, "ms", "(printed)", True)
        )

        directory_url = f"/api/v1/advisors/?page_size={DIRECTORY_ADVISORS}"
        with CaptureQueriesContext(connection) as queries:
            response = client.get(directory_url)
        directory_queries = len(queries)
        assert response.status_code == 200 and len(response.json()["results"]) == DIRECTORY_ADVISORS

        plain_view = ListAPIView.as_view(
            queryset=advisor_directory(),
            serializer_class=AdvisorSerializer,
            permission_classes=[AllowAny],
        )
        directory_view = AdvisorViewSet.as_view({"get": "list"})
        factory = APIRequestFactory()

        def render(view):
            response = view(factory.get(directory_url))
            response.render()

        # Both through the same path (view and renderer, no middleware), so the
        # ratio is the cost of next_available alone.
        directory_time = best_of(lambda: render(directory_view), repeat=7)
        plain_time = best_of(lambda: render(plain_view), repeat=7)
        ratio = directory_time / plain_time
        directory_ms = directory_time * 1000
        sqlite = connection.vendor == "sqlite"
        figures.append(
            Figure(
                f"directory, {DIRECTORY_ADVISORS} advisors with next_available: queries",
                directory_queries,
                "queries",
                "<= 8",
                directory_queries <= 8,
            )
        )
        figures.append(
            Figure(
                f"directory, {DIRECTORY_ADVISORS} advisors with next_available: time",
                directory_ms,
                "ms",
                "< 150 ms (SQLite)" if sqlite else "(printed; the target is SQLite's)",
                directory_ms < 150 or not sqlite,
            )
        )
        figures.append(
            Figure(
                "plain DRF list, same advisors and serializer, no next_available",
                plain_time * 1000,
                "ms",
                "(printed)",
                True,
            )
        )
        figures.append(Figure("directory time / plain list time", ratio, "x", "(printed)", True))
    return figures


def run() -> bool:
    ok = report("Slot engine (pure)", bench_engine())
    return (
        report("Slots and directory endpoints (in-process, database as configured)", bench_endpoints()) and ok
    )

"""The directory's advisors are written out by hand (AdvisorSerializer.to_representation,
for speed): they must read exactly as DRF's nested serializers wrote them."""

from __future__ import annotations

import pytest
from django.utils import translation
from rest_framework import serializers

from advisors import selectors
from advisors.models import Advisor, Language, Topic
from advisors.serializers import AdvisorDetailSerializer, AdvisorSerializer, TopicSerializer
from tests import factories


class LanguageReference(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)

    class Meta:
        model = Language
        fields = ["code", "name"]


class AdvisorReference(serializers.ModelSerializer):
    """The directory's serializer as it was, nested serializers and all."""

    name = serializers.CharField(source="user.full_name")
    region = serializers.SerializerMethodField()
    topics = TopicSerializer(many=True)
    languages = LanguageReference(many=True)
    meeting_modes = serializers.ListField(child=serializers.CharField())
    next_available = serializers.SerializerMethodField()

    class Meta:
        model = Advisor
        fields = AdvisorSerializer.Meta.fields

    def get_region(self, advisor) -> dict:
        return {"code": advisor.region.code, "name": advisor.region.name}

    def get_next_available(self, advisor) -> str | None:
        found = self.context.get("next_available", {}).get(advisor.pk)
        return found.astimezone(advisor.zone).isoformat() if found else None


@pytest.fixture
def advisors(db):
    topics = list(Topic.objects.order_by("slug")[:4])
    languages = list(Language.objects.filter(code__in=["sv", "en", "ar"]))
    made = [factories.AdvisorFactory() for _ in range(3)]
    made[0].topics.set(topics[:3])
    made[0].languages.set(languages)
    made[1].topics.set(topics[3:])
    made[2].offers_phone = False
    made[2].save()
    return made


@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_written_out_directory_equals_the_nested_serializers(advisors, language):
    from django.utils import timezone

    page = list(selectors.advisor_directory())
    context = {"next_available": selectors.next_available(page, now=timezone.now())}
    assert len(page) == 3
    with translation.override(language):
        expected = AdvisorReference(page, many=True, context=context).data
        from_prefetch = AdvisorSerializer(page, many=True, context=context).data
        plain = list(selectors.advisor_directory().prefetch_related(None))
        names = selectors.directory_names([a.pk for a in plain])
        from_names = AdvisorSerializer(plain, many=True, context={**context, "names": names}).data

    assert [dict(a) for a in from_prefetch] == [dict(a) for a in expected]
    assert [dict(a) for a in from_names] == [dict(a) for a in expected]
    assert any(a["topics"] and a["languages"] for a in expected), "the fixture has something to compare"


def test_the_detail_adds_its_own_fields(advisors):
    advisor = selectors.advisor_public(advisors[0].pk)
    data = AdvisorDetailSerializer(advisor, context={}).data

    assert data["bio"] == advisor.bio and data["address"] == advisor.address
    assert data["accessibility_note"] == advisor.accessibility_note
    assert data["municipalities"] == [] and data["topics"]


def test_a_directory_page_reads_in_a_fixed_number_of_queries(advisors, client, django_assert_max_num_queries):
    for _ in range(20):
        extra = factories.AdvisorFactory()
        extra.topics.set(Topic.objects.all()[:2])
    with django_assert_max_num_queries(8):
        response = client.get("/api/v1/advisors/?page_size=500")
    assert response.status_code == 200 and len(response.json()["results"]) == 23


@pytest.mark.services  # SQLite's text and PostgreSQL's driver are read differently
def test_the_hand_written_reads_of_busy_times_and_weekly_hours_equal_djangos(advisors):
    from collections import defaultdict
    from datetime import UTC, datetime, time, timedelta

    from advisors.busy import external_busy_intervals
    from advisors.models import ExternalBusy, WeeklyHours
    from advisors.selectors import weekly_hours_by_advisor

    start = datetime(2027, 3, 2, 8, 15, 30, 123456, tzinfo=UTC)
    ExternalBusy.objects.create(advisor=advisors[0], start=start, end=start + timedelta(hours=1))
    ExternalBusy.objects.create(
        advisor=advisors[1], start=start.replace(microsecond=0), end=start + timedelta(days=1)
    )
    WeeklyHours.objects.create(advisor=advisors[2], weekday=6, start=time(18, 30), end=time(0))  # to midnight
    ids = [a.pk for a in advisors]

    fast_busy = external_busy_intervals(ids, start - timedelta(days=1), start + timedelta(days=2))
    fast_hours = weekly_hours_by_advisor(ids)

    djangos_busy = defaultdict(list)
    for advisor_id, busy_start, busy_end in ExternalBusy.objects.values_list("advisor_id", "start", "end"):
        djangos_busy[advisor_id].append((busy_start, busy_end))
    assert {k: [(i.start, i.end) for i in v] for k, v in fast_busy.items()} == djangos_busy
    assert sum(len(v) for v in fast_busy.values()) == 2
    assert all(
        moment.tzinfo is not None for v in fast_busy.values() for i in v for moment in (i.start, i.end)
    )
    djangos_hours = defaultdict(lambda: defaultdict(list))
    for advisor_id, weekday, h_start, h_end in WeeklyHours.objects.order_by("weekday", "start").values_list(
        "advisor_id", "weekday", "start", "end"
    ):
        djangos_hours[advisor_id][weekday].append((h_start, h_end))
    assert fast_hours == djangos_hours and fast_hours[advisors[2].pk][6] == [(time(18, 30), time(0))]
    # A window the busy times miss, and no advisors: nothing.
    assert external_busy_intervals(ids, start + timedelta(days=2), start + timedelta(days=3)) == {}
    assert external_busy_intervals([], start, start + timedelta(days=1)) == {}

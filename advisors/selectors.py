"""Reads of regions, topics and advisors."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from .models import Municipality, Region, Topic


def region_list() -> QuerySet[Region]:
    """All regions with their municipalities: two queries whatever the count."""
    return Region.objects.prefetch_related(
        Prefetch("municipalities", queryset=Municipality.objects.order_by("name"))
    ).order_by("code")


def topic_list() -> QuerySet[Topic]:
    return Topic.objects.filter(is_active=True).order_by("position", "slug")

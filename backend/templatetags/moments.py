"""Template filters for days and moments, in the active time zone (set it
with `{% timezone advisor.timezone %}`); the wording is backend/moments.py's:

    {{ booking.start|moment }}              tisdag 8 december kl. 10.00
    {{ booking.start|moment_span:booking.end }}   tisdag 8 december kl. 10.00–11.00
    {{ day|day }}                           tisdag 8 december
    {{ slot.start|clock }}                  10.00
    {{ advisor.timezone|zone_name }}        svensk tid
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django import template
from django.utils import timezone

from backend import moments

register = template.Library()


@register.filter
def moment(at: datetime | None) -> str:
    return moments.moment_text(at) if at else ""


@register.filter
def moment_span(start: datetime | None, end: datetime | None) -> str:
    return moments.span_text(start, end) if start and end else ""


@register.filter
def day(value: date | datetime | None) -> str:
    if not value:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value).date()
    return moments.day_text(value)


@register.filter
def clock(at: datetime | time | None) -> str:
    if not at:
        return ""
    if isinstance(at, datetime):
        at = timezone.localtime(at)
    return moments.clock_text(at)


@register.filter
def zone_name(zone: ZoneInfo | str | None) -> str:
    return moments.zone_name(zone) if zone else ""

"""The statistics' periods: local dates in Europe/Stockholm and their months."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from advisors.availability import local_to_utc

REPORT_ZONE = ZoneInfo("Europe/Stockholm")


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The UTC instants [from, to) of local dates start..end in Europe/Stockholm."""
    return local_to_utc(start, time(0), REPORT_ZONE), local_to_utc(
        end + timedelta(days=1), time(0), REPORT_ZONE
    )


def month_keys(start: date, end: date) -> list[str]:
    months, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def month_key(value: date | datetime) -> str:
    if isinstance(value, datetime):
        value = value.astimezone(REPORT_ZONE) if value.tzinfo else value
    return f"{value.year:04d}-{value.month:02d}"

"""The statistics' periods, all in one place: local dates in Europe/Stockholm
(the report's zone, whatever the viewer's), their calendar months, the
dashboard's presets and the period before, and how long a period may be.

A period is two local dates, `start` and `end`, both included. Months are
named by their first day (a `date`) or by their key ("YYYY-MM")."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from advisors.availability import local_to_utc

REPORT_ZONE = ZoneInfo("Europe/Stockholm")

# The longest period a report may cover, in years. (The first and last days
# any date may be are the site's: backend.limits.)
MAX_YEARS = 3

# The dashboard's presets: the last complete block of this many months.
PRESET_MONTHS = {"month": 1, "quarter": 3, "half_year": 6, "year": 12}


def today() -> date:
    """Today's local date in the report's zone."""
    return timezone.localtime(timezone.now(), REPORT_ZONE).date()


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The UTC instants [from, to) of local dates start..end in Europe/Stockholm."""
    return local_to_utc(start, time(0), REPORT_ZONE), local_to_utc(
        end + timedelta(days=1), time(0), REPORT_ZONE
    )


# --- Months ---------------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """The first of the month `months` after (or before) `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_end(day: date) -> date:
    """The last day of `day`'s month."""
    return add_months(day, 1) - timedelta(days=1)


def months_of(start: date, end: date) -> list[date]:
    """The first day of every month that start..end touches, in order."""
    months, month = [], start.replace(day=1)
    while month <= end:
        months.append(month)
        month = add_months(month, 1)
    return months


def month_keys(start: date, end: date) -> list[str]:
    """`months_of` as keys, "YYYY-MM"."""
    return [f"{month:%Y-%m}" for month in months_of(start, end)]


def local_month(value: date | datetime) -> date:
    """The first day of the local month of a date, or of an instant in the
    report's zone (TruncMonth's value: a local datetime on PostgreSQL, and on
    SQLite too once Django has converted it; a naive one is taken as local)."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.astimezone(REPORT_ZONE)
    return date(value.year, value.month, 1)


def month_key(value: date | datetime) -> str:
    """`local_month` as a key, "YYYY-MM"."""
    return f"{local_month(value):%Y-%m}"


def whole_months(start: date, end: date) -> int | None:
    """How many whole calendar months start..end is, or None if it is not."""
    if start.day != 1 or (end + timedelta(days=1)).day != 1:
        return None
    return (end.year - start.year) * 12 + end.month - start.month + 1


# --- The dashboard's periods ----------------------------------------------------------------


def reported_period(start: date, end: date) -> tuple[date, date]:
    """The period a report of start..end covers: start..end itself when it is
    whole calendar months or whole ISO weeks (Monday to Sunday), else widened
    to whole ISO weeks. So two reports one may get differ by a week at least:
    part of the disclosure control against differencing (reporting.suppression,
    rule 3). Widened rather than refused: a report of any dates is still a
    report (the API's contract), of the weeks around them."""
    if whole_months(start, end) is not None:
        return start, end
    return start - timedelta(days=start.weekday()), end + timedelta(days=6 - end.weekday())


def last_complete(kind: str, today: date) -> tuple[date, date]:
    """The last complete calendar month, quarter, half year or year before `today`."""
    size = PRESET_MONTHS[kind]
    # The block (of `size` months, counted from January) that today falls in starts here:
    current = date(today.year, (today.month - 1) // size * size + 1, 1)
    start = add_months(current, -size)
    return start, current - timedelta(days=1)


def previous_period(start: date, end: date) -> tuple[date, date]:
    """The period of the same length just before: whole months by months
    (the quarter before a quarter), any other period by days."""
    months = whole_months(start, end)
    if months is not None:
        return add_months(start, -months), start - timedelta(days=1)
    days = (end - start).days + 1
    return start - timedelta(days=days), start - timedelta(days=1)


def years_later(day: date, years: int) -> date:
    """The same date `years` later; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)

"""How far input may reach: the one place that knows the dates and the
nesting the site accepts, for the API and the web alike.

Nobody books, takes time off or reports on a day before 2000 or after 2100;
refusing such dates where they come in keeps every later step (a week
before, a month after, the zone's offset) inside what `datetime` can count,
so a far date is a 400 naming the parameter, never an OverflowError.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.utils.translation import gettext as _

EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2100, 12, 31)

# JSON bodies deeper than this are refused before they reach a serializer
# (Python's parser would otherwise recurse until RecursionError). The
# deepest body the API takes (availability: time off in a list) is 3.
MAX_JSON_DEPTH = 64

# The integers a database column can hold (64 bits, SQLite and PostgreSQL alike).
INTEGER_MIN, INTEGER_MAX = -(2**63), 2**63 - 1

NUL = "\x00"
# PostgreSQL refuses NUL in text; Django's own message, already translated.
NUL_MESSAGE = ProhibitNullCharactersValidator.message
NUL_CODE = ProhibitNullCharactersValidator.code


def date_in_range(value: date) -> bool:
    """Whether `value` (a date, or an instant's own calendar date) is one the site accepts."""
    day = value.date() if isinstance(value, datetime) else value
    return EARLIEST_DATE <= day <= LATEST_DATE


def date_range_message() -> str:
    return _("Enter a date between %(earliest)s and %(latest)s.") % {
        "earliest": EARLIEST_DATE.isoformat(),
        "latest": LATEST_DATE.isoformat(),
    }


def validate_date_in_range(value: date) -> None:
    """A validator for date and instant fields, forms and serializers alike."""
    if not date_in_range(value):
        raise ValidationError(date_range_message(), code="date_range")


def nul_in(value: Any) -> bool:
    """Whether a parsed body (dicts, lists, strings; keys too) holds a NUL anywhere."""
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(nul_in(k) or nul_in(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(nul_in(v) for v in value)
    return False

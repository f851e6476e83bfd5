"""Rules for availability input, shared by the API serializers and the web forms."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import time
from functools import lru_cache
from itertools import pairwise
from urllib.parse import urlsplit
from zoneinfo import available_timezones

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

SESSION_LENGTH_MAX = 480
SLOT_STEP_RANGE = (5, 120)
HORIZON_DAYS_MAX = 365
BUFFER_MAX = 240
MIN_NOTICE_HOURS_MAX = 24 * 30
INTERPRETER_LEAD_DAYS_MAX = 30  # working days
MAX_PER_DAY_MAX = 50


def end_minutes(end: time) -> int:
    """Minutes after midnight, with midnight as an end meaning 24:00."""
    return 24 * 60 if end == time(0) else end.hour * 60 + end.minute


def interval_error(start: time, end: time) -> str | None:
    if start.hour * 60 + start.minute >= end_minutes(end):
        return str(_("The start must be before the end."))
    return None


def overlap_error(intervals: Iterable[tuple[time, time]]) -> str | None:
    """A message when any two intervals of one day overlap, else None."""
    ordered = sorted((s.hour * 60 + s.minute, end_minutes(e), s, e) for s, e in intervals)
    for (_s1, e1, a_start, a_end), (s2, _e2, b_start, b_end) in pairwise(ordered):
        if s2 < e1:
            return str(
                _("%(a)s and %(b)s overlap.")
                % {
                    "a": f"{a_start:%H:%M}–{'24:00' if a_end == time(0) else f'{a_end:%H:%M}'}",
                    "b": f"{b_start:%H:%M}–{'24:00' if b_end == time(0) else f'{b_end:%H:%M}'}",
                }
            )
    return None


def session_length_error(minutes: int) -> str | None:
    if minutes <= 0 or minutes % 5 or minutes > SESSION_LENGTH_MAX:
        return str(_("A session length must be a positive multiple of 5 minutes, at most 480."))
    return None


@lru_cache(maxsize=1)
def _timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def is_known_timezone(name: str) -> bool:
    return name in _timezones()


CALENDAR_LINK_CREDENTIALS = _(
    "A calendar link cannot contain a user name or password. "
    "Use the link your calendar publishes for sharing."
)


def has_credentials(url: str) -> bool:
    """Whether `url` names a user (and perhaps a password) before its host."""
    try:
        return "@" in urlsplit(url.strip()).netloc
    except ValueError:  # malformed: the URL validator beside this one says so
        return False


def validate_calendar_link(url: str) -> None:
    """No credentials in a busy-calendar link: urllib cannot send them, so every
    read would fail, and the password would be shown and exported as part of
    the link. Refused when saved, in the form and the API alike."""
    if has_credentials(url):
        raise ValidationError(CALENDAR_LINK_CREDENTIALS, code="credentials")

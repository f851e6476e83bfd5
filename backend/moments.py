"""Days and moments as Rådtid writes them, in pages, mails and messages alike.

One way everywhere: "tisdag 8 december kl. 10.00" in Swedish (Språkrådet's
clock, with a full stop), "Tuesday 8 December at 10:00" in English; the year
only when it is not this year ("tisdag 5 januari 2027 kl. 10.00"). Time zones
are named as people say them ("svensk tid"), never by their database key.

Functions take the zone to show the moment in (an advisor's, as a rule);
the template filters of backend/templatetags/moments.py use the active zone,
set by `{% timezone %}`.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

# The working day as far as deadlines go: one that would fall outside it
# moves to its start, so nobody must answer in the night.
DAY_STARTS = time(9)
DAY_ENDS = time(21)


def day_text(day: date, *, today: date | None = None) -> str:
    """ "tisdag 8 december", with the year when it is not `today`'s."""
    today = today or timezone.localdate()
    return date_format(day, "l j F" if day.year == today.year else "l j F Y")


def clock_text(at: datetime | time) -> str:
    """ "10.00" in Swedish, "10:00" in English (the language's TIME_FORMAT)."""
    return time_format(at)


def moment_text(at: datetime, zone: ZoneInfo | None = None) -> str:
    """ "tisdag 8 december kl. 10.00", in `zone` (default: the active one)."""
    local = timezone.localtime(at, zone)
    return pgettext("a day and a clock time", "%(day)s at %(time)s") % {
        "day": day_text(local.date(), today=timezone.localtime(timezone.now(), zone).date()),
        "time": clock_text(local),
    }


def span_text(start: datetime, end: datetime, zone: ZoneInfo | None = None) -> str:
    """ "tisdag 8 december kl. 10.00–11.00" (a session within one day)."""
    return f"{moment_text(start, zone)}–{clock_text(timezone.localtime(end, zone))}"


def zone_name(zone: ZoneInfo | str) -> str:
    """A time zone as people say it: "svensk tid", else its city's time."""
    key = str(zone)
    if key == "Europe/Stockholm":
        return _("Swedish time")
    city = key.rsplit("/", 1)[-1].replace("_", " ")
    return _("%(city)s time") % {"city": city}


def daytime_deadline(deadline: datetime, zone: ZoneInfo, *, latest: datetime) -> datetime:
    """`deadline`, moved out of the night: one that falls between DAY_ENDS and
    DAY_STARTS local time moves to DAY_STARTS the next morning, unless that
    is after `latest`; then it stays as it is (a time about to begin cannot
    wait for the morning)."""
    local = deadline.astimezone(zone)
    if DAY_STARTS <= local.time() < DAY_ENDS:
        return deadline
    morning = local.date() + timedelta(days=1) if local.time() >= DAY_ENDS else local.date()
    # A non-existent or doubled 09:00 does not happen in Sweden; fold=0 is the rule anyway.
    moved = datetime.combine(morning, DAY_STARTS, tzinfo=zone)
    return moved if moved <= latest else deadline

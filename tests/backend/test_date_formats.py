"""Dates and times as each language writes them (backend/formats and
backend/moments): Swedish "tisdag 8 december kl. 10.00", English "Tuesday 8
December at 10:00", the year only when it is not this year, on pages and in
mails alike, in the viewer's zone; zones by name, deadlines out of the night."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import date_format, get_format

from backend import moments

STOCKHOLM = ZoneInfo("Europe/Stockholm")
TUESDAY_10 = datetime(2026, 12, 8, 10, 0, tzinfo=STOCKHOLM)
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)  # frozen_clock's, where a test asks for it


@pytest.mark.parametrize(
    ("language", "expected"),
    [("sv", "tisdag 8 december 2026 kl. 10.00"), ("en", "Tuesday 8 December 2026, 10:00")],
)
def test_a_moment_reads_as_the_language_writes_it(language, expected):
    with translation.override(language):
        assert date_format(TUESDAY_10, "DATETIME_FORMAT") == expected


@pytest.mark.parametrize(
    ("language", "day", "clock"),
    [("sv", "tisdag 8 december 2026", "10.00"), ("en", "Tuesday 8 December 2026", "10:00")],
)
def test_days_and_clock_times_have_their_own_names(language, day, clock):
    with translation.override(language):
        assert date_format(TUESDAY_10, "DATE_FORMAT") == day
        assert date_format(TUESDAY_10, "TIME_FORMAT") == clock


def test_templates_use_the_named_formats_in_the_viewer_s_zone():
    template = Template('{{ at|date:"DATETIME_FORMAT" }}–{{ end|time }}')
    # 08:00 UTC on the first day of summer time is 10:00 in Stockholm.
    context = Context(
        {"at": datetime(2027, 3, 29, 8, 0, tzinfo=UTC), "end": datetime(2027, 3, 29, 9, 0, tzinfo=UTC)}
    )
    with timezone.override(STOCKHOLM):
        with translation.override("sv"):
            assert template.render(context) == "måndag 29 mars 2027 kl. 10.00–11.00"
        with translation.override("en"):
            assert template.render(context) == "Monday 29 March 2027, 10:00–11:00"


@pytest.mark.parametrize(
    ("language", "expected"),
    [("sv", "tisdag 8 december kl. 10.00"), ("en", "Tuesday 8 December at 10:00")],
)
@pytest.mark.usefixtures("frozen_clock")
def test_the_booking_pages_moment_uses_the_language_s_day_and_clock(language, expected):
    advisor = SimpleNamespace(timezone="Europe/Stockholm")
    at = TUESDAY_10.astimezone(UTC)  # stored in UTC, shown in the advisor's zone
    with translation.override(language):
        html = render_to_string("bookings/_when.html", {"at": at, "advisor": advisor})
    assert f">{expected}</time>" in html
    assert 'datetime="2026-12-08T10:00:00+01:00"' in html  # the machine-readable moment is unchanged


def test_forms_still_read_iso_dates_and_clock_times_with_a_colon():
    # Only the display formats are ours; what people type stays as Django reads it.
    with translation.override("sv"):
        assert "%Y-%m-%d" in get_format("DATE_INPUT_FORMATS")
        assert "%H:%M" in get_format("TIME_INPUT_FORMATS")


# --- One way to write a moment (backend/moments) ----------------------------------------


@pytest.mark.usefixtures("frozen_clock")
@pytest.mark.parametrize(
    ("language", "this_year", "next_year", "span"),
    [
        (
            "sv",
            "tisdag 8 december kl. 10.00",
            "tisdag 5 januari 2027 kl. 09.30",
            "tisdag 8 december kl. 10.00–11.00",
        ),
        (
            "en",
            "Tuesday 8 December at 10:00",
            "Tuesday 5 January 2027 at 09:30",
            "Tuesday 8 December at 10:00–11:00",
        ),
    ],
)
def test_a_moment_has_its_year_only_when_it_is_not_this_year(language, this_year, next_year, span):
    january = datetime(2027, 1, 5, 8, 30, tzinfo=UTC)  # 09:30 in Stockholm
    with translation.override(language):
        assert moments.moment_text(TUESDAY_10.astimezone(UTC), STOCKHOLM) == this_year
        assert moments.moment_text(january, STOCKHOLM) == next_year
        assert moments.span_text(TUESDAY_10, TUESDAY_10 + timedelta(hours=1), STOCKHOLM) == span


@pytest.mark.usefixtures("frozen_clock")
def test_the_template_filters_write_moments_in_the_active_zone():
    template = Template(
        "{% load moments %}{{ at|moment }} | {{ at|moment_span:end }} | {{ day|day }} | {{ at|clock }} | {{ zone|zone_name }}"
    )
    context = Context(
        {
            "at": TUESDAY_10.astimezone(UTC),
            "end": (TUESDAY_10 + timedelta(minutes=45)).astimezone(UTC),
            "day": date(2027, 2, 1),
            "zone": "Europe/Stockholm",
        }
    )
    with timezone.override(STOCKHOLM), translation.override("sv"):
        assert template.render(context) == (
            "tisdag 8 december kl. 10.00 | tisdag 8 december kl. 10.00–10.45 | måndag 1 februari 2027"
            " | 10.00 | svensk tid"
        )
    with timezone.override(ZoneInfo("Europe/Helsinki")), translation.override("en"):
        assert template.render(context) == (
            "Tuesday 8 December at 11:00 | Tuesday 8 December at 11:00–11:45 | Monday 1 February 2027"
            " | 11:00 | Swedish time"
        )


@pytest.mark.parametrize(("language", "name"), [("sv", "svensk tid"), ("en", "Swedish time")])
def test_zones_are_named_as_people_say_them(language, name):
    with translation.override(language):
        assert moments.zone_name(STOCKHOLM) == name
        assert moments.zone_name("Europe/Stockholm") == name
        assert "Helsinki" in moments.zone_name("Europe/Helsinki")
        assert "/" not in moments.zone_name("America/New_York")


@pytest.mark.parametrize(
    ("deadline", "expected"),
    [
        # In the day: unchanged.
        (datetime(2027, 3, 1, 14, 30, tzinfo=STOCKHOLM), datetime(2027, 3, 1, 14, 30, tzinfo=STOCKHOLM)),
        (datetime(2027, 3, 1, 9, 0, tzinfo=STOCKHOLM), datetime(2027, 3, 1, 9, 0, tzinfo=STOCKHOLM)),
        # In the evening: 09:00 the next morning.
        (datetime(2027, 3, 1, 21, 0, tzinfo=STOCKHOLM), datetime(2027, 3, 2, 9, 0, tzinfo=STOCKHOLM)),
        (datetime(2027, 3, 1, 23, 40, tzinfo=STOCKHOLM), datetime(2027, 3, 2, 9, 0, tzinfo=STOCKHOLM)),
        # After midnight: 09:00 the same morning.
        (datetime(2027, 3, 2, 3, 15, tzinfo=STOCKHOLM), datetime(2027, 3, 2, 9, 0, tzinfo=STOCKHOLM)),
        # The night summer time begins (02:00 to 03:00 does not exist): still 09:00 local.
        (datetime(2027, 3, 28, 1, 30, tzinfo=STOCKHOLM), datetime(2027, 3, 28, 9, 0, tzinfo=STOCKHOLM)),
    ],
)
def test_a_deadline_in_the_night_moves_to_the_morning(deadline, expected):
    latest = datetime(2027, 4, 1, tzinfo=STOCKHOLM)
    moved = moments.daytime_deadline(deadline.astimezone(UTC), STOCKHOLM, latest=latest)
    assert moved == expected
    assert moved.astimezone(STOCKHOLM).hour == expected.hour


def test_a_deadline_stays_in_the_night_when_the_morning_is_too_late():
    night = datetime(2027, 3, 1, 23, 0, tzinfo=STOCKHOLM)
    latest = datetime(2027, 3, 2, 8, 0, tzinfo=STOCKHOLM)  # the session's notice ends before 09:00
    assert moments.daytime_deadline(night, STOCKHOLM, latest=latest) == night

"""Dates and times as each language writes them (backend/formats): Swedish
"tisdag 8 december 2026 kl. 10.00", English "Tuesday 8 December 2026, 10:00",
on pages and in mails alike, in the viewer's zone."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import date_format, get_format

STOCKHOLM = ZoneInfo("Europe/Stockholm")
TUESDAY_10 = datetime(2026, 12, 8, 10, 0, tzinfo=STOCKHOLM)


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
    [("sv", "tisdag 8 december 2026 kl. 10.00"), ("en", "Tuesday 8 December 2026 at 10:00")],
)
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

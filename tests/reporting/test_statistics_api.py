"""GET /api/v1/statistics/regions/{code}/: who may see it, bad periods, and the
CSV and XLSX downloads carrying the same (suppressed) figures as the JSON."""

from __future__ import annotations

import csv
import io
import random
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook
from rest_framework.test import APIClient

from advisors.models import Municipality
from reporting.export import COLUMNS, flat
from reporting.measures import BREAKDOWNS, MEASURES
from reporting.selectors import region_report
from tests import factories
from tests.conftest import client_for
from tests.reporting.test_statistics import FIRST, LAST, build_history, make_bookings, make_people

URL = "/api/v1/statistics/regions/{}/"
PERIOD = {"start": FIRST.isoformat(), "end": LAST.isoformat()}


@pytest.fixture
def history(db):
    return build_history(count=250)


def get(user, code="20", **params):
    """The report of region `code` for the period (or `params`), as `user` (None: anonymous)."""
    client = client_for(user) if user is not None else APIClient()
    return client.get(URL.format(code), {**PERIOD, **params})


# --- Who may see ----------------------------------------------------------------------------


def test_the_region_s_coordinator_sees_its_report(history, coordinator):
    response = get(coordinator.user)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["region"]["code"] == "20"
    assert (body["start"], body["end"]) == ("2026-01-01", "2026-06-30")
    assert body == region_report(region=history.region, start=FIRST, end=LAST)
    assert "private" in response["Cache-Control"]


def test_staff_see_any_region(history, staff):
    assert get(staff).status_code == 200
    assert get(staff, code="07").status_code == 200


@pytest.mark.parametrize("who", ["other_region_coordinator", "entrepreneur", "advisor", "anonymous"])
def test_everyone_else_finds_no_such_region(history, who, request):
    user = None if who == "anonymous" else request.getfixturevalue(who)
    user = getattr(user, "user", user)  # coordinators and advisors are profiles of a user
    response = get(user)
    assert response.status_code == 404
    assert "totals" not in response.content.decode()


def test_a_coordinator_sees_only_their_own_region(history, coordinator, other_region_coordinator):
    assert get(other_region_coordinator.user, code="07").status_code == 200
    assert get(coordinator.user, code="07").status_code == 404


def test_an_unknown_region_is_a_404_even_for_staff(db, staff):
    assert get(staff, code="99").status_code == 404


def test_a_stranger_with_a_bad_period_still_gets_a_404(db, entrepreneur):
    """Who may see is checked first: a bad period tells a stranger nothing either."""
    assert get(entrepreneur, start="nonsense").status_code == 404


# --- Bad periods ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"end": "2026-06-30"}, "start"),
        ({"start": "2026-01-01"}, "end"),
        ({"start": "2026-13-01", "end": "2026-06-30"}, "start"),
        ({"start": "2026-01-01", "end": "30/06/2026"}, "end"),
        ({"start": "2026-02-30", "end": "2026-06-30"}, "start"),
        ({"start": "", "end": "2026-06-30"}, "start"),
        ({"start": "2026-06-30", "end": "2026-01-01"}, "end"),
        ({"start": "2020-01-01", "end": "2023-01-01"}, "end"),
        ({"start": "1999-12-31", "end": "2000-01-31"}, "start"),
        ({"start": "2026-01-01", "end": "2026-06-30", "format": "pdf"}, "format"),
    ],
)
def test_a_bad_period_is_a_400_naming_the_field(db, coordinator, params, field):
    response = client_for(coordinator.user).get(URL.format("20"), params)
    assert response.status_code == 400
    assert field in response.json()


def test_three_years_to_the_day_is_the_longest_period(db, coordinator):
    response = client_for(coordinator.user).get(
        URL.format("20"), {"start": "2020-01-01", "end": "2022-12-31"}
    )
    assert response.status_code == 200


# --- Downloads ------------------------------------------------------------------------------


def expected_lines(report: dict) -> list[tuple]:
    """The JSON report as (breakdown, key, column values as strings) lines."""
    out = [("totals", "", flat(report["totals"]))]
    for name in BREAKDOWNS:
        out += [(name, row["key"], flat(row)) for row in report[name]]
    return out


def as_text(value) -> str:
    return "" if value is None else str(value)


def test_the_csv_carries_the_json_s_figures_hidden_alike(history, coordinator):
    report = get(coordinator.user).json()
    response = get(coordinator.user, format="csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        response["Content-Disposition"]
        == 'attachment; filename="radtid-statistik-20-2026-01-01-2026-06-30.csv"'
    )
    lines = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    expected = expected_lines(report)
    assert len(lines) == len(expected)
    for line, (breakdown, key, values) in zip(lines, expected, strict=True):
        assert (line["region"], line["start"], line["end"]) == ("20", "2026-01-01", "2026-06-30")
        assert (line["breakdown"], line["key"]) == (breakdown, key)
        assert {c: line[c] for c in COLUMNS} == {c: as_text(values[c]) for c in COLUMNS}
    assert any("<5" in line.values() for line in lines), "the data set has hidden cells"


@pytest.mark.parametrize(
    ("language", "delimiter", "headings"),
    [
        ("sv", ";", ["Region", "Första dag", "Sista dag", "Indelning", "Nyckel", "Rad"]),
        ("en", ",", ["Region", "First day", "Last day", "Breakdown", "Key", "Row"]),
    ],
)
def test_the_csv_for_excel_is_in_the_reader_s_language_with_its_separators(
    history, coordinator, language, delimiter, headings
):
    report = get(coordinator.user).json()
    client = client_for(coordinator.user)
    response = client.get(
        URL.format("20"), {**PERIOD, "format": "csv", "dialect": "excel"}, HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == 200
    assert response.content.startswith(b"\xef\xbb\xbf")  # the BOM: Excel then reads å, ä and ö
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=delimiter))
    header, *lines = rows
    assert header[:6] == headings
    assert len(header) == 6 + len(COLUMNS) and all(h and "_" not in h for h in header)
    assert [line[3] for line in lines[:1]] == [{"sv": "Totalt", "en": "Total"}[language]]
    assert {"sv": "Per månad", "en": "By month"}[language] in {line[3] for line in lines}
    expected = expected_lines(report)
    assert len(lines) == len(expected)
    # Every figure is the JSON's, written with the language's decimal mark.
    for line, (_breakdown, _key, values) in zip(lines, expected, strict=True):
        for column, cell in zip(COLUMNS, line[6:], strict=True):
            value = values[column]
            if isinstance(value, float):
                assert float(cell.replace(",", ".")) == value
                assert ("," if language == "sv" else ".") in cell or value == int(value)
                assert ("." not in cell) if language == "sv" else ("," not in cell)
            else:
                assert cell == as_text(value)
    assert any(isinstance(v, float) and v != int(v) for _b, _k, vs in expected for v in vs.values()), (
        "the data set has fractions to show the decimal mark on"
    )


def test_the_xlsx_has_a_sheet_per_breakdown_and_definitions_hidden_alike(history, coordinator):
    report = get(coordinator.user).json()
    response = get(coordinator.user, format="xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert (
        response["Content-Disposition"].startswith("attachment; filename=")
        and ".xlsx" in response["Content-Disposition"]
    )
    book = load_workbook(io.BytesIO(response.content))
    assert len(book.sheetnames) == 1 + len(BREAKDOWNS) + 2  # summary, breakdowns, follow-up, definitions

    summary = book.worksheets[0]
    cells = list(summary.iter_rows(values_only=True))
    totals = flat(report["totals"])
    values = [row[1] for row in cells[-len(COLUMNS) :]]
    assert values == [totals[c] for c in COLUMNS]

    follow_up = book.worksheets[-2]
    answered, _empty, _header, *questions = follow_up.iter_rows(values_only=True)
    assert answered[1] == report["follow_up"]["answered"]
    assert [(q[0], q[2]) for q in questions] == [
        (o["key"], o["count"]) for o in report["follow_up"]["outcomes"]
    ]

    for sheet, name in zip(book.worksheets[1:-2], BREAKDOWNS, strict=True):
        rows = list(sheet.iter_rows(min_row=2, values_only=True))
        assert [r[0] or "" for r in rows] == [row["key"] for row in report[name]]
        for cells_of_row, row in zip(rows, report[name], strict=True):
            assert list(cells_of_row[2:]) == [flat(row)[c] for c in COLUMNS], (name, row["key"])

    definitions = book.worksheets[-1]
    keys = [row[0] for row in definitions.iter_rows(min_row=2, values_only=True)]
    assert set(MEASURES) <= set(keys)
    for key, name_sv, text_sv, name_en, text_en in definitions.iter_rows(min_row=2, values_only=True):
        assert name_sv and text_sv and name_en and text_en, key


def test_format_json_is_the_json_report(history, coordinator):
    assert get(coordinator.user, format="json").json() == get(coordinator.user).json()


# --- Queries --------------------------------------------------------------------------------


def test_the_json_report_takes_at_most_20_queries_whatever_the_bookings(
    db, coordinator, django_assert_max_num_queries
):
    client = client_for(coordinator.user)
    counts = []
    for size, seed in ((10, 1), (400, 2)):
        rng = random.Random(seed)
        places = list(Municipality.objects.filter(region_id="20").values_list("code", flat=True))[:5]
        people = make_people(20, places, rng=rng, prefix=f"api{seed}-")
        advisors = [factories.AdvisorFactory(organisation=f"Org {seed}-{i}") for i in range(4)]
        make_bookings(rng=rng, advisors=advisors, people=people, count=size, first=FIRST, last=LAST)
        with django_assert_max_num_queries(20), CaptureQueriesContext(connection) as queries:
            response = client.get(URL.format("20"), PERIOD)
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


@pytest.mark.services  # figures by SQL, grouping sets on PostgreSQL
def test_the_dates_are_inclusive_local_dates(db, coordinator):
    # A whole ISO week, Monday to Sunday.
    response = client_for(coordinator.user).get(
        URL.format("20"), {"start": "2026-03-02", "end": "2026-03-08"}
    )
    assert response.status_code == 200
    assert [row["key"] for row in response.json()["by_month"]] == ["2026-03"]
    assert date.fromisoformat(response.json()["end"]) == date(2026, 3, 8)


@pytest.mark.parametrize(
    ("start", "end", "reported"),
    [
        ("2026-03-01", "2026-03-01", ("2026-02-23", "2026-03-01")),  # one day, a Sunday
        ("2026-03-02", "2026-03-07", ("2026-03-02", "2026-03-08")),  # Monday to Saturday
        ("2026-03-03", "2026-03-09", ("2026-03-02", "2026-03-15")),  # seven days, Tuesday to Monday
        (
            "2026-01-01",
            "2026-03-30",
            ("2025-12-29", "2026-04-05"),
        ),  # a month's first day to another's last but one
        ("2026-01-02", "2026-01-31", ("2025-12-29", "2026-02-01")),
        ("2026-03-02", "2026-03-15", ("2026-03-02", "2026-03-15")),  # whole weeks stay
        ("2026-02-01", "2026-03-31", ("2026-02-01", "2026-03-31")),  # whole months stay
    ],
)
def test_a_period_of_neither_whole_weeks_nor_whole_months_is_reported_as_whole_weeks(
    db, coordinator, start, end, reported
):
    response = client_for(coordinator.user).get(URL.format("20"), {"start": start, "end": end})
    assert response.status_code == 200
    assert (response.json()["start"], response.json()["end"]) == reported

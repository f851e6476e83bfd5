"""A funding project's report as an XLSX workbook, in the funder's layout
(issue 16; DESIGN.md, "Funder reporting"), in the active language (Swedish
unless English is active):

- "Indikatorer"/"Indicators": the project, funder, reference number, region,
  reporting period and its dates, when the file was made and the
  definitions' version; then one line per indicator with its value in the
  period and since the project's start. For a closed period also the values
  handed in (the snapshot) and the difference today's values make.
- "Definitioner"/"Definitions": every indicator's and note's words in Swedish
  and English (reporting.definitions.PROJECT_DEFINITIONS).
- "Deltagarförteckning"/"Participant list", only when given its rows (the
  project's owners, through `participant_list_export`, which keeps the
  ledger): one line per supported enterprise, with its de minimis aid.

The values are shown as the reader may see them (`shown_values`): exact for
the owners, with disclosure control for everyone else. Every cell goes
through backend.spreadsheet, so an enterprise named "=HYPERLINK(…)" stays text.
"""

from __future__ import annotations

import io
from typing import Any

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from backend.spreadsheet import xlsx_append

from .definitions import english_active, label_text, project_definitions, project_name
from .deminimis import to_eur
from .export import _format_cell, _sheet_title
from .models import DeMinimisDeclaration, PeriodSnapshot
from .project_report import (
    INDICATORS,
    PROJECT_DEFINITIONS_VERSION,
    SCOPES,
    Participant,
    ProjectReport,
    live_difference,
    shown_values,
)

# The workbook's own words, Swedish and English.
TEXTS = {
    "indicators": ("Indikatorer", "Indicators"),
    "definitions": ("Definitioner", "Definitions"),
    "participant_list": ("Deltagarförteckning", "Participant list"),
    "project": ("Projekt", "Project"),
    "funder": ("Finansiär", "Funder"),
    "reference": ("Diarienummer", "Reference number"),
    "region": ("Region", "Region"),
    "period": ("Rapportperiod", "Reporting period"),
    "period_line": ("Period {number}: {start} – {end}", "Period {number}: {start} – {end}"),
    "closed": ("Stängd {at}", "Closed {at}"),
    "open": ("Inte stängd", "Not closed"),
    "created": ("Skapad", "Made"),
    "definitions_version": ("Definitionernas version", "Definitions version"),
    "figures": ("Tal", "Figures"),
    "exact": ("Exakta", "Exact"),
    "protected": ("Skyddade (se Definitioner)", "Protected (see Definitions)"),
    "indicator": ("Indikator", "Indicator"),
    "in_period": ("Under perioden", "In the period"),
    "cumulative": ("Sedan projektets start", "Since the project's start"),
    "handed_in_in_period": ("Inlämnat, under perioden", "Handed in, in the period"),
    "handed_in_cumulative": ("Inlämnat, sedan start", "Handed in, since the start"),
    "difference_in_period": ("Skillnad, under perioden", "Difference, in the period"),
    "difference_cumulative": ("Skillnad, sedan start", "Difference, since the start"),
    "handed_in_version": ("Inlämnat med definitionernas version", "Handed in with definitions version"),
    "key": ("Nyckel", "Key"),
    "org_number": ("Organisationsnummer", "Organisation number"),
    "org_number_note": (
        "Rådtid har inga personnummer: organisationsnumret är tomt där företaget inte har något.",
        "Rådtid holds no personal identity numbers: the organisation number is blank where the "
        "enterprise has none.",
    ),
    "enterprise": ("Företag", "Enterprise"),
    "contact_email": ("Kontaktens e-post", "Contact email"),
    "first_session": ("Första möte", "First session"),
    "latest_session": ("Senaste möte", "Latest session"),
    "sessions": ("Möten i projektet", "Sessions in the project"),
    "hours": ("Timmar i projektet", "Hours in the project"),
    "in_this_period": ("Under denna period", "In this period"),
    "women_led": ("Leds av kvinnor", "Led by women"),
    "aid_here_eur": ("Stöd av minimis från projektet (EUR)", "De minimis aid from this project (EUR)"),
    "declared_eur": ("Deklarerat stöd av minimis (EUR)", "Declared de minimis aid (EUR)"),
    "declared_at": ("Deklarerat den", "Declared on"),
    "yes": ("Ja", "Yes"),
    "no": ("Nej", "No"),
    # Enterprise.women_led (bookings.models.WomenLed), by its value.
    "women_led_yes": ("Ja", "Yes"),
    "women_led_no": ("Nej", "No"),
    "women_led_not_stated": ("Ej angivet", "Not stated"),
}

# The participant list's columns, in order.
PARTICIPANT_COLUMNS = (
    "org_number",
    "enterprise",
    "contact_email",
    "first_session",
    "latest_session",
    "sessions",
    "hours",
    "in_this_period",
    "women_led",
    "aid_here_eur",
    "declared_eur",
    "declared_at",
)


def text(key: str) -> str:
    return label_text(key, TEXTS)


def project_report_filename(report: ProjectReport) -> str:
    prefix = "radtid-project-report" if english_active() else "radtid-projektrapport"
    return f"{prefix}-{report.project.pk}-period-{report.period.number}-{report.period.end}.xlsx"


def project_report_xlsx(
    report: ProjectReport,
    *,
    exact: bool,
    participant_rows: list[Participant] | None,
    snapshot: PeriodSnapshot | None,
) -> bytes:
    """The report as a workbook (the module's docstring). `participant_rows`
    only for the project's owners, after `participant_list_export`."""
    bold = Font(bold=True)
    book = Workbook()
    _indicator_sheet(book.active, report, exact=exact, snapshot=snapshot, bold=bold)
    _definitions_sheet(book.create_sheet(_sheet_title(text("definitions"))), bold)
    if participant_rows is not None:
        sheet = book.create_sheet(_sheet_title(text("participant_list")))
        _participant_sheet(sheet, report, participant_rows, bold)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _indicator_sheet(
    sheet: Worksheet, report: ProjectReport, *, exact: bool, snapshot: PeriodSnapshot | None, bold: Font
) -> None:
    project, period = report.project, report.period
    sheet.title = _sheet_title(text("indicators"))
    status = (
        text("closed").format(at=timezone.localtime(period.closed_at).strftime("%Y-%m-%d %H:%M"))
        if period.closed and period.closed_at
        else text("open")
    )
    period_line = text("period_line").format(number=period.number, start=period.start, end=period.end)
    xlsx_append(sheet, [text("project"), project.name])
    xlsx_append(sheet, [text("funder"), str(project.get_funder_display())])
    xlsx_append(sheet, [text("reference"), project.reference])
    xlsx_append(sheet, [text("region"), f"{project.region.name} ({project.region_id})"])
    xlsx_append(sheet, [text("period"), f"{period_line} ({status})"])
    xlsx_append(sheet, [text("created"), timezone.localtime().strftime("%Y-%m-%d %H:%M")])
    xlsx_append(sheet, [text("definitions_version"), PROJECT_DEFINITIONS_VERSION])
    xlsx_append(sheet, [text("figures"), text("exact" if exact else "protected")])
    if snapshot is not None:
        xlsx_append(sheet, [text("handed_in_version"), snapshot.definitions_version])
    for cell in sheet["A"]:
        cell.font = bold
    xlsx_append(sheet, [])

    live = report.values()
    shown = {scope: shown_values(live[scope], exact=exact) for scope in SCOPES}
    headings = [text("indicator"), text("in_period"), text("cumulative")]
    frozen: dict[str, dict[str, Any]] = {}
    changed: dict[str, dict[str, Any]] = {}
    if snapshot is not None:
        headings += [
            text("handed_in_in_period"),
            text("handed_in_cumulative"),
            text("difference_in_period"),
            text("difference_cumulative"),
        ]
        frozen = {scope: shown_values(snapshot.values[scope], exact=exact) for scope in SCOPES}
        changed = live_difference(report, snapshot, exact=exact)
    xlsx_append(sheet, headings)
    for cell in sheet[sheet.max_row]:
        cell.font = bold
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for key in INDICATORS:
        row = [project_name(key), shown["in_period"][key], shown["cumulative"][key]]
        if snapshot is not None:
            row += [frozen["in_period"].get(key), frozen["cumulative"].get(key)]
            row += [changed[scope].get(key, 0) for scope in SCOPES]
        xlsx_append(sheet, row)
        for column in range(2, len(row) + 1):
            _format_cell(sheet.cell(row=sheet.max_row, column=column), key)
    sheet.column_dimensions["A"].width = 40
    for letter in "BCDEFG":
        sheet.column_dimensions[letter].width = 20
    sheet.cell(row=1, column=2).alignment = Alignment(wrap_text=True, vertical="top")


def _definitions_sheet(sheet: Worksheet, bold: Font) -> None:
    xlsx_append(sheet, [text("key"), "Namn", "Definition (svenska)", "Name", "Definition (English)"])
    for cell in sheet[1]:
        cell.font = bold
    for key, entry in project_definitions().items():
        xlsx_append(sheet, [key, entry["name_sv"], entry["sv"], entry["name_en"], entry["en"]])
    for letter, width in zip("ABCDE", (26, 32, 80, 32, 80), strict=True):
        sheet.column_dimensions[letter].width = width
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def participant_cells(report: ProjectReport, rows: list[Participant]) -> list[list[Any]]:
    """The participant list's lines, one per row, in PARTICIPANT_COLUMNS'
    order. One query (the enterprises' de minimis declarations)."""
    declarations = {
        d.enterprise_id: d
        for d in DeMinimisDeclaration.objects.filter(enterprise__in=[row.enterprise.pk for row in rows])
    }
    rate = report.project.hourly_aid_value_sek
    lines = []
    for row in rows:
        declared = declarations.get(row.enterprise.pk)
        lines.append(
            [
                row.enterprise.org_number or None,
                row.enterprise.name,
                row.contact_email,
                row.first_session,
                row.latest_session,
                row.sessions,
                float(row.hours),
                text("yes" if row.in_period else "no"),
                text(f"women_led_{row.enterprise.women_led}"),
                float(to_eur(row.hours * rate)),
                float(declared.aid_last_three_years_eur) if declared else None,
                timezone.localdate(declared.declared_at) if declared else None,
            ]
        )
    return lines


def _participant_sheet(sheet: Worksheet, report: ProjectReport, rows: list[Participant], bold: Font) -> None:
    xlsx_append(sheet, [text("org_number_note")])
    xlsx_append(sheet, [])
    xlsx_append(sheet, [text(column) for column in PARTICIPANT_COLUMNS])
    for cell in sheet[3]:
        cell.font = bold
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for line in participant_cells(report, rows):
        xlsx_append(sheet, line)
        for column, value in enumerate(line, start=1):
            cell = sheet.cell(row=sheet.max_row, column=column)
            if PARTICIPANT_COLUMNS[column - 1] in ("first_session", "latest_session", "declared_at"):
                cell.number_format = "yyyy-mm-dd"
            elif isinstance(value, float):
                cell.number_format = "0.00"
    sheet.freeze_panes = "C4"
    for index, width in enumerate((16, 32, 32, 14, 14, 12, 12, 12, 14, 18, 18, 14), start=1):
        sheet.column_dimensions[sheet.cell(row=3, column=index).column_letter].width = width

"""The statistics report as files: CSV and XLSX. Both render a report from
`reporting.selectors.region_report`, already suppressed, and nothing else, so
a hidden figure is hidden in every format alike.

CSV: one rectangular table, UTF-8 with a byte-order mark (so Excel reads å, ä
and ö). One line for the totals and one per row of each breakdown. Two
dialects of the same lines:
- for programs (the API's `format=csv`): comma-separated, a dot for decimals,
  the columns `region`, `start`, `end`, `breakdown` ("totals", "by_month",
  …), `key` and `label`, then the measures by their API names (coverage as
  `coverage_covered` and `coverage_of`);
- for Excel (`format=csv&dialect=excel`, the dashboard's download): the same
  columns headed by their names in the reader's language, the breakdowns
  named too; in Swedish separated by semicolons with a decimal comma, as
  Excel set to Swedish opens it by a double click, in English by commas with
  a decimal point.
A hidden count is "<5", a hidden or undefined figure is empty.

XLSX: a "Summary" sheet (region, period, the totals), a sheet per breakdown,
a sheet for the outcome follow-up, and a "Definitions" sheet with every
measure in Swedish and English. (The follow-up is not in the CSV: its answers
are not a row of the measures; the JSON and the XLSX carry it.)

Every cell goes through backend.spreadsheet: text a spreadsheet would run as a
formula (an organisation named "=HYPERLINK(…)") arrives as text.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from backend.spreadsheet import CsvWriter, xlsx_append

from .definitions import definitions, english_active, label_text
from .measures import BREAKDOWNS, MEASURES

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# The flat columns of a row: coverage splits in two.
COLUMNS = tuple(
    column for m in MEASURES for column in (("coverage_covered", "coverage_of") if m == "coverage" else (m,))
)
# The files' own words, Swedish and English.
TEXTS = {
    "total": ("Totalt", "Total"),
    "start": ("Första dag", "First day"),
    "end": ("Sista dag", "Last day"),
    "breakdown": ("Indelning", "Breakdown"),
    "label": ("Rad", "Row"),
    "covered": ("täckta", "covered"),
    "of": ("av", "of"),
    "municipalities_in_region": ("Kommuner i regionen", "Municipalities in the region"),
    "summary": ("Sammanfattning", "Summary"),
    "usage_statistics": ("Användningsstatistik", "Usage statistics"),
    "region": ("Region", "Region"),
    "period": ("Period", "Period"),
    "created": ("Skapad", "Created"),
    "hidden": ("Dolda uppgifter", "Hidden figures"),
    "measure": ("Mått", "Measure"),
    "code": ("Kod", "Code"),
    "name": ("Namn", "Name"),
    "definitions": ("Definitioner", "Definitions"),
    "key": ("Nyckel", "Key"),
    "answered": ("Företag som svarat", "Enterprises that answered"),
    "question": ("Fråga", "Question"),
    "answered_yes": ("Svarade ja", "Answered yes"),
    "share_yes": ("Andel ja", "Share yes"),
}


def text(key: str) -> str:
    return label_text(key, TEXTS)


RATES = frozenset({"no_show_rate", "cancellation_rate", "share_within_14_days", "utilisation"})


def filename(report: dict, extension: str) -> str:
    return f"radtid-statistik-{report['region']['code']}-{report['start']}-{report['end']}.{extension}"


def flat(row: dict) -> dict[str, Any]:
    """A row's measures as flat columns."""
    values = {m: row[m] for m in MEASURES if m != "coverage"}
    values["coverage_covered"] = row["coverage"]["covered"]
    values["coverage_of"] = row["coverage"]["of"]
    return {column: values[column] for column in COLUMNS}


def lines(report: dict) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    """(breakdown, key, label, flat measures) for the totals and every row."""
    yield "totals", "", text("total"), flat(report["totals"])
    for name in BREAKDOWNS:
        for row in report[name]:
            yield name, row["key"], row["label"], flat(row)


# --- CSV ------------------------------------------------------------------------------------


def report_csv(report: dict, *, for_excel: bool = False) -> bytes:
    """The report as CSV: for programs, or `for_excel` in the active language."""
    out = io.StringIO()
    swedish = not english_active()
    if for_excel:
        writer = CsvWriter(out, delimiter=";" if swedish else ",", decimal_comma=swedish)
        names = {key: entry["name_en" if not swedish else "name_sv"] for key, entry in definitions().items()}
        coverage = names["coverage"]
        headings = {
            **names,
            "coverage_covered": f"{coverage} ({text('covered')})",
            "coverage_of": f"{coverage} ({text('of')})",
        }
        writer.writerow(
            [text(c) for c in ("region", "start", "end", "breakdown", "key", "label")]
            + [headings[c] for c in COLUMNS]
        )
    else:
        writer = CsvWriter(out)
        names = {}
        writer.writerow(["region", "start", "end", "breakdown", "key", "label", *COLUMNS])
    region = report["region"]["code"]
    for breakdown, key, label, values in lines(report):
        shown = names.get(breakdown, text("total")) if for_excel else breakdown
        writer.writerow(
            [region, report["start"], report["end"], shown, key, label, *(values[c] for c in COLUMNS)]
        )
    return out.getvalue().encode("utf-8-sig")


# --- XLSX -----------------------------------------------------------------------------------


def report_xlsx(report: dict) -> bytes:
    texts = definitions()
    english = english_active()
    name_of = {key: entry["name_en" if english else "name_sv"] for key, entry in texts.items()}
    names = {
        **{m: name_of[m] for m in MEASURES if m != "coverage"},
        "coverage_covered": name_of["coverage"],
        "coverage_of": text("municipalities_in_region"),
    }
    bold = Font(bold=True)

    book = Workbook()
    summary = book.active
    summary.title = _sheet_title(text("summary"))
    xlsx_append(summary, [text("usage_statistics"), "Rådtid"])
    xlsx_append(summary, [text("region"), f"{report['region']['name']} ({report['region']['code']})"])
    xlsx_append(summary, [text("period"), f"{report['start']} – {report['end']}"])
    xlsx_append(summary, [text("created"), timezone.localtime().strftime("%Y-%m-%d %H:%M")])
    xlsx_append(summary, [text("hidden"), texts["hidden"]["en" if english else "sv"]])
    xlsx_append(summary, [])
    xlsx_append(summary, [text("measure"), text("total")])
    header_row = summary.max_row
    totals = flat(report["totals"])
    for column in COLUMNS:
        xlsx_append(summary, [names[column], totals[column]])
        _format_cell(summary.cell(row=summary.max_row, column=2), column)
    for cell in (*summary["A"][:5], *summary[header_row]):
        cell.font = bold
    summary.column_dimensions["A"].width = 40
    summary.column_dimensions["B"].width = 60
    for row in summary.iter_rows(min_row=1, max_row=5, min_col=2, max_col=2):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")

    for breakdown in BREAKDOWNS:
        sheet = book.create_sheet(_sheet_title(name_of[breakdown]))
        xlsx_append(sheet, [text("code"), text("name"), *(names[c] for c in COLUMNS)])
        for cell in sheet[1]:
            cell.font = bold
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for row in report[breakdown]:
            values = flat(row)
            xlsx_append(sheet, [row["key"], row["label"], *(values[c] for c in COLUMNS)])
            for offset, column in enumerate(COLUMNS, start=3):
                _format_cell(sheet.cell(row=sheet.max_row, column=offset), column)
        sheet.freeze_panes = "C2"
        sheet.column_dimensions["A"].width = 14
        sheet.column_dimensions["B"].width = 32
        for index in range(3, len(COLUMNS) + 3):
            sheet.column_dimensions[get_column_letter(index)].width = 16

    if "follow_up" in report:
        _follow_up_sheet(book, report["follow_up"], name_of["follow_up"], bold)

    sheet = book.create_sheet(_sheet_title(text("definitions")))
    xlsx_append(sheet, [text("key"), "Namn", "Definition (svenska)", "Name", "Definition (English)"])
    for cell in sheet[1]:
        cell.font = bold
    for key, entry in texts.items():
        xlsx_append(sheet, [key, entry["name_sv"], entry["sv"], entry["name_en"], entry["en"]])
    for letter, width in zip("ABCDE", (26, 32, 80, 32, 80), strict=True):
        sheet.column_dimensions[letter].width = width
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")

    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _follow_up_sheet(book: Workbook, section: dict, title: str, bold: Font) -> None:
    """What the advice led to, three months on: one line per question."""
    sheet = book.create_sheet(_sheet_title(title))
    xlsx_append(sheet, [text("answered"), section["answered"]])
    xlsx_append(sheet, [])
    xlsx_append(sheet, [text("key"), text("question"), text("answered_yes"), text("share_yes")])
    for cell in (*sheet[1], *sheet[3]):
        cell.font = bold
    for outcome in section["outcomes"]:
        xlsx_append(sheet, [outcome["key"], outcome["label"], outcome["count"], outcome["share"]])
        _format_cell(sheet.cell(row=sheet.max_row, column=3), "count")
        share = sheet.cell(row=sheet.max_row, column=4)
        if isinstance(share.value, float):
            share.number_format = "0.0%"
    for letter, width in zip("ABCD", (18, 40, 16, 16), strict=True):
        sheet.column_dimensions[letter].width = width


def _format_cell(cell, column: str) -> None:
    if not isinstance(cell.value, int | float) or isinstance(cell.value, bool):
        if isinstance(cell.value, str):
            cell.alignment = Alignment(horizontal="right")
        return
    if column in RATES:
        cell.number_format = "0.0%"
    elif isinstance(cell.value, float):
        cell.number_format = "0.0#"


def _sheet_title(text: str) -> str:
    """Excel allows 31 characters and none of []:*?/\\ in a sheet's name."""
    for char in "[]:*?/\\":
        text = text.replace(char, " ")
    return text[:31]

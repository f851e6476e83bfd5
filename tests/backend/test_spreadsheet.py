"""backend.spreadsheet: text a spreadsheet would run as a formula is written as
text in CSV and XLSX cells; other text and numbers as they are. (The
statistics files that use it: tests/reporting/test_export_cells.py.)"""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import Workbook, load_workbook

from backend.spreadsheet import FORMULA_PREFIXES, CsvWriter, csv_cell, xlsx_append


@pytest.mark.parametrize("prefix", FORMULA_PREFIXES)
def test_text_starting_with_a_formula_character_gets_a_quote_in_csv(prefix):
    assert csv_cell(f"{prefix}1+1") == f"'{prefix}1+1"


@pytest.mark.parametrize("value", ["Coompanion Dalarna", "<5", "2026-01-01", "a=b", " =1+1", "–", ""])
def test_other_text_is_written_as_it_is(value):
    assert csv_cell(value) == value


def test_numbers_stay_numbers_negative_ones_too():
    out = io.StringIO()
    CsvWriter(out).writerow([-3, -0.25, 0, 12.5, None, "-3", "<5"])

    assert out.getvalue() == '-3,-0.25,0,12.5,"","\'-3","<5"\r\n'

    book = Workbook()
    xlsx_append(book.active, [-3, -0.25, "-3", "=1+1"])
    saved = io.BytesIO()
    book.save(saved)
    cells = load_workbook(saved).active[1]
    assert [(c.value, c.data_type) for c in cells] == [(-3, "n"), (-0.25, "n"), ("-3", "s"), ("=1+1", "s")]


def test_the_swedish_excel_dialect_splits_on_semicolons_with_a_decimal_comma():
    out = io.StringIO()
    CsvWriter(out, delimiter=";", decimal_comma=True).writerow(
        ["Dalarna; Falun", 0.25, 3, -1.5, None, "=1+1"]
    )
    # Text quoted (a ; inside stays in its cell), numbers bare, formulas defused.
    assert out.getvalue() == '"Dalarna; Falun";0,25;3;-1,5;"";"\'=1+1"\r\n'
    assert next(csv.reader(io.StringIO(out.getvalue()), delimiter=";")) == [
        "Dalarna; Falun",
        "0,25",
        "3",
        "-1,5",
        "",
        "'=1+1",
    ]

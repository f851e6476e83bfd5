"""A funding project's report, its periods' closing and snapshots in the API
(issue 16): exact values for the project's owners and protected ones for the
region's other coordinators, the period by default and refused periods, the
workbook with the participant list only for owners who give a reason (ledger
and audit written), closing a period, the snapshots with the difference a
later change makes, and for everyone else no project at all (404)."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
import time_machine
from openpyxl import load_workbook
from rest_framework.test import APIClient

from backend.models import AuditEntry
from bookings.models import Booking, BookingStatus
from reporting.export import XLSX_CONTENT_TYPE
from reporting.models import ParticipantListExport, PeriodSnapshot
from reporting.project_report import (
    PROJECT_DEFINITIONS_VERSION,
    live_difference,
    participants,
    project_report,
    shown_values,
)
from tests import factories
from tests.conftest import client_for
from tests.reporting.test_project_report import AFTER_THE_END, History

MID_PERIOD_2 = datetime(2027, 5, 15, 10, 0, tzinfo=UTC)


@pytest.fixture
def history(db) -> History:
    return History()


@pytest.fixture
def colleague(db):
    """A coordinator of the project's region without the owner right."""
    return factories.CoordinatorFactory(region_id="20")


def report_url(history: History, **query) -> str:
    url = f"/api/v1/funding-projects/{history.project.pk}/report/"
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return url


def close_url(history: History, number: int) -> str:
    return f"/api/v1/funding-projects/{history.project.pk}/periods/{number}/close/"


def snapshots_url(history: History) -> str:
    return f"/api/v1/funding-projects/{history.project.pk}/snapshots/"


def sheets(response) -> dict:
    book = load_workbook(io.BytesIO(response.content))
    return {name: [list(r) for r in book[name].iter_rows(values_only=True)] for name in book.sheetnames}


# --- The report as JSON ------------------------------------------------------------------------


def test_the_owner_sees_the_exact_values(history):
    period = history.project.periods.get(number=3)
    response = client_for(history.coordinator.user).get(report_url(history, period=3))

    assert response.status_code == 200
    data = response.json()
    values = project_report(history.project, period).values()
    assert {"in_period": data["in_period"], "cumulative": data["cumulative"]} == values
    assert data["project"] == {
        "id": history.project.pk,
        "name": "Starkare sociala företag",
        "funder": "tillvaxtverket_national",
        "reference": "NYPS 20305678",
        "region": "20",
    }
    assert data["period"] == {"number": 3, "start": "2027-07-01", "end": "2027-09-30", "closed": False}
    assert data["definitions_version"] == PROJECT_DEFINITIONS_VERSION
    assert response["Cache-Control"].count("no-store") == 1


def test_a_coordinator_without_the_owner_right_sees_protected_values(history, colleague):
    period = history.project.periods.get(number=1)
    data = client_for(colleague.user).get(report_url(history, period=1)).json()

    values = project_report(history.project, period).values()
    assert data["in_period"] == shown_values(values["in_period"], exact=False)
    assert data["cumulative"] == shown_values(values["cumulative"], exact=False)
    assert data["cumulative"] != values["cumulative"]  # the protection shows in this history


def test_staff_see_exact_values(history):
    period = history.project.periods.get(number=2)
    data = client_for(factories.StaffFactory()).get(report_url(history, period=2)).json()
    assert data["cumulative"] == project_report(history.project, period).values()["cumulative"]


def test_without_a_period_the_report_is_of_todays(history):
    client = client_for(history.coordinator.user)
    with time_machine.travel(MID_PERIOD_2, tick=False):
        assert client.get(report_url(history)).json()["period"]["number"] == 2
        assert client.get(report_url(history, period="")).json()["period"]["number"] == 2
    with time_machine.travel(datetime(2026, 6, 1, tzinfo=UTC), tick=False):
        assert client.get(report_url(history)).json()["period"]["number"] == 1
    with time_machine.travel(AFTER_THE_END, tick=False):
        assert client.get(report_url(history)).json()["period"]["number"] == 4


@pytest.mark.parametrize("period", ["0", "5", "abc", "-1", "1.5", "99999999999999999999", "%00"])
def test_a_period_the_project_does_not_have_is_a_field_error(history, period):
    response = client_for(history.coordinator.user).get(report_url(history, period=period))
    assert response.status_code == 400
    assert list(response.json()) == ["period"]


def test_an_unknown_format_is_a_field_error(history):
    response = client_for(history.coordinator.user).get(report_url(history, period=1, format="pdf"))
    assert response.status_code == 400 and list(response.json()) == ["format"]


def test_the_report_reads_in_a_bounded_number_of_queries(history, django_assert_max_num_queries):
    client = client_for(history.coordinator.user)
    with django_assert_max_num_queries(11):
        assert client.get(report_url(history, period=4)).status_code == 200
    with django_assert_max_num_queries(17):  # with the ledger, the audit and the declarations
        url = report_url(history, period=4, format="xlsx", reason="final_report")
        assert client.get(url).status_code == 200


def test_the_snapshots_read_their_sessions_once_whatever_the_number_of_periods(
    history, django_assert_max_num_queries
):
    client = client_for(history.coordinator.user)
    with time_machine.travel(AFTER_THE_END, tick=False):
        for number in (1, 2, 3):
            assert client.post(close_url(history, number)).status_code == 201
    with django_assert_max_num_queries(12):
        assert len(client.get(snapshots_url(history)).json()) == 3


# --- The workbook ---------------------------------------------------------------------------------


def test_the_owners_workbook_needs_a_reason_and_writes_the_ledger_and_the_audit(history):
    client = client_for(history.coordinator.user)
    for query, field in (
        ({}, "reason"),
        ({"reason": "gossip"}, "reason"),
        ({"reason": "other"}, "reason_text"),
        ({"reason": "other", "reason_text": "x" * 201}, "reason_text"),
    ):
        refused = client.get(report_url(history, period=4, format="xlsx", **query))
        assert refused.status_code == 400 and field in refused.json(), query
    assert not ParticipantListExport.objects.exists()
    assert not AuditEntry.objects.about(history.project).filter(
        action="funding_project.participants_exported"
    )

    response = client.get(report_url(history, period=4, format="xlsx", reason="progress_report"))

    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_CONTENT_TYPE
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert ".xlsx" in response["Content-Disposition"]
    book = sheets(response)
    assert list(book) == ["Indikatorer", "Definitioner", "Deltagarförteckning"]
    report = project_report(history.project, history.project.periods.get(number=4))
    rows = participants(report)
    names = [line[1] for line in book["Deltagarförteckning"][3:]]
    assert names == [row.enterprise.name for row in rows]
    ledger = ParticipantListExport.objects.get()
    assert (ledger.by, ledger.period, ledger.reason, ledger.participants) == (
        history.coordinator.user,
        4,
        "progress_report",
        len(rows),
    )
    entry = AuditEntry.objects.about(history.project).get(action="funding_project.participants_exported")
    assert entry.data == {"period": 4, "reason": "progress_report", "participants": len(rows)}


def test_a_coordinator_without_the_owner_right_gets_the_workbook_without_the_participants(history, colleague):
    response = client_for(colleague.user).get(report_url(history, period=2, format="xlsx"))

    assert response.status_code == 200 and response["Content-Type"] == XLSX_CONTENT_TYPE
    book = sheets(response)
    assert list(book) == ["Indikatorer", "Definitioner"]
    assert not ParticipantListExport.objects.exists()
    table = book["Indikatorer"]
    start = next(i for i, line in enumerate(table) if line[0] == "Indikator")
    values = shown_values(
        project_report(history.project, history.project.periods.get(number=2)).values()["cumulative"],
        exact=False,
    )
    assert [line[2] for line in table[start + 1 :]] == list(values.values())


def test_a_closed_periods_workbook_has_what_was_handed_in(history):
    client = client_for(history.coordinator.user)
    with time_machine.travel(AFTER_THE_END, tick=False):
        assert client.post(close_url(history, 1)).status_code == 201
    response = client.get(report_url(history, period=1, format="xlsx", reason="final_report"))
    table = sheets(response)["Indikatorer"]
    headings = next(line for line in table if line[0] == "Indikator")
    assert "Inlämnat, under perioden" in headings and "Skillnad, sedan start" in headings


def test_format_xlsx_is_not_taken_for_a_renderer(history, colleague):
    """DRF reads ?format= as a renderer override; here it picks the download."""
    response = client_for(colleague.user).get(
        report_url(history, format="xlsx"), HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 200 and response["Content-Type"] == XLSX_CONTENT_TYPE
    json_response = client_for(colleague.user).get(report_url(history, format="json"))
    assert json_response.status_code == 200 and json_response.json()["definitions_version"]


# --- Closing a period ------------------------------------------------------------------------------


def test_the_owner_closes_a_period_that_is_over_once(history):
    client = client_for(history.coordinator.user)
    with time_machine.travel(AFTER_THE_END, tick=False):
        response = client.post(close_url(history, 2))
        again = client.post(close_url(history, 2))

    assert response.status_code == 201
    snapshot = PeriodSnapshot.objects.get(period__number=2)
    assert response.json() == {
        "period": 2,
        "closed_at": response.json()["closed_at"],
        "closed_by": history.coordinator.user.email,
        "values": snapshot.values,
        "live_difference": {"in_period": {}, "cumulative": {}},
        "definitions_version": PROJECT_DEFINITIONS_VERSION,
    }
    assert datetime.fromisoformat(response.json()["closed_at"]) == AFTER_THE_END
    assert again.status_code == 409
    assert PeriodSnapshot.objects.count() == 1


def test_a_period_not_over_is_not_closed(history):
    with time_machine.travel(MID_PERIOD_2, tick=False):
        response = client_for(history.coordinator.user).post(close_url(history, 2))
    assert response.status_code == 400 and "period" in response.json()
    assert not PeriodSnapshot.objects.exists()


def test_an_unknown_period_is_not_closed(history):
    with time_machine.travel(AFTER_THE_END, tick=False):
        response = client_for(history.coordinator.user).post(close_url(history, 7))
    assert response.status_code == 400 and "period" in response.json()


def test_a_coordinator_without_the_owner_right_may_not_close(history, colleague):
    with time_machine.travel(AFTER_THE_END, tick=False):
        response = client_for(colleague.user).post(close_url(history, 1))
    assert response.status_code == 403
    assert not PeriodSnapshot.objects.exists()
    assert history.project.periods.get(number=1).closed is False


# --- Snapshots --------------------------------------------------------------------------------------


def test_the_snapshots_show_what_was_handed_in_and_the_difference_a_change_makes(history, colleague):
    owner = client_for(history.coordinator.user)
    assert owner.get(snapshots_url(history)).json() == []
    with time_machine.travel(AFTER_THE_END, tick=False):
        assert owner.post(close_url(history, 2)).status_code == 201
        assert owner.post(close_url(history, 1)).status_code == 201
    period = history.project.periods.get(number=2)
    held = next(s.booking for s in project_report(history.project, period).in_period if s.documented)
    Booking.objects.filter(pk=held.pk).update(status=BookingStatus.NO_SHOW)

    items = owner.get(snapshots_url(history)).json()

    assert [item["period"] for item in items] == [1, 2]
    frozen = PeriodSnapshot.objects.get(period__number=2)
    second = items[1]
    assert set(second) == {
        "period",
        "closed_at",
        "closed_by",
        "values",
        "live_difference",
        "definitions_version",
    }
    assert second["values"] == frozen.values
    assert second["closed_by"] == history.coordinator.user.email
    period.refresh_from_db()
    assert second["live_difference"] == live_difference(
        project_report(history.project, period), frozen, exact=True
    )
    assert second["live_difference"]["in_period"]["sessions_held"] == -1
    assert items[0]["live_difference"] == {"in_period": {}, "cumulative": {}}

    theirs = client_for(colleague.user).get(snapshots_url(history)).json()
    assert theirs[1]["values"] == {
        scope: shown_values(frozen.values[scope], exact=False) for scope in ("in_period", "cumulative")
    }
    assert theirs[1]["live_difference"] == live_difference(
        project_report(history.project, period), frozen, exact=False
    )


def test_an_erased_closer_is_null(history):
    with time_machine.travel(AFTER_THE_END, tick=False):
        client_for(history.coordinator.user).post(close_url(history, 1))
    history.project.periods.filter(number=1).update(closed_by=None)
    items = client_for(factories.StaffFactory()).get(snapshots_url(history)).json()
    assert items[0]["closed_by"] is None


# --- Who finds the project at all ----------------------------------------------------------------


def outsiders(history: History) -> dict:
    return {
        "other_region_coordinator": client_for(factories.CoordinatorFactory(region_id="07").user),
        "advisor": client_for(history.anna.user),
        "entrepreneur": client_for(factories.UserFactory()),
        "anonymous": APIClient(),
    }


ENDPOINTS = {
    "report": lambda h: ("get", report_url(h, period=1)),
    "report_xlsx": lambda h: ("get", report_url(h, period=1, format="xlsx", reason="progress_report")),
    "close": lambda h: ("post", close_url(h, 1)),
    "snapshots": lambda h: ("get", snapshots_url(h)),
}


@pytest.mark.parametrize("who", ["other_region_coordinator", "advisor", "entrepreneur", "anonymous"])
@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
def test_for_everyone_else_the_project_is_not_there(history, who, endpoint):
    method, url = ENDPOINTS[endpoint](history)
    with time_machine.travel(AFTER_THE_END, tick=False):
        response = getattr(outsiders(history)[who], method)(url)
    assert response.status_code == 404
    assert "Starkare" not in response.content.decode()
    assert not PeriodSnapshot.objects.exists() and not ParticipantListExport.objects.exists()


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
@pytest.mark.parametrize("pk", ["x", "99999999999999999999", "0", "-1"])
def test_a_project_id_that_is_not_one_is_not_found(history, endpoint, pk):
    method, url = ENDPOINTS[endpoint](history)
    url = url.replace(f"/{history.project.pk}/", f"/{pk}/")
    client = client_for(history.coordinator.user)
    client.raise_request_exception = False
    assert getattr(client, method)(url).status_code == 404


def test_the_schema_documents_the_endpoints():
    schema = APIClient().get("/api/schema/?format=json").json()
    paths = schema["paths"]
    report = paths["/api/v1/funding-projects/{id}/report/"]["get"]
    assert report["operationId"] == "funding_project_report"
    assert set(report["responses"]["200"]["content"]) == {"application/json", XLSX_CONTENT_TYPE}
    close = paths["/api/v1/funding-projects/{id}/periods/{number}/close/"]["post"]
    assert close["operationId"] == "funding_project_period_close"
    assert {"201", "400", "403", "404", "409"} <= set(close["responses"])
    snapshots = paths["/api/v1/funding-projects/{id}/snapshots/"]["get"]
    assert snapshots["operationId"] == "funding_project_snapshots"


def test_the_refusals_are_in_swedish(history):
    response = client_for(history.coordinator.user).get(report_url(history, period=5, format="xlsx"))
    assert response.json() == {"period": ["Projektet har ingen rapportperiod 5; dess perioder är 1–4."]}
    refused = client_for(history.coordinator.user).get(report_url(history, period=4, format="xlsx"))
    assert refused.json() == {"reason": ["Ange varför du exporterar deltagarförteckningen."]}

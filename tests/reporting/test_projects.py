"""Funding projects (issue 16): saving them with their reporting periods, the
membership rule and the advisor's choice per booking, the API
(GET, POST /api/v1/funding-projects/) and who may reach it, and the pages."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from advisors.models import Topic
from backend.models import AuditEntry
from reporting.models import FundingProject, ProjectBooking, ReportingPeriod
from reporting.projects import (
    ProjectData,
    ProjectError,
    booking_project_choose,
    matching_projects,
    period_errors,
    project_of,
    project_owner_grant,
    project_save,
    projects_of,
)
from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.usefixtures("frozen_clock")

NOW = datetime(2027, 3, 1, 6, 0, tzinfo=UTC)
URL = "/api/v1/funding-projects/"

YEAR = [(date(2027, 1, 1), date(2027, 6, 30)), (date(2027, 7, 1), date(2027, 12, 31))]


def data(coordinator, **over) -> ProjectData:
    values = {
        "region": coordinator.region,
        "name": "Starkare sociala företag",
        "funder": "erdf",
        "reference": "20201234",
        "start": date(2027, 1, 1),
        "end": date(2027, 12, 31),
        "hourly_aid_value_sek": Decimal("1200"),
        "periods": YEAR,
        "topics": (),
        "advisors": (),
    }
    return ProjectData(**{**values, **over})


def body(**over) -> dict:
    return {
        "region": "20",
        "name": "Starkare sociala företag",
        "funder": "erdf",
        "reference": "20201234",
        "start": "2027-01-01",
        "end": "2027-12-31",
        "hourly_aid_value_sek": 1200,
        "periods": [
            {"start": "2027-01-01", "end": "2027-06-30"},
            {"start": "2027-07-01", "end": "2027-12-31"},
        ],
        "topics": ["financing"],
        "advisors": [],
        **over,
    }


@pytest.fixture
def project(coordinator):
    return project_save(by=coordinator.user, project=None, data=data(coordinator))


# --- Periods ---------------------------------------------------------------------------------


def test_periods_that_tile_the_project_pass():
    assert period_errors(date(2027, 1, 1), date(2027, 12, 31), YEAR) == []


@pytest.mark.parametrize(
    ("periods", "words"),
    [
        ([(date(2027, 1, 1), date(2027, 6, 30)), (date(2027, 7, 2), date(2027, 12, 31))], "gap"),
        ([(date(2027, 1, 1), date(2027, 7, 1)), (date(2027, 7, 1), date(2027, 12, 31))], "overlap"),
        ([(date(2027, 1, 2), date(2027, 12, 31))], "first day"),
        ([(date(2027, 1, 1), date(2027, 12, 30))], "last day"),
        ([(date(2027, 1, 1), date(2026, 12, 31))], "ends before"),
        ([], "at least one"),
    ],
)
def test_periods_that_do_not_tile_are_refused(periods, words):
    from django.utils import translation

    with translation.override("en"):
        errors = period_errors(date(2027, 1, 1), date(2027, 12, 31), periods)
    assert errors and any(words in e for e in errors), errors


# --- Saving ----------------------------------------------------------------------------------


def test_the_creator_owns_the_project_and_it_is_audited(project, coordinator):
    assert list(project.owners.all()) == [coordinator]
    assert list(project.periods.values_list("number", "start", "end")) == [
        (1, date(2027, 1, 1), date(2027, 6, 30)),
        (2, date(2027, 7, 1), date(2027, 12, 31)),
    ]
    entry = AuditEntry.objects.about(project).get()
    assert entry.action == "funding_project.created" and entry.actor == coordinator.user


def test_only_owners_change_a_project(project, coordinator):
    colleague = factories.CoordinatorFactory(region_id="20")
    with pytest.raises(ProjectError) as refused:
        project_save(by=colleague.user, project=project, data=data(coordinator, name="Annat"))
    assert refused.value.status_code == 403
    project_owner_grant(by=coordinator.user, project=project, coordinator=colleague)
    changed = project_save(by=colleague.user, project=project, data=data(coordinator, name="Annat"))
    assert changed.name == "Annat"
    assert AuditEntry.objects.about(project).filter(action="funding_project.owner_added").exists()


def test_the_owner_right_goes_only_to_the_regions_coordinators(
    project, coordinator, other_region_coordinator
):
    with pytest.raises(ProjectError):
        project_owner_grant(by=coordinator.user, project=project, coordinator=other_region_coordinator)
    assert list(project.owners.all()) == [coordinator]


def test_a_closed_period_cannot_change(project, coordinator):
    ReportingPeriod.objects.filter(project=project, number=1).update(closed=True)
    quarters = [
        (date(2027, 1, 1), date(2027, 3, 31)),
        (date(2027, 4, 1), date(2027, 12, 31)),
    ]
    with pytest.raises(ProjectError) as refused:
        project_save(by=coordinator.user, project=project, data=data(coordinator, periods=quarters))
    assert refused.value.status_code == 409
    assert project.periods.count() == 2


def test_advisors_of_another_region_are_refused(coordinator, other_advisor):
    with pytest.raises(ProjectError) as refused:
        project_save(by=coordinator.user, project=None, data=data(coordinator, advisors=[other_advisor]))
    assert "advisors" in refused.value.errors
    assert not FundingProject.objects.exists()


# --- The rule --------------------------------------------------------------------------------


def test_a_booking_belongs_to_the_project_whose_region_topic_advisor_and_date_match(coordinator, advisor):
    financing = Topic.objects.get(slug="financing")
    other_topic = Topic.objects.exclude(slug="financing").first()
    project = project_save(
        by=coordinator.user, project=None, data=data(coordinator, topics=[financing], advisors=[advisor])
    )
    matching = factories.BookingFactory(
        advisor=advisor, topic=financing, start=datetime(2027, 3, 2, 8, tzinfo=UTC)
    )
    other = factories.BookingFactory(
        advisor=advisor, topic=other_topic, start=datetime(2027, 3, 3, 8, tzinfo=UTC)
    )
    before = factories.BookingFactory(
        advisor=advisor, topic=financing, start=datetime(2026, 12, 31, 22, 30, tzinfo=UTC)
    )  # 23:30 local on 31 December: before the project
    colleague = factories.AdvisorFactory(region_id="20")
    theirs = factories.BookingFactory(
        advisor=colleague, topic=financing, start=datetime(2027, 3, 4, 8, tzinfo=UTC)
    )
    assert project_of(matching) == project
    assert project_of(other) is None
    assert project_of(before) is None
    assert project_of(theirs) is None


def test_the_local_date_decides(coordinator, advisor):
    project = project_save(by=coordinator.user, project=None, data=data(coordinator))
    # 23:30 UTC on 31 December 2026 is 00:30 on 1 January 2027 in Stockholm.
    booking = factories.BookingFactory(advisor=advisor, start=datetime(2026, 12, 31, 23, 30, tzinfo=UTC))
    assert project_of(booking) == project


def test_a_project_of_another_region_never_matches(other_region_coordinator, advisor):
    project_save(by=other_region_coordinator.user, project=None, data=data(other_region_coordinator))
    booking = factories.BookingFactory(advisor=advisor)
    assert project_of(booking) is None


def test_the_advisor_chooses_another_matching_project_or_none_with_an_audit_entry(coordinator, advisor):
    first = project_save(by=coordinator.user, project=None, data=data(coordinator))
    second = project_save(
        by=coordinator.user,
        project=None,
        data=data(
            coordinator, name="Nytt", start=date(2027, 2, 1), periods=[(date(2027, 2, 1), date(2027, 12, 31))]
        ),
    )
    booking = factories.BookingFactory(advisor=advisor)
    assert project_of(booking) == second  # the later start wins
    assert {p.pk for p in matching_projects(booking)} == {first.pk, second.pk}

    booking_project_choose(booking=booking, project=first, by=advisor.user)
    assert project_of(booking) == first
    booking_project_choose(booking=booking, project=None, by=advisor.user)
    assert project_of(booking) is None
    entries = list(AuditEntry.objects.about(booking).filter(action="booking.project_chosen").order_by("pk"))
    assert [e.data for e in entries] == [
        {"project": first.pk, "rule": second.pk},
        {"project": None, "rule": second.pk},
    ]


def test_no_one_but_the_advisor_chooses_and_only_a_matching_project(
    coordinator, advisor, other_advisor, entrepreneur
):
    project = project_save(by=coordinator.user, project=None, data=data(coordinator))
    booking = factories.BookingFactory(advisor=advisor, entrepreneur=entrepreneur)
    for someone in (entrepreneur, other_advisor.user, coordinator.user):
        with pytest.raises(ProjectError) as refused:
            booking_project_choose(booking=booking, project=None, by=someone)
        assert refused.value.status_code == 404
    late = factories.BookingFactory(advisor=advisor, start=datetime(2028, 3, 2, 8, tzinfo=UTC))
    with pytest.raises(ProjectError) as refused:
        booking_project_choose(booking=late, project=project, by=advisor.user)
    assert refused.value.field == "project"
    assert not ProjectBooking.objects.exists()
    assert not AuditEntry.objects.filter(action="booking.project_chosen").exists()


# --- The API ---------------------------------------------------------------------------------


def test_a_coordinator_creates_a_project_of_their_region(coordinator):
    response = client_for(coordinator.user).post(URL, body(), format="json")
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created == {
        "id": created["id"],
        "region": "20",
        "name": "Starkare sociala företag",
        "funder": "erdf",
        "reference": "20201234",
        "start": "2027-01-01",
        "end": "2027-12-31",
        "hourly_aid_value_sek": 1200.0,
        "periods": [
            {"number": 1, "start": "2027-01-01", "end": "2027-06-30", "closed": False},
            {"number": 2, "start": "2027-07-01", "end": "2027-12-31", "closed": False},
        ],
        "topics": ["financing"],
        "advisors": [],
    }
    listed = client_for(coordinator.user).get(URL).json()
    assert [p["id"] for p in listed["results"]] == [created["id"]]


def test_each_coordinator_sees_their_regions_projects_and_staff_all(project, other_region_coordinator, staff):
    assert client_for(other_region_coordinator.user).get(URL).json()["results"] == []
    assert [p["id"] for p in client_for(staff).get(URL).json()["results"]] == [project.pk]


def test_advisors_entrepreneurs_and_anonymous_find_no_projects(project, advisor, entrepreneur):
    for client in (client_for(advisor.user), client_for(entrepreneur), APIClient()):
        assert client.get(URL).status_code == 404
        assert client.post(URL, body(), format="json").status_code == 404
    assert FundingProject.objects.count() == 1


def test_a_coordinator_of_another_region_cannot_create_one_here(other_region_coordinator):
    response = client_for(other_region_coordinator.user).post(URL, body(), format="json")
    assert response.status_code == 400 and "region" in response.json()
    assert not FundingProject.objects.exists()


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"end": "2026-12-31"}, "end"),
        ({"hourly_aid_value_sek": -1}, "hourly_aid_value_sek"),
        ({"periods": [{"start": "2027-01-01", "end": "2027-06-30"}]}, "periods"),
        ({"periods": []}, "periods"),
        (
            {
                "periods": [
                    {"start": "2027-01-01", "end": "2027-06-30"},
                    {"start": "2027-06-15", "end": "2027-12-31"},
                ]
            },
            "periods",
        ),
        (
            {
                "periods": [
                    {"number": 1, "start": "2027-01-01", "end": "2027-06-30"},
                    {"number": 3, "start": "2027-07-01", "end": "2027-12-31"},
                ]
            },
            "periods",
        ),
        ({"topics": ["no-such-topic"]}, "topics"),
        ({"advisors": [999999]}, "advisors"),
        ({"funder": "lottery"}, "funder"),
        ({"start": "not a date"}, "start"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"hourly_aid_value_sek": "NaN"}, "hourly_aid_value_sek"),
    ],
)
def test_bad_input_is_a_field_error_and_changes_nothing(coordinator, over, field):
    response = client_for(coordinator.user).post(URL, body(**over), format="json")
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert not FundingProject.objects.exists()


def test_advisors_of_another_region_are_a_field_error(coordinator, other_advisor):
    response = client_for(coordinator.user).post(URL, body(advisors=[other_advisor.pk]), format="json")
    assert response.status_code == 400 and "advisors" in response.json()


def test_the_schema_documents_the_endpoint():
    schema = APIClient().get("/api/schema/?format=json").json()
    operations = schema["paths"]["/api/v1/funding-projects/"]
    assert {"get", "post"} <= set(operations)


# --- The pages -------------------------------------------------------------------------------


def test_the_coordinator_creates_a_project_on_the_page(coordinator, advisor):
    from django.test import Client

    client = Client()
    client.force_login(coordinator.user)
    assert client.get("/coordinator/projects/new/").status_code == 200
    form = {
        "region": "20",
        "name": "Webbprojekt",
        "funder": "tillvaxtverket_national",
        "reference": "",
        "start": "2027-01-01",
        "end": "2027-12-31",
        "hourly_aid_value_sek": "900",
        "period_rows": "3",
        "period_1_start": "2027-01-01",
        "period_1_end": "2027-06-30",
        "period_2_start": "2027-07-01",
        "period_2_end": "2027-12-31",
        "advisors": [str(advisor.pk)],
    }
    gap = client.post("/coordinator/projects/new/", {**form, "period_2_start": "2027-07-05"})
    assert gap.status_code == 400 and not FundingProject.objects.exists()
    response = client.post("/coordinator/projects/new/", form)
    assert response.status_code == 302
    project = FundingProject.objects.get()
    assert list(project.advisors.all()) == [advisor] and project.periods.count() == 2
    listed = client.get("/coordinator/projects/").content.decode()
    assert "Webbprojekt" in listed
    assert client.get(f"/coordinator/projects/{project.pk}/").status_code == 200


def test_the_project_pages_are_not_for_others(project, advisor, other_region_coordinator):
    from django.test import Client

    client = Client()
    client.force_login(advisor.user)
    assert client.get("/coordinator/projects/").status_code == 403
    client.force_login(other_region_coordinator.user)
    assert client.get(f"/coordinator/projects/{project.pk}/").status_code == 404


def test_the_advisor_sees_and_changes_the_project_on_the_bookings_page(coordinator, advisor, entrepreneur):
    from django.test import Client

    project = project_save(by=coordinator.user, project=None, data=data(coordinator))
    booking = factories.BookingFactory(advisor=advisor, entrepreneur=entrepreneur)
    client = Client()
    client.force_login(advisor.user)
    page = client.get(f"/bookings/{booking.uid}/").content.decode()
    assert project.name in page and f"/bookings/{booking.uid}/project/" in page
    response = client.post(f"/bookings/{booking.uid}/project/", {"project": ""})
    assert response.status_code == 302
    assert project_of(booking) is None
    client.force_login(entrepreneur)
    assert client.post(f"/bookings/{booking.uid}/project/", {"project": ""}).status_code == 404


def test_the_projects_of_many_bookings_take_a_fixed_number_of_queries(
    coordinator, advisor, django_assert_num_queries
):
    project = project_save(by=coordinator.user, project=None, data=data(coordinator))
    bookings = [
        factories.BookingFactory(advisor=advisor, start=datetime(2027, 3, day, 8, tzinfo=UTC))
        for day in range(2, 12)
    ]
    booking_project_choose(booking=bookings[0], project=None, by=advisor.user)
    # The projects, their advisors, their topics, and the advisors' choices.
    with django_assert_num_queries(4):
        found = projects_of(bookings)
    assert found[bookings[0].pk] is None
    assert all(found[b.pk] == project for b in bookings[1:])


def test_the_owner_gives_the_owner_right_on_the_page(project, coordinator, other_region_coordinator):
    from django.test import Client

    colleague = factories.CoordinatorFactory(region_id="20")
    client = Client()
    client.force_login(colleague.user)
    url = f"/coordinator/projects/{project.pk}/owners/"
    assert client.post(url, {"coordinator": colleague.pk}).status_code == 403
    client.force_login(other_region_coordinator.user)
    assert client.post(url, {"coordinator": other_region_coordinator.pk}).status_code == 404
    client.force_login(coordinator.user)
    assert url in client.get(f"/coordinator/projects/{project.pk}/").content.decode()
    # A coordinator of another region is not among the choices.
    assert client.post(url, {"coordinator": other_region_coordinator.pk}).status_code == 302
    assert set(project.owners.all()) == {coordinator}
    assert client.post(url, {"coordinator": colleague.pk}).status_code == 302
    assert set(project.owners.all()) == {coordinator, colleague}

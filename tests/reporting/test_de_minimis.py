"""De minimis (issue 16): the declaration, the aid value of held sessions in
projects, GET and PUT /api/v1/enterprises/{id}/de-minimis/ and who may reach
it, the declaration page, the booking flow's notice and the advisor's warning."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.test import Client, override_settings
from rest_framework.test import APIClient

from backend.models import AuditEntry
from bookings.models import BookingStatus
from reporting.deminimis import ceiling_check, de_minimis_state
from reporting.models import DeMinimisDeclaration
from reporting.projects import ProjectData, project_save
from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.usefixtures("frozen_clock")

NOW = datetime(2027, 3, 1, 6, 0, tzinfo=UTC)
TODAY = date(2027, 3, 1)


def url(enterprise) -> str:
    return f"/api/v1/enterprises/{enterprise.pk}/de-minimis/"


@pytest.fixture
def project(coordinator):
    return project_save(
        by=coordinator.user,
        project=None,
        data=ProjectData(
            region=coordinator.region,
            name="Starkare sociala företag",
            funder="tillvaxtverket_national",
            reference="",
            start=date(2026, 1, 1),
            end=date(2027, 12, 31),
            hourly_aid_value_sek=Decimal("1150"),
            periods=[(date(2026, 1, 1), date(2027, 12, 31))],
        ),
    )


@pytest.fixture
def enterprise(entrepreneur):
    return factories.EnterpriseFactory(members=[entrepreneur])


def held(advisor, entrepreneur, enterprise, start, duration=60, status=BookingStatus.COMPLETED):
    return factories.BookingFactory(
        advisor=advisor,
        entrepreneur=entrepreneur,
        enterprise=enterprise,
        start=start,
        duration=duration,
        status=status,
    )


@override_settings(DE_MINIMIS_SEK_PER_EUR=Decimal("11.50"))
def test_received_here_counts_held_sessions_in_projects_at_the_hourly_value(
    project, advisor, entrepreneur, enterprise
):
    held(advisor, entrepreneur, enterprise, datetime(2027, 2, 1, 9, tzinfo=UTC), duration=90)
    held(advisor, entrepreneur, enterprise, datetime(2027, 2, 8, 9, tzinfo=UTC), duration=60)
    # Neither a no-show, nor an upcoming one, nor one before the project counts.
    held(
        advisor, entrepreneur, enterprise, datetime(2027, 2, 15, 9, tzinfo=UTC), status=BookingStatus.NO_SHOW
    )
    held(
        advisor, entrepreneur, enterprise, datetime(2027, 3, 2, 9, tzinfo=UTC), status=BookingStatus.CONFIRMED
    )
    held(advisor, entrepreneur, enterprise, datetime(2025, 12, 1, 9, tzinfo=UTC))
    state = de_minimis_state(enterprise, today=TODAY)
    # 2.5 hours × 1150 SEK = 2875 SEK = 250 EUR.
    assert state["received_here_eur"] == Decimal("250.00")
    assert state["declared_at"] is None and state["aid_last_three_years_eur"] is None
    assert state["remaining_eur"] == Decimal("299750.00")


def test_members_declare_and_read_through_the_api(project, entrepreneur, enterprise):
    client = client_for(entrepreneur)
    assert client.get(url(enterprise)).json() == {
        "declared_at": None,
        "aid_last_three_years_eur": None,
        "received_here_eur": 0.0,
        "ceiling_eur": 300000,
        "remaining_eur": 300000.0,
    }
    response = client.put(url(enterprise), {"aid_last_three_years_eur": "120000.50"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["aid_last_three_years_eur"] == 120000.5
    assert response.json()["remaining_eur"] == 179999.5
    assert response.json()["declared_at"].startswith("2027-03-01T07:00:00")
    declaration = DeMinimisDeclaration.objects.get()
    assert declaration.declared_by == entrepreneur
    entry = AuditEntry.objects.about(enterprise).get(action="enterprise.de_minimis_declared")
    assert entry.actor == entrepreneur and "120000" not in str(entry.data)


def test_its_advisor_reads_but_may_not_declare(advisor, entrepreneur, enterprise):
    factories.BookingFactory(advisor=advisor, entrepreneur=entrepreneur, enterprise=enterprise)
    client = client_for(advisor.user)
    assert client.get(url(enterprise)).status_code == 200
    assert client.put(url(enterprise), {"aid_last_three_years_eur": 1}, format="json").status_code == 403
    assert not DeMinimisDeclaration.objects.exists()


def test_everyone_else_finds_nothing(
    advisor, other_advisor, other_entrepreneur, coordinator, other_region_coordinator, staff, enterprise
):
    for user in (
        advisor.user,
        other_advisor.user,
        other_entrepreneur,
        coordinator.user,
        other_region_coordinator.user,
        staff,
    ):
        client = client_for(user)
        assert client.get(url(enterprise)).status_code == 404
        assert client.put(url(enterprise), {"aid_last_three_years_eur": 1}, format="json").status_code == 404
    assert APIClient().get(url(enterprise)).status_code == 401
    assert client_for(staff).get("/api/v1/enterprises/99999999999999999999/de-minimis/").status_code == 404
    assert not DeMinimisDeclaration.objects.exists()


@pytest.mark.parametrize("amount", [-1, "abc", None, "1e400", "NaN", "100000000000"])
def test_a_bad_amount_is_a_field_error(entrepreneur, enterprise, amount):
    response = client_for(entrepreneur).put(
        url(enterprise), {"aid_last_three_years_eur": amount}, format="json"
    )
    assert response.status_code == 400 and "aid_last_three_years_eur" in response.json()
    assert not DeMinimisDeclaration.objects.exists()


def test_the_advisor_is_warned_when_a_booking_would_pass_the_ceiling(
    project, advisor, entrepreneur, enterprise
):
    DeMinimisDeclaration.objects.create(
        enterprise=enterprise, aid_last_three_years_eur=Decimal("299950"), declared_at=NOW
    )
    upcoming = held(
        advisor, entrepreneur, enterprise, datetime(2027, 3, 2, 9, tzinfo=UTC), status=BookingStatus.CONFIRMED
    )
    check = ceiling_check(upcoming, today=TODAY)
    assert check is not None and check.passes_ceiling
    client = Client()
    client.force_login(advisor.user)
    page = client.get(f"/bookings/{upcoming.uid}/").content.decode()
    assert "över taket på 300 000 euro" in page
    DeMinimisDeclaration.objects.update(aid_last_three_years_eur=Decimal("1000"))
    assert not ceiling_check(upcoming, today=TODAY).passes_ceiling


def test_a_booking_in_no_project_has_no_check(advisor, entrepreneur, enterprise):
    booking = held(advisor, entrepreneur, enterprise, datetime(2027, 3, 2, 9, tzinfo=UTC))
    assert ceiling_check(booking, today=TODAY) is None


def test_the_declaration_page_saves_and_refuses_bad_input(entrepreneur, other_entrepreneur, enterprise):
    client = Client()
    client.force_login(entrepreneur)
    page = f"/enterprises/{enterprise.pk}/de-minimis/"
    assert client.get(page).status_code == 200
    assert client.post(page, {"aid_last_three_years_eur": "-5"}).status_code == 400
    assert not DeMinimisDeclaration.objects.exists()
    assert client.post(page, {"aid_last_three_years_eur": "5000"}).status_code == 302
    assert DeMinimisDeclaration.objects.get().aid_last_three_years_eur == Decimal("5000")
    assert page in client.get(f"/bookings/enterprise/{enterprise.pk}/").content.decode()
    client.force_login(other_entrepreneur)
    assert client.get(page).status_code == 404


def test_the_booking_flow_asks_for_the_declaration_and_says_what_the_funder_gets(
    project, advisor, entrepreneur, enterprise
):
    from advisors.models import Topic

    advisor.topics.set([Topic.objects.get(slug="financing")])
    client = Client()
    client.force_login(entrepreneur)
    step = {
        "advisor": advisor.pk,
        "start": "2027-03-03T09:00:00+01:00",
        "duration": 60,
        "step": "describe",
        "topic": "financing",
        "mode": "video",
        "enterprise": enterprise.pk,
        "message": "",
    }
    response = client.post("/bookings/new/", step)
    text = response.content.decode()
    assert response.status_code == 200, text
    assert f"/enterprises/{enterprise.pk}/de-minimis/" in text
    assert "/privacy/" in text and "organisationsnummer" in text
    DeMinimisDeclaration.objects.create(enterprise=enterprise, aid_last_three_years_eur=0, declared_at=NOW)
    text = client.post("/bookings/new/", step).content.decode()
    assert f"/enterprises/{enterprise.pk}/de-minimis/" not in text and "organisationsnummer" in text


def test_options_answers_without_looking_the_enterprise_up(entrepreneur, other_entrepreneur, enterprise):
    assert client_for(other_entrepreneur).options(url(enterprise)).status_code == 200
    assert client_for(other_entrepreneur).options("/api/v1/enterprises/0/de-minimis/").status_code == 200


def test_the_persons_export_shows_the_project_and_what_the_funder_gets(
    project, advisor, entrepreneur, enterprise
):
    booking = held(advisor, entrepreneur, enterprise, datetime(2027, 2, 1, 9, tzinfo=UTC))
    client_for(entrepreneur).put(url(enterprise), {"aid_last_three_years_eur": 100}, format="json")
    data = client_for(entrepreneur).get("/api/v1/me/export/").json()
    assert data["funding_projects"] == [
        {
            "booking": str(booking.uid),
            "project": "Starkare sociala företag",
            "funder": "Tillväxtverket, nationella projektmedel",
            "reported_to_funder": ["organisation_number", "enterprise_name", "contact_email"],
        }
    ]
    assert data["de_minimis_declarations"][0]["aid_last_three_years_eur"] == "100.00"


def test_erasure_forgets_who_declared_and_keeps_the_declaration(entrepreneur, enterprise):
    from backend.privacy import person_erase

    other = factories.UserFactory()
    enterprise.members.add(other)  # the enterprise outlives the person
    DeMinimisDeclaration.objects.create(
        enterprise=enterprise, aid_last_three_years_eur=Decimal(5), declared_at=NOW, declared_by=entrepreneur
    )
    person_erase(user=entrepreneur)
    declaration = DeMinimisDeclaration.objects.get()
    assert declaration.declared_by is None and declaration.aid_last_three_years_eur == Decimal(5)

"""GET /api/v1/me/export/ and the download on /account/privacy/: everything
about the person, from every app's own section, and no secrets."""

from __future__ import annotations

import json

from backend.models import ApiToken, AuditEntry
from notifications.models import CalendarFeed
from tests.conftest import client_for

EXPORT = "/api/v1/me/export/"


def test_the_export_has_every_app_s_section_about_the_person(sara, anna):
    response = client_for(sara).get(EXPORT)

    assert response.status_code == 200
    data = response.json()
    assert data["account"]["email"] == "sara@example.se"
    assert data["account"]["full_name"] == "Sara Nilsson"
    assert data["account"]["email_addresses"] == [
        {"email": "sara@example.se", "verified": True, "primary": True}
    ]
    assert data["entrepreneur_profile"] == {"gender": "woman"}
    assert [e["name"] for e in data["enterprises"]] == ["Returhuset"]
    assert data["enterprises"][0]["org_number"] == "769600-0004"
    assert data["enterprises"][0]["women_led"] == "yes"
    assert [b["message"] for b in data["bookings"]] == [
        "We need help with a loan application.",
        "Follow-up on the loan.",
    ]
    assert [b["status"] for b in data["bookings"]] == ["completed", "confirmed"]
    assert data["bookings"][0]["advisor"] == "Anna Lindqvist"
    # The advisor's summary was written for Sara too; the private notes were not.
    assert [b["outcome_note"] for b in data["bookings"]] == [
        "We went through the budget; Sara applies in May.",
        "",
    ]
    assert data["feedback"][0]["rating"] == 4
    assert data["feedback"][0]["comment"] == "Anna was very helpful."
    assert data["waitlist"][0]["status"] == "waiting"
    assert data["notification_settings"] == {"reminder_2h": False}
    assert data["calendar_feed"]["exists"] is True
    kinds = {m["kind"] for m in data["messages"]}
    assert {"confirmation", "reminder", "feedback_request"} <= kinds
    assert all(m["subject"] for m in data["messages"])
    assert "Anna Lindqvist" in data["messages"][0]["subject"]
    assert len(data["account"]["api_tokens"]) == 1
    assert "bookings_as_advisor" not in data  # Sara is no advisor


def test_the_export_never_holds_the_advisor_s_notes_or_any_secret(sara):
    body = client_for(sara).get(EXPORT).content.decode()

    assert "Anna's own notes." not in body
    assert "private_notes" not in body
    token = ApiToken.objects.get(user=sara)
    assert token.digest not in body and token.prefix not in body
    assert CalendarFeed.objects.get(user=sara).digest not in body
    assert sara.password not in body


def test_an_advisor_s_export_has_their_profile_hours_and_own_notes_and_outcome_notes(sara, anna):
    data = client_for(anna.user).get(EXPORT).json()

    assert data["advisor_profile"]["organisation"] == "Coompanion Dalarna"
    assert data["advisor_profile"]["weekly_hours"][0] == {"weekday": 0, "start": "09:00", "end": "12:00"}
    notes = [b["private_notes"] for b in data["bookings_as_advisor"]]
    assert notes == ["Anna's own notes.", ""]
    assert [b["outcome_note"] for b in data["bookings_as_advisor"]] == [
        "We went through the budget; Sara applies in May.",
        "",
    ]
    # What Sara wrote is in Sara's export, not in Anna's.
    assert "loan application" not in json.dumps(data)
    assert {m["kind"] for m in data["messages"]} >= {"confirmation"}


def test_the_export_needs_a_signed_in_person(client, db):
    assert client.get(EXPORT).status_code in (401, 403)


def test_the_page_links_a_download_that_is_a_json_attachment(client, sara):
    client.force_login(sara)

    page = client.get("/account/privacy/")
    assert page.status_code == 200
    assert 'href="/account/privacy/export/"' in page.content.decode()

    download = client.get("/account/privacy/export/")
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith('attachment; filename="radtid-data-')
    assert json.loads(download.content)["account"]["email"] == "sara@example.se"


def test_the_account_pages_link_the_privacy_page(client, sara):
    client.force_login(sara)

    page = client.get("/accounts/email/").content.decode()

    assert 'href="/account/privacy/"' in page


def test_a_person_s_own_export_is_not_a_staff_access(sara):
    client_for(sara).get(EXPORT)

    assert not AuditEntry.objects.filter(action="personal_data.viewed").exists()

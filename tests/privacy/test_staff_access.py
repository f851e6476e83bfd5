"""Staff looking at a person's data leave a trace: one audit entry (who, whom,
what, when) per opened user, booking or enterprise, and per export."""

from __future__ import annotations

import json

from backend.models import AuditEntry
from bookings.models import Booking, Enterprise


def viewed():
    return AuditEntry.objects.filter(action="personal_data.viewed")


def test_opening_a_person_s_user_page_is_audited(client, staff, sara):
    client.force_login(staff)

    response = client.get(f"/admin/backend/user/{sara.pk}/change/")

    assert response.status_code == 200
    entry = viewed().get()
    assert entry.actor == staff
    assert entry.data == {"subjects": [sara.pk], "what": f"admin:backend.user:{sara.pk}"}
    assert entry.created is not None
    assert entry.subject == sara


def test_opening_a_booking_names_both_people_and_the_booking(client, staff, sara, anna):
    client.force_login(staff)
    booking = Booking.objects.filter(entrepreneur=sara).first()

    assert client.get(f"/admin/bookings/booking/{booking.pk}/change/").status_code == 200

    entry = viewed().get()
    assert entry.subject == booking
    assert entry.data["subjects"] == sorted([sara.pk, anna.user_id])


def test_opening_an_enterprise_names_its_members(client, staff, sara):
    client.force_login(staff)
    enterprise = Enterprise.objects.get()

    assert client.get(f"/admin/bookings/enterprise/{enterprise.pk}/change/").status_code == 200

    assert viewed().get().data["subjects"] == [sara.pk]
    assert viewed().get().subject == enterprise


def test_lists_and_unknown_objects_are_not_an_access_to_a_person(client, staff, sara):
    client.force_login(staff)

    client.get("/admin/backend/user/")
    client.get("/admin/backend/user/999999/change/")

    assert not viewed().exists()


def test_staff_fetching_a_person_s_export_is_audited(client, staff, sara):
    client.force_login(staff)

    response = client.get(f"/admin/backend/user/{sara.pk}/export/")

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert json.loads(response.content)["account"]["email"] == "sara@example.se"
    entry = viewed().get()
    assert (entry.actor, entry.subject, entry.data["what"]) == (staff, sara, f"export:{sara.pk}")


def test_people_who_are_not_staff_get_no_export_of_others(client, other_entrepreneur, sara):
    client.force_login(other_entrepreneur)

    response = client.get(f"/admin/backend/user/{sara.pk}/export/")

    assert response.status_code == 302  # to the sign-in page, as the admin answers
    assert not viewed().exists()

"""The audit trail (backend.audit, backend.models.AuditEntry): one function
writes it, an entry's subject is any object or none, and staff read it in the
admin, where nobody can add or change an entry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from backend.audit import audit
from backend.models import AuditEntry, User
from bookings.models import Booking, Enterprise
from tests import factories

NOW = datetime(2027, 3, 1, 6, 0, tzinfo=UTC)
CHANGELIST = "/admin/backend/auditentry/"


@pytest.fixture
def booking(entrepreneur, advisor):
    return factories.BookingFactory(entrepreneur=entrepreneur, advisor=advisor)


@pytest.fixture
def admin_client(client, staff):
    client.force_login(staff)
    return client


# --- audit() -------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_it_records_who_did_what_to_what_and_when(booking, entrepreneur):
    entry = audit("booking.cancelled", actor=entrepreneur, subject=booking, with_reason=True)

    entry = AuditEntry.objects.get(pk=entry.pk)
    assert (entry.action, entry.actor, entry.subject, entry.created) == (
        "booking.cancelled",
        entrepreneur,
        booking,
        NOW,
    )
    assert entry.data == {"with_reason": True}


def test_an_entry_may_be_about_nothing_in_particular_and_by_no_one(db):
    entry = audit("bookings.pseudonymised", actor=None, count=3, before="2026-01-01T00:00:00+00:00")

    entry.refresh_from_db()
    assert (entry.actor, entry.content_type, entry.object_id, entry.subject) == (None, None, None, None)
    assert entry.data == {"count": 3, "before": "2026-01-01T00:00:00+00:00"}


def test_any_object_can_be_the_subject(entrepreneur, booking):
    enterprise = booking.enterprise

    audit("personal_data.viewed", actor=None, subject=entrepreneur)
    audit("enterprise.updated", actor=entrepreneur, subject=enterprise)

    assert AuditEntry.objects.about(entrepreneur).get().action == "personal_data.viewed"
    assert AuditEntry.objects.about(enterprise).get().subject == enterprise
    assert not AuditEntry.objects.about(booking).exists()


def test_an_unsaved_subject_is_refused_and_nothing_is_written(entrepreneur):
    with pytest.raises(ValueError, match="must be saved"):
        audit("enterprise.created", actor=entrepreneur, subject=Enterprise(name="Returhuset"))

    assert not AuditEntry.objects.exists()


def test_a_booking_s_entries_are_found_from_either_side(booking, entrepreneur, other_entrepreneur):
    mine = audit("booking.created", actor=entrepreneur, subject=booking)
    other = factories.BookingFactory(
        entrepreneur=other_entrepreneur, advisor=booking.advisor, start=booking.end + timedelta(hours=1)
    )
    audit("booking.created", actor=other_entrepreneur, subject=other)
    audit("person.erased", actor=None)

    assert list(AuditEntry.objects.filter(booking=booking)) == [mine]
    assert list(booking.audit.all()) == [mine]
    assert list(AuditEntry.objects.about(booking)) == [mine]


def test_a_booking_deleted_takes_its_entries_with_it_as_before(booking, entrepreneur):
    audit("booking.created", actor=entrepreneur, subject=booking)
    kept = audit("person.erased", actor=None)

    Booking.objects.filter(pk=booking.pk).delete()

    assert list(AuditEntry.objects.all()) == [kept]


def test_an_entry_is_written_with_its_change_or_not_at_all(entrepreneur):
    with pytest.raises(RuntimeError), transaction.atomic():
        audit("entrepreneur_profile.saved", actor=entrepreneur)
        raise RuntimeError("the change failed")

    assert not AuditEntry.objects.exists()


# --- The admin ---------------------------------------------------------------------


@pytest.fixture
def trail(booking, entrepreneur, staff):
    with time_machine.travel(datetime(2027, 2, 10, 9, 0, tzinfo=UTC), tick=False):
        created = audit("booking.created", actor=entrepreneur, subject=booking)
    with time_machine.travel(NOW, tick=False):
        viewed = audit("personal_data.viewed", actor=staff, subject=entrepreneur, what="export")
        erased = audit("person.erased", actor=None, bookings=1)
    return {"created": created, "viewed": viewed, "erased": erased}


def listed(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {entry.pk for entry in response.context["cl"].result_list}


def test_staff_see_the_whole_trail_newest_first(admin_client, trail):
    response = admin_client.get(CHANGELIST)

    assert [e.pk for e in response.context["cl"].result_list] == [
        trail["erased"].pk,
        trail["viewed"].pk,
        trail["created"].pk,
    ]
    assert f'href="/admin/bookings/booking/{trail["created"].object_id}/change/"' in response.text


def test_staff_filter_by_action_and_by_date(admin_client, trail):
    assert listed(admin_client.get(CHANGELIST, {"action": "booking.created"})) == {trail["created"].pk}
    february = {"created__year": "2027", "created__month": "2"}
    assert listed(admin_client.get(CHANGELIST, february)) == {trail["created"].pk}
    assert listed(admin_client.get(CHANGELIST, {"created__year": "2027", "created__month": "3"})) == {
        trail["viewed"].pk,
        trail["erased"].pk,
    }


def test_staff_filter_by_the_kind_of_subject(admin_client, trail):
    people = ContentType.objects.get_for_model(User)

    response = admin_client.get(CHANGELIST, {"content_type__id__exact": people.pk})

    assert listed(response) == {trail["viewed"].pk}
    kinds = [
        choice["display"] for choice in response.context["cl"].filter_specs[2].choices(response.context["cl"])
    ]
    assert len(kinds) == 4  # all, people, bookings, none: only what the trail is about


def test_staff_find_entries_by_their_subject(admin_client, trail, booking, entrepreneur):
    assert listed(admin_client.get(CHANGELIST, {"q": str(booking.uid)})) == {trail["created"].pk}
    by_id = listed(admin_client.get(CHANGELIST, {"q": str(entrepreneur.pk)}))
    assert trail["viewed"].pk in by_id
    assert trail["erased"].pk not in by_id
    assert listed(admin_client.get(CHANGELIST, {"q": "no such thing"})) == set()


def test_an_entry_opens_read_only_and_can_be_neither_added_nor_changed(admin_client, trail):
    entry = trail["viewed"]
    url = f"{CHANGELIST}{entry.pk}/change/"

    page = admin_client.get(url)
    assert page.status_code == 200
    assert "export" in page.text
    assert admin_client.get(f"{CHANGELIST}add/").status_code == 403
    admin_client.post(url, {"action": "changed"})
    entry.refresh_from_db()
    assert entry.action == "personal_data.viewed"


def test_the_list_costs_the_same_queries_for_more_entries(admin_client, trail, django_assert_max_num_queries):
    with django_assert_max_num_queries(15) as few:
        admin_client.get(CHANGELIST)
    for n in range(20):
        subject = factories.UserFactory(email=f"person-{n}@example.se")
        audit("personal_data.viewed", actor=None, subject=subject)

    with django_assert_max_num_queries(len(few.captured_queries)):
        admin_client.get(CHANGELIST)


def test_people_who_are_not_staff_are_sent_to_sign_in(client, entrepreneur, trail):
    client.force_login(entrepreneur)

    response = client.get(CHANGELIST)

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]

"""Booking for someone else (bookings.callers): an advisor books their own or
a colleague's free time for a caller through the API; the person gets the
confirmation with the invite, the signed links and a way to their account,
which becomes theirs only when they prove the address."""

from __future__ import annotations

import email
import re
from datetime import UTC, datetime

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client

from backend.models import NO_MAILBOX_DOMAIN, User
from bookings.models import Booking, Enterprise
from notifications import sending, tasks
from tests import factories
from tests.bookings.api import NOW, TUESDAY_0900, TUESDAY_1000, book
from tests.conftest import client_for
from tests.notifications.readers import PARSERS

pytestmark = pytest.mark.usefixtures("frozen_clock")

CALLER = {
    "name": "Leyla Hassan",
    "email": "leyla@example.se",
    "phone": "070-111 22 33",
    "enterprise": {"name": "Syateljén Leyla", "org_number": ""},
}


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    """Sending tasks queued after commit are recorded, not handed to a broker."""
    monkeypatch.setattr(tasks.send_message, "delay", lambda message_id: None)


@pytest.fixture
def bo(db):
    """A colleague of another organisation in another region, whose free times Anna books."""
    advisor = factories.AdvisorFactory(
        user__email="bo@example.se",
        user__full_name="Bo Ek",
        region_id="07",
        organisation="Almi Företagspartner Kronoberg",
        slot_step=60,
        buffer_after=0,
        session_lengths=[60],
    )
    advisor.topics.set(anna_topics())
    return advisor


def anna_topics():
    from advisors.models import Topic

    return Topic.objects.filter(slug__in=["financing", "starting-up"])


def book_for(by, adv, person=CALLER, start=TUESDAY_0900, **over):
    body = {
        "advisor": adv.pk,
        "start": start,
        "duration": 60,
        "topic": "financing",
        "mode": "video",
        "on_behalf_of": person,
    }
    body.update(over)
    return client_for(by).post("/api/v1/bookings/", body, format="json")


def deliver() -> None:
    for pk in sending.claim_due():
        sending.deliver(pk)


def mail_to(address: str):
    [message] = [m for m in mail.outbox if f"<{address}>" in m.to[0]]
    return message


# --- The happy path -----------------------------------------------------------------------


def test_an_advisor_books_a_colleagues_free_time_for_a_new_caller(anna, bo):
    response = book_for(anna.user, bo)

    assert response.status_code == 201, response.json()
    shown = response.json()
    assert shown["booked_by"] == {"id": anna.user.pk, "name": "Anna Lindqvist"}
    assert shown["advisor"] == bo.pk and shown["enterprise"]["name"] == "Syateljén Leyla"
    booking = Booking.objects.get()
    person = booking.entrepreneur
    assert (person.email, person.full_name, person.phone) == (
        "leyla@example.se",
        "Leyla Hassan",
        "070-111 22 33",
    )
    assert person.is_entrepreneur and not person.has_usable_password()
    # The address is not confirmed: nobody signs in to the account yet.
    assert not EmailAddress.objects.get(user=person).verified
    assert list(booking.enterprise.members.all()) == [person]
    assert booking.enterprise.municipality is None and booking.stat_municipality == ""
    assert booking.booked_by == anna.user and booking.stat_booked_by_advisor
    entry = booking.audit.get(action="booking.created")
    assert entry.actor == anna.user and entry.data["for_person"] is True
    # The maker sees the booking they made; its advisor sees it as theirs.
    assert client_for(anna.user).get(f"/api/v1/bookings/{booking.uid}/").status_code == 200
    by_bo = client_for(bo.user).get(f"/api/v1/bookings/{booking.uid}/").json()
    assert (
        by_bo["entrepreneur_email"] == "leyla@example.se" and by_bo["booked_by"]["name"] == "Anna Lindqvist"
    )


def test_the_person_gets_the_confirmation_with_the_invite_the_links_and_a_password_link(anna, bo):
    book_for(anna.user, bo)
    deliver()

    message = mail_to("leyla@example.se")
    assert "Anna Lindqvist bokade det åt dig." in message.body
    assert re.search(r"/b/\S+/reschedule/", message.body) and re.search(r"/b/\S+/cancel/", message.body)
    assert "/accounts/password/reset/key/" in message.body
    parsed = email.message_from_bytes(message.message().as_bytes())
    [invite] = [p for p in parsed.walk() if p.get_filename() == "invite.ics"]
    read = PARSERS["vobject"](invite.get_payload(decode=True))
    assert read.method == "REQUEST" and read.start == datetime(2027, 3, 2, 8, 0, tzinfo=UTC)
    assert [a.email for a in read.attendees] == ["leyla@example.se"]
    # The colleague whose calendar it is hears who booked it.
    assert "Anna Lindqvist bokade det åt företagaren." in mail_to("bo@example.se").body


def test_the_signed_link_moves_the_booking_without_an_account(anna, bo, client):
    book_for(anna.user, bo)
    deliver()
    link = re.search(r"https?://[^/\s]+(/\S+/reschedule/)", mail_to("leyla@example.se").body).group(1)

    page = client.get(link)

    # The booking and the free times to move it to, without signing in.
    assert page.status_code == 200
    assert "Bo Ek" in page.content.decode() and "Flytta" in page.content.decode()


def test_choosing_a_password_through_the_link_proves_the_address_and_opens_the_account(
    anna, bo, frozen_clock
):
    book_for(anna.user, bo)
    deliver()
    link = re.search(r"(/accounts/password/reset/key/\S+/)", mail_to("leyla@example.se").body).group(1)
    browser = Client()

    form = browser.get(link, follow=True)
    chosen = browser.post(
        form.redirect_chain[-1][0] if form.redirect_chain else link,
        {"password1": "ett-långt-lösen-2027", "password2": "ett-långt-lösen-2027"},
        follow=True,
    )

    assert chosen.status_code == 200
    person = User.objects.get(email="leyla@example.se")
    assert person.has_usable_password()
    assert EmailAddress.objects.get(user=person).verified
    # Signed in, the booking is theirs.
    assert browser.get("/bookings/").status_code == 200
    assert "Bo Ek" in browser.get("/bookings/").content.decode()


def test_signing_up_again_with_the_address_only_mails_it_a_way_in(anna, bo):
    book_for(anna.user, bo)
    mail.outbox.clear()

    response = Client().post(
        "/accounts/signup/",
        {
            "full_name": "Någon Annan",
            "email": "leyla@example.se",
            "language": "sv",
            "password1": "ett-langt-losenord-42",
            "password2": "ett-langt-losenord-42",
        },
    )
    assert response.status_code == 302  # as for a new address: nothing says the address is known

    # Not a second account, and no booking for whoever typed the address: a mail to the address.
    assert User.objects.filter(email__iexact="leyla@example.se").count() == 1
    assert not User.objects.get(email="leyla@example.se").has_usable_password()
    [message] = mail.outbox
    assert message.to == ["leyla@example.se"] and "/accounts/password/reset/" in message.body


# --- Who the person is --------------------------------------------------------------------


def test_an_address_with_an_entrepreneurs_account_books_for_that_account(anna, sara):
    response = book_for(
        anna.user, anna, {**CALLER, "email": "SARA@example.se", "enterprise": {"name": "Nytt café"}}
    )

    assert response.status_code == 201, response.json()
    booking = Booking.objects.get()
    assert booking.entrepreneur == sara
    assert User.objects.filter(email__iexact="sara@example.se").count() == 1
    # Her own name and number stay as she gave them; the new enterprise is hers.
    sara.refresh_from_db()
    assert sara.full_name == "Sara Nilsson"
    assert set(Enterprise.objects.filter(members=sara).values_list("name", flat=True)) == {
        "Returhuset",
        "Nytt café",
    }
    # She sees it among her bookings.
    assert [b["uid"] for b in client_for(sara).get("/api/v1/bookings/").json()["results"]] == [
        str(booking.uid)
    ]


def test_the_persons_enterprise_is_found_by_its_organisation_number(anna, sara):
    response = book_for(
        anna.user,
        anna,
        {**CALLER, "email": "sara@example.se", "enterprise": {"name": "Retur", "org_number": "7696000004"}},
    )

    assert response.status_code == 201, response.json()
    assert Booking.objects.get().enterprise.name == "Returhuset"
    assert Enterprise.objects.filter(members=sara).count() == 1


def test_an_advisors_address_cannot_be_booked_for(anna, bo):
    response = book_for(anna.user, anna, {**CALLER, "email": "bo@example.se"})

    assert response.status_code == 400
    assert "email" in response.json()["on_behalf_of"]
    assert Booking.objects.count() == 0


def test_a_caller_with_only_a_phone_number_gets_an_account_no_mail_reaches(anna):
    caller = {"name": "Kalle Ek", "phone": "0701234567", "enterprise": {"name": "Kalles cykel"}}

    first = book_for(anna.user, anna, caller)
    again = book_for(anna.user, anna, caller, start=TUESDAY_1000)
    deliver()

    assert first.status_code == again.status_code == 201, (first.json(), again.json())
    [person] = {b.entrepreneur for b in Booking.objects.all()}  # the same person both times
    assert person.email.endswith("@" + NO_MAILBOX_DOMAIN) and not person.has_mailbox
    assert not any(NO_MAILBOX_DOMAIN in m.to[0] for m in mail.outbox)
    shown = client_for(anna.user).get(f"/api/v1/bookings/{first.json()['uid']}/").json()
    assert shown["entrepreneur_email"] is None


@pytest.mark.parametrize(
    ("person", "where"),
    [
        ({"name": "Leyla", "enterprise": {"name": "X"}}, "email"),  # neither email nor phone
        ({"name": "", "email": "a@example.se", "enterprise": {"name": "X"}}, "name"),
        ({"name": "Leyla", "email": "not-an-address", "enterprise": {"name": "X"}}, "email"),
        ({"name": "Leyla", "phone": "12", "enterprise": {"name": "X"}}, "phone"),
        ({"name": "Leyla", "email": "a@example.se", "enterprise": {"name": " "}}, "enterprise"),
        (
            {"name": "Leyla", "email": "a@example.se", "enterprise": {"name": "X", "org_number": "123"}},
            "enterprise",
        ),
        (
            {"name": "Leyla", "email": "a@example.se", "enterprise": {"name": "X", "municipality": "9999"}},
            "enterprise",
        ),
        ({"name": "Leyla", "email": "a@example.se"}, "enterprise"),
    ],
)
def test_a_person_that_cannot_be_read_is_a_400_under_on_behalf_of_and_writes_nothing(anna, person, where):
    response = book_for(anna.user, anna, person)

    assert response.status_code == 400, response.content
    assert where in response.json()["on_behalf_of"], response.json()
    assert Booking.objects.count() == 0
    assert not User.objects.filter(email="a@example.se").exists()


def test_a_time_taken_meanwhile_is_a_409_and_leaves_no_account_behind(anna, sara):
    assert book(sara, anna).status_code == 201

    response = book_for(anna.user, anna)

    assert response.status_code == 409
    assert not User.objects.filter(email="leyla@example.se").exists()
    assert not Enterprise.objects.filter(name="Syateljén Leyla").exists()


def test_only_advisors_book_for_someone_else(sara, coordinator, anna):
    by_entrepreneur = book_for(sara, anna)
    by_coordinator = book_for(coordinator.user, anna)

    assert by_entrepreneur.status_code == by_coordinator.status_code == 403
    assert Booking.objects.count() == 0 and not User.objects.filter(email="leyla@example.se").exists()


def test_a_booking_by_phone_calls_the_number_the_caller_gave(anna):
    response = book_for(anna.user, anna, mode="phone")

    assert response.status_code == 201, response.json()
    assert (
        client_for(anna.user).get(f"/api/v1/bookings/{response.json()['uid']}/").json()["entrepreneur_phone"]
        == "070-111 22 33"
    )


def test_an_advisor_of_another_organisation_who_neither_holds_nor_made_it_gets_a_404(anna, bo, other_advisor):
    uid = book_for(anna.user, anna).json()["uid"]

    assert client_for(other_advisor.user).get(f"/api/v1/bookings/{uid}/").status_code == 404
    assert client_for(bo.user).get(f"/api/v1/bookings/{uid}/").status_code == 404


NOW = NOW  # the time frozen_clock stops at


# --- The advisor's page -------------------------------------------------------------------


def page_data(adv, **over):
    return {
        "advisor": adv.pk,
        "start": TUESDAY_0900,
        "duration": 60,
        "person_name": "Leyla Hassan",
        "email": "leyla@example.se",
        "person_phone": "",
        "enterprise_name": "Syateljén Leyla",
        "org_number": "",
        "kind": "idea",
        "municipality": "2080",
        "topic": "financing",
        "mode": "video",
        "message": "",
        **over,
    }


def test_the_page_books_a_colleagues_time_for_a_caller_and_shows_it_to_the_maker(anna, bo):
    browser = Client()
    browser.force_login(anna.user)

    shown = browser.get(
        f"/bookings/for-someone/?advisor={bo.pk}&start=2027-03-02T09%3A00%3A00%2B01%3A00&duration=60"
    )
    booked = browser.post("/bookings/for-someone/", page_data(bo, step_free="on"))

    assert shown.status_code == 200 and "Bo Ek" in shown.content.decode()
    booking = Booking.objects.get()
    assert booked.status_code == 302 and booked.url == f"/bookings/{booking.uid}/"
    assert (booking.advisor, booking.booked_by, booking.stat_needs) == (bo, anna.user, ["step_free"])
    assert booking.enterprise.municipality_id == "2080" and booking.stat_municipality == "2080"
    # The maker sees it, and may not change it: no links to move or cancel.
    detail = browser.get(booked.url).content.decode()
    assert "Anna Lindqvist" in detail and f"/bookings/{booking.uid}/cancel/" not in detail
    assert browser.get(f"/bookings/{booking.uid}/cancel/").status_code == 404


def test_the_page_refuses_a_person_without_email_or_phone_at_the_field_and_writes_nothing(anna):
    browser = Client()
    browser.force_login(anna.user)

    refused = browser.post("/bookings/for-someone/", page_data(anna, email=""))

    assert refused.status_code == 400
    assert "Ange personens e-postadress, telefonnummer eller båda." in refused.content.decode()
    assert Booking.objects.count() == 0 and not User.objects.filter(full_name="Leyla Hassan").exists()


def test_the_page_is_for_advisors_only(sara):
    browser = Client()
    browser.force_login(sara)

    assert browser.get("/bookings/for-someone/").status_code == 403

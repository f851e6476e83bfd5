"""The coordinator's advisor pages (/coordinator/advisors/) and the services
behind them: inviting an advisor, deactivating and reactivating one."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import transaction
from django.test import Client

from advisors.models import Advisor, WeeklyHours
from advisors.services_coordinator import AdvisorAdminError, advisor_invite, advisor_set_active
from backend.models import Role
from notifications import sending
from notifications.models import MessageKind, MessageState, OutboxMessage
from tests import factories
from tests.mail_backends import FailingBackend

User = get_user_model()

PAGE = "/coordinator/advisors/"
NEW_PASSWORD = "ett-nytt-långt-lösenord-7"

LISA = {
    "email": "Lisa.Berg@Example.se",
    "full_name": "Lisa Berg",
    "organisation": "Almi Företagspartner Dalarna",
    "title": "Finansieringsrådgivare",
}


def signed_in(client: Client, user, *, language: str = "en") -> Client:
    client.force_login(user)
    client.post("/i18n/setlang/", {"language": language, "next": "/"})
    return client


def counts() -> tuple[int, int, int]:
    return User.objects.count(), Advisor.objects.count(), EmailAddress.objects.count()


def deliver_outbox() -> list[str]:
    """What the outbox's sweep and worker do: send every due message."""
    return [sending.deliver(pk) for pk in sending.claim_due()]


def directory_ids(client: Client) -> set[int]:
    return {row["advisor"].pk for row in client.get("/advisors/").context["results"]}


def api_ids(client: Client) -> set[int]:
    return {a["id"] for a in client.get("/api/v1/advisors/").json()["results"]}


# --- Who may see what ------------------------------------------------------------


def test_a_coordinator_sees_the_advisors_of_their_region_active_or_not(
    client, coordinator, advisor, other_advisor
):
    resting = factories.AdvisorFactory(user__full_name="Vilande Rådgivare", region_id="20", is_active=False)
    signed_in(client, coordinator.user)

    response = client.get(PAGE)

    html = response.content.decode()
    assert response.status_code == 200
    assert set(response.context["advisors"]) == {advisor, resting}
    assert "Anna Lindqvist" in html and "Vilande Rådgivare" in html
    assert "Erik Berg" not in html
    assert f'href="/coordinator/advisors/{advisor.pk}/deactivate/"' in html  # it asks first
    assert f'action="/coordinator/advisors/{resting.pk}/reactivate/"' in html
    assert "<h1>Advisors in Dalarnas län</h1>" in html


@pytest.mark.parametrize("who", ["entrepreneur", "advisor"])
def test_people_who_are_not_coordinators_get_403(client, coordinator, entrepreneur, advisor, who):
    client.force_login({"entrepreneur": entrepreneur, "advisor": advisor.user}[who])
    before = counts()

    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, LISA).status_code == 403
    assert client.post(f"{PAGE}{advisor.pk}/deactivate/").status_code == 403
    assert counts() == before
    advisor.refresh_from_db()
    assert advisor.is_active


def test_a_visitor_who_is_not_signed_in_is_sent_to_sign_in(client, advisor):
    response = client.get(PAGE)

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/?next=/coordinator/advisors/")
    assert client.post(f"{PAGE}{advisor.pk}/deactivate/").status_code == 302
    advisor.refresh_from_db()
    assert advisor.is_active


# --- Inviting an advisor ---------------------------------------------------------


def test_a_coordinator_invites_an_advisor_who_sets_a_password_and_signs_in(
    client, coordinator, django_capture_on_commit_callbacks
):
    signed_in(client, coordinator.user)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(PAGE, LISA)

    assert response.status_code == 302
    assert response.url == PAGE
    user = User.objects.get(email="lisa.berg@example.se")
    assert user.role == Role.ADVISOR
    assert user.full_name == "Lisa Berg"
    assert not user.has_usable_password()
    advisor = Advisor.objects.get(user=user)
    assert advisor.region_id == "20"
    assert advisor.organisation == "Almi Företagspartner Dalarna"
    assert advisor.title == "Finansieringsrådgivare"
    assert advisor.is_active
    address = EmailAddress.objects.get(user=user)
    assert (address.email, address.verified, address.primary) == ("lisa.berg@example.se", True, True)

    assert len(callbacks) == 1  # the outbox's send, queued after the commit
    assert deliver_outbox() == [MessageState.SENT]
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["Lisa Berg <lisa.berg@example.se>"]
    assert "Inbjudan till Rådtid" in message.subject and "Invitation to Rådtid" in message.subject
    assert "Hej Lisa Berg" in message.body and "Hello Lisa Berg" in message.body
    link = re.search(rf"{re.escape(settings.SITE_URL)}(/accounts/password/reset/key/\S+/)", message.body)
    assert link, message.body

    page = client.get(PAGE)
    assert "Lisa Berg is invited" in page.content.decode()
    assert advisor in page.context["advisors"]

    # The invitee follows the link in another browser and chooses a password.
    invitee = Client()
    response = invitee.get(link.group(1))
    assert response.status_code == 302
    form_url = response.url
    assert invitee.get(form_url).status_code == 200
    response = invitee.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)

    response = invitee.post("/accounts/login/", {"login": "lisa.berg@example.se", "password": NEW_PASSWORD})
    assert response.status_code == 302
    assert int(invitee.session["_auth_user_id"]) == user.pk

    # The link works once.
    response = Client().get(link.group(1))
    assert response.status_code == 200
    assert response.context["token_fail"]


def test_the_invitation_is_an_outbox_row_written_with_the_advisor_and_sent_after_the_commit(
    client, coordinator, django_capture_on_commit_callbacks
):
    signed_in(client, coordinator.user)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(PAGE, LISA)
        assert mail.outbox == []

    [row] = OutboxMessage.objects.all()
    user = User.objects.get(email="lisa.berg@example.se")
    assert (row.kind, row.user, row.recipient, row.state) == (
        MessageKind.ADVISOR_INVITATION,
        user,
        "advisor",
        MessageState.PENDING,
    )
    assert row.key == f"advisor_invitation:{user.advisor.pk}"
    assert len(callbacks) == 1
    assert mail.outbox == []  # the row is the truth; the outbox delivers it
    assert deliver_outbox() == [MessageState.SENT]
    assert len(mail.outbox) == 1


def test_an_invitation_rolled_back_with_its_transaction_leaves_no_outbox_row(coordinator):
    class Abandon(Exception):
        pass

    before = counts()
    with pytest.raises(Abandon), transaction.atomic():
        advisor_invite(coordinator=coordinator, **LISA)
        assert OutboxMessage.objects.filter(kind=MessageKind.ADVISOR_INVITATION).count() == 1
        raise Abandon

    assert counts() == before
    assert not OutboxMessage.objects.exists()


def test_an_invitation_the_mail_server_refuses_for_now_is_retried_and_its_link_works(
    client, coordinator, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.mail_backends.FailingBackend"
    monkeypatch.setattr(FailingBackend, "error", ConnectionRefusedError("the mail server is down"))
    with time_machine.travel(datetime(2027, 3, 1, 6, 0, tzinfo=UTC), tick=False) as clock:
        with django_capture_on_commit_callbacks(execute=True):
            advisor = advisor_invite(coordinator=coordinator, **LISA)

        assert deliver_outbox() == [MessageState.PENDING]
        row = OutboxMessage.objects.get(user=advisor.user)
        assert (row.attempts, "ConnectionRefusedError" in row.last_error) == (1, True)

        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        assert deliver_outbox() == []  # not before its backoff
        clock.shift(timedelta(seconds=settings.EMAIL_RETRY_BACKOFF_SECONDS[0]))
        assert deliver_outbox() == [MessageState.SENT]

        [message] = mail.outbox
        link = re.search(rf"{re.escape(settings.SITE_URL)}(/accounts/password/reset/key/\S+/)", message.body)
        response = Client().get(link.group(1))
    assert response.status_code == 302  # to the form that sets the password: the token is good
    assert OutboxMessage.objects.get(pk=row.pk).attempts == 2


def test_an_invited_advisor_is_listed_once_they_have_given_hours(
    client, coordinator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        advisor = advisor_invite(coordinator=coordinator, **LISA)

    # No hours yet: not in the directory or the API (a dead end), but the page is there.
    assert advisor.weekly_hours.count() == 0
    assert advisor.pk not in directory_ids(Client())
    assert advisor.pk not in api_ids(Client())
    assert Client().get(f"/advisors/{advisor.pk}/").status_code == 200

    advisor.date_overrides = [{"date": "2027-03-10", "intervals": [{"start": "10:00", "end": "12:00"}]}]
    advisor.save()
    assert advisor.pk in directory_ids(Client())

    advisor.date_overrides = []
    advisor.save()
    WeeklyHours.objects.create(advisor=advisor, weekday=1, start=time(9), end=time(12))
    assert advisor.pk in directory_ids(Client()) and advisor.pk in api_ids(Client())


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("anna@example.se", "There is already an advisor with this email address."),
        ("ANNA@example.se", "There is already an advisor with this email address."),
        ("erik@example.se", "There is already an advisor with this email address."),
        ("sara@example.se", "Someone already has an account with this email address."),
        ("sara.work@example.se", "Someone already has an account with this email address."),
        ("karin@example.se", "Someone already has an account with this email address."),
    ],
)
def test_an_address_that_already_has_an_account_is_refused_and_nothing_is_created(
    client,
    coordinator,
    advisor,
    other_advisor,
    entrepreneur,
    django_capture_on_commit_callbacks,
    email,
    message,
):
    EmailAddress.objects.create(user=entrepreneur, email="sara.work@example.se", verified=True, primary=False)
    signed_in(client, coordinator.user)
    before = counts()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(PAGE, {**LISA, "email": email})

    html = response.content.decode()
    assert response.status_code == 400
    assert message in html
    assert 'class="error-summary"' in html and 'href="#id_email"' in html
    assert any(message in str(error) for error in response.context["form"].errors["email"])
    assert counts() == before
    assert callbacks == []
    assert mail.outbox == []


def test_an_incomplete_invitation_gets_form_errors_and_creates_nothing(client, coordinator):
    signed_in(client, coordinator.user)
    before = counts()

    response = client.post(PAGE, {"email": "not an address", "full_name": "", "organisation": ""})

    html = response.content.decode()
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"email", "full_name", "organisation"}
    assert "Enter the advisor&#x27;s full name." in html
    assert 'href="#id_full_name"' in html
    assert counts() == before
    assert mail.outbox == []


def test_the_service_refuses_an_existing_account_with_its_one_error_type(coordinator, entrepreneur):
    with pytest.raises(AdvisorAdminError) as refused:
        advisor_invite(coordinator=coordinator, email=entrepreneur.email, full_name="Sara", organisation="X")

    assert refused.value.field == "email"
    entrepreneur.refresh_from_db()
    assert entrepreneur.role == Role.ENTREPRENEUR
    assert not Advisor.objects.filter(user=entrepreneur).exists()


# --- Deactivating and reactivating -----------------------------------------------


def test_deactivating_hides_the_advisor_from_the_directory_and_the_api_and_reactivating_shows_them(
    client, coordinator, advisor, other_advisor
):
    visitor = Client()
    assert advisor.pk in directory_ids(visitor) and advisor.pk in api_ids(visitor)
    signed_in(client, coordinator.user)

    response = client.post(f"{PAGE}{advisor.pk}/deactivate/")

    assert response.status_code == 302
    assert response.url == PAGE
    advisor.refresh_from_db()
    assert not advisor.is_active
    assert directory_ids(visitor) == {other_advisor.pk}
    assert api_ids(visitor) == {other_advisor.pk}
    assert visitor.get(f"/advisors/{advisor.pk}/").status_code == 404
    assert visitor.get(f"/api/v1/advisors/{advisor.pk}/").status_code == 404
    assert visitor.get(f"/api/v1/advisors/{advisor.pk}/slots/").status_code == 404
    # Nothing is deleted: the account, the profile and the rules stay.
    advisor.user.refresh_from_db()
    assert advisor.user.is_active
    assert advisor.weekly_hours.count() == 10
    page = client.get(PAGE).content.decode()
    assert "Anna Lindqvist is deactivated" in page
    assert f'action="/coordinator/advisors/{advisor.pk}/reactivate/"' in page

    response = client.post(f"{PAGE}{advisor.pk}/reactivate/")

    assert response.status_code == 302
    advisor.refresh_from_db()
    assert advisor.is_active
    assert directory_ids(visitor) == {advisor.pk, other_advisor.pk}
    assert api_ids(visitor) == {advisor.pk, other_advisor.pk}
    assert "Anna Lindqvist is active again" in client.get(PAGE).content.decode()


def test_deactivating_twice_changes_nothing_more(coordinator, advisor):
    advisor_set_active(coordinator=coordinator, advisor=advisor, active=False)
    advisor_set_active(coordinator=coordinator, advisor=advisor, active=False)

    advisor.refresh_from_db()
    assert not advisor.is_active


def test_a_coordinator_of_another_region_gets_404_and_changes_nothing(
    client, other_region_coordinator, advisor
):
    signed_in(client, other_region_coordinator.user)

    assert client.post(f"{PAGE}{advisor.pk}/deactivate/").status_code == 404
    assert client.post(f"{PAGE}{advisor.pk}/reactivate/").status_code == 404
    assert client.post(f"{PAGE}999999/deactivate/").status_code == 404
    advisor.refresh_from_db()
    assert advisor.is_active
    with pytest.raises(AdvisorAdminError):
        advisor_set_active(coordinator=other_region_coordinator, advisor=advisor, active=False)


def test_deactivating_asks_first_and_says_how_many_sessions_are_ahead(client, coordinator, advisor):
    now = datetime.now(UTC)
    for days, status in ((3, "confirmed"), (10, "confirmed"), (5, "cancelled"), (-7, "completed")):
        factories.BookingFactory(advisor=advisor, start=now + timedelta(days=days), status=status)
    signed_in(client, coordinator.user)

    response = client.get(f"{PAGE}{advisor.pk}/deactivate/")

    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["upcoming"] == 2  # the cancelled and the past one do not count
    assert "<h1>Deactivate Anna Lindqvist?</h1>" in html
    assert "Anna Lindqvist has 2 upcoming sessions." in html
    # Keeping is the primary action; deactivating is the secondary button of the form.
    assert f'href="{PAGE}" class="button">Keep Anna Lindqvist active</a>' in html
    assert (
        '<button type="submit" class="button-secondary button-danger">Deactivate Anna Lindqvist</button>'
        in html
    )
    assert f'action="{PAGE}{advisor.pk}/deactivate/"' in html
    advisor.refresh_from_db()
    assert advisor.is_active  # asking changes nothing

    assert client.post(f"{PAGE}{advisor.pk}/deactivate/").status_code == 302
    advisor.refresh_from_db()
    assert not advisor.is_active


def test_the_question_says_so_when_no_session_is_ahead(client, coordinator, advisor):
    signed_in(client, coordinator.user)

    html = client.get(f"{PAGE}{advisor.pk}/deactivate/").content.decode()

    assert "Anna Lindqvist has no upcoming sessions." in html


def test_another_region_s_coordinator_cannot_even_ask(client, other_region_coordinator, advisor):
    signed_in(client, other_region_coordinator.user)

    assert client.get(f"{PAGE}{advisor.pk}/deactivate/").status_code == 404
    assert client.get(f"{PAGE}999999/deactivate/").status_code == 404


# --- Sending the invitation again ------------------------------------------------


def invited(client, coordinator, django_capture_on_commit_callbacks) -> Advisor:
    signed_in(client, coordinator.user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(PAGE, LISA)
    deliver_outbox()
    mail.outbox.clear()
    return Advisor.objects.get(user__email="lisa.berg@example.se")


def test_an_invitation_sent_again_carries_a_new_link_that_works(
    client, coordinator, django_capture_on_commit_callbacks
):
    lisa = invited(client, coordinator, django_capture_on_commit_callbacks)
    assert f'action="{PAGE}{lisa.pk}/resend-invitation/"' in client.get(PAGE).content.decode()

    # A double click: two posts within the same minute (the clock held still).
    held = time_machine.travel(datetime.now(UTC).replace(second=0, microsecond=0), tick=False)
    with held, django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{PAGE}{lisa.pk}/resend-invitation/")
        client.post(f"{PAGE}{lisa.pk}/resend-invitation/")

    assert response.status_code == 302
    assert "We have sent the invitation to lisa.berg@example.se again" in client.get(PAGE).content.decode()
    assert OutboxMessage.objects.filter(kind=MessageKind.ADVISOR_INVITATION, user=lisa.user).count() == 2
    assert deliver_outbox() == [MessageState.SENT]
    [message] = mail.outbox
    assert message.to == ["Lisa Berg <lisa.berg@example.se>"]
    link = re.search(rf"{re.escape(settings.SITE_URL)}(/accounts/password/reset/key/\S+/)", message.body)
    invitee = Client()
    form_url = invitee.get(link.group(1)).url
    assert invitee.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}).status_code == 302
    lisa.user.refresh_from_db()
    assert lisa.user.check_password(NEW_PASSWORD)

    # With a password chosen there is nothing to send again.
    page = client.get(PAGE).content.decode()
    assert f"{PAGE}{lisa.pk}/resend-invitation/" not in page
    response = client.post(f"{PAGE}{lisa.pk}/resend-invitation/", follow=True)
    assert "Lisa Berg has already chosen a password." in response.content.decode()
    assert OutboxMessage.objects.filter(kind=MessageKind.ADVISOR_INVITATION, user=lisa.user).count() == 2


def test_only_the_region_s_coordinator_sends_an_invitation_again(
    client, coordinator, other_region_coordinator, django_capture_on_commit_callbacks
):
    lisa = invited(client, coordinator, django_capture_on_commit_callbacks)
    signed_in(client, other_region_coordinator.user)

    assert client.post(f"{PAGE}{lisa.pk}/resend-invitation/").status_code == 404
    assert client.get(f"{PAGE}{lisa.pk}/resend-invitation/").status_code in (404, 405)
    assert OutboxMessage.objects.filter(kind=MessageKind.ADVISOR_INVITATION, user=lisa.user).count() == 1

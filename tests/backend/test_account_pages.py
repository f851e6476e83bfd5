"""The account pages in our own words and look (templates/account/,
backend/forms.py, backend/adapters.py): sign-up with the name and the
language of mail, allauth's mails branded with the service's name and
greeting the person by name, the invited advisor's first password, the page
each role lands on after signing in, the start page's call to action, the
sign-in page saying which time a click was for, and the account page."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from urllib.parse import quote

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail

from advisors.services_coordinator import advisor_invite, invitation_url
from backend.models import AuditEntry
from tests.factories import PASSWORD, UserFactory

User = get_user_model()

pytestmark = pytest.mark.usefixtures("frozen_clock")  # at NOW (tests/conftest.py)

NOW = datetime(2027, 3, 1, 7, 0, tzinfo=UTC)  # Monday 08:00 in Stockholm
SIGN_UP = {
    "full_name": "Maria Svensson",
    "email": "maria@example.se",
    "language": "sv",
    "password1": "ett-langt-losenord-42",
    "password2": "ett-langt-losenord-42",
}


def visible(response) -> str:
    """The page's text as read, without its tags."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))).strip()


def link_in(body: str) -> str:
    return re.search(r"https?://[^/\s]+(/\S+)", body).group(1)


def in_english(client):
    client.cookies["django_language"] = "en"
    return client


# --- Sign-up --------------------------------------------------------------------------


def test_sign_up_asks_for_the_name_and_the_language_of_mail(client, db):
    page = client.get("/accounts/signup/").content.decode()

    assert 'name="full_name"' in page and 'autocomplete="name"' in page
    assert 'type="radio" name="language" value="sv"' in page and "Svenska" in page and "English" in page
    assert re.search(r'value="sv"[^>]*checked', page)  # the page's language, unless chosen otherwise
    assert "placeholder" not in page


def test_sign_up_without_a_name_is_refused_in_our_words_and_creates_no_one(client, db):
    response = client.post("/accounts/signup/", {**SIGN_UP, "full_name": "  "})

    assert response.status_code == 200  # allauth shows the form again
    assert 'class="error-summary"' in response.content.decode()
    assert 'href="#id_full_name"' in response.content.decode()
    assert "Skriv ditt namn, så som du vill att rådgivarna ska se det." in visible(response)
    assert not User.objects.filter(email="maria@example.se").exists()
    assert mail.outbox == []


def test_an_empty_sign_up_says_what_each_field_needs_in_our_words(client, db):
    response = client.post("/accounts/signup/", {"language": "sv"})

    text = visible(response)
    for words in ("Skriv din e-postadress.", "Välj ett lösenord.", "Skriv lösenordet en gång till."):
        assert words in text
    assert "obligatoriskt" not in text  # not Django's own words


def test_two_different_passwords_are_said_once_in_our_words(client, db):
    response = client.post("/accounts/signup/", {**SIGN_UP, "password2": "ett-annat-losenord-42"})

    text = visible(response)
    assert (
        text.count("De två lösenorden är inte likadana. Skriv samma lösenord två gånger.") == 2
    )  # summary, field
    assert "Du måste ange samma lösenord" not in text  # allauth's own


def test_the_confirmation_mail_greets_by_name_in_the_chosen_language_under_the_service_s_name(client, db):
    client.post("/accounts/signup/", {**SIGN_UP, "language": "en"})  # from the Swedish page

    user = User.objects.get(email="maria@example.se")
    assert user.full_name == "Maria Svensson" and user.language == "en" and user.is_entrepreneur
    [message] = mail.outbox
    assert message.subject == "[Rådtid] Confirm your email address"
    assert message.body.startswith("Hello Maria,\n")
    assert "Welcome to Rådtid!" in message.body
    assert "testserver!" not in message.body and "Hello from" not in message.body  # not the host
    assert "Rådtid – advice for social enterprises" in message.body
    [(html_body, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert "<p>Hello Maria,</p>" in html_body and link_in(message.body) in html_body


def test_the_swedish_confirmation_mail_reads_right(client, db):
    client.post("/accounts/signup/", SIGN_UP)

    [message] = mail.outbox
    assert message.subject == "[Rådtid] Bekräfta din e-postadress"
    assert message.body.startswith("Hej Maria,\n")
    assert "Välkommen till Rådtid!" in message.body


def test_the_confirmation_page_asks_about_the_address_and_signs_in(client, db):
    client.post("/accounts/signup/", SIGN_UP)
    confirm = link_in(mail.outbox[0].body)

    page = client.get(confirm)
    response = client.post(confirm)

    assert "Är maria@example.se din e-postadress?" in visible(page)
    assert "epost-adress för" not in visible(page)
    assert EmailAddress.objects.get(email="maria@example.se").verified
    assert response.status_code == 302 and response["Location"] == "/bookings/"  # an entrepreneur's landing
    assert client.get("/").wsgi_request.user.email == "maria@example.se"


def test_a_used_confirmation_link_says_so(client, db):
    client.post("/accounts/signup/", SIGN_UP)
    confirm = link_in(mail.outbox[0].body)
    client.post(confirm)
    client.logout()

    response = client.get(confirm.replace(confirm.rstrip("/").rsplit("/", 1)[1], "not-a-key"))

    assert "Länken har gått ut eller har redan använts." in visible(response)


def test_the_sign_in_and_sign_up_pages_link_to_each_other_with_the_right_words(client, db):
    sign_in = client.get("/accounts/login/").content.decode()
    sign_up = client.get("/accounts/signup/").content.decode()

    assert re.search(
        r'<a class="button button-secondary" href="/accounts/signup/">Skapa ett konto</a>', sign_in
    )
    assert 'href="/accounts/password/reset/">Glömt lösenordet?</a>' in sign_in
    assert re.search(r'Har du redan ett konto\? <a href="/accounts/login/">Logga in</a>', sign_up)
    assert "Då kan du logga in" not in sign_up


def test_a_wrong_password_is_said_in_our_words(client, entrepreneur):
    response = in_english(client).post("/accounts/login/", {"login": "sara@example.se", "password": "fel"})

    assert "The email address or the password is wrong." in visible(response)
    assert 'class="error-summary"' in response.content.decode()


# --- Passwords ------------------------------------------------------------------------


def test_the_password_reset_mail_is_ours_and_greets_the_person(client, entrepreneur):
    client.post("/accounts/password/reset/", {"email": "sara@example.se"})

    [message] = mail.outbox
    assert message.subject == "[Rådtid] Välj ett nytt lösenord"
    assert message.body.startswith("Hej Sara,\n")
    assert "/accounts/password/reset/key/" in message.body
    assert "Länken fungerar en gång och i några dagar." in message.body
    assert message.alternatives[0][1] == "text/html"


def test_the_invited_advisor_chooses_a_password_and_lands_signed_in_on_their_calendar(client, coordinator):
    advisor = advisor_invite(
        coordinator=coordinator, email="lisa@example.se", full_name="Lisa Berg", organisation="Almi Dalarna"
    )
    link = invitation_url(advisor.user)

    form_page = client.get(link, follow=True)
    form_url = form_page.redirect_chain[-1][0]
    response = client.post(form_url, {"password1": "Mitt-nya-losenord-7", "password2": "Mitt-nya-losenord-7"})

    text = visible(form_page)
    assert "Välj ditt lösenord" in text and "Välkommen till Rådtid" in text and "lisa@example.se" in text
    assert "Avboka" not in text and "Avbryt" not in text  # no cancel button to mistake for the action
    assert response.status_code == 302 and response["Location"] == "/advisor/"
    assert client.get("/advisor/").wsgi_request.user == advisor.user
    advisor.user.refresh_from_db()
    assert advisor.user.check_password("Mitt-nya-losenord-7")
    assert client.get(link, follow=True).context["token_fail"]  # the link works once


def test_a_forgotten_password_page_says_the_link_is_spent_in_our_words(client, entrepreneur):
    response = client.get("/accounts/password/reset/key/1-not-a-key/")

    assert "Länken fungerar inte" in visible(response)
    assert 'href="/accounts/password/reset/"' in response.content.decode()


def test_changing_the_password_needs_the_current_one(client, entrepreneur):
    client.force_login(entrepreneur)

    response = client.post(
        "/accounts/password/change/",
        {"oldpassword": "fel", "password1": "ett-nytt-losenord-9", "password2": "ett-nytt-losenord-9"},
    )

    assert "Ditt nuvarande lösenord stämmer inte." in visible(response)
    entrepreneur.refresh_from_db()
    assert entrepreneur.check_password(PASSWORD)


# --- Landing --------------------------------------------------------------------------


def sign_in(client, email: str, **extra):
    return client.post("/accounts/login/", {"login": email, "password": PASSWORD, **extra})


@pytest.mark.parametrize(
    ("who", "landing"),
    [
        ("entrepreneur", "/bookings/"),
        ("advisor", "/advisor/"),
        ("coordinator", "/statistics/"),
    ],
)
def test_each_role_lands_on_its_own_page(client, request, who, landing):
    person = request.getfixturevalue(who)
    user = getattr(person, "user", person)

    response = sign_in(client, user.email)

    assert response.status_code == 302 and response["Location"] == landing


def test_staff_land_on_the_status_page(client, db):
    # Without an authenticator yet, so the sign-in has no second step; the
    # status page itself then sends them to set one up.
    staff = UserFactory(email="drift@example.se", is_staff=True)

    response = sign_in(client, staff.email)

    assert response["Location"] == "/staff/status/"


def test_a_next_on_the_site_wins_over_the_landing(client, advisor):
    response = sign_in(client, advisor.user.email, next="/advisor/hours/")

    assert response["Location"] == "/advisor/hours/"


def test_a_next_off_the_site_is_ignored_for_the_landing(client, advisor):
    response = sign_in(client, advisor.user.email, next="https://evil.example.com/")

    assert response["Location"] == "/advisor/"


# --- The start page and the sign-in page's reason --------------------------------------


def test_the_start_page_offers_everyone_to_find_an_advisor(client, entrepreneur):
    call = '<a class="button" href="/advisors/">Hitta en rådgivare</a>'

    assert call in client.get("/").content.decode()
    client.force_login(entrepreneur)
    assert call in client.get("/").content.decode()


def test_a_clicked_free_time_says_on_the_sign_in_page_what_it_was_for(client, advisor):
    start = "2027-03-02T09:00:00+01:00"
    booking_url = f"/bookings/new/?advisor={advisor.pk}&start={quote(start)}&duration=60"

    response = client.get(booking_url, follow=True)
    failed = client.post(
        response.redirect_chain[-1][0], {"login": "sara@example.se", "password": "fel", "next": booking_url}
    )

    reason = "Logga in för att boka tiden tisdag 2 mars 2027 kl. 09.00 hos Anna Lindqvist."
    assert response.redirect_chain[-1][0].startswith("/accounts/login/?next=")
    assert reason in visible(response)
    assert reason in visible(failed)  # still there after a wrong password


@pytest.mark.parametrize(
    "next_url",
    [
        "/bookings/",  # not a free time
        "/bookings/new/?advisor=999999&start=2027-03-02T09%3A00%3A00%2B01%3A00",  # no such advisor
        "/bookings/new/?advisor=1&start=not-a-time",
        "https://evil.example.com/bookings/new/?advisor=1&start=2027-03-02T09%3A00%3A00%2B01%3A00",
    ],
)
def test_the_sign_in_page_says_nothing_of_an_address_it_cannot_read(client, advisor, next_url):
    response = client.get("/accounts/login/", {"next": next_url})

    assert response.status_code == 200
    assert "sign-in-reason" not in response.content.decode()


# --- The account page -----------------------------------------------------------------


def test_the_account_page_saves_name_language_and_phone(client, entrepreneur):
    client.force_login(entrepreneur)

    page = client.get("/account/")
    response = client.post(
        "/account/", {"full_name": "  Sara   Nilsson Ek ", "language": "en", "phone": "070-123 45 67"}
    )

    assert 'value="Sara Nilsson"' in page.content.decode()
    assert 'href="/account/" aria-current="page"' in page.content.decode()
    assert response.status_code == 302 and response["Location"] == "/account/"
    entrepreneur.refresh_from_db()
    assert (entrepreneur.full_name, entrepreneur.language, entrepreneur.phone) == (
        "Sara Nilsson Ek",
        "en",
        "070-123 45 67",
    )
    entry = AuditEntry.objects.get(action="account.details_changed")
    assert entry.actor == entrepreneur and entry.data == {"fields": ["full_name", "language", "phone"]}


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("full_name", "", "Skriv ditt namn, så som du vill att rådgivarna ska se det."),
        ("phone", "ring mig", "Skriv ett telefonnummer som går att ringa"),
        ("phone", "070", "Skriv ett telefonnummer som går att ringa"),
        ("language", "de", "Välj svenska eller engelska."),
    ],
)
def test_bad_details_are_refused_and_change_nothing(client, entrepreneur, field, value, error):
    client.force_login(entrepreneur)
    data = {"full_name": "Sara Nilsson", "language": "sv", "phone": "", field: value}

    response = client.post("/account/", data)

    assert response.status_code == 400
    assert error in visible(response)
    entrepreneur.refresh_from_db()
    assert (entrepreneur.full_name, entrepreneur.language, entrepreneur.phone) == ("Sara Nilsson", "sv", "")
    assert not AuditEntry.objects.filter(action="account.details_changed").exists()


def test_the_menu_leads_to_the_account_page(client, entrepreneur):
    client.force_login(entrepreneur)

    assert '<a href="/account/">Konto</a>' in client.get("/bookings/").content.decode()


def test_an_account_without_a_name_is_greeted_plainly_and_shown_by_its_email(client, db):
    nameless = UserFactory(email="nytt.foretag@example.se", full_name="")

    client.post("/accounts/password/reset/", {"email": nameless.email})

    assert mail.outbox[0].body.startswith("Hej,\n")
    assert nameless.get_full_name() == "nytt.foretag@example.se"

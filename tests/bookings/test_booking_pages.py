"""The booking pages: from an advisor's free time to a booked session, and
what comes after (my bookings, moving, cancelling, feedback, the advisor's
list and outcome), the enterprise form, and the signed links from emails.

Time is frozen on Monday 1 March 2027, 08:00 in Stockholm (CET). Anna works
Monday to Friday 09–12 and 13–16 with 24 hours' notice, 60-minute sessions and
15 minutes' buffer after each; her first free time is Tuesday 2 March, 09:00.
Sara (the `entrepreneur`) runs Kafé Kvarnen in Falun; Ahmed
(`other_entrepreneur`) must never see her bookings.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core import signing
from icalendar import Calendar

from advisors.models import Topic
from backend.models import AuditEntry
from bookings import links, services
from bookings.models import Booking, BookingStatus, Enterprise, EntrepreneurProfile, Feedback
from tests import factories

STOCKHOLM = ZoneInfo("Europe/Stockholm")
NOW = datetime(2027, 3, 1, 7, 0, tzinfo=UTC)  # Monday 08:00 in Stockholm


def local(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=STOCKHOLM)


WEDNESDAY_10 = local(2027, 3, 3, 10)
THURSDAY_13 = local(2027, 3, 4, 13)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def english(client):
    """The strings are English in the code; Swedish comes later and must not break these tests."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def advisor(advisor):
    """Anna, advising on financing and starting up."""
    advisor.topics.set(Topic.objects.filter(slug__in=["financing", "starting-up"]))
    return advisor


@pytest.fixture
def enterprise(entrepreneur):
    """Sara's work-integrating social enterprise in Falun."""
    enterprise = Enterprise.objects.create(
        name="Kafé Kvarnen ek. för.", kind="work_integrating", municipality_id="2080"
    )
    enterprise.members.add(entrepreneur)
    return enterprise


@pytest.fixture
def sara(client, entrepreneur, enterprise):
    client.force_login(entrepreneur)
    return english(client)


@pytest.fixture
def anna(client, advisor):
    client.force_login(advisor.user)
    return english(client)


def book(entrepreneur, advisor, start=WEDNESDAY_10, **kwargs) -> Booking:
    kwargs.setdefault("message", "Vi vill söka pengar från ESF.")
    return factories.book(entrepreneur, advisor, start, **kwargs)


def new_url(advisor, start=WEDNESDAY_10, duration=60) -> str:
    return f"/bookings/new/?advisor={advisor.pk}&start={start.isoformat().replace('+', '%2B')}&duration={duration}"


def slot_fields(advisor, start=WEDNESDAY_10) -> dict:
    return {"advisor": advisor.pk, "start": start.isoformat(), "duration": 60}


def describe(advisor, start=WEDNESDAY_10, **answers) -> dict:
    return {
        **slot_fields(advisor, start),
        "topic": "financing",
        "mode": "video",
        "message": "Vi vill söka pengar från ESF.",
        "step": "describe",
        **answers,
    }


def text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", response.content.decode()))


def visible(response) -> str:
    """The page's text as read, without its tags."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", response.content.decode())))


def hidden_value(page: str, name: str) -> str:
    match = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', page)
    assert match, name
    return html.unescape(match.group(1))


# --- The whole journey --------------------------------------------------------------


def test_an_entrepreneur_books_moves_and_cancels_a_session(sara, advisor, entrepreneur, enterprise):
    # The advisor's page links each free time to the booking flow.
    page = sara.get(f"/advisors/{advisor.pk}/", {"start": "2027-03-03"}).content.decode()
    hrefs = [html.unescape(h) for h in re.findall(r'<a class="chip slot-link" href="([^"]+)"', page)]
    link = next(h for h in hrefs if "T10%3A00" in h and "2027-03-03" in h)
    query = parse_qs(urlsplit(link).query)
    assert urlsplit(link).path == "/bookings/new/"
    assert query == {"advisor": [str(advisor.pk)], "start": ["2027-03-03T10:00:00+01:00"], "duration": ["60"]}

    # Step 1: what do you need?
    response = sara.get(link)
    assert response.status_code == 200
    page = text(response)
    assert "Step 1 of 2" in page
    assert "Wednesday 3 March at 10:00" in page
    assert "Please do not write about health or other sensitive personal matters." in page
    assert '<option value="financing">Financing</option>' in page
    assert 'name="enterprise"' not in page  # one enterprise: nothing to ask

    # Step 2: everything for a last look.
    response = sara.post("/bookings/new/", describe(advisor))
    page = visible(response)
    assert response.status_code == 200
    assert "Check your booking" in page
    for expected in (
        "Anna Lindqvist",
        "Coompanion Dalarna",
        "Wednesday 3 March at 10:00",
        "Wednesday 3 March at 10:00–11:00",
        "60 minutes",
        "Financing",
        "Video",
        "https://meet.example.se/anna",
        "Kafé Kvarnen ek. för.",
        "Vi vill söka pengar från ESF.",
    ):
        assert expected in page, expected
    assert not Booking.objects.exists()

    # Book.
    response = sara.post("/bookings/new/", {**describe(advisor), "step": "confirm"})
    booking = Booking.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/bookings/{booking.uid}/"
    assert (booking.entrepreneur, booking.advisor, booking.enterprise) == (entrepreneur, advisor, enterprise)
    assert (booking.start, booking.duration, booking.mode, booking.topic.slug) == (
        WEDNESDAY_10,
        60,
        "video",
        "financing",
    )
    assert booking.message == "Vi vill söka pengar från ESF."

    # The confirmation page, with the calendar file.
    page = text(sara.get(response["Location"]))
    assert "Your session is booked" in page
    assert "We are sending you a confirmation by email" in page
    assert "Wednesday 3 March at 10:00" in page
    assert f'href="/bookings/{booking.uid}/invite.ics"' in page
    ics = sara.get(f"/bookings/{booking.uid}/invite.ics")
    assert ics.status_code == 200
    assert ics["Content-Type"] == "text/calendar; charset=utf-8"
    assert ics["Content-Disposition"] == 'attachment; filename="radtid-2027-03-03.ics"'
    event = Calendar.from_ical(ics.content).walk("VEVENT")[0]
    assert event.decoded("dtstart") == datetime(2027, 3, 3, 9, 0, tzinfo=UTC)

    # My bookings lists it as upcoming, with its actions.
    page = text(sara.get("/bookings/"))
    upcoming = page.split("Upcoming", 1)[1].split("Past and cancelled", 1)[0]
    assert "Wednesday 3 March at 10:00" in upcoming
    assert f"/bookings/{booking.uid}/reschedule/" in upcoming
    assert f"/bookings/{booking.uid}/cancel/" in upcoming

    # Move it: the free times from the first free day, as buttons.
    page = text(sara.get(f"/bookings/{booking.uid}/reschedule/"))
    assert "Thursday 4 March" in page
    assert 'name="start" value="2027-03-04T12:00:00+00:00"' in page
    # A picked time asks first, naming the old time and the new.
    response = sara.post(f"/bookings/{booking.uid}/reschedule/", {"start": THURSDAY_13.isoformat()})
    assert response.status_code == 200
    page = visible(response)
    assert "Move from Wednesday 3 March at 10:00 to Thursday 4 March at 13:00?" in page
    assert "Yes, move the session" in page
    assert Booking.objects.get().sequence == 0
    response = sara.post(
        f"/bookings/{booking.uid}/reschedule/",
        {"start": hidden_value(text(response), "start"), "confirm": hidden_value(text(response), "confirm")},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/bookings/{booking.uid}/"
    moved = Booking.objects.get()
    assert (moved.uid, moved.start, moved.sequence) == (booking.uid, THURSDAY_13, 1)
    assert "Your session is moved to Thursday 4 March at 13:00." in text(sara.get(response["Location"]))

    # Cancel it, after a page that asks.
    page = text(sara.get(f"/bookings/{booking.uid}/cancel/"))
    assert "Cancel the session?" in page
    assert Booking.objects.get().status == BookingStatus.CONFIRMED
    response = sara.post(f"/bookings/{booking.uid}/cancel/", {"reason": "Vi har fått hjälp på annat håll."})
    assert response.status_code == 302
    assert response["Location"] == "/bookings/"
    cancelled = Booking.objects.get()
    assert cancelled.status == BookingStatus.CANCELLED
    assert cancelled.cancel_reason == "Vi har fått hjälp på annat håll."
    page = text(sara.get("/bookings/"))
    assert "Your session on Thursday 4 March at 13:00 is cancelled." in page
    assert "You have no upcoming sessions." in page
    assert list(AuditEntry.objects.filter(booking=cancelled).values_list("action", flat=True)) == [
        "booking.cancelled",
        "booking.rescheduled",
        "booking.created",
    ]


def test_a_visitor_is_asked_to_sign_in_and_comes_back_to_the_time(client, advisor):
    response = client.get(new_url(advisor))

    assert response.status_code == 302
    login = urlsplit(response["Location"])
    assert login.path == "/accounts/login/"
    assert parse_qs(login.query)["next"] == [new_url(advisor)]


def test_someone_without_an_enterprise_describes_one_first_and_comes_back(client, advisor, entrepreneur):
    client = english(client)
    client.force_login(entrepreneur)

    response = client.get(new_url(advisor))

    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert target.path == "/bookings/enterprise/new/"
    back = parse_qs(target.query)["next"][0]
    assert back.startswith("/bookings/new/?advisor=")
    page = text(client.get(response["Location"]))
    assert "Tell us about your enterprise first (an idea is fine too)." in page
    response = client.post(
        "/bookings/enterprise/new/",
        {"name": "Idén", "kind": "idea", "municipality": "2080", "gender": "woman", "next": back},
    )
    assert response.status_code == 302
    assert response["Location"] == back
    assert client.get(back).status_code == 200


def test_with_several_enterprises_the_person_chooses_one(sara, advisor, entrepreneur, enterprise):
    second = Enterprise.objects.create(name="Återbruket", kind="social", municipality_id="2080")
    second.members.add(entrepreneur)

    page = text(sara.get(new_url(advisor)))
    assert f'<option value="{second.pk}">Återbruket</option>' in page
    assert "Add another enterprise" in page

    missing = sara.post("/bookings/new/", describe(advisor))
    assert missing.status_code == 400
    assert "Choose the enterprise the session is for." in text(missing)

    sara.post("/bookings/new/", {**describe(advisor), "enterprise": second.pk, "step": "confirm"})
    assert Booking.objects.get().enterprise == second


def test_changing_the_details_goes_back_to_step_one_with_the_answers(sara, advisor):
    response = sara.post(
        "/bookings/new/", {**describe(advisor, message="Hej,\nvi behöver råd"), "step": "change"}
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "Step 1 of 2" in page
    assert "Hej,\nvi behöver råd</textarea>" in page
    assert not Booking.objects.exists()


# --- Refusals ------------------------------------------------------------------------


def test_a_time_taken_before_the_page_opens_says_so_and_offers_the_next_ones(
    sara, advisor, other_entrepreneur
):
    Enterprise.objects.create(name="Ahmeds AB", kind="social", municipality_id="2080").members.add(
        other_entrepreneur
    )
    book(other_entrepreneur, advisor)

    response = sara.get(new_url(advisor))

    page = text(response)
    assert response.status_code == 409
    assert "This time has just been taken" in page
    assert "The advisor's next free times" in page
    assert 'value="2027-03-02T08:00:00+00:00"' in page  # Tuesday 09:00, the first free time
    assert 'value="2027-03-03T09:00:00+00:00"' not in page  # the taken one


def test_a_time_taken_while_confirming_keeps_what_was_written(sara, advisor, other_entrepreneur):
    Enterprise.objects.create(name="Ahmeds AB", kind="social", municipality_id="2080").members.add(
        other_entrepreneur
    )
    assert sara.post("/bookings/new/", describe(advisor)).status_code == 200
    book(other_entrepreneur, advisor)  # a moment before Sara confirms

    response = sara.post("/bookings/new/", {**describe(advisor, message="Om ESF"), "step": "confirm"})

    page = response.content.decode()
    assert response.status_code == 409
    assert "This time has just been taken" in page
    assert hidden_value(page, "message") == "Om ESF"
    assert hidden_value(page, "step") == "pick"
    assert Booking.objects.count() == 1

    # Picking another time brings the answers back to look over.
    picked = sara.post(
        "/bookings/new/",
        {
            "advisor": advisor.pk,
            "duration": 60,
            "step": "pick",
            "topic": "financing",
            "mode": "video",
            "message": "Om ESF",
            "start": THURSDAY_13.isoformat(),
        },
    )
    page = picked.content.decode()
    assert picked.status_code == 200
    assert "Step 1 of 2" in page
    assert ">\nOm ESF</textarea>" in page
    assert "Thursday 4 March at 13:00" in text(picked)
    assert "There is a problem" not in page


@pytest.mark.parametrize(
    ("start", "reason"),
    [
        (local(2027, 2, 26, 10), "That time has already passed."),
        (local(2027, 3, 1, 14), "This advisor needs at least 24 hours' notice."),
        (local(2027, 3, 3, 12), "That is not one of the advisor's free times."),  # lunch
        (local(2027, 3, 6, 10), "That is not one of the advisor's free times."),  # Saturday
        (local(2027, 3, 3, 10, 15), "That is not one of the advisor's free times."),  # off the grid
    ],
)
def test_a_time_that_cannot_be_booked_is_refused_with_the_reason(sara, advisor, start, reason):
    response = sara.get(new_url(advisor, start))

    assert response.status_code == 400
    assert reason in text(response)
    assert f'href="/advisors/{advisor.pk}/"' in response.content.decode()


def test_a_duration_the_advisor_does_not_offer_is_refused(sara, advisor):
    response = sara.get(new_url(advisor, duration=45))

    assert response.status_code == 400
    assert "This advisor offers sessions of 60 minutes." in text(response)


@pytest.mark.parametrize(
    "query",
    [
        "",
        "advisor=abc&start=2027-03-03T10:00:00%2B01:00",
        "advisor=-1&start=2027-03-03T10:00:00%2B01:00",
        "advisor=99999999999999999999&start=2027-03-03T10:00:00%2B01:00",
        "advisor={pk}",
        "advisor={pk}&start=tomorrow",
        "advisor={pk}&start=2027-03-03T10:00:00",  # no offset: ambiguous
        "advisor={pk}&start=9999-12-31T23:59:59%2B14:00",
        "advisor={pk}&start=0001-01-01T00:00:00%2B00:00",
        "advisor={pk}&start=2027-03-03T10:00:00%2B01:00&duration=abc",
        "advisor={pk}&start=2027-03-03T10:00:00%2B01:00&duration=0",
        "advisor={pk}&start=2027-03-03T10:00:00%2B01:00&duration=100000",
        "advisor={pk}&start=" + "9" * 500,
        "advisor={pk}&start=2027-03-03T10:00:00%2B01:00&step=confirm",  # a GET never books
    ],
)
def test_bad_parameters_get_a_clear_page_never_a_500(sara, advisor, query):
    response = sara.get("/bookings/new/?" + query.format(pk=advisor.pk))

    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert "This link does not lead to a free time" in text(response)
    assert not Booking.objects.exists()


def test_an_unknown_advisor_is_not_found(sara, advisor):
    response = sara.get(new_url(advisor).replace(f"advisor={advisor.pk}", "advisor=987654"))

    assert response.status_code == 404
    assert "This advisor cannot be booked at the moment." in text(response)


def test_a_plus_written_by_hand_in_the_link_is_read_as_the_offset(sara, advisor):
    response = sara.get(f"/bookings/new/?advisor={advisor.pk}&start=2027-03-03T10:00:00+01:00")

    assert response.status_code == 200
    assert "Wednesday 3 March at 10:00" in text(response)


def test_a_message_over_2000_characters_is_refused(sara, advisor):
    response = sara.post("/bookings/new/", {**describe(advisor, message="å" * 2001), "step": "confirm"})

    assert response.status_code == 400
    page = text(response)
    assert "There is a problem" in page
    assert "Write at most 2,000 characters." in page
    assert not Booking.objects.exists()


def test_line_breaks_count_as_one_character_each(sara, advisor):
    message = "Rad\r\n" * 400  # 2,000 characters as sent, 1,600 as typed

    response = sara.post("/bookings/new/", {**describe(advisor, message=message), "step": "confirm"})

    assert response.status_code == 302
    assert Booking.objects.get().message == ("Rad\n" * 400).strip()


def test_a_topic_or_mode_the_advisor_does_not_offer_is_a_form_error(sara, advisor):
    advisor.offers_phone = False
    advisor.save()

    response = sara.post("/bookings/new/", describe(advisor, topic="procurement", mode="phone"))

    page = text(response)
    assert response.status_code == 400
    assert "Choose one of the advisor's topics." in page
    assert "Choose one of the ways this advisor meets." in page
    assert 'href="#id_mode_0"' in page  # the error summary leads to the first radio button


def test_the_services_refusal_shows_as_a_form_error(sara, advisor, entrepreneur, enterprise, settings):
    settings.BOOKING_MAX_UPCOMING = 1
    book(entrepreneur, advisor, start=THURSDAY_13)

    response = sara.post("/bookings/new/", {**describe(advisor), "step": "confirm"})

    assert response.status_code == 400
    assert "You already have 1 upcoming sessions" in text(response)
    assert Booking.objects.count() == 1


def test_an_advisor_in_the_booking_flow_is_led_to_booking_for_someone_else(anna, advisor):
    response = anna.get(new_url(advisor))

    # The same chosen time, on the advisor's page; the flow itself books nothing for them.
    assert response.status_code == 302
    assert response.url.startswith("/bookings/for-someone/?advisor=")
    assert anna.get(response.url).status_code == 200
    assert anna.post("/bookings/new/", {**describe(advisor), "step": "confirm"}).status_code == 302
    assert not Booking.objects.exists()


def test_coordinators_cannot_book_and_are_told_why(client, advisor):
    from tests import factories

    client.force_login(factories.CoordinatorFactory(user__email="karin@example.se", region_id="20").user)
    client.cookies["django_language"] = "en"
    response = client.get(new_url(advisor))

    assert response.status_code == 403
    assert "Booking is for entrepreneurs" in text(response)
    assert client.post("/bookings/new/", {**describe(advisor), "step": "confirm"}).status_code == 403
    assert not Booking.objects.exists()


def test_another_persons_booking_does_not_exist_for_you(
    client, advisor, entrepreneur, enterprise, other_entrepreneur, other_advisor
):
    booking = book(entrepreneur, advisor)
    paths = [
        f"/bookings/{booking.uid}/",
        f"/bookings/{booking.uid}/invite.ics",
        f"/bookings/{booking.uid}/reschedule/",
        f"/bookings/{booking.uid}/cancel/",
        f"/bookings/{booking.uid}/feedback/",
        f"/bookings/{booking.uid}/outcome/",
    ]
    for outsider in (other_entrepreneur, other_advisor.user):
        client.force_login(outsider)
        for path in paths:
            assert client.get(path).status_code == 404, path
        assert client.post(f"/bookings/{booking.uid}/cancel/", {"reason": "x"}).status_code == 404
        assert (
            client.post(
                f"/bookings/{booking.uid}/reschedule/", {"start": THURSDAY_13.isoformat()}
            ).status_code
            == 404
        )
    booking.refresh_from_db()
    assert (booking.status, booking.start) == (BookingStatus.CONFIRMED, WEDNESDAY_10)
    assert client.get("/bookings/00000000-0000-0000-0000-000000000000/").status_code == 404


def test_the_advisor_sees_the_booking_and_its_message(anna, advisor, entrepreneur, enterprise):
    booking = book(entrepreneur, advisor)

    page = text(anna.get(f"/bookings/{booking.uid}/"))

    assert "Sara Nilsson" in page
    assert "Kafé Kvarnen ek. för." in page
    assert "Vi vill söka pengar från ESF." in page
    assert anna.get(f"/bookings/{booking.uid}/invite.ics").status_code == 200


def test_a_booking_cannot_be_moved_to_a_taken_time(
    sara, advisor, entrepreneur, enterprise, other_entrepreneur
):
    booking = book(entrepreneur, advisor)
    Enterprise.objects.create(name="Ahmeds AB", kind="social", municipality_id="2080").members.add(
        other_entrepreneur
    )
    book(other_entrepreneur, advisor, start=THURSDAY_13)

    page = text(sara.get(f"/bookings/{booking.uid}/reschedule/"))
    assert 'value="2027-03-04T12:00:00+00:00"' not in page  # Thursday 13:00 is not offered
    assert 'value="2027-03-03T09:00:00+00:00"' not in page  # nor its own time
    assert 'value="2027-03-03T09:30:00+00:00"' in page  # but half an hour later is

    for step in ({}, {"confirm": "on"}):
        response = sara.post(
            f"/bookings/{booking.uid}/reschedule/", {"start": THURSDAY_13.isoformat(), **step}
        )
        assert response.status_code == 409
        assert "This time has just been taken" in text(response)
        assert "Move from" not in text(response)
    bad = sara.post(f"/bookings/{booking.uid}/reschedule/", {"start": "yesterday"})
    assert bad.status_code == 400
    booking.refresh_from_db()
    assert (booking.start, booking.sequence) == (WEDNESDAY_10, 0)


def test_the_move_picker_pages_on_with_its_date_field_without_javascript(
    sara, advisor, entrepreneur, enterprise
):
    booking = book(entrepreneur, advisor)
    url = f"/bookings/{booking.uid}/reschedule/"

    first = text(sara.get(url))
    later = sara.get(url, {"start": "2027-03-20"})  # a Saturday: the picker starts on Monday

    assert f'<form method="get" action="{url}" class="picker-form">' in first
    assert 'type="date" name="start" id="picker-start"' in first
    assert 'name="duration"' not in first  # a booking keeps its length
    assert 'href="?start=2027-03-09"' in first  # the next week
    page = text(later)
    assert later.status_code == 200
    assert "No free times before Monday 22 March." in visible(later)
    assert 'value="2027-03-22T08:00:00+00:00"' in page  # Monday 22 March, 09:00
    assert 'value="2027-03-04T12:00:00+00:00"' not in page
    assert "Saturday 20 March" not in page
    assert '<button type="submit" name="start" value="2027-03-22T08:00:00+00:00" class="chip">' in page


@pytest.mark.parametrize("start", ["2027-02-30", "20 mars", "2031-01-01", "0001-01-01"])
def test_a_bad_date_in_the_move_picker_shows_the_first_free_days_with_a_message(
    sara, advisor, entrepreneur, enterprise, start
):
    booking = book(entrepreneur, advisor)

    response = sara.get(f"/bookings/{booking.uid}/reschedule/", {"start": start})

    page = text(response)
    assert response.status_code == 200
    assert 'class="message message-warning picker-errors"' in page
    assert "so the free times from today are shown." in visible(response)
    assert 'value="2027-03-02T08:00:00+00:00"' in page  # Tuesday 09:00, the first free time


def test_a_time_taken_offers_the_next_ones_in_the_picker_keeping_the_answers(
    sara, advisor, entrepreneur, enterprise, other_entrepreneur
):
    Enterprise.objects.create(name="Ahmeds AB", kind="social", municipality_id="2080").members.add(
        other_entrepreneur
    )
    book(other_entrepreneur, advisor)

    response = sara.post("/bookings/new/", {**describe(advisor), "step": "confirm"})

    page = text(response)
    assert response.status_code == 409
    form = page.split('class="slot-picker"', 1)[1].split("</form>", 1)[0]
    assert hidden_value(form, "step") == "pick"
    assert hidden_value(form, "message") == "Vi vill söka pengar från ESF."
    assert 'name="start" value="2027-03-02T08:00:00+00:00" class="chip"' in form
    assert 'type="date"' not in page  # a POST's answer: the advisor's page has the later days


def test_moving_asks_to_confirm_without_javascript_in_swedish(client, advisor, entrepreneur, enterprise):
    client.force_login(entrepreneur)
    booking = book(entrepreneur, advisor)
    url = f"/bookings/{booking.uid}/reschedule/"

    response = client.post(url, {"start": THURSDAY_13.isoformat()})

    page = visible(response)
    assert "Flytta från onsdag 3 mars kl. 10.00 till torsdag 4 mars kl. 13.00?" in page
    assert "NuOnsdag 3 mars kl. 10.00–11.00" in page
    assert "Ny tidTorsdag 4 mars kl. 13.00–14.00" in page
    form = text(response).split('class="move-confirm-form"', 1)[1].split("</form>", 1)[0]
    assert '<input type="hidden" name="confirm" value="on">' in form
    assert '<button type="submit">Ja, flytta mötet</button>' in form  # the primary action
    assert f'<a href="{url}">Välj en annan tid</a>' in form  # back to the free times
    assert 'name="start" value="2027-03-04T12:00:00+00:00"' in form
    assert "slot-picker" not in text(response)  # one question, not the picker again
    booking.refresh_from_db()
    assert (booking.start, booking.sequence) == (WEDNESDAY_10, 0)


def test_a_confirmation_step_answering_htmx_has_no_address_of_its_own(
    sara, advisor, entrepreneur, enterprise
):
    booking = book(entrepreneur, advisor)
    url = f"/bookings/{booking.uid}/reschedule/"

    step = sara.post(url, {"start": THURSDAY_13.isoformat()}, headers={"HX-Request": "true"})

    assert step["HX-Push-Url"] == "false"
    assert "HX-Push-Url" not in sara.get(url, headers={"HX-Request": "true"})


def test_a_time_that_is_not_free_is_refused_before_the_confirmation(sara, advisor, entrepreneur, enterprise):
    booking = book(entrepreneur, advisor)
    saturday = local(2027, 3, 6, 10)

    response = sara.post(f"/bookings/{booking.uid}/reschedule/", {"start": saturday.isoformat()})

    assert response.status_code == 400
    assert "That is not one of the advisor's free times." in text(response)
    assert "Move from" not in text(response)


def test_a_cancelled_booking_is_not_offered_a_confirmation(sara, advisor, entrepreneur, enterprise):
    booking = book(entrepreneur, advisor)
    services.booking_cancel(booking=booking, by=entrepreneur)

    response = sara.post(f"/bookings/{booking.uid}/reschedule/", {"start": THURSDAY_13.isoformat()})

    assert response.status_code == 409
    assert "cannot be moved" in text(response)
    assert "Move from" not in text(response)


def test_cancelling_offers_keeping_the_booking_first_and_cancelling_second(
    client, advisor, entrepreneur, enterprise
):
    client.force_login(entrepreneur)
    booking = book(entrepreneur, advisor)

    for path in (f"/bookings/{booking.uid}/cancel/", urlsplit(links.cancel_url(booking)).path):
        page = text(client.get(path))
        actions = page.split('class="cancel-form"', 1)[1].split("</form>", 1)[0]
        keep = f'<a class="button" href="/bookings/{booking.uid}/">Behåll bokningen</a>'
        cancel = '<button type="submit" class="button-secondary button-danger">Avboka</button>'
        assert keep in actions
        assert cancel in actions
        assert actions.index(keep) < actions.index(cancel)
        assert "Rådgivaren ser det du skriver." in page  # and the advisor's mail carries it

    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED


def test_an_advisor_cancelling_is_told_the_entrepreneur_reads_the_reason(
    anna, advisor, entrepreneur, enterprise
):
    booking = book(entrepreneur, advisor)

    page = text(anna.get(f"/bookings/{booking.uid}/cancel/"))

    assert "The entrepreneur sees it in the cancellation mail." in page
    assert "The advisor sees it." not in page


def test_a_cancelled_booking_cannot_be_cancelled_again(sara, advisor, entrepreneur, enterprise):
    booking = book(entrepreneur, advisor)
    services.booking_cancel(booking=booking, by=entrepreneur)

    page = text(sara.get(f"/bookings/{booking.uid}/cancel/"))
    assert "cannot be cancelled" in page
    response = sara.post(f"/bookings/{booking.uid}/cancel/", {"reason": ""})
    assert response.status_code == 409
    assert "This booking is already cancelled." in text(response)
    assert "Cancelled session" in text(sara.get(f"/bookings/{booking.uid}/"))


# --- Enterprises --------------------------------------------------------------------


def test_the_enterprise_form_refuses_a_personal_identity_number_and_says_why(client, entrepreneur):
    client = english(client)
    client.force_login(entrepreneur)

    page = text(client.get("/bookings/enterprise/new/"))
    assert "We use this only for anonymous statistics: no one can see it about you." in page
    falun = page.split('<optgroup label="Dalarnas län">', 1)[1].split("</optgroup>", 1)[0]
    assert '<option value="2080">Falun</option>' in falun

    response = client.post(
        "/bookings/enterprise/new/",
        {
            "name": "Saras firma",
            "org_number": "900101-1234",
            "kind": "other",
            "municipality": "2080",
            "gender": "woman",
        },
    )

    assert response.status_code == 400
    assert "This looks like a personal identity number, not an organisation number" in text(response)
    assert 'href="#id_org_number"' in response.content.decode()
    assert not Enterprise.objects.exists()


def test_a_valid_organisation_number_is_stored_normalised_with_the_gender(client, entrepreneur):
    client = english(client)
    client.force_login(entrepreneur)

    response = client.post(
        "/bookings/enterprise/new/",
        {
            "name": "Kafé Kvarnen ek. för.",
            "org_number": "556016 0680",
            "kind": "work_integrating",
            "legal_form": "economic_association",
            "municipality": "2080",
            "gender": "woman",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == "/bookings/enterprise/"
    enterprise = Enterprise.objects.get()
    assert enterprise.org_number == "556016-0680"
    assert list(enterprise.members.all()) == [entrepreneur]
    assert enterprise.municipality_id == "2080"
    assert enterprise.women_led == "not_stated"  # unanswered is not a no
    assert EntrepreneurProfile.objects.get(user=entrepreneur).gender == "woman"
    assert "Kafé Kvarnen ek. för." in text(client.get("/bookings/enterprise/"))

    # Changing it keeps the number unless it is changed.
    response = client.post(
        f"/bookings/enterprise/{enterprise.pk}/",
        {
            "name": "Kvarnen",
            "org_number": "556016-0680",
            "kind": "social",
            "municipality": "2080",
            "gender": "not_stated",
        },
    )
    assert response.status_code == 302
    enterprise.refresh_from_db()
    assert (enterprise.name, enterprise.kind) == ("Kvarnen", "social")
    assert EntrepreneurProfile.objects.get(user=entrepreneur).gender == "not_stated"


def test_the_enterprise_says_whether_it_is_led_by_women(client, entrepreneur):
    client = english(client)
    client.force_login(entrepreneur)
    fields = {"name": "Kvarnen", "kind": "social", "municipality": "2080", "gender": "woman"}

    page = text(client.get("/bookings/enterprise/new/"))
    assert "Is the enterprise led by women?" in page
    assert "Women own at least half of the enterprise or make up at least half of its management." in page
    assert re.search(r'<input[^>]*name="women_led"[^>]*value="not_stated"[^>]*checked', page)
    assert client.post("/bookings/enterprise/new/", {**fields, "women_led": "yes"}).status_code == 302
    enterprise = Enterprise.objects.get()
    assert enterprise.women_led == "yes"
    # The edit form shows the answer as it stands.
    edit = text(client.get(f"/bookings/enterprise/{enterprise.pk}/"))
    assert re.search(r'<input[^>]*name="women_led"[^>]*value="yes"[^>]*checked', edit)

    refused = client.post(f"/bookings/enterprise/{enterprise.pk}/", {**fields, "women_led": "maybe"})
    assert refused.status_code == 400
    assert 'href="#id_women_led_0"' in refused.content.decode()
    enterprise.refresh_from_db()
    assert enterprise.women_led == "yes"
    client.post(f"/bookings/enterprise/{enterprise.pk}/", {**fields, "women_led": "no"})
    enterprise.refresh_from_db()
    assert enterprise.women_led == "no"


def test_someone_elses_enterprise_cannot_be_edited(client, enterprise, other_entrepreneur):
    client.force_login(other_entrepreneur)

    assert client.get(f"/bookings/enterprise/{enterprise.pk}/").status_code == 404
    assert client.post(f"/bookings/enterprise/{enterprise.pk}/", {"name": "Mitt"}).status_code == 404


def test_a_next_address_off_the_site_is_ignored(client, entrepreneur):
    client.force_login(entrepreneur)

    response = client.post(
        "/bookings/enterprise/new/?next=https://evil.example.com/",
        {
            "name": "Idén",
            "kind": "idea",
            "municipality": "2080",
            "gender": "man",
            "next": "https://evil.example.com/",
        },
    )

    assert response["Location"] == "/bookings/enterprise/"


# --- My bookings and feedback -------------------------------------------------------


def test_feedback_is_given_once_after_the_session(sara, advisor, entrepreneur, enterprise, frozen):
    booking = book(entrepreneur, advisor)
    assert "How was the session?" not in text(sara.get(f"/bookings/{booking.uid}/"))
    early = sara.post(f"/bookings/{booking.uid}/feedback/", {"rating": "5"})
    assert early.status_code == 400
    assert "Feedback can be given once the session has been held." in text(early)

    frozen.move_to(local(2027, 3, 3, 11, 30))
    page = text(sara.get(f"/bookings/{booking.uid}/"))
    assert "How was the session?" in page
    assert "<legend>How useful was the session?</legend>" in page
    assert "Give feedback" in text(sara.get("/bookings/"))

    bad = sara.post(f"/bookings/{booking.uid}/feedback/", {"rating": "9"})
    assert bad.status_code == 400
    assert "Choose a rating from 1 to 5." in text(bad)

    response = sara.post(f"/bookings/{booking.uid}/feedback/", {"rating": "4", "comment": "Bra råd!"})
    assert response.status_code == 302
    feedback = Feedback.objects.get()
    assert (feedback.booking, feedback.rating, feedback.comment) == (booking, 4, "Bra råd!")
    assert "You rated it 4 out of 5." in text(sara.get("/bookings/"))

    again = sara.post(f"/bookings/{booking.uid}/feedback/", {"rating": "1"})
    assert again.status_code == 400
    assert "You have already given feedback on this session. Thank you!" in text(again)
    assert Feedback.objects.get().rating == 4


def test_the_advisor_does_not_give_feedback(anna, advisor, entrepreneur, enterprise, frozen):
    booking = book(entrepreneur, advisor)
    frozen.move_to(local(2027, 3, 3, 12))

    assert anna.post(f"/bookings/{booking.uid}/feedback/", {"rating": "5"}).status_code == 404
    assert not Feedback.objects.exists()


def test_my_bookings_is_for_entrepreneurs_and_points_advisors_to_their_list(client, anna, coordinator):
    assert "/bookings/advisor/" in anna.get("/bookings/").content.decode()
    client.force_login(coordinator.user)
    assert client.get("/bookings/").status_code == 403


def test_the_menu_offers_my_bookings(sara):
    assert '<a href="/bookings/">My bookings</a>' in sara.get("/").content.decode()


# --- The advisor's bookings ---------------------------------------------------------


def test_the_advisor_lists_upcoming_bookings_by_day_and_records_the_outcome(
    anna, advisor, entrepreneur, enterprise, frozen
):
    booking = book(entrepreneur, advisor, mode="in_person")
    later = book(entrepreneur, advisor, start=THURSDAY_13)

    page = text(anna.get("/bookings/advisor/"))
    upcoming = page.split("Past sessions", 1)[0]
    assert upcoming.index("Wednesday 3 March") < upcoming.index("Thursday 4 March")
    for expected in (
        "Sara Nilsson",
        "Kafé Kvarnen ek. för.",
        "Financing",
        "In person",
        "Vi vill söka pengar från ESF.",
    ):
        assert expected in upcoming, expected
    assert "Did the session take place?" not in page

    frozen.move_to(local(2027, 3, 3, 11, 30))
    page = anna.get("/bookings/advisor/").content.decode()
    assert f'name="b{booking.pk}-outcome"' in page
    assert f'name="b{later.pk}-outcome"' not in page
    # On the list the form is folded until opened.
    assert '<details class="outcome-details">' in page
    assert "<summary>Record the outcome" in page

    too_soon = anna.post(f"/bookings/{later.uid}/outcome/", {f"b{later.pk}-outcome": "attended"})
    assert too_soon.status_code == 400
    assert "The session has not started yet." in text(too_soon)

    response = anna.post(
        f"/bookings/{booking.uid}/outcome/",
        {
            f"b{booking.pk}-outcome": "attended",
            f"b{booking.pk}-private_notes": "Uppföljning i april.",
            "next": "/bookings/advisor/",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/bookings/advisor/"
    booking.refresh_from_db()
    assert (booking.status, booking.private_notes) == (BookingStatus.COMPLETED, "Uppföljning i april.")

    response = anna.post(f"/bookings/{booking.uid}/outcome/", {f"b{booking.pk}-outcome": "no_show"})
    booking.refresh_from_db()
    assert booking.status == BookingStatus.NO_SHOW
    assert booking.private_notes == ""  # the form sends the notes as they stand


def test_the_advisor_sees_past_sessions_under_a_heading_with_their_day(
    anna, advisor, entrepreneur, enterprise, frozen
):
    wednesday = book(entrepreneur, advisor)
    thursday = book(entrepreneur, advisor, start=THURSDAY_13)
    frozen.move_to(local(2027, 3, 5, 9))

    page = anna.get("/bookings/advisor/").content.decode()
    past = visible(anna.get("/bookings/advisor/")).split("Past sessions", 1)[1]

    # Latest first, each under its day, and the session itself by its clock times.
    assert past.index("Thursday 4 March") < past.index("13:00–14:00") < past.index("Wednesday 3 March")
    assert past.index("Wednesday 3 March") < past.index("10:00–11:00")
    assert '<h3 id="past-2027-03-04-title"><time datetime="2027-03-04">Thursday 4 March</time></h3>' in page
    section = page.split('id="past-2027-03-03"', 1)[1].split("</section>", 1)[0]
    assert f'name="b{wednesday.pk}-outcome"' in section
    assert f'name="b{thursday.pk}-outcome"' not in section


def test_private_notes_stay_with_the_advisor(sara, advisor, entrepreneur, enterprise, frozen):
    booking = book(entrepreneur, advisor)
    frozen.move_to(local(2027, 3, 3, 12))
    services.booking_record_outcome(booking=booking, by=advisor.user, attended=True, private_notes="Hemligt.")

    assert "Hemligt." not in sara.get(f"/bookings/{booking.uid}/").content.decode()
    assert "Hemligt." not in sara.get("/bookings/").content.decode()
    assert (
        sara.post(f"/bookings/{booking.uid}/outcome/", {f"b{booking.pk}-outcome": "no_show"}).status_code
        == 404
    )


def test_the_advisor_writes_an_outcome_note_the_entrepreneur_then_reads(
    sara, advisor, entrepreneur, enterprise, frozen
):
    booking = book(entrepreneur, advisor)
    frozen.move_to(local(2027, 3, 3, 12))
    sara.force_login(advisor.user)

    form = text(sara.get(f"/bookings/{booking.uid}/outcome/"))
    assert f'name="b{booking.pk}-outcome_note"' in form
    assert "The entrepreneur sees it." in form and "Your private notes stay yours alone." in form
    response = sara.post(
        f"/bookings/{booking.uid}/outcome/",
        {
            f"b{booking.pk}-outcome": "attended",
            f"b{booking.pk}-outcome_note": "Budgeten är klar.\r\nNästa steg: <b>ansökan</b> till ESF.",
            f"b{booking.pk}-private_notes": "Hemligt.",
        },
    )
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.outcome_note == "Budgeten är klar.\nNästa steg: <b>ansökan</b> till ESF."
    assert booking.outcome_noted == local(2027, 3, 3, 12)
    # Prefilled with the note as it stands, to correct it.
    assert (
        "Nästa steg: &lt;b&gt;ansökan&lt;/b&gt; till ESF.</textarea>"
        in sara.get(f"/bookings/{booking.uid}/outcome/").content.decode()
    )
    # The advisor's own page keeps the note in the form, not as the summary.
    assert "The advisor's summary" not in text(sara.get(f"/bookings/{booking.uid}/"))

    sara.force_login(entrepreneur)
    page = sara.get(f"/bookings/{booking.uid}/").content.decode()
    assert "The advisor's summary" in page
    # Escaped, its line breaks kept; the private notes never shown.
    assert "Budgeten är klar.<br>Nästa steg: &lt;b&gt;ansökan&lt;/b&gt; till ESF." in page
    assert "Hemligt." not in page


def test_without_an_outcome_note_the_entrepreneur_sees_no_summary(
    sara, advisor, entrepreneur, enterprise, frozen
):
    booking = book(entrepreneur, advisor)
    frozen.move_to(local(2027, 3, 3, 12))
    services.booking_record_outcome(booking=booking, by=advisor.user, attended=True, private_notes="Hemligt.")

    page = text(sara.get(f"/bookings/{booking.uid}/"))
    assert "The advisor's summary" not in page
    assert "Hemligt." not in page


def test_a_too_long_outcome_note_is_a_form_error_and_changes_nothing(
    anna, advisor, entrepreneur, enterprise, frozen
):
    booking = book(entrepreneur, advisor)
    frozen.move_to(local(2027, 3, 3, 12))
    services.booking_record_outcome(booking=booking, by=advisor.user, attended=True, outcome_note="Första.")

    response = anna.post(
        f"/bookings/{booking.uid}/outcome/",
        {f"b{booking.pk}-outcome": "no_show", f"b{booking.pk}-outcome_note": "x" * 5001},
    )
    # 5,000 characters with line breaks counted once each, as typed, are fine.
    fits = "\r\n".join(["x" * 999] * 5)
    assert len(fits.replace("\r\n", "\n")) == 4999

    assert response.status_code == 400
    assert "Write at most 5,000 characters." in text(response)
    assert f'href="#id_b{booking.pk}-outcome_note"' in response.content.decode()
    booking.refresh_from_db()
    assert (booking.status, booking.outcome_note) == (BookingStatus.COMPLETED, "Första.")
    assert (
        anna.post(
            f"/bookings/{booking.uid}/outcome/",
            {f"b{booking.pk}-outcome": "attended", f"b{booking.pk}-outcome_note": fits},
        ).status_code
        == 302
    )
    booking.refresh_from_db()
    assert len(booking.outcome_note) == 4999


def test_the_advisor_page_shows_one_day_from_the_calendar(anna, advisor, entrepreneur, enterprise):
    book(entrepreneur, advisor)

    calendar = anna.get("/advisor/?week=2027-W09").content.decode()
    assert 'href="/bookings/advisor/?day=2027-03-03"' in calendar

    page = text(anna.get("/bookings/advisor/?day=2027-03-03"))
    assert "Your bookings on Wednesday 3 March" in page
    assert "Sara Nilsson" in page
    assert "No sessions are booked this day." in text(anna.get("/bookings/advisor/?day=2027-03-04"))
    bad = anna.get("/bookings/advisor/?day=3000-99-99")
    assert bad.status_code == 400
    assert "Enter a day as YYYY-MM-DD" in text(bad)


def test_the_advisor_page_is_for_advisors(sara):
    assert sara.get("/bookings/advisor/").status_code == 403


# --- Signed links from emails -------------------------------------------------------


def test_a_cancel_link_asks_first_and_cancels_on_the_button(client, advisor, entrepreneur, enterprise):
    client = english(client)
    booking = book(entrepreneur, advisor)
    url = links.cancel_url(booking)
    assert url.startswith(settings.SITE_URL + "/b/")
    path = urlsplit(url).path

    # Mail scanners open links: GET never acts.
    for _ in range(2):
        response = client.get(path)
        assert response.status_code == 200
        assert "Nothing is cancelled until you press the button." in text(response)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED

    response = client.post(path, {"reason": "Sjuk"})
    assert response.status_code == 200
    assert "Your session on Wednesday 3 March at 10:00 with Anna Lindqvist is cancelled." in text(response)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert AuditEntry.objects.get(action="booking.cancelled").actor == entrepreneur

    # Used once, the link is stale.
    assert client.post(path, {"reason": ""}).status_code == 410


def test_a_reschedule_link_moves_the_booking_and_then_dies(client, advisor, entrepreneur, enterprise):
    client = english(client)
    booking = book(entrepreneur, advisor)
    path = urlsplit(links.reschedule_url(booking)).path

    page = text(client.get(path))
    assert "Pick a new time" in page
    assert 'value="2027-03-04T12:00:00+00:00"' in page
    booking.refresh_from_db()
    assert booking.sequence == 0

    response = client.post(path, {"start": THURSDAY_13.isoformat()})
    assert "Move from Wednesday 3 March at 10:00 to Thursday 4 March at 13:00?" in visible(response)
    booking.refresh_from_db()
    assert booking.sequence == 0  # nothing moves before the confirmation
    assert client.get(path).status_code == 200  # and the link still works

    response = client.post(path, {"start": THURSDAY_13.isoformat(), "confirm": "on"})
    assert response.status_code == 200
    assert "The session is moved" in text(response)
    booking.refresh_from_db()
    assert (booking.start, booking.sequence) == (THURSDAY_13, 1)
    stale = client.get(path)
    assert stale.status_code == 410
    assert "The booking has changed since this email was sent" in text(stale)


def test_a_link_goes_stale_when_the_booking_is_moved(client, advisor, entrepreneur, enterprise):
    client = english(client)
    booking = book(entrepreneur, advisor)
    path = urlsplit(links.cancel_url(booking)).path
    services.booking_reschedule(booking=booking, by=entrepreneur, start=THURSDAY_13)

    response = client.post(path, {"reason": ""})

    assert response.status_code == 410
    assert "The booking has changed since this email was sent" in text(response)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    assert client.get(urlsplit(links.cancel_url(booking)).path).status_code == 200  # a fresh link works


@pytest.mark.parametrize("tamper", ["flip", "truncate", "garbage", "other-salt", "other-action"])
def test_a_tampered_link_is_refused_kindly(client, advisor, entrepreneur, enterprise, tamper):
    client = english(client)
    booking = book(entrepreneur, advisor)
    token = links.make_token(booking, "cancel")
    if tamper == "flip":
        token = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    elif tamper == "truncate":
        token = token[:-5]
    elif tamper == "garbage":
        token = "not-a-token"
    elif tamper == "other-salt":
        token = signing.dumps({"b": booking.uid.hex, "a": "cancel", "s": 0, "e": 2**40}, salt="elsewhere")
    else:
        token = links.make_token(booking, "reschedule")

    response = client.post(f"/b/{token}/cancel/", {"reason": ""})

    assert response.status_code == 400
    assert "This link no longer works" in text(response)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED


def test_a_link_expires_when_the_session_starts(client, advisor, entrepreneur, enterprise, frozen):
    client = english(client)
    booking = book(entrepreneur, advisor)
    path = urlsplit(links.cancel_url(booking)).path

    frozen.move_to(local(2027, 3, 3, 9, 59))
    assert client.get(path).status_code == 200
    frozen.move_to(local(2027, 3, 3, 10, 0))
    response = client.get(path)
    assert response.status_code == 410
    assert "The link has expired" in text(response)


def test_a_link_lives_at_most_60_days(client, advisor, entrepreneur, enterprise, frozen):
    advisor.horizon_days = 120
    advisor.save()
    far = local(2027, 5, 17, 10)  # a Monday 77 days ahead
    booking = book(entrepreneur, advisor, start=far)
    path = urlsplit(links.reschedule_url(booking)).path

    frozen.move_to(NOW + timedelta(days=59))
    assert client.get(path).status_code == 200
    frozen.move_to(NOW + timedelta(days=60, seconds=1))
    assert client.get(path).status_code == 410


def test_links_work_without_signing_in_but_need_the_form_token(advisor, entrepreneur, enterprise):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    booking = book(entrepreneur, advisor)
    path = urlsplit(links.cancel_url(booking)).path

    assert strict.post(path, {"reason": ""}).status_code == 403
    page = strict.get(path).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    assert strict.post(path, {"reason": "", "csrfmiddlewaretoken": token}).status_code == 200
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED


# --- Details that matter -------------------------------------------------------------


def test_times_are_shown_in_the_advisors_zone_across_daylight_saving(
    sara, advisor, entrepreneur, enterprise, frozen
):
    advisor.horizon_days = 120
    advisor.save()
    after_change = local(2027, 3, 30, 10)  # Tuesday after the spring change (Monday is Easter Monday): CEST
    booking = book(entrepreneur, advisor, start=after_change)

    page = text(sara.get(f"/bookings/{booking.uid}/"))

    assert "Tuesday 30 March at 10:00" in page
    assert '<time datetime="2027-03-30T10:00:00+02:00">' in page
    assert booking.start == datetime(2027, 3, 30, 8, 0, tzinfo=UTC)


def test_pages_load_htmx_as_an_enhancement_only(sara, advisor):
    page = sara.get(new_url(advisor)).content.decode()

    assert '<form method="post" action="/bookings/new/"' in page
    assert 'hx-post="/bookings/new/"' in page
    assert "/static/vendor/htmx.min.js" in page
    assert "/static/js/htmx-focus.js" in page
    assert "<script>" not in page  # no inline script

    swapped = sara.get(new_url(advisor), headers={"HX-Request": "true"})
    assert swapped.status_code == 200
    assert 'id="main"' in swapped.content.decode()  # hx-select picks <main> from the full page

    # A step answering a POST has no address to put in the address bar.
    step = sara.post("/bookings/new/", describe(advisor), headers={"HX-Request": "true"})
    assert step["HX-Push-Url"] == "false"
    assert "HX-Push-Url" not in sara.post("/bookings/new/", describe(advisor))


def test_the_outcome_note_and_the_summary_speak_swedish(client, advisor, entrepreneur, enterprise, frozen):
    booking = book(entrepreneur, advisor)
    frozen.move_to(local(2027, 3, 3, 12))
    services.booking_record_outcome(booking=booking, by=advisor.user, attended=True, outcome_note="Klart.")

    client.force_login(advisor.user)
    form = text(client.get(f"/bookings/{booking.uid}/outcome/"))
    client.force_login(entrepreneur)
    page = text(client.get(f"/bookings/{booking.uid}/"))
    enterprise_form = text(client.get(f"/bookings/enterprise/{enterprise.pk}/"))

    assert "Vad ni kom fram till" in form and "Företagaren ser det." in form
    assert "Rådgivarens sammanfattning" in page
    assert "Leds företaget av kvinnor?" in enterprise_form and "Inte angivet" in enterprise_form

"""Needs in the booking pages: asked in step one, carried to the last look,
kept on the booking and shown to the person and their advisor; an
interpreter inside the advisor's lead time is refused at its field with a
way to times far enough ahead. The advisor sets the lead time."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from advisors.models import Topic
from bookings.models import Booking, Enterprise

STOCKHOLM = ZoneInfo("Europe/Stockholm")
NOW = datetime(2027, 3, 1, 7, 0, tzinfo=UTC)  # Monday 08:00 in Stockholm
WEDNESDAY_10 = datetime(2027, 3, 3, 10, tzinfo=STOCKHOLM)  # inside five working days
WEDNESDAY_10_NEXT = datetime(2027, 3, 10, 10, tzinfo=STOCKHOLM)  # after them


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def advisor(advisor):
    advisor.topics.set(Topic.objects.filter(slug__in=["financing"]))
    return advisor


@pytest.fixture
def sara(client, entrepreneur):
    enterprise = Enterprise.objects.create(
        name="Kafé Kvarnen", kind="work_integrating", municipality_id="2080"
    )
    enterprise.members.add(entrepreneur)
    client.force_login(entrepreneur)
    return client


def describe(advisor, start, **answers) -> dict:
    return {
        "advisor": advisor.pk,
        "start": start.isoformat(),
        "duration": 60,
        "topic": "financing",
        "mode": "video",
        "message": "",
        "step": "describe",
        **answers,
    }


def visible(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", response.content.decode())))


def test_step_one_asks_for_the_needs(sara, advisor):
    response = sara.get(
        f"/bookings/new/?advisor={advisor.pk}&start={WEDNESDAY_10.isoformat().replace('+', '%2B')}&duration=60"
    )
    page = visible(response)
    assert response.status_code == 200
    assert "Vad behöver du för att kunna delta? (frivilligt)" in page
    assert "Tolk" in page and "svenskt teckenspråk" in page and "Hörslinga" in page
    assert 'name="interpreter_language"' in response.content.decode()


def test_the_needs_are_carried_to_the_last_look_and_kept_on_the_booking(sara, advisor):
    answers = {"step_free": "on", "easy_read": "on", "needs_other": "Ledarhund"}
    look = sara.post("/bookings/new/", describe(advisor, WEDNESDAY_10, **answers))
    assert look.status_code == 200
    page = visible(look)
    assert "Behov för att kunna delta" in page and "Lättläst material" in page and "Ledarhund" in page

    # The last look's form carries them on.
    content = look.content.decode()
    for name in ("step_free", "easy_read", "needs_other"):
        assert f'name="{name}"' in content, name
    booked = sara.post("/bookings/new/", describe(advisor, WEDNESDAY_10, **answers, step="confirm"))

    assert booked.status_code == 302
    booking = Booking.objects.get()
    assert booking.needs["step_free"] and booking.needs["easy_read"] and booking.needs["other"] == "Ledarhund"
    assert booking.stat_needs == ["step_free", "easy_read", "other"]
    detail = visible(sara.get(f"/bookings/{booking.uid}/"))
    assert "Tillgänglig entré utan trappsteg" in detail and "Ledarhund" in detail


def test_the_advisor_sees_the_needs_before_the_session(sara, advisor, client):
    sara.post(
        "/bookings/new/", describe(advisor, WEDNESDAY_10_NEXT, interpreter_language="sgn-SE", step="confirm")
    )
    booking = Booking.objects.get()
    client.force_login(advisor.user)

    page = visible(client.get(f"/bookings/{booking.uid}/"))
    listed = visible(client.get("/bookings/advisor/"))

    assert "Tolk: svenskt teckenspråk" in page
    assert "Behov för att kunna delta" in listed and "Tolk: svenskt teckenspråk" in listed


def test_an_interpreter_inside_the_lead_time_is_refused_at_its_field_with_later_times(sara, advisor):
    response = sara.post("/bookings/new/", describe(advisor, WEDNESDAY_10, interpreter_language="ar"))

    assert response.status_code == 400
    page = visible(response)
    assert "En tolk behöver bokas 5 arbetsdagar i förväg" in page and "tisdag 9 mars" in page
    assert f"/advisors/{advisor.pk}/?start=2027-03-09" in response.content.decode()
    assert 'id="id_interpreter_language_error"' in response.content.decode()
    # Nothing is booked, even when the last step is sent anyway.
    sara.post("/bookings/new/", describe(advisor, WEDNESDAY_10, interpreter_language="ar", step="confirm"))
    assert not Booking.objects.exists()


def test_a_language_not_offered_is_a_form_error(sara, advisor):
    response = sara.post("/bookings/new/", describe(advisor, WEDNESDAY_10_NEXT, interpreter_language="xx"))
    assert response.status_code == 400
    assert "Välj ett av de tolkspråk som finns." in visible(response)


def test_the_advisor_sets_the_lead_time_in_the_settings(client, advisor):
    client.force_login(advisor.user)
    page = client.get("/advisor/settings/")
    assert page.status_code == 200 and "Framförhållning för tolk (arbetsdagar)" in visible(page)
    form = {
        "timezone": advisor.timezone,
        "session_lengths": [str(n) for n in advisor.session_lengths],
        "slot_step": advisor.slot_step,
        "buffer_before": advisor.buffer_before,
        "buffer_after": advisor.buffer_after,
        "min_notice_hours": advisor.min_notice_hours,
        "horizon_days": advisor.horizon_days,
        "max_per_day": advisor.max_per_day or "",
        "closed_on_public_holidays": "on",
        "interpreter_lead_days": 8,
        "busy_calendar_url": "",
    }

    saved = client.post("/advisor/settings/", form)
    refused = client.post("/advisor/settings/", {**form, "interpreter_lead_days": 31})

    assert saved.status_code == 302, visible(saved)[:500]
    # The page shows the form again with the error (as the settings page does for any).
    assert "errorlist" in refused.content.decode()
    advisor.refresh_from_db()
    assert advisor.interpreter_lead_days == 8


def test_the_outcome_form_asks_which_of_the_bookings_own_needs_could_not_be_met(
    sara, advisor, client, frozen
):
    sara.post(
        "/bookings/new/",
        describe(advisor, WEDNESDAY_10_NEXT, interpreter_language="ar", step_free="on", step="confirm"),
    )
    booking = Booking.objects.get()
    frozen.move_to(WEDNESDAY_10_NEXT.astimezone(UTC).replace(hour=11))
    client.force_login(advisor.user)
    url = f"/bookings/{booking.uid}/outcome/"
    prefix = f"b{booking.pk}"

    page = client.get(url).content.decode()
    # The booking's two needs, in words; not the needs it does not have.
    assert f'name="{prefix}-needs_not_met" value="interpreter"' in page
    assert f'name="{prefix}-needs_not_met" value="step_free"' in page
    assert 'value="hearing_loop"' not in page
    assert "Tolk: arabiska" in visible(client.get(url)) and "Behov som inte kunde tillgodoses" in page

    saved = client.post(url, {f"{prefix}-outcome": "attended", f"{prefix}-needs_not_met": ["interpreter"]})
    booking.refresh_from_db()
    assert saved.status_code == 302 and booking.needs_not_met == ["interpreter"]
    # Ticked as it is saved, and unticking every box clears it.
    assert re.search(
        rf'<input[^>]*name="{prefix}-needs_not_met" value="interpreter"[^>]*checked',
        client.get(url).content.decode(),
    )
    client.post(url, {f"{prefix}-outcome": "attended"})
    booking.refresh_from_db()
    assert booking.needs_not_met == []
    # A kind the booking does not have is a form error, and nothing changes.
    refused = client.post(url, {f"{prefix}-outcome": "no_show", f"{prefix}-needs_not_met": ["hearing_loop"]})
    booking.refresh_from_db()
    assert refused.status_code == 400 and booking.status == "completed"


def test_a_booking_without_needs_has_no_question_about_them(sara, advisor, client, frozen):
    sara.post("/bookings/new/", describe(advisor, WEDNESDAY_10, step="confirm"))
    booking = Booking.objects.get()
    frozen.move_to(WEDNESDAY_10.astimezone(UTC).replace(hour=11))
    client.force_login(advisor.user)

    page = client.get(f"/bookings/{booking.uid}/outcome/").content.decode()

    assert "needs_not_met" not in page

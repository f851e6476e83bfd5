"""What the e2e tests do with a page as a person would (sign in, move with
the keyboard, switch language), and the dates they book on. Pages are in
Swedish unless switched."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import holidays

from tests.e2e.conftest import DEMO_PASSWORD


def sign_in(page: Any, email: str, password: str = DEMO_PASSWORD) -> None:
    """Signs in through the login form."""
    page.goto("/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_selector("form[action$='/accounts/logout/']")


def tab_to(page: Any, selector: str, *, limit: int = 80) -> None:
    """Presses Tab until the focused element matches `selector`, as a keyboard
    user moves through the page; fails if it is never reached."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement?.matches(s) ?? false", selector):
            return
    focused = page.evaluate("document.activeElement?.outerHTML.slice(0, 200)")
    raise AssertionError(f"{limit} presses of Tab never reached {selector!r}; focus is on {focused}")


def focused(page: Any, expression: str) -> Any:
    """`expression` evaluated with `el` as the focused element."""
    return page.evaluate(f"(() => {{ const el = document.activeElement; return {expression}; }})()")


def switch_language(page: Any, code: str) -> None:
    """Uses the language form in the page header, as a visitor does."""
    page.locator(f"form.language-switch button[value={code}]").click()
    page.wait_for_selector(f"html[lang={code}]")


def advisor_id(site: Any, name: str, region: str) -> int:
    response = site.get_json(f"/api/v1/advisors/?region={region}")
    return next(a["id"] for a in response["results"] if a["name"] == name)


def next_open_day(weekday: int, *, weeks_ahead: int = 1) -> date:
    """The first `weekday` (0 = Monday) at least `weeks_ahead` weeks from
    today that is no Swedish public holiday and falls outside the demo
    advisors' four weeks of summer vacation from the first Monday of July."""
    today = datetime.now(ZoneInfo("Europe/Stockholm")).date()
    day = today + timedelta(days=(weekday - today.weekday()) % 7 + 7 * weeks_ahead)
    while day in holidays.country_holidays("SE") or day.month == 7 or (day.month == 8 and day.day <= 7):
        day += timedelta(days=7)
    return day


def one_hour_left(
    site: Any, *, advisor_email: str, name: str, region: str, booker_email: str, topic: str
) -> tuple[int, str]:
    """Leaves the advisor one bookable hour in the next two weeks (10–11 on a
    day a few days from today, nothing else) and has `booker` book it, so the
    advisor has no free time and their waitlist can be joined. Returns the
    advisor's id and the booking's uid: cancelling it frees the hour, which
    then goes to the first in line."""
    advisor_pk = advisor_id(site, name, region)
    advisor, booker = site.api(advisor_email), site.api(booker_email)
    today = datetime.now(ZoneInfo("Europe/Stockholm")).date()
    for offset in range(3, 11):  # past the notice, within the waitlist's two weeks
        day = today + timedelta(days=offset)
        changed = advisor.patch(
            site.url("/api/v1/me/availability/"),
            json={
                "weekly_hours": [],
                "overrides": [{"date": day.isoformat(), "intervals": [{"start": "10:00", "end": "11:00"}]}],
                "time_off": [],
                "session_lengths": [60],
                "closed_on_public_holidays": False,
            },
            timeout=30,
        )
        assert changed.status_code == 200, changed.text
        slots = booker.get(
            site.url(f"/api/v1/advisors/{advisor_pk}/slots/?start={day}&end={day}&duration=60"), timeout=30
        ).json()["slots"]
        if slots:  # not taken by a booking of the demo data
            break
    else:
        raise AssertionError(f"no day left to give {name} one free hour")
    booked = booker.post(
        site.url("/api/v1/bookings/"),
        json={
            "advisor": advisor_pk,
            "start": slots[0]["start"],
            "duration": 60,
            "topic": topic,
            "mode": "in_person",
        },
        timeout=30,
    )
    assert booked.status_code == 201, booked.text
    return advisor_pk, booked.json()["uid"]

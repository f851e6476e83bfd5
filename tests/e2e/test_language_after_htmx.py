"""After an htmx step (htmx swaps <main> and pushes the new address), the
header's language form sends the person back to the page they see, not to
the one before it, and the menu no longer marks the page before as the
current one (static/js/htmx-focus.js follows the address)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import advisor_id, next_open_day, sign_in, switch_language

pytestmark = [pytest.mark.e2e, pytest.mark.services]

TUESDAY = 1


def test_after_an_htmx_step_the_menu_and_the_language_switch_follow_the_new_page(site, new_page):
    # An upcoming session of Noor Rahimi's (entrepreneur5) with Erik Johansson, to cancel.
    erik = advisor_id(site, "Erik Johansson", region="20")
    day = next_open_day(TUESDAY, weeks_ahead=5)
    noor = site.api("entrepreneur5@example.se")
    slots = noor.get(
        site.url(f"/api/v1/advisors/{erik}/slots/?start={day}&end={day}&duration=60"), timeout=30
    ).json()["slots"]
    booked = noor.post(
        site.url("/api/v1/bookings/"),
        json={
            "advisor": erik,
            "start": slots[-1]["start"],
            "duration": 60,
            "topic": "financing",
            "mode": "video",
        },
        timeout=30,
    )
    assert booked.status_code == 201, booked.text
    cancel_path = f"/bookings/{booked.json()['uid']}/cancel/"

    page = new_page()
    sign_in(page, "entrepreneur5@example.se")
    page.goto("/bookings/")
    current = page.locator("header nav a[aria-current=page]")
    expect(current).to_have_attribute("href", "/bookings/")
    page.evaluate("window.samePage = true")  # gone if the browser loads a whole new page
    page.locator(f"a[href='{cancel_path}']").click()
    expect(page).to_have_url(re.compile(re.escape(cancel_path) + "$"))
    expect(page.locator("h1")).to_have_text("Vill du avboka mötet?")
    assert page.evaluate("window.samePage === true"), "the step was a whole page load, not htmx's"
    expect(current).to_have_count(0)  # no menu item is the cancel page

    switch_language(page, "en")

    expect(page).to_have_url(re.compile(re.escape(cancel_path) + "$"))
    expect(page.locator("h1")).to_have_text("Cancel the session?")

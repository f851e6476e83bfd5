"""axe-core on every page each role can reach, in Swedish and then in English
(switched with the language form in the header, as a visitor does), forms
with errors included. WCAG 2.1 AA is the public sector's bar: a violation of
impact "serious" or "critical" fails the test; the others are printed, to be
looked at.

Each role walks its pages as a generator: it navigates (and submits what a
page needs), then yields the page's name for axe to check.

The walk also photographs each page it checks, whole, at 1280 and at 390 px
wide (a desktop and a phone), to var/screenshots/<lang>-<width>/<role>-<page>.jpg,
for people to look at (issue 15): the pages and sign-ins are the walk's own,
and the seconds the pictures take are printed."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.e2e.conftest import BASE_DIR, DEMO_PASSWORD
from tests.e2e.helpers import advisor_id, next_open_day, one_hour_left, sign_in, switch_language

pytestmark = [pytest.mark.e2e, pytest.mark.services]

AXE = Axe()
BLOCKING = {"serious", "critical"}
LANGUAGES = ("sv", "en")
TUESDAY, SATURDAY = 1, 5

Walk = Callable[[Any, Any], Iterator[str]]

SCREENSHOTS = BASE_DIR / "var" / "screenshots"
SCREENSHOT_WIDTHS = (1280, 390)
# JPEG: a fraction of the time and bytes of PNG for whole pages, and sharp
# enough to judge a layout by.
SCREENSHOT_QUALITY = 70
# A picture of a page with anything on it is larger than this; a blank one is not.
SCREENSHOT_MIN_BYTES = 4_000


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


class Screenshots:
    """Whole-page pictures of the pages a role walks, in each width."""

    def __init__(self, role: str) -> None:
        self.role = role
        self.seconds = 0.0
        self.written: list[Any] = []
        self.too_wide: list[str] = []
        for stale in SCREENSHOTS.glob(f"*/{role}-*.jpg"):
            stale.unlink()

    def take(self, page: Any, name: str, language: str) -> None:
        started = time.perf_counter()
        viewport = page.viewport_size
        for width in SCREENSHOT_WIDTHS:
            if width != viewport["width"]:
                page.set_viewport_size({"width": width, "height": viewport["height"]})
            path = SCREENSHOTS / f"{language}-{width}" / f"{self.role}-{slug(name)}.jpg"
            path.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(
                path=str(path), full_page=True, type="jpeg", quality=SCREENSHOT_QUALITY, animations="disabled"
            )
            self.written.append(path)
            scroll_width = page.evaluate("document.documentElement.scrollWidth")
            if scroll_width > width:  # scrolls sideways (WCAG 1.4.10): printed, to be looked at
                self.too_wide.append(f"[{language}] {name}: {scroll_width} px wide at {width} px")
        page.set_viewport_size(viewport)
        self.seconds += time.perf_counter() - started

    def check(self) -> None:
        small = [
            f"{p} ({p.stat().st_size} bytes)" for p in self.written if p.stat().st_size < SCREENSHOT_MIN_BYTES
        ]
        assert self.written, "no screenshot was taken"
        assert not small, "screenshots that look blank:\n" + "\n".join(small)
        for line in self.too_wide:
            print("wider than the window:", line)
        print(
            f"{len(self.written)} screenshots of {self.role}'s pages in {self.seconds:.1f} s, in {SCREENSHOTS}"
        )


class AxeFindings:
    """Violations by page, split into blocking (serious, critical) and others."""

    def __init__(self) -> None:
        self.blocking: list[str] = []
        self.others: list[str] = []
        self.pages: list[str] = []

    def check(self, page: Any, name: str, language: str) -> None:
        expect(page.locator("html")).to_have_attribute("lang", language)
        self.pages.append(f"{name} [{language}]")
        results = AXE.run(page)
        for violation in results.response["violations"]:
            targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
            line = (
                f"[{language}] {name} ({page.url}): {violation['impact']} {violation['id']}: "
                f"{violation['help']} – {len(violation['nodes'])} element(s): {targets}"
            )
            (self.blocking if violation["impact"] in BLOCKING else self.others).append(line)


def walk_in_both_languages(page: Any, site: Any, walk: Walk) -> None:
    findings = AxeFindings()
    screenshots = Screenshots(role=walk.__name__.removesuffix("_pages"))
    for n, language in enumerate(LANGUAGES):
        if n:
            switch_language(page, language)
        for name in walk(page, site):
            findings.check(page, name, language)
            screenshots.take(page, name, language)
    print(f"axe checked {len(findings.pages)} pages: {'; '.join(findings.pages)}")
    screenshots.check()
    for line in findings.others:
        print("axe (minor, moderate):", line)
    assert not findings.blocking, "axe found serious or critical violations:\n" + "\n".join(findings.blocking)


def submit(page: Any, form: str) -> None:
    page.locator(f"{form} button[type=submit]").first.click()
    page.wait_for_load_state()


# --- The roles' pages ---------------------------------------------------------------


def visitor_pages(page: Any, site: Any) -> Iterator[str]:
    page.goto("/")
    yield "start"
    page.goto("/advisors/")
    yield "directory"
    page.goto("/advisors/?region=20&topic=financing")
    yield "directory, filtered"
    page.goto("/advisors/?region=09")
    expect(page.locator(".empty-suggestions")).to_be_visible()
    yield "directory, a region without advisors"
    page.goto("/advisors/")
    page.select_option("#id_region", "20")
    expect(page.locator("#id_municipality optgroup")).to_have_count(1)  # narrowed by htmx
    yield "directory, municipalities of the chosen region"
    page.goto("/advisors/?region=99")
    expect(page.locator("#error-summary")).to_be_visible()
    yield "directory, a filter in error"
    anna = advisor_id(site, "Anna Lindqvist", region="20")
    page.goto(f"/advisors/{anna}/")
    yield "advisor page"
    page.goto(f"/advisors/{anna}/?start={next_open_day(TUESDAY, weeks_ahead=3)}&duration=60")
    expect(page.locator(".picker-day").first).to_be_visible()
    yield "advisor page, later days by the date field"
    page.goto(f"/advisors/{anna}/?start=2026-02-30")
    expect(page.locator(".picker-errors")).to_be_visible()
    yield "advisor page, a date that cannot be read"
    page.goto("/accounts/login/")
    yield "sign in"
    page.fill("input[name=login]", "nobody@example.se")
    page.fill("input[name=password]", "not-the-password")
    submit(page, "main form")
    yield "sign in, wrong password"
    page.goto("/accounts/signup/")
    yield "sign up"
    submit(page, "main form")
    expect(page.locator("#error-summary")).to_be_visible()
    yield "sign up, nothing filled in"
    page.goto("/accounts/password/reset/")
    yield "password reset"
    submit(page, "main form")
    expect(page.locator("#error-summary")).to_be_visible()
    yield "password reset, no address"
    page.goto("/accounts/password/reset/key/1-not-a-key/")
    yield "password link that does not work"
    page.goto(f"/advisors/{advisor_id(site, 'Anna Lindqvist', region='20')}/")
    page.locator("a.slot-link").first.click()
    expect(page.locator(".sign-in-reason")).to_be_visible()
    yield "sign in to book a time"
    page.goto("/privacy/")
    yield "privacy notice"
    page.goto("/accessibility/")
    yield "accessibility statement"
    page.goto("/help/advisors/")
    yield "help for advisors"
    page.goto("/help/coordinators/")
    yield "help for coordinators"
    page.goto("/no-such-page/")
    yield "page not found"


def entrepreneur_pages(page: Any, site: Any) -> Iterator[str]:
    """Lena Ek (entrepreneur3), one enterprise; books Erik Johansson once per language."""
    erik = advisor_id(site, "Erik Johansson", region="20")
    page.goto("/bookings/")
    yield "my bookings"
    page.goto("/bookings/enterprise/")
    yield "enterprises"
    page.locator(
        "a[href^='/bookings/enterprise/']:not([href$='/new/']):not([href='/bookings/enterprise/'])"
    ).first.click()
    expect(page.locator("a[href$='/de-minimis/']")).to_be_visible()
    yield "enterprise page with its de minimis declaration"
    page.locator("a[href$='/de-minimis/']").first.click()
    yield "de minimis declaration"
    submit(page, "form[action$='/de-minimis/']")
    expect(page.locator("#error-summary")).to_be_visible()
    yield "de minimis declaration, empty"
    page.goto("/bookings/enterprise/new/")
    yield "enterprise form"
    submit(page, "form.enterprise-form")
    expect(page.locator("#error-summary")).to_be_visible()
    yield "enterprise form, empty"

    page.goto(f"/advisors/{erik}/")
    slot_url = page.locator("a.slot-link").first.get_attribute("href")
    page.goto(slot_url)
    yield "booking step 1"
    submit(page, "form.booking-form")
    expect(page.locator("#error-summary")).to_be_visible()
    yield "booking step 1, nothing chosen"
    by_phone = page.locator("input[name=mode][value=phone]")
    if by_phone.count():
        by_phone.check()
        expect(page.locator("#id_phone")).to_be_visible()  # asked for once "Phone" is chosen
        yield "booking step 1, by phone"
    page.locator("#id_topic").select_option(index=1)
    page.locator("input[name=mode]").first.check()
    page.fill("#id_message", "Vi söker finansiering för en ny verksamhet.")
    page.locator("#id_interpreter_language").select_option("sgn-SE")
    page.locator("#id_step_free").check()
    submit(page, "form.booking-form")
    # htmx swaps the answer in: wait for step 2 or the interpreter's refusal.
    refused = page.locator("#id_interpreter_language_error")
    expect(page.locator("form input[name=step][value=confirm]").or_(refused)).to_have_count(1)
    if refused.count():
        # The first free time is sooner than an interpreter can be booked.
        yield "booking step 1, an interpreter too soon"
        page.locator("#id_interpreter_language").select_option("")
        submit(page, "form.booking-form")
    expect(page.locator("form input[name=step][value=confirm]")).to_have_count(1)
    yield "booking step 2"
    submit(page, "form:has(input[name=step][value=confirm])")
    expect(page.locator("a[href$='/invite.ics']")).to_be_visible()
    yield "booking confirmed"
    detail = re.search(r"/bookings/[0-9a-f-]{36}/", page.url)[0]
    page.goto(f"{detail}reschedule/")
    yield "move the session"
    page.goto(f"{detail}reschedule/?start={next_open_day(TUESDAY, weeks_ahead=3)}")
    expect(page.locator("form.slot-picker")).to_be_visible()
    yield "move the session, later days"
    page.goto(f"{detail}reschedule/")
    submit(page, "form.slot-picker")
    expect(page.locator("#confirm-title")).to_be_visible()
    yield "move the session, confirm"
    page.goto(slot_url)
    yield "booking a time just taken"
    page.goto(f"{detail}cancel/")
    yield "cancel the session"
    submit(page, "form.cancel-form")
    expect(page.locator(".messages")).to_be_visible()
    yield "my bookings, after cancelling"
    page.goto(detail)
    yield "a cancelled session"
    page.goto("/bookings/")
    page.locator("section[aria-labelledby=past-title] .booking-card h3 a").last.click()
    expect(page.locator("h1")).to_be_visible()
    yield "a past session"
    page.goto("/bookings/")
    feedback = page.locator("section[aria-labelledby=past-title] a[href$='/feedback/']")
    if feedback.count():
        feedback.first.click()
        expect(page.locator("form.feedback-form")).to_be_visible()
        yield "feedback on a session"
    page.goto("/bookings/new/?advisor=999999&start=2030-01-01T10:00:00%2B01:00")
    yield "booking refused"

    page.goto("/bookings/waitlist/")
    yield "waitlists"
    page.goto(f"/bookings/waitlist/join/?advisor={erik}")
    yield "join a waitlist"
    page.goto("/account/")
    yield "account: your details"
    page.fill("#id_full_name", "")
    page.fill("#id_phone", "ring mig")
    submit(page, "form.account-form")
    expect(page.locator("#error-summary")).to_be_visible()
    yield "account: your details, in error"
    page.goto("/accounts/email/")
    yield "account: email address"
    page.goto("/accounts/password/change/")
    yield "account: password"
    submit(page, "form.account-form")
    expect(page.locator("#error-summary")).to_be_visible()
    yield "account: password, in error"
    page.goto("/accounts/2fa/")
    yield "account: two-factor authentication"
    page.goto("/accounts/2fa/totp/activate/")
    if "/reauthenticate/" in page.url:  # not asked again within allauth's five minutes
        yield "account: confirm it is you"
        page.fill("input[name=password]", DEMO_PASSWORD)
        submit(page, "form.account-form")
    expect(page.locator("img[src^='data:image/svg+xml']")).to_be_visible()
    yield "account: two-factor set-up"
    submit(page, "form.account-form")
    expect(page.locator("#error-summary")).to_be_visible()
    yield "account: two-factor set-up, no code"


def advisor_pages(page: Any, site: Any) -> Iterator[str]:
    """Erik Johansson (advisor2.dalarna), with a year of past sessions."""
    page.goto("/advisor/")
    yield "calendar"
    page.locator("a[rel=next]").first.click()
    yield "calendar, next week"
    page.goto("/advisor/?week=2101-W01")
    expect(page.locator("#error-summary")).to_be_visible()
    yield "calendar, a week out of range"
    page.goto("/advisor/hours/")
    yield "weekly hours"
    page.fill("#id_day6_start_1", "09:00")  # a Sunday start without an end
    submit(page, "form.hours-form")
    expect(page.locator("#error-summary")).to_be_visible()
    yield "weekly hours, in error"
    page.goto("/advisor/hours/")
    page.locator(".more-intervals summary").first.click()
    expect(page.locator("#id_day0_start_3")).to_be_visible()
    yield "weekly hours, an interval added"
    page.fill("#id_day0_start_1", "08:00")
    page.fill("#id_day0_end_1", "11:00")
    page.locator("button[name=copy_monday]").click()  # js/weekly-hours.js copies in the page
    expect(page.locator("#copy-monday-status")).not_to_be_empty()
    expect(page.locator("#id_day4_start_1")).to_have_value("08:00")
    yield "weekly hours, Monday copied"
    page.goto("/advisor/overrides/")
    day = next_open_day(SATURDAY, weeks_ahead=6)
    page.fill("#id_date", day.isoformat())
    submit(page, "form.rules-form")  # neither hours nor closed
    expect(page.locator("#error-summary")).to_be_visible()
    yield "hours on dates, in error"
    page.fill("#id_date", day.isoformat())
    page.check("#id_closed")
    submit(page, "form.rules-form")
    expect(page.locator("table.rules-table")).to_be_visible()
    yield "hours on dates"
    page.goto("/advisor/time-off/")
    page.fill("#id_start_date", (day + timedelta(days=2)).isoformat())
    page.fill("#id_end_date", (day + timedelta(days=3)).isoformat())
    page.fill("#id_reason", "Kurs")
    submit(page, "form.rules-form")
    expect(page.locator("table.rules-table")).to_be_visible()
    yield "time off"
    page.goto("/advisor/settings/")
    yield "booking settings"
    page.goto("/advisor/profile/")
    yield "profile"
    page.goto("/calendar/settings/")
    yield "calendar feed"
    page.locator("button[name=action][value=rotate]").click()
    page.wait_for_load_state()
    page.locator("button.copy-button").click()
    expect(page.locator("#feed-url-status")).not_to_be_empty()
    yield "calendar feed, a new address copied"
    page.goto("/bookings/advisor/")
    yield "advisor's bookings"
    page.locator("section[aria-labelledby=upcoming-title] .booking-card a").first.click()
    expect(page.locator("h1")).to_be_visible()
    yield "an upcoming session"
    page.goto("/bookings/advisor/")
    page.locator("section[aria-labelledby=past-title] .outcome-details summary").first.press("Enter")
    expect(page.locator("section[aria-labelledby=past-title] form.outcome-form").first).to_be_visible()
    yield "advisor's bookings, an outcome form opened"
    page.locator("section[aria-labelledby=past-title] .booking-card h4 a").first.click()
    expect(page.locator("form.outcome-form")).to_be_visible()
    yield "a past session, its outcome"
    page.goto(f"/bookings/advisor/?day={next_open_day(TUESDAY, weeks_ahead=2)}")
    yield "advisor's bookings of a day"
    page.goto(f"/advisors/{advisor_id(site, 'Erik Johansson', region='20')}/")
    page.goto(page.locator("a.slot-link").first.get_attribute("href"))
    yield "booking, not for advisors"
    page.goto("/coordinator/advisors/")
    yield "coordinator's page, not for advisors"
    page.locator("footer a[href='/help/advisors/']").click()
    expect(page.locator("h1")).to_be_visible()
    yield "help for advisors, signed in"


def coordinator_pages(page: Any, site: Any) -> Iterator[str]:
    """Karin Dahl, coordinator for Dalarna."""
    page.goto("/statistics/")
    expect(page.locator("h1")).to_be_visible()
    yield "statistics"
    page.goto("/coordinator/advisors/")
    yield "advisors of the region"
    submit(page, "form[action$='/coordinator/advisors/']")
    expect(page.locator("#error-summary")).to_be_visible()
    yield "invite an advisor, empty"
    page.goto("/coordinator/advisors/")
    page.locator("a[href$='/deactivate/']").first.click()
    expect(page.locator("form[action$='/deactivate/'] button")).to_be_visible()
    yield "deactivate an advisor? (asked first)"
    page.locator("nav a[href='/coordinator/projects/']").first.click()
    expect(page.locator("h1")).to_be_visible()
    yield "funding projects"
    page.goto("/coordinator/projects/new/")
    yield "new funding project"
    submit(page, "form.project-form")
    expect(page.locator("#error-summary")).to_be_visible()
    yield "new funding project, empty"
    page.fill("#id_name", "Starkare sociala företag")
    page.select_option("#id_funder", "erdf")
    page.fill("#id_start", "2027-01-01")
    page.fill("#id_end", "2027-12-31")
    page.fill("#id_hourly_aid_value_sek", "1000")
    page.fill("#id_period_1_start", "2027-01-01")
    page.fill("#id_period_1_end", "2027-06-30")
    page.fill("#id_period_2_start", "2027-07-01")
    page.fill("#id_period_2_end", "2027-12-31")
    submit(page, "form.project-form")
    expect(page.locator("h1")).to_have_text("Starkare sociala företag")
    yield "a funding project"
    page.goto("/coordinator/projects/")
    page.locator("tr", has_text="Starkare sociala företag i Dalarna").locator("a[href$='/report/']").click()
    expect(page.locator("#indicators")).to_be_visible()
    yield "a funding project's report"
    page.locator("#indicators tr[data-indicator=sessions_held] td a").last.click()
    expect(page.locator("#behind")).to_be_visible()
    yield "the bookings behind a figure"
    page.locator(".back-link a").click()
    page.select_option("#id_period", "1")  # last year's first half: seed_demo closed it
    submit(page, "form.stats-period")
    expect(page.locator("#snapshot")).to_be_visible()
    yield "a funding project's report, a closed period"
    # seed_demo leaves the last period that is over open: this year's first
    # half from July, else last year's second half.
    page.select_option("#id_period", "3" if datetime.now(ZoneInfo("Europe/Stockholm")).month >= 7 else "2")
    submit(page, "form.stats-period")
    expect(page.locator("form.close-form")).to_be_visible()
    yield "a funding project's report, a period that is over"
    submit(page, "form.export-form")  # no reason given: nothing leaves
    expect(page.locator("#error-summary")).to_be_visible()
    yield "the participant list's export, no reason"
    page.goto("/advisor/")
    yield "advisor's page, not for coordinators"
    page.locator("footer a[href='/help/coordinators/']").click()
    expect(page.locator("h1")).to_be_visible()
    yield "help for coordinators, signed in"
    page.goto("/privacy/")
    yield "privacy notice, signed in"


# --- The tests ----------------------------------------------------------------------


def test_pages_for_visitors_pass_axe(site, new_page):
    walk_in_both_languages(new_page(), site, visitor_pages)


def test_pages_for_entrepreneurs_pass_axe(site, new_page):
    page = new_page()
    sign_in(page, "entrepreneur3@example.se")
    walk_in_both_languages(page, site, entrepreneur_pages)


def offer_pages(page: Any, site: Any) -> Iterator[str]:
    page.goto("/bookings/waitlist/")
    expect(page.locator(".offer")).to_be_visible()
    yield "waitlists, a time held for you"
    submit(page, ".offer form")  # no way of meeting chosen
    expect(page.locator("#error-summary")).to_be_visible()
    yield "waitlists, a claim in error"

    # Johan moves his hours to the afternoons (the same change in each
    # language's walk): the held hour is gone, and a claim shows his other
    # free times in the picker.
    moved = site.api("advisor2.kronoberg@example.se").patch(
        site.url("/api/v1/me/availability/"),
        json={
            "overrides": [],
            "weekly_hours": [{"weekday": d, "start": "13:00", "end": "15:00"} for d in range(5)],
        },
        timeout=30,
    )
    assert moved.status_code == 200, moved.text
    page.goto("/bookings/waitlist/")
    page.locator(".offer input[name$='-mode'][value=in_person]").check()
    submit(page, ".offer form")
    expect(page.locator(".other-times .chip").first).to_be_visible()
    yield "waitlists, the held time gone"


def test_a_waitlist_offer_passes_axe(site, new_page):
    # Johan Berg's last free hour is booked by Noor Rahimi; Ahmed Ali joins his
    # waitlist, and Noor's cancellation offers him the hour.
    johan, noors = one_hour_left(
        site,
        advisor_email="advisor2.kronoberg@example.se",
        name="Johan Berg",
        region="07",
        booker_email="entrepreneur5@example.se",
        topic="financing",
    )
    joined = site.api("entrepreneur2@example.se").post(
        site.url("/api/v1/waitlist/"), json={"advisor": johan}, timeout=30
    )
    assert joined.status_code == 201, joined.text
    cancelled = site.api("entrepreneur5@example.se").post(
        site.url(f"/api/v1/bookings/{noors}/cancel/"), json={"reason": ""}, timeout=30
    )
    assert cancelled.status_code == 200, cancelled.text

    page = new_page()
    sign_in(page, "entrepreneur2@example.se")
    walk_in_both_languages(page, site, offer_pages)


def test_pages_for_advisors_pass_axe(site, new_page):
    # An upcoming session for the advisor's list and its page, booked by Mikael Holm.
    erik = advisor_id(site, "Erik Johansson", region="20")
    day = next_open_day(TUESDAY, weeks_ahead=2)  # Erik works Tuesday to Friday
    mikael = site.api("entrepreneur4@example.se")
    slots = mikael.get(
        site.url(f"/api/v1/advisors/{erik}/slots/?start={day}&end={day}&duration=60"), timeout=30
    ).json()["slots"]
    booked = mikael.post(
        site.url("/api/v1/bookings/"),
        json={
            "advisor": erik,
            "start": slots[0]["start"],
            "duration": 60,
            "topic": "financing",
            "mode": "video",
        },
        timeout=30,
    )
    assert booked.status_code == 201, booked.text

    page = new_page()
    sign_in(page, "advisor2.dalarna@example.se")
    walk_in_both_languages(page, site, advisor_pages)


def test_pages_for_coordinators_pass_axe(site, new_page):
    page = new_page()
    sign_in(page, "coordinator.dalarna@example.se")
    walk_in_both_languages(page, site, coordinator_pages)

"""Whole journeys through the pages in a real browser (issues 7 and 15): a new
entrepreneur from sign-up to a cancelled session, booking, moving and
cancelling by keyboard alone (printing the confirmation on the way); the
advisor page on a phone, short with its free-time picker; an entrepreneur who
joins a waitlist and claims the freed time by keyboard; an advisor who opens a
Saturday and sees it booked; and a coordinator who downloads last quarter's
statistics as a spreadsheet."""

from __future__ import annotations

import io
import re
import secrets
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from openpyxl import load_workbook
from playwright.sync_api import expect

from reporting.measures import BREAKDOWNS
from tests.e2e.helpers import advisor_id, focused, next_open_day, one_hour_left, sign_in, tab_to

pytestmark = [pytest.mark.e2e, pytest.mark.services]

WEDNESDAY, SATURDAY = 2, 5
# Anna Lindqvist's page at 390 px with the demo data measured 3,622 px before
# the picker and 2,396 px with it (two rows of chips a day); the bound leaves
# room for a day with evening hours or a longer bio, not for stacked times.
PHONE_PAGE_MAX_PX = 2_800
STOCKHOLM = ZoneInfo("Europe/Stockholm")
UID_IN_PATH = re.compile(r"/bookings/([0-9a-f-]{36})/")


def test_a_new_entrepreneur_signs_up_books_by_keyboard_moves_and_cancels(site, new_page):
    page = new_page()
    email = f"ny.{secrets.token_hex(4)}@example.se"

    # From the start page's call to action to a free time, which needs an account.
    page.goto("/")
    page.get_by_role("link", name="Hitta en rådgivare").click()
    expect(page).to_have_url(re.compile(r"/advisors/$"))

    # Sign up with a name and the language of mail, and confirm the address
    # with the link in the mail, which greets by name under the service's name.
    page.goto("/accounts/signup/")
    page.fill("input[name=full_name]", "Maria Svensson")
    page.fill("input[name=email]", email)
    expect(page.locator("input[name=language][value=sv]")).to_be_checked()  # the page's language
    page.fill("input[name=password1]", "Kooperativ-Falun-2026")
    page.fill("input[name=password2]", "Kooperativ-Falun-2026")
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/accounts/confirm-email/$"))
    expect(page.locator("h1")).to_have_text("Titta i din e-post")
    mail = site.wait_for_mail(email)
    text = site.text_of(mail)
    assert text.startswith("Hej Maria,"), text
    assert "Välkommen till Rådtid!" in text and "Hej från" not in text
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", text)
    assert link, text
    assert link[0].startswith(site.base_url)
    page.goto(link[0])
    expect(page.locator("main")).to_contain_text(f"Är {email} din e-postadress?")
    page.locator("main form button[type=submit]").click()
    # Signed in, the entrepreneur lands on their bookings.
    expect(page.locator("form[action$='/accounts/logout/']")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/bookings/$"))
    expect(page.locator("h1")).to_have_text("Mina bokningar")
    expect(page.locator(".messages")).to_contain_text("Du är inloggad som Maria Svensson.")

    # Describe the enterprise.
    page.goto("/bookings/enterprise/new/")
    page.fill("#id_name", "Återbruket i Falun")
    page.select_option("#id_kind", "work_integrating")
    page.select_option("#id_municipality", "2080")  # Falun
    page.locator("form.enterprise-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/bookings/enterprise/$"))
    expect(page.locator("main")).to_contain_text("Återbruket i Falun")

    # Find Anna Lindqvist among the advisors of Dalarna.
    page.goto("/advisors/")
    page.select_option("#id_region", "20")  # Dalarna
    # With JavaScript the municipalities narrow to Dalarna's own.
    expect(page.locator("#id_municipality optgroup")).to_have_count(1)
    page.locator("form.directory-filters button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"[?&]region=20\b"))
    cards = page.locator(".advisor-card")
    expect(cards).to_have_count(3)
    expect(cards.filter(has_text="Kronoberg")).to_have_count(0)
    # exact: the card's next free time is a link named "Boka Anna Lindqvist, …" too.
    page.get_by_role("link", name="Anna Lindqvist", exact=True).click()
    expect(page.locator("h1")).to_have_text("Anna Lindqvist")

    # Book with the keyboard alone: Tab to the first free time, Enter, and so on.
    tab_to(page, "a.slot-link")
    chosen = parse_qs(urlsplit(focused(page, "el.href")).query)
    start = datetime.fromisoformat(chosen["start"][0])
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Boka ett möte")
    tab_to(page, "#id_topic")
    page.keyboard.press("ArrowDown")  # from "Choose a topic" to the first topic
    assert focused(page, "el.value") != ""
    tab_to(page, "input[name=mode]")
    page.keyboard.press("Space")
    assert focused(page, "el.checked")
    tab_to(page, "#id_message")
    page.keyboard.type("Vi vill anställa två personer till i vår. Hur söker vi lönebidrag?")
    tab_to(page, "form.booking-form button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Kontrollera din bokning")
    expect(page.locator("main")).to_contain_text("lönebidrag")
    tab_to(page, "form:has(input[name=step][value=confirm]) button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Ditt möte är bokat")

    # The calendar file: the event, with the booking's UID, at the chosen time.
    ics_link = page.locator("a[href$='/invite.ics']")
    uid = UID_IN_PATH.search(ics_link.get_attribute("href"))[1]
    with page.expect_download() as download:
        ics_link.click()
    data = Path(download.value.path()).read_bytes()
    assert b"BEGIN:VEVENT" in data
    events = list(Calendar.from_ical(data).walk("VEVENT"))
    assert len(events) == 1
    assert str(events[0]["UID"]) == f"{uid}@127.0.0.1"
    assert events[0].decoded("DTSTART") == start

    # Or straight into Google Calendar or Outlook: the same event, filled in.
    google = page.locator(f"a[href='/bookings/{uid}/add-to/google/']")
    expect(google).to_have_text("Google Kalender")
    expect(page.locator(f"a[href='/bookings/{uid}/add-to/outlook/']")).to_have_text("Outlook.com")
    answer = page.request.get(google.get_attribute("href"), max_redirects=0)
    assert answer.status == 302
    filled_in = parse_qs(urlsplit(answer.headers["location"]).query)
    assert filled_in["text"] == [str(events[0]["SUMMARY"])] == ["Rådgivning med Anna Lindqvist"]
    assert filled_in["details"] == [str(events[0]["DESCRIPTION"])]
    end = events[0].decoded("DTEND")
    assert filled_in["dates"] == [f"{start.astimezone(UTC):%Y%m%dT%H%M%SZ}/{end:%Y%m%dT%H%M%SZ}"]

    # Printed, the confirmation is the booking and the calendar file's link, nothing else.
    page.emulate_media(media="print")
    for chrome in ("header nav", "footer", "form.language-switch", ".back-link"):
        expect(page.locator(chrome)).to_be_hidden()
    expect(page.locator(".booking-facts")).to_be_visible()
    expect(ics_link).to_be_visible()
    expect(google).to_be_hidden()
    expect(page.locator(f"a[href='/bookings/{uid}/cancel/']")).to_be_hidden()
    assert "invite.ics" in page.evaluate(
        "el => getComputedStyle(el, '::after').content", ics_link.element_handle()
    )  # the link's address is printed after its text
    page.emulate_media(media="screen")

    # My bookings: move the session to another time; it keeps its uid.
    page.locator("header nav a[href='/bookings/']").click()
    expect(page.locator("h1")).to_have_text("Mina bokningar")
    page.locator(f"a[href='/bookings/{uid}/reschedule/']").click()
    expect(page.locator("h1")).to_have_text("Flytta mötet")
    # By keyboard: Tab to the first free time (its current time is not
    # offered), Enter; the page asks, naming the old time and the new.
    tab_to(page, "form.slot-picker button[name=start]")
    new_start = datetime.fromisoformat(focused(page, "el.value"))
    assert new_start != start
    page.keyboard.press("Enter")
    question = page.locator("#confirm-title")
    # (Playwright matches in JavaScript, whose \w knows no å: hence \S.)
    expect(question).to_have_text(
        re.compile(r"^Flytta från \S+dag \d+ \S+( \d{4})? kl\. \d\d\.\d\d till .+\?\s*$")
    )
    expect(page.locator("main")).not_to_contain_text("Ditt möte är bokat")
    tab_to(page, "form.move-confirm-form button[type=submit]")
    assert focused(page, "el.textContent") == "Ja, flytta mötet"
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Ditt möte är bokat")
    expect(page.locator(".booking-facts time").first).to_have_attribute(
        "datetime", new_start.astimezone(STOCKHOLM).isoformat()
    )
    assert UID_IN_PATH.search(page.locator("a[href$='/invite.ics']").get_attribute("href"))[1] == uid

    # ... and cancel it, by keyboard too: the reason, past "Keep the booking"
    # (the way back, reachable first), to the cancel button.
    tab_to(page, f"a[href='/bookings/{uid}/cancel/']")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Vill du avboka mötet?")
    tab_to(page, "textarea[name=reason]")
    page.keyboard.type("Vi hittade svaret själva.")
    tab_to(page, "form.cancel-form a.button", limit=3)
    assert focused(page, "el.textContent") == "Behåll bokningen"
    assert focused(page, "el.getAttribute('href')") == f"/bookings/{uid}/"
    tab_to(page, "form.cancel-form button[type=submit]", limit=3)
    assert focused(page, "el.textContent") == "Avboka"
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Mina bokningar")
    past = page.locator("section[aria-labelledby=past-title]")
    expect(past.locator(f"a[href='/bookings/{uid}/']")).to_have_count(1)
    expect(past).to_contain_text("Avbokat")
    expect(page.locator("section[aria-labelledby=upcoming-title] .booking-card")).to_have_count(0)


def test_the_advisor_page_on_a_phone_is_short_and_picks_later_days_by_date(site, new_page):
    page = new_page(width=390, height=844)
    page.goto(f"/advisors/{advisor_id(site, 'Anna Lindqvist', region='20')}/")

    # One week of free times as compact chips, empty days left out.
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < PHONE_PAGE_MAX_PX, height
    days = page.locator(".picker-day")
    assert 1 <= days.count() <= 7
    expect(page.locator(".picker-day:not(:has(.chip))")).to_have_count(0)  # no empty day is shown
    chip = page.locator("a.chip").first.bounding_box()
    assert chip["width"] >= 44 and chip["height"] >= 44, chip

    # A later day by the date field, without JavaScript's help: the form is a GET.
    later = next_open_day(WEDNESDAY, weeks_ahead=3)
    page.fill("#picker-start", later.isoformat())
    page.locator("form.picker-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"[?&]start={later}\b"))
    first = page.locator(".picker-day h3 time").first
    expect(first).to_have_attribute("datetime", later.isoformat())


def test_an_entrepreneur_joins_a_waitlist_and_claims_the_freed_time_by_keyboard(site, new_page):
    # Amir Karimi has one hour left in the next two weeks, and Noor Rahimi books it.
    amir, noors = one_hour_left(
        site,
        advisor_email="advisor3.kronoberg@example.se",
        name="Amir Karimi",
        region="07",
        booker_email="entrepreneur5@example.se",
        topic="work-integration",
    )

    # Sara Nilsson finds nothing free and joins his waitlist, by keyboard.
    page = new_page()
    sign_in(page, "entrepreneur1@example.se")
    page.goto(f"/advisors/{amir}/")
    expect(page.locator(".chip")).to_have_count(0)
    tab_to(page, f"a[href='/bookings/waitlist/join/?advisor={amir}']")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Ställ dig på väntelistan")
    tab_to(page, "main form button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Dina väntelistor")
    expect(page.locator(".waitlist-entry")).to_contain_text("Väntar")

    # Noor cancels: the hour is offered to Sara, first in line, and held for her.
    cancelled = site.api("entrepreneur5@example.se").post(
        site.url(f"/api/v1/bookings/{noors}/cancel/"), json={"reason": "Vi klarar oss."}, timeout=30
    )
    assert cancelled.status_code == 200, cancelled.text

    # The offer mail's link is her waitlist page (the e2e stack runs no
    # worker to send it; tests/notifications covers the mail).
    page.goto("/bookings/waitlist/")
    offer = page.locator(".offer")
    expect(offer.locator("h3")).to_have_text("En tid är reserverad för dig")
    # Claim it with the keyboard alone: the way of meeting is asked, not preselected.
    tab_to(page, ".offer select[name$='-topic']")
    assert focused(page, "el.value") == "work-integration" or focused(page, "el.value") != ""
    tab_to(page, ".offer input[name$='-mode']")
    assert page.locator(".offer input[name$='-mode']:checked").count() == 0
    page.keyboard.press("Space")
    if focused(page, "el.value") == "phone":
        page.keyboard.press("ArrowDown")  # Sara would rather meet than be called
    assert focused(page, "el.checked")
    chosen = focused(page, "el.value")
    tab_to(page, ".offer textarea[name$='-message']")
    page.keyboard.type("Vi vill anställa via lönebidrag.")
    tab_to(page, ".offer button[type=submit]")
    assert focused(page, "el.textContent") == "Boka den här tiden"
    page.keyboard.press("Enter")
    expect(page.locator(".messages")).to_contain_text("Du har bokat")
    expect(page.locator(".waitlist-entry")).to_contain_text("Bokat")

    # The booking is hers, at the freed hour, the way she chose.
    mine = (
        site.api("entrepreneur1@example.se")
        .get(site.url("/api/v1/bookings/?page_size=500"), timeout=30)
        .json()["results"]
    )
    claimed = [b for b in mine if b["message"] == "Vi vill anställa via lönebidrag."]
    assert len(claimed) == 1, claimed
    assert (claimed[0]["advisor"], claimed[0]["status"]) == (amir, "confirmed")
    assert claimed[0]["mode"] == chosen


def test_an_advisor_opens_a_saturday_and_sees_it_booked(site, new_page):
    page = new_page()
    sign_in(page, "advisor1.dalarna@example.se")  # Anna Lindqvist, who works weekdays
    expect(page).to_have_url(re.compile(r"/advisor/$"))  # an advisor lands on their calendar

    # Weekly hours: add a Saturday interval.
    page.goto("/advisor/hours/")
    page.fill("#id_day5_start_1", "10:00")
    page.fill("#id_day5_end_1", "14:00")
    page.get_by_role("button", name="Spara arbetstider per vecka").click()
    expect(page).to_have_url(re.compile(r"/advisor/$"))  # back to the calendar
    expect(page.locator(".messages")).to_be_visible()

    # An entrepreneur (Ahmed Ali) books the Saturday at 10:00, through the API.
    saturday = next_open_day(SATURDAY)
    anna = advisor_id(site, "Anna Lindqvist", region="20")
    ahmed = site.api("entrepreneur2@example.se")
    slots = ahmed.get(
        site.url(f"/api/v1/advisors/{anna}/slots/?start={saturday}&end={saturday}&duration=60"), timeout=30
    ).json()["slots"]
    assert slots, "the new Saturday hours give free times"
    first = slots[0]["start"]
    assert first.startswith(f"{saturday}T10:00")
    booked = ahmed.post(
        site.url("/api/v1/bookings/"),
        json={
            "advisor": anna,
            "start": first,
            "duration": 60,
            "topic": "work-integration",
            "mode": "in_person",
            "message": "Om lönebidrag.",
        },
        timeout=30,
    )
    assert booked.status_code == 201, booked.text

    # The week calendar shows the Saturday's hours, without the booked hour.
    year, week, _ = saturday.isocalendar()
    page.goto(f"/advisor/?week={year}-W{week:02d}")
    day = page.locator(f"#day-{saturday}")
    expect(day.locator(".cal-hours")).to_have_text("10.00–14.00")  # a Swedish clock
    free = day.locator(".cal-slots time").all_inner_texts()
    assert free, "free times on the Saturday"
    assert free[0] >= "11.15", free  # 10–11 is booked, and 15 minutes' buffer after it

    # ... and the booking is on the advisor's bookings page.
    day.get_by_role("link", name=re.compile("Bokningar")).click()
    expect(page).to_have_url(re.compile(rf"/bookings/advisor/\?day={saturday}$"))
    card = page.locator(".booking-card")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("Ahmed Ali")
    expect(card).to_contain_text("10.00–11.00")
    page.goto("/bookings/advisor/")
    expect(page.locator(f"#day-{saturday}")).to_contain_text("Ahmed Ali")


def test_a_coordinator_downloads_last_quarter_s_statistics(site, new_page):
    page = new_page()
    sign_in(page, "coordinator.dalarna@example.se")  # Karin Dahl, Dalarna
    expect(page).to_have_url(re.compile(r"/statistics/$"))  # a coordinator lands on the statistics

    page.locator("header nav").get_by_role("link", name="Statistik").click()
    expect(page.locator("h1")).to_have_text(re.compile(r"^Statistik för .*Dalarna"))
    page.get_by_label("Senaste kvartalet").check()
    page.locator("form.stats-period button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"[?&]period=quarter\b"))
    expect(page.locator(".stats-headlines")).to_be_visible()

    # The last whole calendar quarter before today.
    today = datetime.now(STOCKHOLM).date()
    last_day = date(today.year, (today.month - 1) // 3 * 3 + 1, 1) - timedelta(days=1)
    first_day = date(last_day.year, last_day.month - 2, 1)
    xlsx = page.locator(".stats-downloads a[href*='format=xlsx']")
    assert f"start={first_day}" in xlsx.get_attribute("href")
    assert f"end={last_day}" in xlsx.get_attribute("href")
    with page.expect_download() as download:
        xlsx.click()
    assert download.value.suggested_filename.endswith(".xlsx")
    # The downloaded file has no extension, which openpyxl wants of a path: give it the bytes.
    book = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()), read_only=True)
    sheets = book.sheetnames
    # A summary, a sheet for each breakdown, the follow-up and the definitions, in Swedish.
    assert sheets[0] == "Sammanfattning"
    assert sheets[-1] == "Definitioner"
    assert len(sheets) == 1 + len(BREAKDOWNS) + 2, sheets
    definitions = [row for row in book["Definitioner"].iter_rows(values_only=True) if any(row)]
    assert len(definitions) > 5, definitions
    summary = [cell for row in book["Sammanfattning"].iter_rows(values_only=True) for cell in row if cell]
    assert any("Dalarna" in str(cell) for cell in summary), summary

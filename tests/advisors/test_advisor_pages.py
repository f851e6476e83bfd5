"""The signed-in advisor's pages: the week calendar and the forms for weekly
hours, date overrides, time off, booking settings and the profile."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.template import engines
from django.urls import reverse

from advisors.models import Advisor, Municipality
from advisors.services_profile import ProfileError, advisor_profile_update

PAGES = [
    "advisor:calendar",
    "advisor:hours",
    "advisor:overrides",
    "advisor:time_off",
    "advisor:settings",
    "advisor:profile",
]

STOCKHOLM = ZoneInfo("Europe/Stockholm")
# Monday 1 March at 08:00 in Stockholm (CET): before the working day starts.
MONDAY_MORNING = datetime(2027, 3, 1, 7, 0, tzinfo=UTC)


@pytest.fixture
def frozen():
    """The clock stopped at Monday 1 March at 08:00 in Stockholm, four weeks
    before the spring daylight-saving change and Easter."""
    with time_machine.travel(MONDAY_MORNING, tick=False) as traveller:
        yield traveller


@pytest.fixture
def advisor_client(frozen, client, advisor):
    """Anna, signed in at the frozen time, reading the pages in English (the
    strings are English in the code; Swedish translations come later and must
    not break these tests)."""
    client.force_login(advisor.user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def week_rules(advisor: Advisor) -> list[tuple[int, time, time]]:
    return list(advisor.weekly_hours.order_by("weekday", "start").values_list("weekday", "start", "end"))


def settings_of(advisor: Advisor) -> dict:
    advisor.refresh_from_db()
    return {
        name: getattr(advisor, name)
        for name in (
            "timezone",
            "session_lengths",
            "slot_step",
            "buffer_before",
            "buffer_after",
            "min_notice_hours",
            "horizon_days",
            "max_per_day",
            "closed_on_public_holidays",
            "busy_calendar_url",
        )
    }


def day_section(html: str, day: str) -> str:
    """The HTML of one day of the week calendar."""
    return html.split(f'id="day-{day}"', 1)[1].split("</section>", 1)[0]


def local_starts(day) -> list[str]:
    """A calendar day's free slot starts as local "HH:MM" in Stockholm."""
    return [f"{s.start.astimezone(STOCKHOLM):%H:%M}" for s in day.slots]


class _PageParser(HTMLParser):
    """Collects what the accessibility checks below need from a page."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[str] = []
        self.labelled: set[str] = set()
        self.ids: set[str] = set()
        self.headings: list[int] = []
        self.summary_links: list[str] = []
        self._in_summary = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit"):
            self.controls.append(a.get("id") or f"<{tag} name={a.get('name')} without id>")
        if tag == "label" and a.get("for"):
            self.labelled.add(a["for"])
        if tag in ("h1", "h2", "h3", "h4"):
            self.headings.append(int(tag[1]))
        if tag == "div" and "error-summary" in (a.get("class") or ""):
            self._in_summary = True
        if tag == "a" and self._in_summary and a.get("href", "").startswith("#"):
            self.summary_links.append(a["href"][1:])

    def handle_endtag(self, tag):
        if tag == "div":
            self._in_summary = False


def assert_accessible(html: str) -> _PageParser:
    """Every control has a label, headings do not skip a level, and the error
    summary links to fields that exist."""
    page = _PageParser()
    page.feed(html)
    unlabelled = [c for c in page.controls if c not in page.labelled]
    assert unlabelled == []
    assert page.headings[0] == 1
    assert all(b <= a + 1 for a, b in zip(page.headings, page.headings[1:], strict=False)), page.headings
    assert all(link in page.ids for link in page.summary_links), page.summary_links
    return page


# --- Who may see the pages ---------------------------------------------------------


@pytest.mark.parametrize("name", PAGES)
def test_each_page_renders_for_the_advisor_with_the_sub_navigation(advisor_client, name):
    url = reverse(name)

    response = advisor_client.get(url)

    assert response.status_code == 200
    html = response.content.decode()
    assert f'<a href="{url}" aria-current="page">' in html
    assert html.count('aria-current="page"') == 1
    for other in PAGES:
        assert f'href="{reverse(other)}"' in html
    # Every POST form carries the CSRF token (the header's sign-out and language forms too).
    assert html.count('method="post"') == html.count('name="csrfmiddlewaretoken"')
    assert_accessible(html)


@pytest.mark.parametrize("name", PAGES)
def test_a_signed_in_entrepreneur_gets_403_and_changes_nothing(client, entrepreneur, advisor, name):
    client.force_login(entrepreneur)
    before = week_rules(advisor)

    assert client.get(reverse(name)).status_code == 403
    if name != "advisor:calendar":  # the calendar only answers GET
        assert client.post(reverse(name), {"day0_start_1": "08:00", "day0_end_1": "09:00"}).status_code == 403
    assert week_rules(advisor) == before


def test_a_coordinator_is_not_an_advisor_either(client, coordinator):
    client.force_login(coordinator.user)

    assert client.get(reverse("advisor:calendar")).status_code == 403


@pytest.mark.parametrize("name", PAGES)
def test_an_anonymous_visitor_is_sent_to_sign_in(client, db, name):
    url = reverse(name)

    response = client.get(url)

    assert response.status_code == 302
    assert response.url == f"{reverse('account_login')}?next={url}"


# --- The week calendar -------------------------------------------------------------


def test_the_week_shows_nine_oclock_slots_on_both_sides_of_the_spring_dst_change(advisor_client, advisor):
    Advisor.objects.filter(pk=advisor.pk).update(horizon_days=365, min_notice_hours=0)

    before = advisor_client.get("/advisor/?week=2027-W12")
    after = advisor_client.get("/advisor/?week=2027-W13")

    # Week 12 is Monday 22 – Sunday 28 March (clocks go forward on the 28th).
    assert before.context["monday"] == date(2027, 3, 22)
    assert after.context["monday"] == date(2027, 3, 29)
    thursday, tuesday = before.context["days"][3], after.context["days"][1]
    assert (thursday.date, tuesday.date) == (date(2027, 3, 25), date(2027, 3, 30))
    # 09:00 local both times: 08:00 UTC in winter time, 07:00 UTC in summer time.
    assert thursday.slots[0].start == datetime(2027, 3, 25, 8, 0, tzinfo=UTC)
    assert tuesday.slots[0].start == datetime(2027, 3, 30, 7, 0, tzinfo=UTC)
    assert local_starts(thursday) == local_starts(tuesday) == [
        "09:00", "09:30", "10:00", "10:30", "11:00", "13:00", "13:30", "14:00", "14:30", "15:00",
    ]  # fmt: skip
    assert '<time datetime="2027-03-25T09:00:00+01:00">09:00</time>' in before.content.decode()
    assert '<time datetime="2027-03-30T09:00:00+02:00">09:00</time>' in after.content.decode()


def test_easter_monday_and_good_friday_are_marked_as_closed_holidays(advisor_client, advisor):
    Advisor.objects.filter(pk=advisor.pk).update(horizon_days=365, min_notice_hours=0)

    response = advisor_client.get("/advisor/?week=2027-W13")
    good_friday_week = advisor_client.get("/advisor/?week=2027-W12")

    easter_monday = response.context["days"][0]
    assert easter_monday.date == date(2027, 3, 29)
    assert easter_monday.is_holiday and easter_monday.closed_for_holiday
    assert easter_monday.hours == [] and easter_monday.slots == []
    html = day_section(response.content.decode(), "2027-03-29")
    assert "Monday 29 March" in html
    assert "Public holiday" in html
    assert "Closed: public holiday" in html
    assert "<time" not in html
    # The next day is an ordinary working day with its hours and free times.
    tuesday = day_section(response.content.decode(), "2027-03-30")
    assert "Public holiday" not in tuesday and "09:00–12:00" in tuesday
    assert "Closed: public holiday" in day_section(good_friday_week.content.decode(), "2027-03-26")


def test_the_week_defaults_to_the_current_week_where_the_advisor_is(advisor_client, frozen):
    # Sunday 23:30 UTC is already Monday 00:30 in Stockholm: week 10, not 9.
    frozen.move_to(datetime(2027, 3, 7, 23, 30, tzinfo=UTC))
    response = advisor_client.get("/advisor/")

    assert response.status_code == 200
    assert response.context["monday"] == date(2027, 3, 8)
    assert [d.date.day for d in response.context["days"]] == [8, 9, 10, 11, 12, 13, 14]
    assert response.context["days"][0].is_today
    assert "Week 10: 8 March – 14 March 2027" in response.content.decode()


@pytest.mark.parametrize(
    "week",
    ["banana", "2027-W54", "2027-W00", "2026-W99", "0000-W01", "9999-W52", "2027-W5", "2027W12", "2027-w12x"],
)
def test_a_bad_week_is_a_400_that_says_why_above_the_current_week(advisor_client, week):
    response = advisor_client.get("/advisor/", {"week": week})

    assert response.status_code == 400
    assert response.context["week_form"].errors["week"]
    assert 'href="#week-input"' in response.content.decode()  # the error summary leads to the input
    assert response.context["monday"] == date(2027, 3, 1)


@pytest.mark.parametrize("week", ["1999-W52", "2101-W01", "9999-W52", "0001-W01"])
def test_a_week_outside_the_sites_dates_names_the_first_and_last_weeks(advisor_client, week):
    response = advisor_client.get("/advisor/", {"week": week})

    assert response.status_code == 400
    assert response.context["week_form"].errors["week"] == ["Give a week between 2000-W01 and 2100-W52."]


def test_the_first_and_last_weeks_link_no_further_than_the_sites_dates(advisor_client):
    first = advisor_client.get("/advisor/", {"week": "2000-W01"}).content.decode()
    last = advisor_client.get("/advisor/", {"week": "2100-W52"}).content.decode()

    assert 'rel="prev"' not in first
    assert 'href="?week=2000-W02" rel="next"' in first
    assert 'href="?week=2100-W51" rel="prev"' in last
    assert 'rel="next"' not in last


def test_the_week_links_to_the_weeks_around_it_across_a_new_year(advisor_client):
    html = advisor_client.get("/advisor/?week=2027-W01").content.decode()

    # 2026 has 53 ISO weeks; week 1 of 2027 starts on Monday 4 January.
    assert 'href="?week=2026-W53" rel="prev"' in html
    assert 'href="?week=2027-W02" rel="next"' in html
    assert 'href="?week=2027-W09"' in html  # back to this week
    assert "Monday 4 January" in html


def test_time_off_is_marked_on_its_days_and_blocks_their_free_times(advisor_client, advisor):
    Advisor.objects.filter(pk=advisor.pk).update(
        horizon_days=365,
        min_notice_hours=0,
        time_off=[
            {"start": "2027-03-30T00:00:00+02:00", "end": "2027-03-31T00:00:00+02:00", "reason": "Kurs"},
            {"start": "2027-03-31T13:00:00+02:00", "end": "2027-03-31T16:00:00+02:00", "reason": ""},
        ],
    )

    response = advisor_client.get("/advisor/?week=2027-W13")

    tuesday, wednesday = response.context["days"][1], response.context["days"][2]
    assert tuesday.slots == []
    assert local_starts(wednesday) == ["09:00", "09:30", "10:00", "10:30", "11:00"]
    html = response.content.decode()
    assert "All day: Kurs" in day_section(html, "2027-03-30")
    assert "13:00–16:00" in day_section(html, "2027-03-31").split("Time off", 1)[1]


def test_the_external_calendar_status_is_shown_in_local_time_when_a_link_is_set(advisor_client, advisor):
    plain = advisor_client.get("/advisor/").content.decode()
    Advisor.objects.filter(pk=advisor.pk).update(
        busy_calendar_url="https://outlook.example.com/anna/calendar.ics",
        busy_calendar_synced_at=datetime(2027, 2, 28, 22, 5, tzinfo=UTC),
        busy_calendar_error="The calendar server answered 404.",
    )
    linked = advisor_client.get("/advisor/").content.decode()

    assert "External calendar" not in plain
    assert "External calendar" in linked
    assert "Last read Sunday 28 February at 23:05." in linked  # CET
    assert "The external calendar could not be read: The calendar server answered 404." in linked


def test_the_bookings_block_is_there_for_each_day_for_the_bookings_app_to_fill(advisor_client):
    response = advisor_client.get("/advisor/?week=2027-W13")
    child = engines["django"].from_string(
        '{% extends "advisors/advisor/calendar.html" %}'
        '{% block bookings %}<p class="test-bookings">{{ day.date|date:"Y-m-d" }}</p>{% endblock %}'
    )

    names = response.context.keys()  # a ContextList iterates over contexts, not names
    html = child.render({name: response.context[name] for name in names}, response.wsgi_request)

    assert html.count('class="test-bookings"') == 7
    assert '<p class="test-bookings">2027-03-29</p>' in day_section(html, "2027-03-29")
    assert "test-bookings" not in response.content.decode()  # empty until then


def test_the_calendar_costs_a_fixed_number_of_queries(advisor_client, advisor, django_assert_num_queries):
    advisor_client.get("/advisor/")  # the first request may warm caches
    # Session, user, advisor, weekly hours, external busy times, bookings:
    # whatever the week's contents.
    Advisor.objects.filter(pk=advisor.pk).update(
        horizon_days=365,
        min_notice_hours=0,
        date_overrides=[{"date": "2027-03-31", "intervals": []}],
        time_off=[{"start": "2027-03-30T00:00:00+02:00", "end": "2027-03-31T00:00:00+02:00", "reason": ""}],
    )
    with django_assert_num_queries(6):
        response = advisor_client.get("/advisor/?week=2027-W13")
    assert sum(len(day.slots) for day in response.context["days"]) == 2 * 10  # Thursday and Friday


# --- Weekly hours ------------------------------------------------------------------


def hours_form(**filled: str) -> dict[str, str]:
    """The weekly hours form as a browser posts it: every field, most empty."""
    data = {f"day{d}_{edge}_{n}": "" for d in range(7) for n in range(1, 5) for edge in ("start", "end")}
    data.update(filled)
    return data


def test_the_hours_form_shows_the_current_week(advisor_client):
    html = advisor_client.get("/advisor/hours/").content.decode()

    assert 'name="day0_start_1" value="09:00"' in html
    assert 'name="day4_end_2" value="16:00"' in html
    assert 'name="day5_start_1" id="id_day5_start_1"' in html  # Saturday: empty


def test_the_hours_form_shows_the_rows_in_use_and_folds_the_empty_ones(advisor_client):
    html = advisor_client.get("/advisor/hours/").content.decode()

    monday = html.split("<legend>Monday</legend>", 1)[1].split("</fieldset>", 1)[0]
    shown, folded = monday.split('<details class="more-intervals">', 1)
    # 09–12 and 13–16 shown; rows 3 and 4 wait under "Add an interval".
    assert 'name="day0_start_2"' in shown and 'name="day0_start_3"' not in shown
    assert 'name="day0_start_3"' in folded and 'name="day0_start_4"' in folded
    assert "Add an interval" in folded
    saturday = html.split("<legend>Saturday</legend>", 1)[1].split("</fieldset>", 1)[0]
    shown, folded = saturday.split('<details class="more-intervals">', 1)
    assert 'name="day5_start_1"' in shown and 'name="day5_start_2"' in folded


def test_a_row_filled_further_down_is_shown_with_the_rows_above_it(advisor_client):
    response = advisor_client.post("/advisor/hours/", hours_form(day5_start_3="10:00"))

    saturday = response.content.decode().split("<legend>Saturday</legend>", 1)[1].split("</fieldset>", 1)[0]
    shown = saturday.split("<details", 1)[0]
    assert 'name="day5_start_3" value="10:00"' in shown  # with its error, never folded away
    assert "Give both a start and an end." in shown


def test_copying_monday_fills_tuesday_to_friday_and_saves_nothing(advisor_client, advisor):
    before = week_rules(advisor)

    response = advisor_client.post(
        "/advisor/hours/",
        hours_form(
            day0_start_1="08:00",
            day0_end_1="11:00",
            day0_start_2="12:00",
            day0_end_2="15:00",
            day3_start_3="18:00",  # Thursday's third row becomes Monday's (empty)
            day3_end_3="19:00",
            day5_start_1="10:00",  # Saturday is left alone
            day5_end_1="12:00",
            copy_monday="1",
        ),
    )

    assert response.status_code == 200
    assert week_rules(advisor) == before
    html = response.content.decode()
    assert "Monday&#x27;s hours are copied to Tuesday–Friday. Check them and save." in html
    for weekday in range(5):
        assert f'name="day{weekday}_start_1" value="08:00"' in html
        assert f'name="day{weekday}_end_2" value="15:00"' in html
    assert 'value="18:00"' not in html
    assert 'name="day5_start_1" value="10:00"' in html
    assert re.search(r'name="day6_start_1" value="[^"]', html) is None  # Sunday stays empty

    # Saving what is shown saves the copied week.
    saved = advisor_client.post(
        "/advisor/hours/",
        hours_form(
            **{
                f"day{d}_{edge}_{n}": value
                for d in range(5)
                for n, edge, value in (
                    (1, "start", "08:00"),
                    (1, "end", "11:00"),
                    (2, "start", "12:00"),
                    (2, "end", "15:00"),
                )
            },
            day5_start_1="10:00",
            day5_end_1="12:00",
        ),
    )
    assert saved.status_code == 302
    assert len(week_rules(advisor)) == 11


def test_with_javascript_the_copy_is_made_in_the_page_and_announced(advisor_client):
    html = advisor_client.get("/advisor/hours/").content.decode()

    assert "/static/js/weekly-hours.js" in html
    assert '<p id="copy-monday-status" class="copy-status" role="status"></p>' in html
    assert re.search(r'name="copy_monday"[^>]* data-copied="Monday&#x27;s hours are copied', html)


def test_copying_monday_with_bad_times_shows_their_errors_and_saves_nothing(advisor_client, advisor):
    before = week_rules(advisor)

    response = advisor_client.post(
        "/advisor/hours/", hours_form(day0_start_1="15:00", day0_end_1="14:00", copy_monday="1")
    )

    assert response.status_code == 200
    assert week_rules(advisor) == before
    html = response.content.decode()
    assert '<li><a href="#id_day2_end_1">Wednesday: The start must be before the end.</a></li>' in html
    assert_accessible(html)


def test_saving_weekly_hours_replaces_them_and_changes_the_free_times(advisor_client, advisor):
    Advisor.objects.filter(pk=advisor.pk).update(min_notice_hours=0)

    response = advisor_client.post(
        "/advisor/hours/",
        hours_form(
            day0_start_1="10:00",
            day0_end_1="11:30",
            day2_start_2="20:00",  # rows need not be filled in order
            day2_end_2="00:00",  # midnight at the end of the day
            day2_start_1="08:00",
            day2_end_1="09:00",
        ),
    )
    calendar = advisor_client.get(response.url)

    assert response.status_code == 302
    assert response.url == reverse("advisor:calendar")
    assert week_rules(advisor) == [
        (0, time(10), time(11, 30)),
        (2, time(8), time(9)),
        (2, time(20), time(0)),
    ]
    monday, tuesday, wednesday = calendar.context["days"][:3]
    assert local_starts(monday) == ["10:00", "10:30"]
    assert tuesday.hours == [] and tuesday.slots == []
    assert wednesday.hours == [("08:00", "09:00"), ("20:00", "24:00")]
    assert local_starts(wednesday) == ["08:00", "20:00", "20:30", "21:00", "21:30", "22:00", "22:30", "23:00"]
    assert "Your weekly hours are saved." in calendar.content.decode()


@pytest.mark.parametrize(
    ("filled", "field", "message"),
    [
        (
            {"day0_start_1": "09:00", "day0_end_1": "12:00", "day0_start_2": "11:00", "day0_end_2": "13:00"},
            "day0_start_1",
            "Monday: 09:00–12:00 and 11:00–13:00 overlap.",
        ),
        (
            {"day1_start_1": "15:00", "day1_end_1": "14:00"},
            "day1_end_1",
            "Tuesday: The start must be before the end.",
        ),
        (
            {"day3_start_1": "10:00", "day3_end_1": "10:00"},
            "day3_end_1",
            "Thursday: The start must be before the end.",
        ),
        ({"day4_start_2": "13:00"}, "day4_end_2", "Friday: Give both a start and an end."),
        ({"day6_start_1": "25:00", "day6_end_1": "26:00"}, "day6_start_1", "Sunday: Enter a valid time."),
    ],
)
def test_bad_weekly_hours_show_an_error_and_change_nothing(advisor_client, advisor, filled, field, message):
    before = week_rules(advisor)

    response = advisor_client.post(
        "/advisor/hours/", hours_form(day2_start_1="08:00", day2_end_1="17:00", **filled)
    )

    assert response.status_code == 200
    assert week_rules(advisor) == before
    html = response.content.decode()
    assert f'<li><a href="#id_{field}">{message}</a></li>' in html
    assert f'id="id_{field}_error"' in html  # next to the field, inside its day
    assert f'aria-invalid="true" aria-describedby="id_{field}_error" id="id_{field}"' in html
    assert_accessible(html)


# --- Date overrides ----------------------------------------------------------------


def test_other_hours_on_easter_monday_open_it_and_show_in_the_list_and_week(advisor_client, advisor):
    Advisor.objects.filter(pk=advisor.pk).update(horizon_days=365, min_notice_hours=0)

    response = advisor_client.post(
        "/advisor/overrides/",
        {
            "date": "2027-03-29",
            "start_1": "10:00",
            "end_1": "12:00",
            "start_2": "14:00",
            "end_2": "15:00",
        },
    )
    page = advisor_client.get("/advisor/overrides/").content.decode()
    week = advisor_client.get("/advisor/?week=2027-W13")

    assert response.status_code == 302
    assert response.url == reverse("advisor:overrides")
    advisor.refresh_from_db()
    assert advisor.date_overrides == [
        {
            "date": "2027-03-29",
            "intervals": [{"start": "10:00", "end": "12:00"}, {"start": "14:00", "end": "15:00"}],
        }
    ]
    assert "The hours for Monday 29 March are saved." in page
    assert '<th scope="row">Monday 29 March</th>' in page
    assert "10:00–12:00, 14:00–15:00" in page
    easter_monday = week.context["days"][0]
    assert easter_monday.has_override and not easter_monday.closed_for_holiday
    assert local_starts(easter_monday) == ["10:00", "10:30", "11:00", "14:00"]


def test_a_date_can_be_closed_all_day_and_saving_it_again_replaces_it(advisor_client, advisor):
    advisor_client.post("/advisor/overrides/", {"date": "2027-03-03", "start_1": "08:00", "end_1": "09:00"})
    advisor_client.post("/advisor/overrides/", {"date": "2027-03-03", "closed": "on"})
    week = advisor_client.get("/advisor/?week=2027-W09")

    advisor.refresh_from_db()
    assert advisor.date_overrides == [{"date": "2027-03-03", "intervals": []}]
    wednesday = week.context["days"][2]
    assert wednesday.hours == [] and wednesday.slots == []
    assert "Other hours this date" in day_section(week.content.decode(), "2027-03-03")


def test_deleting_an_override_keeps_the_others(advisor_client, advisor):
    Advisor.objects.filter(pk=advisor.pk).update(
        date_overrides=[
            {"date": "2027-03-10", "intervals": []},
            {"date": "2027-12-23", "intervals": [{"start": "10:00", "end": "12:00"}]},
        ]
    )

    response = advisor_client.post("/advisor/overrides/", {"delete_date": "2027-03-10"}, follow=True)

    advisor.refresh_from_db()
    assert advisor.date_overrides == [
        {"date": "2027-12-23", "intervals": [{"start": "10:00", "end": "12:00"}]}
    ]
    html = response.content.decode()
    assert "The hours for Wednesday 10 March are removed." in html
    assert "Wednesday 10 March 2027" not in html
    assert "Thursday 23 December" in html


def test_past_overrides_are_not_listed_but_are_kept(advisor_client, advisor):
    past = {"date": "2027-02-01", "intervals": []}
    Advisor.objects.filter(pk=advisor.pk).update(date_overrides=[past])

    page = advisor_client.get("/advisor/overrides/").content.decode()
    advisor_client.post("/advisor/overrides/", {"date": "2027-03-02", "closed": "on"})

    assert "1 February 2027" not in page
    assert "You have no other hours on coming dates." in page
    advisor.refresh_from_db()
    assert advisor.date_overrides == [past, {"date": "2027-03-02", "intervals": []}]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"date": "2027-02-28", "closed": "on"}, "date", "Choose today or a later date."),
        ({"date": "2027-03-04"}, "start_1", "Give the hours for this date, or mark it as closed all day."),
        (
            {"date": "2027-03-04", "closed": "on", "start_1": "10:00", "end_1": "11:00"},
            "closed",
            "Either mark the day as closed or give its hours, not both.",
        ),
        (
            {
                "date": "2027-03-04",
                "start_1": "10:00",
                "end_1": "12:00",
                "start_2": "11:00",
                "end_2": "13:00",
            },
            "start_2",
            "10:00–12:00 and 11:00–13:00 overlap.",
        ),
        (
            {"date": "2027-03-04", "start_1": "12:00", "end_1": "10:00"},
            "end_1",
            "The start must be before the end.",
        ),
        ({"date": "4/3 2027", "closed": "on"}, "date", "Enter a valid date."),
    ],
)
def test_a_bad_override_shows_an_error_and_changes_nothing(advisor_client, advisor, data, field, message):
    Advisor.objects.filter(pk=advisor.pk).update(date_overrides=[{"date": "2027-12-23", "intervals": []}])

    response = advisor_client.post("/advisor/overrides/", data)

    assert response.status_code == 200
    advisor.refresh_from_db()
    assert advisor.date_overrides == [{"date": "2027-12-23", "intervals": []}]
    html = response.content.decode()
    assert f'<a href="#id_{field}">' in html
    assert message in html
    assert_accessible(html)


# --- Time off ----------------------------------------------------------------------


def test_whole_days_off_are_saved_in_the_advisors_time_zone(advisor_client, advisor):
    response = advisor_client.post(
        "/advisor/time-off/", {"start_date": "2027-07-01", "end_date": "2027-08-01", "reason": "Semester"}
    )
    page = advisor_client.get(response.url).content.decode()

    assert response.status_code == 302
    assert response.url == reverse("advisor:time_off")
    advisor.refresh_from_db()
    # From the start of the first day to the end of the last, as in DESIGN.md.
    assert advisor.time_off == [
        {"start": "2027-07-01T00:00:00+02:00", "end": "2027-08-02T00:00:00+02:00", "reason": "Semester"}
    ]
    assert "The time off is saved." in page
    assert '<time datetime="2027-07-01T00:00:00+02:00">Thursday 1 July at 00:00</time>' in page
    assert "Semester" in page


def test_time_off_with_times_blocks_that_part_of_the_day(advisor_client, advisor):
    Advisor.objects.filter(pk=advisor.pk).update(horizon_days=365, min_notice_hours=0)

    advisor_client.post(
        "/advisor/time-off/",
        {
            "start_date": "2027-03-30",
            "start_time": "13:00",
            "end_date": "2027-03-30",
            "end_time": "16:00",
        },
    )
    week = advisor_client.get("/advisor/?week=2027-W13")

    advisor.refresh_from_db()
    assert advisor.time_off == [
        {"start": "2027-03-30T13:00:00+02:00", "end": "2027-03-30T16:00:00+02:00", "reason": ""}
    ]
    assert local_starts(week.context["days"][1]) == ["09:00", "09:30", "10:00", "10:30", "11:00"]


def test_a_time_off_start_in_the_spring_gap_moves_forward_an_hour(advisor_client, advisor):
    advisor_client.post(
        "/advisor/time-off/",
        {
            "start_date": "2027-03-28",
            "start_time": "02:30",
            "end_date": "2027-03-28",
            "end_time": "12:00",
        },
    )

    advisor.refresh_from_db()
    assert advisor.time_off[0]["start"] == "2027-03-28T03:30:00+02:00"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {
                "start_date": "2027-04-02",
                "start_time": "12:00",
                "end_date": "2027-04-02",
                "end_time": "09:00",
            },
            "The end must be after the start.",
        ),
        ({"start_date": "2027-04-02", "end_date": "2027-04-01"}, "The end must be after the start."),
        ({"start_date": "2027-02-01", "end_date": "2027-02-05"}, "This time has already passed."),
    ],
)
def test_time_off_that_ends_too_early_is_refused(advisor_client, advisor, data, message):
    response = advisor_client.post("/advisor/time-off/", data)

    assert response.status_code == 200
    advisor.refresh_from_db()
    assert advisor.time_off == []
    html = response.content.decode()
    assert f'<li><a href="#id_end_date">Last day: {message}</a></li>' in html
    assert_accessible(html)


def test_deleting_time_off_keeps_the_rest_and_past_time_off_is_not_listed(advisor_client, advisor):
    past = {"start": "2027-01-04T00:00:00+01:00", "end": "2027-01-09T00:00:00+01:00", "reason": "Sportlov"}
    summer = {"start": "2027-07-01T00:00:00+02:00", "end": "2027-08-02T00:00:00+02:00", "reason": "Semester"}
    course = {"start": "2027-04-05T08:00:00+02:00", "end": "2027-04-05T17:00:00+02:00", "reason": "Kurs"}
    Advisor.objects.filter(pk=advisor.pk).update(time_off=[past, course, summer])

    page = advisor_client.get("/advisor/time-off/").content.decode()
    response = advisor_client.post(
        "/advisor/time-off/", {"delete_start": course["start"], "delete_end": course["end"]}, follow=True
    )

    assert "Sportlov" not in page and "Kurs" in page and "Semester" in page
    advisor.refresh_from_db()
    assert advisor.time_off == [past, summer]
    html = response.content.decode()
    assert "The time off is removed." in html
    assert "Kurs" not in html


def test_deleting_time_off_that_is_not_there_changes_nothing(advisor_client, advisor):
    summer = {"start": "2027-07-01T00:00:00+02:00", "end": "2027-08-02T00:00:00+02:00", "reason": "Semester"}
    Advisor.objects.filter(pk=advisor.pk).update(time_off=[summer])

    response = advisor_client.post("/advisor/time-off/", {"delete_start": "nonsense", "delete_end": "x"})

    assert response.status_code == 302
    advisor.refresh_from_db()
    assert advisor.time_off == [summer]


# --- Booking settings --------------------------------------------------------------


def settings_form(**changed: str | list[str] | None) -> dict[str, str | list[str]]:
    data = {
        "timezone": "Europe/Stockholm",
        "session_lengths": "60",
        "slot_step": "30",
        "buffer_before": "0",
        "buffer_after": "15",
        "min_notice_hours": "24",
        "horizon_days": "90",
        "max_per_day": "6",
        "closed_on_public_holidays": "on",
        "busy_calendar_url": "",
    }
    data.update(changed)
    return {k: v for k, v in data.items() if v is not None}


def test_the_settings_form_shows_the_current_settings(advisor_client):
    html = advisor_client.get("/advisor/settings/").content.decode()

    assert '<option value="Europe/Stockholm" selected>' in html
    assert re.search(r'<input type="checkbox" name="session_lengths" value="60"[^>]* checked>', html)
    assert not re.search(r'<input type="checkbox" name="session_lengths" value="30"[^>]* checked>', html)
    for minutes in (15, 30, 45, 90, 120):
        assert f'name="session_lengths" value="{minutes}"' in html
    assert 'name="horizon_days" value="90" min="1" max="365"' in html
    assert 'name="closed_on_public_holidays" id="id_closed_on_public_holidays" checked' in html


def test_saving_settings_updates_them(advisor_client, advisor):
    response = advisor_client.post(
        "/advisor/settings/",
        settings_form(
            timezone="Europe/Helsinki",
            session_lengths=["30", "90"],
            slot_step="15",
            buffer_before="5",
            buffer_after="10",
            min_notice_hours="2",
            horizon_days="365",
            max_per_day="",
            closed_on_public_holidays=None,
        ),
        follow=True,
    )

    assert response.redirect_chain == [(reverse("advisor:settings"), 302)]
    assert "Your booking settings are saved." in response.content.decode()
    assert settings_of(advisor) == {
        "timezone": "Europe/Helsinki",
        "session_lengths": [30, 90],
        "slot_step": 15,
        "buffer_before": 5,
        "buffer_after": 10,
        "min_notice_hours": 2,
        "horizon_days": 365,
        "max_per_day": None,
        "closed_on_public_holidays": False,
        "busy_calendar_url": "",
    }


def test_a_stored_length_outside_the_usual_ones_stays_offered_and_kept(advisor_client, advisor):
    # 25 and 60 were set through the API, 60 first: the default length.
    Advisor.objects.filter(pk=advisor.pk).update(session_lengths=[60, 25])

    html = advisor_client.get("/advisor/settings/").content.decode()
    assert re.search(r'name="session_lengths" value="25"[^>]* checked>', html)
    assert "25 minutes" in html

    response = advisor_client.post("/advisor/settings/", settings_form(session_lengths=["15", "25", "60"]))

    assert response.status_code == 302
    # Kept lengths keep their order (60 stays the default); the new one follows.
    assert settings_of(advisor)["session_lengths"] == [60, 25, 15]


def test_at_most_six_session_lengths_are_offered(advisor_client, advisor):
    Advisor.objects.filter(pk=advisor.pk).update(session_lengths=[25])
    before = settings_of(advisor)

    all_of_them = ["15", "25", "30", "45", "60", "90", "120"]
    response = advisor_client.post("/advisor/settings/", settings_form(session_lengths=all_of_them))

    assert response.status_code == 200
    assert "Offer at most 6 session lengths." in response.content.decode()
    assert settings_of(advisor) == before


@pytest.mark.parametrize(
    ("changed", "field", "message"),
    [
        ({"session_lengths": ["30", "7"]}, "session_lengths", "Choose session lengths from the list."),
        ({"session_lengths": ["30", "thirty"]}, "session_lengths", "Choose session lengths from the list."),
        ({"session_lengths": ["30", "30"]}, "session_lengths", "Each session length once, please."),
        ({"session_lengths": None}, "session_lengths", "Choose at least one session length."),
        ({"session_lengths": ""}, "session_lengths", "Choose at least one session length."),
        ({"horizon_days": "400"}, "horizon_days", "Ensure this value is less than or equal to 365."),
        ({"slot_step": "1"}, "slot_step", "Ensure this value is greater than or equal to 5."),
        ({"max_per_day": "0"}, "max_per_day", "Ensure this value is greater than or equal to 1."),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone", "Select a valid choice."),
        ({"busy_calendar_url": "ftp://example.com/cal.ics"}, "busy_calendar_url", "Enter a valid URL."),
    ],
)
def test_bad_settings_show_an_error_and_change_nothing(advisor_client, advisor, changed, field, message):
    before = settings_of(advisor)

    # A valid change to another field rides along: it must not be saved either.
    response = advisor_client.post("/advisor/settings/", settings_form(buffer_after="30", **changed))

    assert response.status_code == 200
    assert settings_of(advisor) == before
    html = response.content.decode()
    assert f'<a href="#id_{field}">' in html
    assert message in html
    assert_accessible(html)


def test_a_new_busy_calendar_link_is_saved_and_read_after_commit(
    advisor_client, advisor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = advisor_client.post(
            "/advisor/settings/", settings_form(busy_calendar_url="webcal://calendar.example.com/anna.ics")
        )

    assert response.status_code == 302
    assert settings_of(advisor)["busy_calendar_url"] == "webcal://calendar.example.com/anna.ics"
    assert len(callbacks) == 1  # the sync task, queued once the rules are committed


def test_the_settings_page_shows_the_busy_calendars_status(advisor_client, advisor):
    Advisor.objects.filter(pk=advisor.pk).update(
        busy_calendar_url="webcal://calendar.example.com/anna.ics",
        busy_calendar_checked_at=datetime(2027, 3, 1, 6, 45, tzinfo=UTC),
        busy_calendar_synced_at=datetime(2027, 3, 1, 6, 30, tzinfo=UTC),
    )

    html = advisor_client.get("/advisor/settings/").content.decode()

    assert 'value="webcal://calendar.example.com/anna.ics"' in html
    assert "Last read Monday 1 March at 07:30." in html
    assert "Last checked Monday 1 March at 07:45." in html
    assert "could not be read" not in html


# --- Profile -----------------------------------------------------------------------


def profile_form(**changed) -> dict:
    data = {
        "title": "Affärsrådgivare",
        "organisation": "Coompanion Dalarna",
        "bio": "",
        "offers_in_person": "on",
        "address": "Åsgatan 23, Falun",
        "accessibility_note": "",
        "offers_phone": "on",
        "phone": "",
        "offers_video": "on",
        "meeting_url": "https://meet.example.se/anna",
    }
    data.update(changed)
    return {k: v for k, v in data.items() if v is not None}


def test_saving_the_profile_updates_the_advisor_and_their_choices(advisor_client, advisor):
    response = advisor_client.post(
        "/advisor/profile/",
        profile_form(
            title="Rådgivare, sociala företag",
            bio="Jag hjälper arbetsintegrerande sociala företag.",
            topics=["1", "2"],
            languages=["sv", "ar"],
            municipalities=["2080", "2081"],
            offers_video=None,
            meeting_url="",
            phone="023-123 45",
        ),
        follow=True,
    )

    assert response.redirect_chain == [(reverse("advisor:profile"), 302)]
    assert "Your profile is saved." in response.content.decode()
    advisor.refresh_from_db()
    assert advisor.title == "Rådgivare, sociala företag"
    assert advisor.meeting_modes == ["in_person", "phone"]
    assert advisor.phone == "023-123 45"
    assert sorted(advisor.topics.values_list("pk", flat=True)) == [1, 2]
    assert sorted(advisor.languages.values_list("code", flat=True)) == ["ar", "sv"]
    assert sorted(advisor.municipalities.values_list("code", flat=True)) == ["2080", "2081"]


def test_the_profile_offers_only_the_advisors_own_municipalities(advisor_client, advisor):
    html = advisor_client.get("/advisor/profile/").content.decode()

    assert 'value="2080"' in html  # Falun, Dalarna
    assert 'value="0780"' not in html  # Växjö, Kronoberg
    response = advisor_client.post("/advisor/profile/", profile_form(municipalities=["0780"]))
    assert response.status_code == 200
    assert '<a href="#id_municipalities">' in response.content.decode()
    assert not advisor.municipalities.exists()


@pytest.mark.parametrize(
    ("changed", "field", "message"),
    [
        ({"address": "  "}, "address", "Give the address where you meet in person."),
        ({"meeting_url": ""}, "meeting_url", "Give the link to your video meetings."),
        (
            {"offers_in_person": None, "offers_phone": None, "offers_video": None},
            "offers_in_person",
            "Offer at least one way to meet: in person, by phone or by video.",
        ),
        ({"meeting_url": "not a link"}, "meeting_url", "Enter a valid URL."),
    ],
)
def test_each_meeting_mode_needs_its_detail_and_one_is_needed(
    advisor_client, advisor, changed, field, message
):
    response = advisor_client.post("/advisor/profile/", profile_form(title="Changed title", **changed))

    assert response.status_code == 200
    advisor.refresh_from_db()
    assert advisor.title == "Affärsrådgivare"
    assert advisor.meeting_modes == ["in_person", "phone", "video"]
    html = response.content.decode()
    assert f'<a href="#id_{field}">' in html
    assert message in html
    assert_accessible(html)


def test_every_profile_error_is_shown_at_once(advisor_client):
    response = advisor_client.post(
        "/advisor/profile/", profile_form(organisation="", address="", meeting_url="not a link")
    )

    summary = response.content.decode().split('class="error-summary"', 1)[1].split("</div>", 1)[0]
    assert summary.count("<li>") == 3
    for field in ("organisation", "address", "meeting_url"):
        assert f'href="#id_{field}"' in summary
    assert "Enter a valid URL." in summary
    assert "Give the link to your video meetings." not in summary  # it was given, badly


def test_an_advisor_open_on_public_holidays_has_hours_on_easter_monday(advisor_client, advisor):
    Advisor.objects.filter(pk=advisor.pk).update(
        horizon_days=365, min_notice_hours=0, closed_on_public_holidays=False
    )

    response = advisor_client.get("/advisor/?week=2027-W13")

    easter_monday = response.context["days"][0]
    assert easter_monday.is_holiday and not easter_monday.closed_for_holiday
    assert easter_monday.hours == [("09:00", "12:00"), ("13:00", "16:00")]
    html = day_section(response.content.decode(), "2027-03-29")
    assert "Public holiday" in html and "Closed" not in html
    assert '<time datetime="2027-03-29T09:00:00+02:00">09:00</time>' in html


def test_the_profile_service_refuses_another_regions_municipality_and_changes_nothing(advisor):
    with pytest.raises(ProfileError) as raised:
        advisor_profile_update(
            advisor=advisor,
            data={"title": "Ny titel", "municipalities": Municipality.objects.filter(code="0780")},
        )

    assert list(raised.value.errors) == ["municipalities"]
    advisor.refresh_from_db()
    assert advisor.title == "Affärsrådgivare"
    assert not advisor.municipalities.exists()


def test_the_profile_service_checks_the_modes_against_what_is_stored(advisor):
    # Only the flag is given: the stored (empty) meeting link is what is checked.
    Advisor.objects.filter(pk=advisor.pk).update(offers_video=False, meeting_url="")

    with pytest.raises(ProfileError) as raised:
        advisor_profile_update(advisor=advisor, data={"offers_video": True})

    assert list(raised.value.errors) == ["meeting_url"]
    advisor.refresh_from_db()
    assert advisor.offers_video is False

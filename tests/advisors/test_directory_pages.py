"""The public directory (/advisors/) and an advisor's page (/advisors/<id>/).

Time is frozen on Tuesday 1 December at 09:00 in Stockholm. The factories'
advisors work Monday to Friday 09–12 and 13–16 with 24 hours' notice, so the
first free time is Wednesday 2 December at 09:00.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from advisors.models import Advisor, Municipality, Topic
from tests import factories

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def en_client(client, db):
    """A visitor who chose English with the language switch."""
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/advisors/"})
    assert response.status_code == 302
    return client


def listed(response) -> set[int]:
    return {row["advisor"].pk for row in response.context["results"]}


# --- The directory ---------------------------------------------------------------


def test_the_directory_lists_only_active_advisors(client, advisor, other_advisor):
    hidden = factories.AdvisorFactory(user__full_name="Dolda Rådgivaren", is_active=False)
    gone = factories.AdvisorFactory(user__full_name="Borta Kontot", user__is_active=False)

    response = client.get("/advisors/")

    html = response.content.decode()
    assert response.status_code == 200
    assert listed(response) == {advisor.pk, other_advisor.pk}
    assert "Anna Lindqvist" in html and "Erik Berg" in html
    assert hidden.user.full_name not in html and gone.user.full_name not in html
    assert f'href="/advisors/{advisor.pk}/"' in html


def test_each_advisor_shows_what_they_offer_and_their_next_free_time(en_client, advisor):
    advisor.topics.set(Topic.objects.filter(slug__in=["financing", "starting-up"]))
    advisor.languages.set(["sv", "ar"])
    advisor.offers_phone = False
    advisor.save()

    html = en_client.get("/advisors/").content.decode()

    for text in ("Anna Lindqvist", "Affärsrådgivare", "Coompanion Dalarna", "Dalarnas län"):
        assert text in html
    assert "Financing" in html and "Starting up" in html
    assert "Swedish" in html and "Arabic" in html
    assert "In person, Video" in html
    assert '<time datetime="2026-12-02T09:00:00+01:00">Wednesday 2 December at 09:00</time>' in html
    assert re.search(r'role="status"[^>]*>\s*1 advisor found\.', html)


def test_the_next_free_time_is_shown_in_the_advisors_time_zone(en_client, advisor):
    advisor.timezone = "Europe/Helsinki"
    advisor.save()

    html = en_client.get("/advisors/").content.decode()

    # Now is 10:00 in Helsinki, so with 24 hours' notice Wednesday's first
    # time is 10:00 there, 09:00 in Stockholm; the advisor's own clock is shown.
    assert '<time datetime="2026-12-02T10:00:00+02:00">Wednesday 2 December at 10:00</time>' in html


def test_an_advisor_away_for_all_their_hours_has_no_free_time(en_client):
    factories.AdvisorFactory(
        user__full_name="Borta Länge",
        time_off=[{"start": "2000-01-01T00:00:00+00:00", "end": "2100-01-01T00:00:00+00:00", "reason": ""}],
    )

    html = en_client.get("/advisors/").content.decode()

    assert "Borta Länge" in html
    assert "No free time in the next two months" in html


def test_an_advisor_without_any_hours_is_not_listed(client, advisor):
    empty = factories.AdvisorFactory(user__full_name="Utan Tider", week=[])

    assert listed(client.get("/advisors/")) == {advisor.pk}
    assert client.get(f"/advisors/{empty.pk}/").status_code == 200  # the page is still there


def test_the_directory_filters_by_region(client, advisor, other_advisor):
    assert listed(client.get("/advisors/", {"region": "20"})) == {advisor.pk}
    assert listed(client.get("/advisors/", {"region": "07"})) == {other_advisor.pk}
    assert listed(client.get("/advisors/", {"region": "01"})) == set()


def test_an_advisor_serves_the_whole_region_unless_they_list_municipalities(client, advisor, other_advisor):
    falun_only = factories.AdvisorFactory(user__full_name="Bara Falun", region_id="20")
    falun_only.municipalities.set(Municipality.objects.filter(code__in=["2080", "2081"]))

    assert listed(client.get("/advisors/", {"municipality": "2080"})) == {advisor.pk, falun_only.pk}
    assert listed(client.get("/advisors/", {"municipality": "2081"})) == {advisor.pk, falun_only.pk}
    assert listed(client.get("/advisors/", {"municipality": "2085"})) == {advisor.pk}  # Ludvika
    assert listed(client.get("/advisors/", {"municipality": "0780"})) == {other_advisor.pk}  # Växjö
    assert listed(client.get("/advisors/", {"region": "20", "municipality": "2085"})) == {advisor.pk}


def test_the_directory_filters_by_topic_mode_and_language(client, advisor, other_advisor):
    advisor.topics.set(Topic.objects.filter(slug="financing"))
    advisor.languages.set(["sv", "ar"])
    advisor.offers_video = False
    advisor.save()
    other_advisor.topics.set(Topic.objects.filter(slug="starting-up"))
    other_advisor.languages.set(["sv"])
    other_advisor.offers_in_person = False
    other_advisor.save()

    assert listed(client.get("/advisors/", {"topic": "financing"})) == {advisor.pk}
    assert listed(client.get("/advisors/", {"topic": "starting-up"})) == {other_advisor.pk}
    assert listed(client.get("/advisors/", {"mode": "video"})) == {other_advisor.pk}
    assert listed(client.get("/advisors/", {"mode": "in_person"})) == {advisor.pk}
    assert listed(client.get("/advisors/", {"mode": "phone"})) == {advisor.pk, other_advisor.pk}
    assert listed(client.get("/advisors/", {"language": "ar"})) == {advisor.pk}
    assert listed(client.get("/advisors/", {"language": "sv", "mode": "phone", "region": "07"})) == {
        other_advisor.pk
    }


def test_empty_filters_mean_any(client, advisor, other_advisor):
    query = {"region": "", "municipality": "", "topic": "", "mode": "", "language": ""}

    assert listed(client.get("/advisors/", query)) == {advisor.pk, other_advisor.pk}


def test_the_filter_form_offers_all_regions_and_municipalities_grouped_by_region(client, db):
    html = client.get("/advisors/").content.decode()

    region_select = html[html.index('name="region"') : html.index("</select>", html.index('name="region"'))]
    assert region_select.count("<option") == 21 + 1  # and "any"
    municipality_select = html[
        html.index('name="municipality"') : html.index("</select>", html.index('name="municipality"'))
    ]
    assert municipality_select.count("<optgroup") == 21
    assert municipality_select.count("<option") == 290 + 1
    assert '<optgroup label="Dalarnas län">' in municipality_select
    assert '<label for="id_municipality">' in html


def test_a_municipality_chooses_its_region_so_an_old_link_naming_another_is_no_error(
    en_client, advisor, other_advisor
):
    # Växjö is in Kronoberg (07), not Dalarna (20): the municipality wins.
    response = en_client.get("/advisors/", {"region": "20", "municipality": "0780"})

    html = response.content.decode()
    assert response.status_code == 200
    assert listed(response) == {other_advisor.pk}
    assert not response.context["form"].errors
    assert '<option value="07" selected>' in html
    assert '<option value="0780" selected>' in html
    # A municipality alone shows its region chosen too.
    alone = en_client.get("/advisors/", {"municipality": "2080"})
    assert listed(alone) == {advisor.pk}
    assert '<option value="20" selected>' in alone.content.decode()


def test_an_unknown_municipality_is_an_error_whatever_the_region(en_client, advisor):
    response = en_client.get("/advisors/", {"region": "20", "municipality": "2099"})

    assert response.status_code == 400
    assert "municipality" in response.context["form"].errors


def test_choosing_a_region_narrows_the_municipalities_with_htmx(client, db):
    html = client.get("/advisors/").content.decode()
    region_select = html[html.index("<select") : html.index(">", html.index("<select"))]
    assert 'hx-get="/advisors/municipalities/"' in region_select
    assert 'hx-target="#id_municipality"' in region_select
    assert "/static/vendor/htmx.min.js" in html

    narrowed = client.get("/advisors/municipalities/", {"region": "20", "municipality": "2080"})

    select = narrowed.content.decode()
    assert narrowed.status_code == 200
    assert select.strip().startswith('<select name="municipality"') and 'id="id_municipality"' in select
    assert select.count("<optgroup") == 1 and '<optgroup label="Dalarnas län">' in select
    assert select.count("<option") == 15 + 1  # Dalarna's 15 and "any"
    assert '<option value="2080" selected>' in select


@pytest.mark.parametrize(
    "query",
    [{}, {"region": ""}, {"region": "99"}, {"region": "x" * 5000}, {"region": "07", "municipality": "2080"}],
)
def test_municipalities_of_no_region_or_another_are_all_or_the_regions_own_never_a_500(client, db, query):
    response = client.get("/advisors/municipalities/", query)

    select = response.content.decode()
    assert response.status_code == 200
    if query.get("region") == "07":
        assert select.count("<optgroup") == 1 and "selected" not in select.replace('value="" selected', "")
    else:
        assert select.count("<optgroup") == 21 and select.count("<option") == 290 + 1


def test_regions_without_advisors_are_marked_and_their_empty_answer_helps(en_client, advisor):
    html = en_client.get("/advisors/").content.decode()
    region_select = html[html.index('name="region"') : html.index("</select>", html.index('name="region"'))]
    assert '<option value="20">Dalarnas län</option>' in region_select
    assert '<option value="09">Gotlands län (no advisors yet)</option>' in region_select

    response = en_client.get("/advisors/", {"region": "09", "topic": "financing"})

    page = response.content.decode()
    assert response.status_code == 200
    assert "There are no advisors in Gotlands län yet." in page
    assert 'href="/advisors/?topic=financing&amp;mode=video"' in page
    assert 'href="/advisors/">All advisors</a>' in page


def test_a_region_with_advisors_that_match_nothing_else_says_so(en_client, advisor):
    page = en_client.get("/advisors/", {"region": "20", "language": "ar"}).content.decode()

    assert "No advisor matches all your choices." in page
    assert "There are no advisors in" not in page


def test_the_next_free_time_on_a_card_books_it_straight_away(en_client, advisor):
    advisor.session_lengths = [45, 90]
    advisor.save()

    html = en_client.get("/advisors/").content.decode()

    link = re.search(r'<a class="next-free-link" href="([^"]+)">(.*?)</a>', html)
    assert link is not None
    assert link[1] == (
        f"/bookings/new/?advisor={advisor.pk}&amp;start=2026-12-02T09%3A00%3A00%2B01%3A00&amp;duration=45"
    )
    # Its accessible name says whom and when.
    name = re.sub(r"<[^>]+>", "", link[2])
    assert name == "Book Anna Lindqvist, Wednesday 2 December at 09:00"
    booking_page = en_client.get(link[1].replace("&amp;", "&"))
    assert booking_page.status_code in (200, 302)  # the booking flow (sign in first)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"region": "xx"}, "region"),
        ({"region": "99"}, "region"),
        ({"municipality": "9999"}, "municipality"),
        ({"topic": "no-such-topic"}, "topic"),
        ({"mode": "carrier-pigeon"}, "mode"),
        ({"language": "zz"}, "language"),
    ],
)
def test_a_filter_that_cannot_be_read_gives_a_form_error_not_a_500(en_client, advisor, query, field):
    response = en_client.get("/advisors/", query)

    html = response.content.decode()
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert 'class="error-summary"' in html and "There is a problem" in html
    assert f'href="#id_{field}"' in html
    assert 'aria-invalid="true"' in html
    assert "Anna Lindqvist" not in html


def test_a_page_number_that_cannot_be_read_shows_a_page_instead_of_failing(client, advisor):
    for page in ("abc", "0", "999"):
        response = client.get("/advisors/", {"page": page})
        assert response.status_code == 200
        assert listed(response) == {advisor.pk}


def test_the_directory_shows_twenty_advisors_a_page_and_the_page_links_keep_the_filters(client, db):
    factories.AdvisorFactory.create_batch(21, region_id="20")
    factories.AdvisorFactory(region_id="07")

    first = client.get("/advisors/", {"region": "20"})
    second = client.get("/advisors/", {"region": "20", "page": "2"})

    assert len(first.context["results"]) == 20
    assert len(second.context["results"]) == 1
    assert 'href="?region=20&amp;page=2"' in first.content.decode()
    assert 'href="?region=20&amp;page=1"' in second.content.decode()


def test_the_directory_costs_the_same_queries_for_one_advisor_or_many(client, advisor):
    # Regions, municipalities, topics, languages, the count, the page of
    # advisors and their topics, languages and weekly hours, external busy
    # times, and one query per registered source of bookings.
    with CaptureQueriesContext(connection) as one:
        client.get("/advisors/")
    factories.AdvisorFactory.create_batch(5, region_id="20")
    with CaptureQueriesContext(connection) as six:
        response = client.get("/advisors/")

    assert len(response.context["results"]) == 6
    assert len(six) == len(one) <= 11


# --- One advisor's page ----------------------------------------------------------


def test_the_advisor_page_shows_the_profile(en_client, advisor):
    advisor.bio = "Hjälper kooperativ att växa."
    advisor.accessibility_note = "Entré utan trappsteg, hörslinga."
    advisor.save()
    advisor.topics.set(Topic.objects.filter(slug="financing"))
    advisor.languages.set(["sv", "en"])

    response = en_client.get(f"/advisors/{advisor.pk}/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Anna Lindqvist</h1>" in html
    for text in (
        "Hjälper kooperativ att växa.",
        "Financing",
        "English, Swedish",
        "In person, Phone, Video",
        "Åsgatan 23, Falun",
        "Entré utan trappsteg, hörslinga.",
        "The whole region (Dalarnas län)",
    ):
        assert text in html


def test_the_advisor_page_lists_the_municipalities_served(client, advisor):
    advisor.municipalities.set(Municipality.objects.filter(code__in=["2080", "2081"]))

    html = client.get(f"/advisors/{advisor.pk}/").content.decode()

    assert "Borlänge, Falun" in html


def test_the_address_is_not_shown_when_the_advisor_does_not_meet_in_person(client, advisor):
    advisor.offers_in_person = False
    advisor.save()

    html = client.get(f"/advisors/{advisor.pk}/").content.decode()

    assert "Åsgatan 23" not in html


def test_the_advisor_page_shows_the_free_times_of_a_week_day_by_day_leaving_out_empty_days(
    en_client, advisor
):
    response = en_client.get(f"/advisors/{advisor.pk}/", {"week": "2026-W50"})

    html = response.content.decode()
    assert response.status_code == 200
    headings = re.findall(r"<h3[^>]*><time[^>]*>([^<]+)</time></h3>", html)
    # The weekend has no free times, so it has no heading either.
    assert headings == [
        "Monday 7 December",
        "Tuesday 8 December",
        "Wednesday 9 December",
        "Thursday 10 December",
        "Friday 11 December",
    ]
    monday = html.split("<h3")[1]
    starts = re.findall(
        r'<a class="chip slot-link" [^>]*>.*?<time datetime="2026-12-07T([0-9:]{5}):00\+01:00">', monday
    )
    assert starts == [
        "09:00",
        "09:30",
        "10:00",
        "10:30",
        "11:00",
        "13:00",
        "13:30",
        "14:00",
        "14:30",
        "15:00",
    ]
    assert "Saturday 12 December" not in html and "No free times" not in html
    assert "Free times from Monday 7 December to Sunday 13 December" in html
    assert 'href="?start=2026-11-30&amp;duration=60"' not in html  # before today
    assert 'href="?start=2026-12-01&amp;duration=60"' in html  # previous week: from today
    assert 'href="?start=2026-12-14&amp;duration=60"' in html  # next week


def test_each_free_time_is_a_chip_named_by_its_day_and_time(en_client, advisor):
    html = en_client.get(f"/advisors/{advisor.pk}/", {"start": "2026-12-07"}).content.decode()

    chip = re.search(r'<a class="chip slot-link" href="([^"]+)">(.*?)</a>', html)
    assert chip is not None
    assert "start=2026-12-07T09%3A00%3A00%2B01%3A00" in chip[1]
    name = re.sub(r"<[^>]+>", "", chip[2])
    assert name == "Book Monday 7 December, 09:00–10:00"
    assert '<span class="visually-hidden">Book Monday 7 December, </span>' in chip[2]


def test_the_picker_has_a_date_field_for_later_days(en_client, advisor):
    html = en_client.get(f"/advisors/{advisor.pk}/", {"start": "2027-01-12"}).content.decode()

    assert '<form method="get" action="/advisors/' in html
    assert '<label for="picker-start">Show free times from</label>' in html
    assert re.search(
        r'<input type="date" name="start" id="picker-start" value="2027-01-12" min="2026-12-01" max="2027-03-01"',
        html,
    )
    assert "Free times from Tuesday 12 January 2027 to Monday 18 January 2027" in html
    assert "2027-01-11T" not in html


def test_without_a_week_the_page_starts_at_the_first_free_day_with_notice_respected(client, advisor):
    response = client.get(f"/advisors/{advisor.pk}/")

    html = response.content.decode()
    assert response.status_code == 200
    # Swedish writes the clock with a full stop, slot chips included.
    # Today (Tuesday) is within the 24 hours' notice; Wednesday 09:00 is the first time,
    # and the seven days shown start there.
    assert "2026-12-01T" not in html
    assert '<time datetime="2026-12-02T09:00:00+01:00">09.00</time>' in html
    assert '<time datetime="2026-12-08T15:00:00+01:00">15.00</time>' in html
    assert "2026-12-09T" not in html
    assert "Inga lediga tider före onsdag 2 december." in html


def test_a_start_date_shows_seven_days_from_it(client, advisor):
    html = client.get(f"/advisors/{advisor.pk}/", {"start": "2026-12-10"}).content.decode()

    assert '<time datetime="2026-12-10T09:00:00+01:00">09.00</time>' in html
    assert '<time datetime="2026-12-16T09:00:00+01:00">09.00</time>' in html
    assert "2026-12-09T" not in html and "2026-12-17T" not in html


def test_the_visitor_chooses_among_the_advisors_session_lengths(en_client, advisor):
    advisor.session_lengths = [30, 90]
    advisor.save()

    default = en_client.get(f"/advisors/{advisor.pk}/", {"week": "2026-W50"}).content.decode()
    long = en_client.get(f"/advisors/{advisor.pk}/", {"week": "2026-W50", "duration": "90"}).content.decode()

    ends_at_noon = '<span class="visually-hidden">–<time datetime="2026-12-07T12:00:00+01:00">12:00<'
    assert ">11:30</time>" + ends_at_noon in default
    assert '>11:30</time><span class="visually-hidden">' not in long  # no time starts at 11:30
    assert ">10:30</time>" + ends_at_noon in long
    assert '<option value="90" selected>90 minutes</option>' in long
    assert 'href="?start=2026-12-14&amp;duration=90"' in long


@pytest.mark.parametrize(
    "query",
    [
        {"week": "2026-W60"},
        {"week": "last week"},
        {"week": "9999-W52"},
        {"start": "2026-02-30"},
        {"start": "0001-01-01"},
        {"duration": "45"},
        {"duration": "sixty"},
    ],
)
def test_a_week_or_length_that_cannot_be_read_falls_back_with_a_message(en_client, advisor, query):
    response = en_client.get(f"/advisors/{advisor.pk}/", query)

    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="message message-warning' in html
    assert 'aria-describedby="picker-errors"' in html
    assert "Free times from Wednesday 2 December to Tuesday 8 December" in html
    assert '<time datetime="2026-12-02T09:00:00+01:00">09:00</time>' in html


def test_an_empty_week_is_skipped_saying_from_when_the_times_are_free(en_client, advisor):
    advisor.time_off = [
        {"start": "2026-12-01T00:00:00+01:00", "end": "2026-12-14T00:00:00+01:00", "reason": ""}
    ]
    advisor.save()

    html = en_client.get(f"/advisors/{advisor.pk}/").content.decode()

    assert html.count("No free times before Monday 14 December.") == 1
    assert "Free times from Monday 14 December to Sunday 20 December" in html
    assert '<time datetime="2026-12-14T09:00:00+01:00">09:00</time>' in html
    assert "Join the waitlist" not in html


def test_an_advisor_with_nothing_free_points_to_the_waitlist(en_client, advisor):
    advisor.time_off = [
        {"start": "2026-12-01T00:00:00+01:00", "end": "2027-06-01T00:00:00+02:00", "reason": ""}
    ]
    advisor.save()

    response = en_client.get(f"/advisors/{advisor.pk}/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "No free time in the two months from Tuesday 1 December." in html
    assert f'href="/bookings/waitlist/join/?advisor={advisor.pk}"' in html
    assert "chip" not in html


def test_a_date_beyond_the_advisors_horizon_falls_back_to_today_with_a_message(en_client, advisor):
    response = en_client.get(f"/advisors/{advisor.pk}/", {"start": "2027-06-01"})

    html = response.content.decode()
    assert response.status_code == 200
    assert (
        "This advisor takes bookings up to Monday 1 March 2027, so the free times from today are shown."
        in html
    )
    assert "Free times from Wednesday 2 December to Tuesday 8 December" in html


@pytest.mark.parametrize("change", [{"is_active": False}, {"user__is_active": False}])
def test_an_inactive_advisor_has_no_page(client, advisor, change):
    if "is_active" in change:
        Advisor.objects.filter(pk=advisor.pk).update(is_active=False)
    else:
        type(advisor.user).objects.filter(pk=advisor.user_id).update(is_active=False)

    assert client.get(f"/advisors/{advisor.pk}/").status_code == 404


def test_an_unknown_advisor_has_no_page(client, db):
    assert client.get("/advisors/999999/").status_code == 404


def test_the_pages_work_in_english_after_choosing_english(client, advisor):
    swedish = client.get(f"/advisors/{advisor.pk}/", {"week": "2026-W50"}).content.decode()
    assert '<html lang="sv">' in swedish
    assert "måndag 7 december" in swedish

    response = client.post("/i18n/setlang/", {"language": "en", "next": f"/advisors/{advisor.pk}/"})
    assert response.status_code == 302

    english = client.get(f"/advisors/{advisor.pk}/", {"week": "2026-W50"}).content.decode()
    assert '<html lang="en">' in english
    assert "Monday 7 December" in english
    assert "Free times" in english
    directory = client.get("/advisors/").content.decode()
    assert '<html lang="en">' in directory
    assert "Find an advisor" in directory

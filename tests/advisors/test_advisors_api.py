"""The directory, slots and availability endpoints of the HTTP contract."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine

from advisors import busy
from advisors.availability import Interval
from advisors.models import Advisor, ExternalBusy, Language, Topic
from advisors.selectors import next_available
from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.usefixtures("frozen_clock")  # at NOW (tests/conftest.py)

# Monday 1 March 2027, 07:00 in Stockholm.
NOW = datetime(2027, 3, 1, 6, 0, tzinfo=UTC)


@pytest.fixture
def open_advisor(advisor) -> Advisor:
    """Anna, bookable from now on: no notice, a year ahead, hourly slots, no buffers."""
    Advisor.objects.filter(pk=advisor.pk).update(
        min_notice_hours=0, horizon_days=365, slot_step=60, buffer_after=0
    )
    advisor.refresh_from_db()
    return advisor


def availability_body(**over) -> dict:
    body = {
        "timezone": "Europe/Stockholm",
        "weekly_hours": [
            {"weekday": 0, "start": "09:00", "end": "12:00"},
            {"weekday": 0, "start": "13:00", "end": "16:00"},
            {"weekday": 2, "start": "17:00", "end": "20:00"},
        ],
        "overrides": [
            {"date": "2027-03-10", "intervals": [{"start": "10:00", "end": "12:00"}]},
            {"date": "2027-03-15", "intervals": []},
        ],
        "time_off": [
            {"start": "2027-07-01T00:00:00+02:00", "end": "2027-08-02T00:00:00+02:00", "reason": "Semester"}
        ],
        "session_lengths": [30, 60],
        "slot_step": 30,
        "buffer_before": 0,
        "buffer_after": 15,
        "min_notice_hours": 24,
        "horizon_days": 90,
        "max_per_day": 6,
        "closed_on_public_holidays": True,
        "busy_calendar_url": None,
    }
    body.update(over)
    return body


# --- GET, PUT, PATCH /api/v1/me/availability/ ---------------------------------------


def test_an_advisor_reads_and_replaces_their_availability(advisor):
    api = client_for(advisor.user)

    response = api.put("/api/v1/me/availability/", availability_body(), format="json")

    assert response.status_code == 200, response.json()
    got = api.get("/api/v1/me/availability/").json()
    for key, value in availability_body().items():
        if key != "time_off":
            assert got[key] == value, key
    assert got["time_off"][0]["reason"] == "Semester"
    assert datetime.fromisoformat(got["time_off"][0]["start"]) == datetime.fromisoformat(
        "2027-07-01T00:00:00+02:00"
    )
    advisor.refresh_from_db()
    assert advisor.weekly_hours.count() == 3
    assert advisor.session_lengths == [30, 60]


def test_the_new_rules_drive_the_slots(advisor, client):
    client_for(advisor.user).put(
        "/api/v1/me/availability/", availability_body(min_notice_hours=0, slot_step=60), format="json"
    )

    wednesday = client.get(
        f"/api/v1/advisors/{advisor.pk}/slots/?start=2027-03-03&end=2027-03-03&duration=60"
    )
    override = client.get(f"/api/v1/advisors/{advisor.pk}/slots/?start=2027-03-10&end=2027-03-10&duration=60")
    closed = client.get(f"/api/v1/advisors/{advisor.pk}/slots/?start=2027-03-15&end=2027-03-15&duration=60")

    assert [s["start"] for s in wednesday.json()["slots"]] == [
        "2027-03-03T17:00:00+01:00",
        "2027-03-03T18:00:00+01:00",
        "2027-03-03T19:00:00+01:00",
    ]
    assert [s["start"][11:16] for s in override.json()["slots"]] == ["10:00", "11:00"]
    assert closed.json()["slots"] == []


def test_patch_changes_only_the_keys_given(advisor):
    api = client_for(advisor.user)
    api.put("/api/v1/me/availability/", availability_body(), format="json")

    response = api.patch("/api/v1/me/availability/", {"buffer_after": 30}, format="json")

    assert response.status_code == 200
    assert response.json()["buffer_after"] == 30
    assert len(response.json()["weekly_hours"]) == 3
    assert response.json()["overrides"] == availability_body()["overrides"]


def test_put_requires_every_key(advisor):
    body = availability_body()
    del body["weekly_hours"]

    response = client_for(advisor.user).put("/api/v1/me/availability/", body, format="json")

    assert response.status_code == 400
    assert "weekly_hours" in response.json()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"weekly_hours": [{"weekday": 0, "start": "09:00", "end": "12:00"}, {"weekday": 0, "start": "11:00", "end": "13:00"}]}, "weekly_hours"),
        ({"weekly_hours": [{"weekday": 1, "start": "12:00", "end": "09:00"}]}, "weekly_hours"),
        ({"weekly_hours": [{"weekday": 7, "start": "09:00", "end": "12:00"}]}, "weekly_hours"),
        ({"weekly_hours": [{"weekday": 1, "start": "9", "end": "12:00"}]}, "weekly_hours"),
        ({"weekly_hours": [{"weekday": 1, "start": "25:00", "end": "26:00"}]}, "weekly_hours"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"session_lengths": [7]}, "session_lengths"),
        ({"session_lengths": [0]}, "session_lengths"),
        ({"session_lengths": [485]}, "session_lengths"),
        ({"session_lengths": []}, "session_lengths"),
        ({"session_lengths": [30, 30]}, "session_lengths"),
        ({"horizon_days": 366}, "horizon_days"),
        ({"slot_step": 4}, "slot_step"),
        ({"slot_step": 121}, "slot_step"),
        ({"buffer_after": -5}, "buffer_after"),
        ({"max_per_day": 0}, "max_per_day"),
        ({"overrides": [{"date": "2027-02-30", "intervals": []}]}, "overrides"),
        ({"overrides": [{"date": "2027-03-10", "intervals": []}, {"date": "2027-03-10", "intervals": []}]}, "overrides"),
        ({"overrides": [{"date": "2027-03-10", "intervals": [{"start": "10:00", "end": "12:00"}, {"start": "11:00", "end": "13:00"}]}]}, "overrides"),
        ({"time_off": [{"start": "2027-08-02T00:00:00+02:00", "end": "2027-07-01T00:00:00+02:00"}]}, "time_off"),
        ({"busy_calendar_url": "ftp://example.se/cal.ics"}, "busy_calendar_url"),
        ({"closed_on_public_holidays": "perhaps"}, "closed_on_public_holidays"),
    ],
)  # fmt: skip
def test_bad_availability_gets_a_field_error_and_changes_nothing(advisor, change, field):
    api = client_for(advisor.user)
    api.put("/api/v1/me/availability/", availability_body(), format="json")
    before = api.get("/api/v1/me/availability/").json()

    response = api.put("/api/v1/me/availability/", availability_body(**change), format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert api.get("/api/v1/me/availability/").json() == before


def test_field_errors_come_in_the_language_asked_for(advisor):
    api = client_for(advisor.user)
    sv = api.put("/api/v1/me/availability/", availability_body(horizon_days=400), format="json")
    en = api.put(
        "/api/v1/me/availability/",
        availability_body(horizon_days=400),
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "365" in sv.json()["horizon_days"][0] and "365" in en.json()["horizon_days"][0]
    assert sv.json()["horizon_days"] != en.json()["horizon_days"]


def test_only_advisors_have_availability(client, entrepreneur):
    assert client.get("/api/v1/me/availability/").status_code in (401, 403)
    response = client_for(entrepreneur).get("/api/v1/me/availability/")
    assert response.status_code == 403
    assert response.json()["detail"]


def test_a_non_json_body_is_a_400(advisor):
    response = client_for(advisor.user).generic(
        "PUT", "/api/v1/me/availability/", "{oops", content_type="application/json"
    )
    assert response.status_code == 400


# --- GET /api/v1/advisors/{id}/slots/ -------------------------------------------------


def test_slots_come_with_offsets_for_the_dates_asked(open_advisor, client):
    response = client.get(
        f"/api/v1/advisors/{open_advisor.pk}/slots/?start=2027-03-02&end=2027-03-03&duration=60"
    )

    body = response.json()
    assert response.status_code == 200
    assert body["timezone"] == "Europe/Stockholm"
    assert len(body["slots"]) == 12
    assert body["slots"][0] == {"start": "2027-03-02T09:00:00+01:00", "end": "2027-03-02T10:00:00+01:00"}


def test_the_duration_defaults_to_the_first_session_length(open_advisor, client):
    Advisor.objects.filter(pk=open_advisor.pk).update(session_lengths=[30, 60])
    body = client.get(f"/api/v1/advisors/{open_advisor.pk}/slots/?start=2027-03-02&end=2027-03-02").json()
    assert body["duration"] == 30


def test_external_busy_times_block_slots(open_advisor, client):
    ExternalBusy.objects.create(
        advisor=open_advisor,
        start=datetime(2027, 3, 2, 9, 0, tzinfo=UTC),  # 10:00-11:00 local
        end=datetime(2027, 3, 2, 10, 0, tzinfo=UTC),
    )
    body = client.get(f"/api/v1/advisors/{open_advisor.pk}/slots/?start=2027-03-02&end=2027-03-02").json()
    assert [s["start"][11:16] for s in body["slots"]] == ["09:00", "11:00", "13:00", "14:00", "15:00"]


def test_registered_booked_sources_block_slots(open_advisor, client):
    def source(ids, start, end, exclude):
        when = datetime(2027, 3, 2, 12, 0, tzinfo=UTC)  # 13:00 local
        return {open_advisor.pk: [Interval(when, when + timedelta(hours=1))]}

    busy._booked_sources.append(source)
    try:
        body = client.get(f"/api/v1/advisors/{open_advisor.pk}/slots/?start=2027-03-02&end=2027-03-02").json()
    finally:
        busy._booked_sources.remove(source)
    assert "13:00" not in [s["start"][11:16] for s in body["slots"]]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("start=2027-13-01&end=2027-03-02", "start"),
        ("start=yesterday", "start"),
        ("start=2027-03-05&end=2027-03-01", "end"),
        ("start=2027-03-01&end=2027-06-01", "end"),  # 93 days
        ("start=2027-03-01&end=2027-03-02&duration=45", "duration"),
        ("start=2027-03-01&end=2027-03-02&duration=abc", "duration"),
        ("start=2027-03-01&end=2027-03-02&duration=-60", "duration"),
    ],
)
def test_bad_slot_queries_get_a_400_naming_the_field(open_advisor, client, query, field):
    response = client.get(f"/api/v1/advisors/{open_advisor.pk}/slots/?{query}")
    assert response.status_code == 400
    assert field in response.json()


def test_92_days_is_allowed(open_advisor, client):
    response = client.get(f"/api/v1/advisors/{open_advisor.pk}/slots/?start=2027-03-01&end=2027-05-31")
    assert response.status_code == 200


@pytest.mark.parametrize("pk", ["999999", "abc"])
def test_slots_of_an_unknown_advisor_are_a_404(client, db, pk):
    assert client.get(f"/api/v1/advisors/{pk}/slots/").status_code == 404


def test_slots_of_an_inactive_advisor_are_a_404(open_advisor, client):
    Advisor.objects.filter(pk=open_advisor.pk).update(is_active=False)
    assert client.get(f"/api/v1/advisors/{open_advisor.pk}/slots/").status_code == 404


def test_the_slots_endpoint_runs_at_most_4_queries_whatever_the_bookings(
    open_advisor, client, django_assert_max_num_queries
):
    many = [
        Interval(datetime(2027, 3, 1, 8, tzinfo=UTC) + timedelta(hours=5 * i), datetime(2027, 3, 1, 9, tzinfo=UTC) + timedelta(hours=5 * i))
        for i in range(1000)
    ]  # fmt: skip
    ExternalBusy.objects.bulk_create(ExternalBusy(advisor=open_advisor, start=s, end=e) for s, e in many[::2])

    def source(ids, start, end, exclude):
        return {open_advisor.pk: many[1::2]}

    busy._booked_sources.append(source)
    try:
        with django_assert_max_num_queries(4):
            response = client.get(
                f"/api/v1/advisors/{open_advisor.pk}/slots/?start=2027-03-01&end=2027-05-31"
            )
    finally:
        busy._booked_sources.remove(source)
    assert response.status_code == 200


# --- GET /api/v1/advisors/ -------------------------------------------------------------


def directory(client, **params) -> list[dict]:
    response = client.get("/api/v1/advisors/", params)
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_the_directory_lists_active_advisors_with_their_next_free_time(open_advisor, other_advisor, client):
    inactive = factories.AdvisorFactory(is_active=False)

    found = {a["id"]: a for a in directory(client)}

    assert set(found) == {open_advisor.pk, other_advisor.pk}
    assert inactive.pk not in found
    assert found[open_advisor.pk]["next_available"] == "2027-03-01T09:00:00+01:00"
    # Erik keeps the defaults: 24 hours' notice.
    assert found[other_advisor.pk]["next_available"] == "2027-03-02T09:00:00+01:00"


def test_next_available_is_null_without_free_time(open_advisor, client):
    # Hours given (so listed), but away for all of them.
    open_advisor.time_off = [
        {"start": "2000-01-01T00:00:00+00:00", "end": "2100-01-01T00:00:00+00:00", "reason": ""}
    ]
    open_advisor.save()
    assert directory(client)[0]["next_available"] is None


def test_the_directory_filters_by_region_topic_mode_and_language(advisor, other_advisor, client):
    advisor.topics.set([Topic.objects.get(slug="financing")])
    advisor.languages.set([Language.objects.get(code="ar")])
    Advisor.objects.filter(pk=other_advisor.pk).update(offers_video=False)

    assert [a["id"] for a in directory(client, region="20")] == [advisor.pk]
    assert [a["id"] for a in directory(client, region="07")] == [other_advisor.pk]
    assert [a["id"] for a in directory(client, topic="financing")] == [advisor.pk]
    assert [a["id"] for a in directory(client, language="ar")] == [advisor.pk]
    assert [a["id"] for a in directory(client, mode="video")] == [advisor.pk]
    assert directory(client, region="01") == []
    assert directory(client, topic="no-such-topic") == []


def test_the_municipality_filter_keeps_whole_region_advisors_and_those_who_list_it(db, client):
    whole_region = factories.AdvisorFactory(region_id="20")
    falun_only = factories.AdvisorFactory(region_id="20")
    falun_only.municipalities.set(["2080"])
    elsewhere = factories.AdvisorFactory(region_id="07")

    assert {a["id"] for a in directory(client, municipality="2080")} == {whole_region.pk, falun_only.pk}
    assert {a["id"] for a in directory(client, municipality="2081")} == {whole_region.pk}
    assert elsewhere.pk not in {a["id"] for a in directory(client, municipality="2080")}


@pytest.mark.parametrize(
    "query", ["region=x", "region=200", "municipality=20", "mode=boat", "language=Swedish!"]
)
def test_bad_directory_filters_get_a_400(client, db, query):
    response = client.get(f"/api/v1/advisors/?{query}")
    assert response.status_code == 400
    assert query.split("=")[0] in response.json()


def test_the_directory_runs_at_most_8_queries_whatever_the_number_of_advisors(
    client, db, django_assert_max_num_queries
):
    for _ in range(40):
        advisor = factories.AdvisorFactory()
        advisor.topics.set(Topic.objects.all()[:3])
        advisor.languages.set(Language.objects.filter(code__in=["sv", "en"]))

    with django_assert_max_num_queries(8):
        results = directory(client, page_size=100)

    assert len(results) == 40
    assert all(len(a["topics"]) == 3 for a in results)


def test_one_advisor_s_public_profile(open_advisor, client):
    open_advisor.municipalities.set(["2080"])

    body = client.get(f"/api/v1/advisors/{open_advisor.pk}/").json()

    assert body["name"] == "Anna Lindqvist"
    assert body["region"] == {"code": "20", "name": "Dalarnas län"}
    assert body["municipalities"] == [{"code": "2080", "name": "Falun"}]
    assert set(body["meeting_modes"]) == {"in_person", "phone", "video"}
    assert body["next_available"] == "2027-03-01T09:00:00+01:00"
    assert "email" not in body


@pytest.mark.parametrize("pk", ["999999", "abc"])
def test_an_unknown_advisor_profile_is_a_404(client, db, pk):
    assert client.get(f"/api/v1/advisors/{pk}/").status_code == 404


def test_next_available_skips_a_holiday(client, open_advisor):
    # Good Friday 26 March and Easter Monday 29 March 2027.
    with time_machine.travel(datetime(2027, 3, 25, 16, 0, tzinfo=UTC), tick=False):
        body = client.get(f"/api/v1/advisors/{open_advisor.pk}/").json()
    assert body["next_available"] == "2027-03-30T09:00:00+02:00"


def test_a_week_of_realistic_swedish_hours(open_advisor):
    """Breaks, a holiday, a summer vacation and a one-off extra evening, through the API."""
    api = client_for(open_advisor.user)
    body = availability_body(
        min_notice_hours=0,
        slot_step=60,
        horizon_days=365,
        weekly_hours=[
            {"weekday": d, "start": s, "end": e}
            for d in range(5)
            for s, e in (("08:00", "10:00"), ("10:30", "12:00"), ("13:00", "16:30"))
        ],
        overrides=[{"date": "2027-04-01", "intervals": [{"start": "18:00", "end": "20:00"}]}],
    )
    assert api.put("/api/v1/me/availability/", body, format="json").status_code == 200

    def starts(day: date) -> list[str]:
        response = api.get(f"/api/v1/advisors/{open_advisor.pk}/slots/?start={day}&end={day}&duration=60")
        return [s["start"][11:16] for s in response.json()["slots"]]

    assert starts(date(2027, 3, 30)) == ["08:00", "09:00", "10:30", "13:00", "14:00", "15:00"]
    assert starts(date(2027, 4, 1)) == ["18:00", "19:00"]  # the extra evening replaces the day
    assert starts(date(2027, 3, 29)) == []  # Easter Monday
    assert starts(date(2027, 7, 15)) == []  # summer vacation
    assert starts(date(2027, 8, 2))[0] == "08:00"  # back on Monday 2 August


def test_next_available_reads_each_advisor_s_days_in_their_own_time_zone(db):
    # 10:30 UTC: Tuesday 00:30 in Kiritimati (UTC+14), still Sunday 22:30 at UTC-12.
    now = datetime(2027, 3, 1, 10, 30, tzinfo=UTC)
    settings = {"min_notice_hours": 0, "slot_step": 60, "buffer_after": 0, "session_lengths": [60]}
    first = factories.AdvisorFactory(timezone="Pacific/Kiritimati", **settings)
    # One free hour this Sunday evening, local time.
    second = factories.AdvisorFactory(
        timezone="Etc/GMT+12", closed_on_public_holidays=False, week=[(6, time(23), time(0))], **settings
    )

    found = next_available([first, second], now=now)

    assert found[second.pk] == datetime(2027, 3, 1, 11, 0, tzinfo=UTC)

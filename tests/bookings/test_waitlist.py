"""The waitlist: joining when nothing is free, offers of freed slots, holds,
claims, expiry, withdrawal, and the pages and API around them."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from advisors.availability import Booked
from advisors.models import Advisor, Topic, WeeklyHours
from backend.models import AuditEntry
from bookings import services, tasks, waitlist
from bookings.models import (
    Booking,
    BookingStatus,
    Enterprise,
    EnterpriseKind,
    EntrepreneurProfile,
    Gender,
    WaitlistEntry,
    WaitlistStatus,
)
from bookings.selectors import booked_source
from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.usefixtures("frozen_clock")  # at NOW (tests/conftest.py)

# Monday 1 March 2027, 07:00 in Stockholm. Anna's only hour of the week is
# Wednesday 10–11, so within the 14 days (to Monday 15 March) she has two
# slots: Wednesday 3 and Wednesday 10 March at 10:00.
NOW = datetime(2027, 3, 1, 6, 0, tzinfo=UTC)
FIRST_SLOT = datetime(2027, 3, 3, 9, 0, tzinfo=UTC)  # 10:00 in Stockholm
SECOND_SLOT = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
FIRST_SLOT_LOCAL = "2027-03-03T10:00:00+01:00"


@pytest.fixture(autouse=True)
def in_english(settings):
    """These tests read the English texts: the pages' language (no cookie or
    Accept-Language: the default) and the services' messages."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def enterprise_for(user, **over) -> Enterprise:
    values = {"name": "Returhuset", "kind": EnterpriseKind.WORK_INTEGRATING, "municipality_id": "2080"}
    values.update(over)
    enterprise = Enterprise.objects.create(**values)
    enterprise.members.add(user)
    return enterprise


@pytest.fixture
def anna(advisor) -> Advisor:
    """Anna, advisor in Dalarna on financing: one hour a week, Wednesdays 10–11."""
    WeeklyHours.objects.filter(advisor=advisor).delete()
    WeeklyHours.objects.create(advisor=advisor, weekday=2, start=time(10), end=time(11))
    advisor.topics.set(Topic.objects.filter(slug="financing"))
    return advisor


@pytest.fixture
def sara(entrepreneur):
    enterprise_for(entrepreneur, org_number="769600-0004")
    EntrepreneurProfile.objects.create(user=entrepreneur, gender=Gender.WOMAN)
    return entrepreneur


@pytest.fixture
def ahmed(other_entrepreneur):
    enterprise_for(other_entrepreneur, name="Matlaget", municipality_id="2081", kind=EnterpriseKind.IDEA)
    return other_entrepreneur


def new_entrepreneur(name: str):
    user = factories.UserFactory(email=f"{name}@example.se", full_name=name.title())
    enterprise_for(user, name=f"{name.title()} AB")
    return user


@pytest.fixture
def booked_out(anna) -> dict[datetime, Booking]:
    """Anna's two slots in the next 14 days, booked by two other people."""
    bookings = {}
    for name, start in (("lina", FIRST_SLOT), ("omar", SECOND_SLOT)):
        bookings[start] = services.booking_create(
            entrepreneur=new_entrepreneur(name),
            advisor=anna,
            start=start,
            duration=60,
            topic=Topic.objects.get(slug="financing"),
            mode="video",
        )
    return bookings


def join(user, **body):
    return client_for(user).post("/api/v1/waitlist/", body, format="json")


def cancel(booking: Booking) -> None:
    services.booking_cancel(booking=booking, by=booking.entrepreneur)


def entry_of(user) -> WaitlistEntry:
    return WaitlistEntry.objects.get(entrepreneur=user)


def slots_on(advisor, day: str) -> list[str]:
    response = client_for(factories.UserFactory()).get(
        f"/api/v1/advisors/{advisor.pk}/slots/?start={day}&end={day}&duration=60"
    )
    assert response.status_code == 200
    return [s["start"] for s in response.json()["slots"]]


# --- Joining ------------------------------------------------------------------------------


def test_joining_is_refused_while_free_times_exist(sara, anna):
    response = join(sara, advisor=anna.pk)

    assert response.status_code == 409
    assert response.json()["detail"] == "There are free times: book one instead."
    assert not WaitlistEntry.objects.exists()


def test_an_entrepreneur_joins_when_the_advisor_is_fully_booked(sara, anna, booked_out):
    response = join(sara, advisor=anna.pk)

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["advisor"] == anna.pk and body["status"] == "waiting" and body["offer"] is None
    entry = WaitlistEntry.objects.get(pk=body["id"])
    assert entry.entrepreneur == sara and entry.region is None and entry.topic is None
    assert (entry.stat_region, entry.stat_municipality) == ("20", "2080")
    assert (entry.stat_gender, entry.stat_enterprise_kind) == ("woman", "work_integrating")
    assert AuditEntry.objects.filter(action="waitlist.joined", actor=sara).exists()


def test_free_time_after_the_14_days_does_not_stop_anyone_joining(sara, anna, booked_out):
    assert slots_on(anna, "2027-03-17") == ["2027-03-17T10:00:00+01:00"]

    assert join(sara, advisor=anna.pk).status_code == 201


def test_one_active_entry_per_person_and_target(sara, anna, booked_out):
    first = join(sara, advisor=anna.pk)

    again = join(sara, advisor=anna.pk)

    assert again.status_code == 409
    assert again.json()["detail"] == "You are already on this waitlist."
    assert WaitlistEntry.objects.filter(entrepreneur=sara).count() == 1
    # Once withdrawn, the person may join again.
    client_for(sara).post(f"/api/v1/waitlist/{first.json()['id']}/withdraw/")
    assert join(sara, advisor=anna.pk).status_code == 201


@pytest.mark.services  # a partial unique index, on each database
def test_the_database_allows_one_active_entry_per_target(sara, anna):
    facts = {
        "stat_region": "20",
        "stat_municipality": "2080",
        "stat_gender": "woman",
        "stat_enterprise_kind": "idea",
    }
    WaitlistEntry.objects.create(entrepreneur=sara, advisor=anna, **facts)
    WaitlistEntry.objects.create(entrepreneur=sara, advisor=anna, status=WaitlistStatus.WITHDRAWN, **facts)

    with pytest.raises(IntegrityError), transaction.atomic():
        WaitlistEntry.objects.create(entrepreneur=sara, advisor=anna, **facts)


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"region", "topic"}),
        ({"region": "20"}, {"topic"}),
        ({"region": "99", "topic": "financing"}, {"region"}),
        ({"region": "20", "topic": "no-such-topic"}, {"topic"}),
        ({"advisor": 999999}, {"advisor"}),
        ({"advisor": "x"}, {"advisor"}),
    ],
)
def test_bad_input_to_join_gets_field_errors(sara, body, fields):
    response = join(sara, **body)

    assert response.status_code == 400
    assert set(response.json()) == fields
    assert not WaitlistEntry.objects.exists()


def test_an_advisor_and_a_region_at_once_is_refused(sara, anna):
    response = join(sara, advisor=anna.pk, region="20", topic="financing")

    assert response.status_code == 400
    assert "advisor" in response.json()


def test_only_entrepreneurs_join(anna, booked_out):
    response = join(anna.user, advisor=anna.pk)

    assert response.status_code == 400
    assert not WaitlistEntry.objects.exists()


# --- Offers of freed slots ----------------------------------------------------------------


@pytest.fixture
def queue(sara, ahmed, anna, booked_out, frozen_clock) -> list[WaitlistEntry]:
    """Sara joined Anna's waitlist first, Ahmed an hour later."""
    assert join(sara, advisor=anna.pk).status_code == 201
    frozen_clock.shift(timedelta(hours=1))
    assert join(ahmed, advisor=anna.pk).status_code == 201
    return [entry_of(sara), entry_of(ahmed)]


def test_a_cancellation_offers_the_slot_to_the_first_in_line_only(queue, anna, booked_out):
    offered = []

    def receiver(sender, entry, **kwargs):
        offered.append(entry.pk)

    waitlist.waitlist_offered.connect(receiver)
    try:
        cancel(booked_out[FIRST_SLOT])
    finally:
        waitlist.waitlist_offered.disconnect(receiver)

    first, second = (WaitlistEntry.objects.get(pk=e.pk) for e in queue)
    assert first.status == WaitlistStatus.OFFERED
    assert (first.offered_advisor, first.offered_start, first.offered_duration) == (anna, FIRST_SLOT, 60)
    assert first.offered_end == FIRST_SLOT + timedelta(hours=1)
    # 12 hours from the cancellation (07:00 UTC + 12 h) is earlier than 24 h before the slot.
    assert first.offer_expires_at == datetime(2027, 3, 1, 19, 0, tzinfo=UTC)
    assert second.status == WaitlistStatus.WAITING
    assert offered == [first.pk]
    assert AuditEntry.objects.filter(action="waitlist.offered", booking=booked_out[FIRST_SLOT]).exists()


def test_the_claim_time_ends_at_the_advisors_notice_before_the_slot(queue, booked_out, frozen_clock):
    frozen_clock.move_to(datetime(2027, 3, 2, 0, 0, tzinfo=UTC))

    cancel(booked_out[FIRST_SLOT])

    # Anna needs 24 hours' notice: 09:00 UTC on Tuesday, before the 12 hours are up.
    assert entry_of(queue[0].entrepreneur).offer_expires_at == FIRST_SLOT - timedelta(hours=24)


def test_a_claim_time_that_would_end_in_the_night_ends_at_nine_the_next_morning(
    queue, booked_out, frozen_clock
):
    frozen_clock.move_to(datetime(2027, 3, 1, 14, 0, tzinfo=UTC))  # 15:00 in Stockholm

    cancel(booked_out[FIRST_SLOT])

    # 12 hours on is 03:00; the offer runs until 09:00 Stockholm time instead,
    # which is still before Anna's 24 hours' notice (10:00 on Tuesday).
    assert entry_of(queue[0].entrepreneur).offer_expires_at == datetime(2027, 3, 2, 8, 0, tzinfo=UTC)


def test_a_slot_freed_too_late_to_book_is_not_offered(queue, booked_out, frozen_clock):
    frozen_clock.move_to(FIRST_SLOT - timedelta(hours=20))

    cancel(booked_out[FIRST_SLOT])

    assert set(WaitlistEntry.objects.values_list("status", flat=True)) == {WaitlistStatus.WAITING}


def test_the_held_slot_is_gone_for_everyone_else(queue, anna, booked_out):
    cancel(booked_out[FIRST_SLOT])

    assert slots_on(anna, "2027-03-03") == []
    someone = new_entrepreneur("nora")
    response = client_for(someone).post(
        "/api/v1/bookings/",
        {
            "advisor": anna.pk,
            "start": FIRST_SLOT_LOCAL,
            "duration": 60,
            "topic": "financing",
            "mode": "video",
        },
        format="json",
    )
    assert response.status_code == 409
    assert not Booking.objects.filter(entrepreneur=someone).exists()


def test_the_holder_claims_the_slot(queue, anna, booked_out):
    cancel(booked_out[FIRST_SLOT])
    entry = queue[0]

    response = client_for(entry.entrepreneur).post(
        f"/api/v1/waitlist/{entry.pk}/claim/",
        {"topic": "financing", "mode": "video", "message": "Vi behöver ett lån."},
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["start"] == FIRST_SLOT_LOCAL and body["status"] == "confirmed"
    booking = Booking.objects.get(uid=body["uid"])
    assert booking.entrepreneur == entry.entrepreneur and booking.message == "Vi behöver ett lån."
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.BOOKED and entry.booking == booking
    assert AuditEntry.objects.filter(action="waitlist.claimed", booking=booking).exists()
    assert slots_on(anna, "2027-03-03") == []
    # The claim is done: a second one finds the offer closed.
    again = client_for(entry.entrepreneur).post(
        f"/api/v1/waitlist/{entry.pk}/claim/", {"topic": "financing", "mode": "video"}, format="json"
    )
    assert again.status_code == 409


def test_a_refused_claim_keeps_the_offer_open(queue, booked_out):
    cancel(booked_out[FIRST_SLOT])
    entry = queue[0]
    api = client_for(entry.entrepreneur)

    wrong_topic = api.post(
        f"/api/v1/waitlist/{entry.pk}/claim/", {"topic": "marketing-sales", "mode": "video"}, format="json"
    )
    bad_mode = api.post(
        f"/api/v1/waitlist/{entry.pk}/claim/", {"topic": "financing", "mode": "fax"}, format="json"
    )

    assert wrong_topic.status_code == 400 and "topic" in wrong_topic.json()
    assert bad_mode.status_code == 400 and "mode" in bad_mode.json()
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.OFFERED and entry.booking is None
    assert Booking.objects.filter(status=BookingStatus.CONFIRMED).count() == 1  # the second slot's


# --- Expiry ------------------------------------------------------------------------------


def test_an_expired_offer_passes_to_the_next_in_line(queue, booked_out, frozen_clock):
    cancel(booked_out[FIRST_SLOT])
    first, second = queue
    frozen_clock.move_to(datetime(2027, 3, 1, 19, 0, tzinfo=UTC))

    assert tasks.expire_waitlist_offers() == 1
    assert tasks.expire_waitlist_offers() == 0  # safe to run twice

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == WaitlistStatus.EXPIRED
    assert second.status == WaitlistStatus.OFFERED and second.offered_start == FIRST_SLOT
    # 12 hours from the sweep is 08:00 in Stockholm, in the night: it moves to 09:00.
    assert second.offer_expires_at == datetime(2027, 3, 2, 8, 0, tzinfo=UTC)


def test_a_claim_after_the_deadline_is_refused(queue, booked_out, frozen_clock):
    cancel(booked_out[FIRST_SLOT])
    entry = queue[0]
    frozen_clock.move_to(datetime(2027, 3, 1, 19, 0, tzinfo=UTC))
    api = client_for(entry.entrepreneur)
    body = {"topic": "financing", "mode": "video"}

    before_the_sweep = api.post(f"/api/v1/waitlist/{entry.pk}/claim/", body, format="json")
    tasks.expire_waitlist_offers()
    after_the_sweep = api.post(f"/api/v1/waitlist/{entry.pk}/claim/", body, format="json")

    assert before_the_sweep.status_code == 409
    assert before_the_sweep.json()["detail"] == "The time to claim this offer has run out."
    assert after_the_sweep.status_code == 409
    assert not Booking.objects.filter(entrepreneur=entry.entrepreneur).exists()


def test_an_expired_offer_with_nobody_next_frees_the_slot_for_everyone(sara, anna, booked_out, frozen_clock):
    join(sara, advisor=anna.pk)
    cancel(booked_out[FIRST_SLOT])
    assert slots_on(anna, "2027-03-03") == []
    frozen_clock.move_to(datetime(2027, 3, 1, 19, 0, tzinfo=UTC))

    tasks.expire_waitlist_offers()

    assert entry_of(sara).status == WaitlistStatus.EXPIRED
    assert slots_on(anna, "2027-03-03") == [FIRST_SLOT_LOCAL]


# --- Withdrawing ---------------------------------------------------------------------------


def test_an_entrepreneur_withdraws(queue):
    entry = queue[0]
    api = client_for(entry.entrepreneur)

    response = api.post(f"/api/v1/waitlist/{entry.pk}/withdraw/")
    again = api.post(f"/api/v1/waitlist/{entry.pk}/withdraw/")

    assert response.status_code == 200 and response.json()["status"] == "withdrawn"
    assert again.status_code == 409
    assert AuditEntry.objects.filter(action="waitlist.withdrawn", actor=entry.entrepreneur).count() == 1


def test_withdrawing_an_offer_passes_it_to_the_next_in_line(queue, booked_out):
    cancel(booked_out[FIRST_SLOT])
    first, second = queue

    client_for(first.entrepreneur).post(f"/api/v1/waitlist/{first.pk}/withdraw/")

    second.refresh_from_db()
    assert second.status == WaitlistStatus.OFFERED and second.offered_start == FIRST_SLOT


# --- A topic in a region ---------------------------------------------------------------------


@pytest.fixture
def bo(anna) -> Advisor:
    """Bo, another advisor on financing in Dalarna, with no hours at all."""
    advisor = factories.AdvisorFactory(user__email="bo@example.se", region_id="20", week=[])
    advisor.topics.set(Topic.objects.filter(slug="financing"))
    return advisor


def test_a_region_waitlist_waits_until_no_advisor_there_has_time(sara, anna, bo):
    refused = join(sara, region="20", topic="financing")
    services.booking_create(
        entrepreneur=new_entrepreneur("lina"),
        advisor=anna,
        start=FIRST_SLOT,
        duration=60,
        topic=Topic.objects.get(slug="financing"),
        mode="video",
    )
    services.booking_create(
        entrepreneur=new_entrepreneur("omar"),
        advisor=anna,
        start=SECOND_SLOT,
        duration=60,
        topic=Topic.objects.get(slug="financing"),
        mode="video",
    )
    # Nobody in Dalarna advises on marketing: that is unmet demand as well.
    elsewhere = join(sara, region="20", topic="marketing-sales")
    accepted = join(sara, region="20", topic="financing")

    assert refused.status_code == 409
    assert accepted.status_code == 201 and elsewhere.status_code == 201
    entry = WaitlistEntry.objects.get(pk=accepted.json()["id"])
    assert (entry.region_id, entry.topic.slug, entry.advisor) == ("20", "financing", None)
    assert (entry.stat_region, entry.stat_topic) == ("20", "financing")


def test_a_freed_slot_goes_to_the_region_waitlist_of_a_topic_the_advisor_gives(
    sara, ahmed, anna, bo, booked_out, frozen_clock
):
    assert join(ahmed, region="20", topic="marketing-sales").status_code == 201
    frozen_clock.shift(timedelta(minutes=1))
    assert join(sara, region="20", topic="financing").status_code == 201

    cancel(booked_out[FIRST_SLOT])

    assert entry_of(ahmed).status == WaitlistStatus.WAITING  # Anna does not advise on marketing
    offered = entry_of(sara)
    assert offered.status == WaitlistStatus.OFFERED and offered.offered_advisor == anna
    claim = client_for(sara).post(
        f"/api/v1/waitlist/{offered.pk}/claim/",
        {"topic": "financing", "mode": "phone", "phone": "070-123 45 67"},
        format="json",
    )
    assert claim.status_code == 201, claim.json()
    sara.refresh_from_db()
    assert sara.phone == "070-123 45 67"  # the number the advisor calls


def test_a_region_waitlist_of_another_region_is_not_offered_the_slot(sara, anna, booked_out):
    other = factories.AdvisorFactory(user__email="erik@example.se", region_id="07", week=[])
    other.topics.set(Topic.objects.filter(slug="financing"))
    assert join(sara, region="07", topic="financing").status_code == 201

    cancel(booked_out[FIRST_SLOT])

    assert entry_of(sara).status == WaitlistStatus.WAITING


def test_the_region_check_costs_the_same_queries_for_one_advisor_or_many(anna, bo):
    region, topic = anna.region, Topic.objects.get(slug="financing")
    with CaptureQueriesContext(connection) as two:
        waitlist.waitlist_free_time_exists(region=region, topic=topic, now=NOW)
    for n in range(5):
        factories.AdvisorFactory(user__email=f"more{n}@example.se", region_id="20").topics.add(topic)

    with CaptureQueriesContext(connection) as seven:
        found = waitlist.waitlist_free_time_exists(region=region, topic=topic, now=NOW)

    assert found
    assert len(seven) == len(two) <= 7


def test_the_held_slot_is_left_out_for_its_own_entry_key(queue, anna, booked_out):
    cancel(booked_out[FIRST_SLOT])
    held = entry_of(queue[0].entrepreneur)
    window = (FIRST_SLOT - timedelta(days=1), FIRST_SLOT + timedelta(days=1))

    # A hold has no stored blocked range: today's buffers widen it.
    assert booked_source([anna.pk], *window)[anna.pk] == [Booked(FIRST_SLOT, FIRST_SLOT + timedelta(hours=1))]
    assert booked_source([anna.pk], *window, exclude=[("waitlist", held.pk)]) == {}


# --- Who sees what ---------------------------------------------------------------------------


def test_others_entries_are_not_found(client, queue, booked_out):
    cancel(booked_out[FIRST_SLOT])
    saras = queue[0]
    api = client_for(queue[1].entrepreneur)

    assert api.get(f"/api/v1/waitlist/{saras.pk}/").status_code == 404
    assert api.post(f"/api/v1/waitlist/{saras.pk}/withdraw/").status_code == 404
    claim = api.post(
        f"/api/v1/waitlist/{saras.pk}/claim/", {"topic": "financing", "mode": "video"}, format="json"
    )
    assert claim.status_code == 404
    assert [e["id"] for e in api.get("/api/v1/waitlist/").json()["results"]] == [queue[1].pk]
    client.force_login(queue[1].entrepreneur)
    assert client.post(f"/bookings/waitlist/{saras.pk}/withdraw/").status_code == 404
    assert client.post(f"/bookings/waitlist/{saras.pk}/claim/").status_code == 404
    saras.refresh_from_db()
    assert saras.status == WaitlistStatus.OFFERED


def test_the_api_needs_a_signed_in_person(api_client):
    assert api_client.get("/api/v1/waitlist/").status_code in (401, 403)


def test_the_list_shows_the_open_offer(queue, anna, booked_out):
    cancel(booked_out[FIRST_SLOT])

    body = client_for(queue[0].entrepreneur).get("/api/v1/waitlist/").json()

    offer = body["results"][0]["offer"]
    assert offer["start"] == FIRST_SLOT_LOCAL and offer["duration"] == 60
    assert offer["expires_at"] == "2027-03-01T20:00:00+01:00"
    assert offer["topics"] == ["financing"] and "video" in offer["modes"]


# --- Erasure -------------------------------------------------------------------------------


def test_statistical_facts_stay_when_the_entrepreneur_is_deleted(queue, booked_out):
    sara_entry, ahmed_entry = queue
    sara_entry.entrepreneur.delete()

    sara_entry.refresh_from_db()
    assert sara_entry.entrepreneur is None
    assert (sara_entry.stat_region, sara_entry.stat_gender, sara_entry.stat_enterprise_kind) == (
        "20",
        "woman",
        "work_integrating",
    )
    # Nobody is left to offer a time to: the next person gets it.
    cancel(booked_out[FIRST_SLOT])
    ahmed_entry.refresh_from_db()
    assert ahmed_entry.status == WaitlistStatus.OFFERED


# --- Pages ---------------------------------------------------------------------------------


def test_the_join_page_explains_and_joins(client, sara, anna, booked_out):
    client.force_login(sara)
    url = f"/bookings/waitlist/join/?advisor={anna.pk}"

    page = client.get(url)
    response = client.post(url)

    assert page.status_code == 200
    assert "Join the waitlist" in page.content.decode()
    assert response.status_code == 302 and response["Location"] == "/bookings/waitlist/"
    assert entry_of(sara).advisor == anna


def test_the_join_page_sends_people_to_free_times(client, sara, anna):
    client.force_login(sara)
    url = "/bookings/waitlist/join/?region=20&topic=financing"

    page = client.get(url)
    refused = client.post(url)

    assert "There are free times: book one instead." in page.content.decode()
    assert refused.status_code == 409
    assert 'class="error-summary"' in refused.content.decode()
    assert not WaitlistEntry.objects.exists()


@pytest.mark.parametrize(
    "query", ["", "?advisor=999999", "?region=20", "?region=20&topic=nope", "?advisor=x"]
)
def test_the_join_page_refuses_a_bad_target(client, sara, query):
    client.force_login(sara)

    response = client.get(f"/bookings/waitlist/join/{query}")

    assert response.status_code == 400
    assert 'class="error-summary"' in response.content.decode()


def test_the_pages_need_a_signed_in_person(client):
    assert client.get("/bookings/waitlist/")["Location"].startswith("/accounts/login/")


def test_the_waitlist_page_shows_the_offer_and_claims_it(client, queue, booked_out):
    cancel(booked_out[FIRST_SLOT])
    entry = queue[0]
    client.force_login(entry.entrepreneur)

    page = client.get("/bookings/waitlist/").content.decode()
    bad = client.post(f"/bookings/waitlist/{entry.pk}/claim/", {f"claim-{entry.pk}-topic": "financing"})
    by_phone = {f"claim-{entry.pk}-topic": "financing", f"claim-{entry.pk}-mode": "phone"}
    without_number = client.post(f"/bookings/waitlist/{entry.pk}/claim/", by_phone)
    claimed = client.post(
        f"/bookings/waitlist/{entry.pk}/claim/", {**by_phone, f"claim-{entry.pk}-phone": "070-123 45 67"}
    )

    assert "Book this time" in page and "20:00" in page  # the deadline, in Stockholm time
    assert f'name="claim-{entry.pk}-phone"' in page
    assert bad.status_code == 400 and 'class="error-summary"' in bad.content.decode()
    assert without_number.status_code == 400
    assert "phone number the advisor can call you on" in without_number.content.decode()
    assert claimed.status_code == 302
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.BOOKED and entry.booking.mode == "phone"
    assert entry.entrepreneur.phone == "070-123 45 67"


def test_the_claim_form_asks_for_the_way_of_meeting_and_keeps_its_two_buttons_apart(
    client, queue, booked_out
):
    cancel(booked_out[FIRST_SLOT])
    entry = queue[0]
    client.force_login(entry.entrepreneur)
    prefix = f"claim-{entry.pk}"

    page = client.get("/bookings/waitlist/").content.decode()
    claim_form = page.split(f'action="/bookings/waitlist/{entry.pk}/claim/"', 1)[1].split("</form>", 1)[0]
    assert f'type="radio" name="{prefix}-mode"' in claim_form
    assert "checked" not in claim_form  # asked, not preselected
    assert '<button type="submit">Book this time</button>' in claim_form  # the primary action
    assert "Leave the waitlist" not in claim_form
    leave_form = page.split(f'action="/bookings/waitlist/{entry.pk}/withdraw/"', 1)[1].split("</form>", 1)[0]
    assert 'class="button-secondary button-danger">No thanks, leave the waitlist' in leave_form

    missing = client.post(f"/bookings/waitlist/{entry.pk}/claim/", {f"{prefix}-topic": "financing"})

    assert missing.status_code == 400
    answer = missing.content.decode()
    assert f'<a href="#id_{prefix}-mode_0">Choose how you would like to meet.</a>' in answer
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.OFFERED


def test_the_waitlist_page_withdraws(client, queue):
    entry = queue[0]
    client.force_login(entry.entrepreneur)

    response = client.post(f"/bookings/waitlist/{entry.pk}/withdraw/")

    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.WITHDRAWN


def test_a_claim_whose_time_is_gone_offers_the_advisors_other_free_times(client, queue, booked_out, anna):
    cancel(booked_out[FIRST_SLOT])
    entry = queue[0]
    client.force_login(entry.entrepreneur)
    # Anna moves her weekly hour from Wednesday to Thursday: the held time is no longer hers to give.
    WeeklyHours.objects.filter(advisor=anna).update(weekday=3)
    prefix = f"claim-{entry.pk}"

    response = client.post(
        f"/bookings/waitlist/{entry.pk}/claim/", {f"{prefix}-topic": "financing", f"{prefix}-mode": "video"}
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert 'class="error-summary"' in page
    assert "Other free times with Anna Lindqvist" in page
    other = page.split('class="other-times"', 1)[1].split("</section>\n", 1)[0]
    # Thursday 4 March at 10:00, a link into the booking flow; the gone Wednesday is not offered.
    assert "start=2027-03-04T10%3A00%3A00%2B01%3A00" in other
    assert '<h4 id="day-2027-03-04">' in other
    assert "2027-03-03T10" not in other
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.OFFERED and entry.booking is None


def test_a_claim_refused_for_another_reason_shows_no_other_times(client, queue, booked_out):
    cancel(booked_out[FIRST_SLOT])
    entry = queue[0]
    client.force_login(entry.entrepreneur)

    response = client.post(f"/bookings/waitlist/{entry.pk}/claim/", {f"claim-{entry.pk}-topic": "financing"})

    assert response.status_code == 400
    assert "other-times" not in response.content.decode()

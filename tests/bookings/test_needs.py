"""What a person needs to take part (bookings.needs): given at booking, shown
to the person and their advisor, an interpreter only with the advisor's lead
time, the kinds kept as a statistical fact that outlives erasure."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.test import Client

from advisors.models import Advisor
from backend.models import AuditEntry
from bookings import needs
from bookings.models import Booking
from bookings.services import bookings_pseudonymise, person_bookings_erase
from tests.bookings.api import NOW, TUESDAY_0900, book
from tests.conftest import client_for

pytestmark = pytest.mark.usefixtures("frozen_clock")

# NOW is Monday 1 March 2027; five working days later is Monday 8 March, so
# an interpreter can come from Tuesday 9 March on.
MONDAY_8_0900 = "2027-03-08T09:00:00+01:00"
TUESDAY_9_0900 = "2027-03-09T09:00:00+01:00"
ARABIC = {"interpreter_language": "ar"}


# --- The value -----------------------------------------------------------------------------


def test_missing_keys_are_no_need_and_the_text_is_tidied():
    assert needs.clean_needs(None) == needs.no_needs()
    assert needs.clean_needs({"step_free": True, "other": "  Ledarhund\r\nkommer med  "}) == {
        "interpreter_language": None,
        "step_free": True,
        "hearing_loop": False,
        "companion": False,
        "easy_read": False,
        "other": "Ledarhund\nkommer med",
    }
    assert needs.kinds_of(needs.clean_needs({"interpreter_language": "sgn-SE", "easy_read": True})) == [
        "interpreter",
        "easy_read",
    ]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"interpreter_language": "klingon"}, "interpreter_language"),
        ({"interpreter_language": 7}, "interpreter_language"),
        ({"step_free": "yes"}, "step_free"),
        ({"hearing_loop": 1}, "hearing_loop"),
        ({"other": "x" * 501}, "other"),
        ({"other": "a\x00b"}, "other"),
        ({"other": ["list"]}, "other"),
        ({"wheelchair": True}, "wheelchair"),
        (["step_free"], "needs"),
    ],
)
def test_needs_that_cannot_be_read_name_the_key(data, field):
    with pytest.raises(needs.NeedsError) as raised:
        needs.clean_needs(data)
    assert raised.value.field == field


@pytest.mark.parametrize(
    ("today", "days", "first"),
    [
        (date(2027, 3, 1), 5, date(2027, 3, 9)),  # Monday: Tuesday next week
        (date(2027, 3, 5), 5, date(2027, 3, 13)),  # Friday: the weekend does not count
        (date(2027, 3, 24), 5, date(2027, 4, 3)),  # Good Friday and Easter Monday do not count
        (date(2027, 3, 1), 1, date(2027, 3, 3)),
    ],
)
def test_the_lead_time_counts_working_days(anna, today, days, first):
    anna.interpreter_lead_days = days
    now = datetime.combine(today, datetime.min.time(), tzinfo=UTC).replace(hour=10)
    earliest = needs.interpreter_earliest(anna, now)
    assert earliest.astimezone(anna.zone).date() == first
    assert earliest.astimezone(anna.zone).hour == 0


def test_no_lead_time_is_now(anna):
    anna.interpreter_lead_days = 0
    assert needs.interpreter_earliest(anna, NOW) == NOW


def test_the_needs_in_words():
    assert [str(n) for n in needs.described({"interpreter_language": "sgn-SE", "hearing_loop": True})] == [
        "Tolk: svenskt teckenspråk",
        "Hörslinga",
    ]
    assert needs.described({}) == []


# --- Booking with needs through the API ---------------------------------------------------


def test_a_booking_keeps_the_needs_and_their_kinds(sara, anna):
    response = book(sara, anna, needs={"step_free": True, "companion": True, "other": "Ledarhund"})

    assert response.status_code == 201, response.json()
    assert response.json()["needs"] == {
        "interpreter_language": None,
        "step_free": True,
        "hearing_loop": False,
        "companion": True,
        "easy_read": False,
        "other": "Ledarhund",
    }
    booking = Booking.objects.get()
    assert booking.stat_needs == ["step_free", "companion", "other"]
    # The advisor sees them too.
    seen = client_for(anna.user).get(f"/api/v1/bookings/{booking.uid}/").json()
    assert seen["needs"]["step_free"] and seen["needs"]["other"] == "Ledarhund"


def test_without_needs_nothing_is_stored_and_the_whole_shape_is_shown(sara, anna):
    response = book(sara, anna)

    assert response.json()["needs"] == needs.no_needs()
    booking = Booking.objects.get()
    assert booking.needs == {} and booking.stat_needs == []


def test_an_interpreter_inside_the_lead_time_is_a_400_saying_from_when(sara, anna):
    response = book(sara, anna, start=MONDAY_8_0900, needs=ARABIC)

    assert response.status_code == 400
    reason = response.json()["needs"][0]
    assert "5 arbetsdagar" in reason and "tisdag 9 mars" in reason, reason
    assert Booking.objects.count() == 0 and not AuditEntry.objects.exists()
    # The same time without an interpreter, and a time after the lead time with one, are fine.
    assert book(sara, anna, start=TUESDAY_9_0900, needs=ARABIC).status_code == 201
    assert book(sara, anna, start=TUESDAY_0900).status_code == 201


def test_the_advisors_lead_time_decides(sara, anna):
    Advisor.objects.filter(pk=anna.pk).update(interpreter_lead_days=0)
    assert book(sara, anna, start=TUESDAY_0900, needs={"interpreter_language": "sgn-SE"}).status_code == 201


@pytest.mark.parametrize(
    "bad",
    [
        {"interpreter_language": "xx"},
        {"step_free": "ja"},
        {"unknown": True},
        {"other": "x" * 501},
        "step_free",
    ],
)
def test_needs_that_cannot_be_read_are_a_400_and_change_nothing(sara, anna, bad):
    response = book(sara, anna, start=TUESDAY_9_0900, needs=bad)

    assert response.status_code == 400, response.content
    assert "needs" in response.json()
    assert Booking.objects.count() == 0


def test_the_advisor_sets_the_lead_time_through_the_api(anna):
    advisor = client_for(anna.user)
    assert advisor.get("/api/v1/me/availability/").json()["interpreter_lead_days"] == 5

    changed = advisor.patch("/api/v1/me/availability/", {"interpreter_lead_days": 10}, format="json")
    too_long = advisor.patch("/api/v1/me/availability/", {"interpreter_lead_days": 31}, format="json")

    assert changed.status_code == 200 and changed.json()["interpreter_lead_days"] == 10
    assert too_long.status_code == 400 and "interpreter_lead_days" in too_long.json()
    anna.refresh_from_db()
    assert anna.interpreter_lead_days == 10


# --- Erasure and retention -----------------------------------------------------------------


def test_erasure_and_retention_clear_the_needs_and_keep_their_kinds(sara, ahmed, anna, frozen_clock):
    book(sara, anna, start=TUESDAY_9_0900, needs={**ARABIC, "other": "Rullstol"})
    book(ahmed, anna, start=TUESDAY_0900, needs={"easy_read": True})
    saras, ahmeds = Booking.objects.get(entrepreneur=sara), Booking.objects.get(entrepreneur=ahmed)

    person_bookings_erase(user=sara, now=NOW)
    saras.refresh_from_db()
    assert saras.needs == {} and saras.stat_needs == ["interpreter", "other"]

    frozen_clock.move_to(datetime(2030, 6, 1, tzinfo=UTC))
    assert bookings_pseudonymise() >= 1
    ahmeds.refresh_from_db()
    assert ahmeds.needs == {} and ahmeds.stat_needs == ["easy_read"]


# --- Free times for an interpreter ------------------------------------------------------


def test_the_slots_for_an_interpreter_start_after_the_lead_time(anna, client, django_assert_max_num_queries):
    url = f"/api/v1/advisors/{anna.pk}/slots/?start=2027-03-02&end=2027-03-12&duration=60"

    every = {s["start"][:10] for s in client.get(url).json()["slots"]}
    with django_assert_max_num_queries(4):
        for_interpreter = client.get(url + "&interpreter=true")
    days = {s["start"][:10] for s in for_interpreter.json()["slots"]}

    assert "2027-03-02" in every and "2027-03-08" in every
    assert days and min(days) == "2027-03-09", sorted(days)
    assert days <= every
    assert client.get(url + "&interpreter=maybe").status_code == 400


def test_a_slot_offered_for_an_interpreter_can_be_booked_with_one(sara, anna, client):
    url = f"/api/v1/advisors/{anna.pk}/slots/?start=2027-03-02&end=2027-03-12&duration=60&interpreter=1"
    first = client.get(url).json()["slots"][0]["start"]
    assert book(sara, anna, start=first, needs=ARABIC).status_code == 201


# --- Moving a booking with an interpreter --------------------------------------------------


def test_a_booking_with_an_interpreter_moves_only_to_a_time_after_the_lead_time(sara, anna):
    uid = book(sara, anna, start=TUESDAY_9_0900, needs=ARABIC).json()["uid"]
    move = client_for(sara)

    sooner = move.post(f"/api/v1/bookings/{uid}/reschedule/", {"start": MONDAY_8_0900}, format="json")
    later = move.post(
        f"/api/v1/bookings/{uid}/reschedule/", {"start": "2027-03-10T09:00:00+01:00"}, format="json"
    )

    assert sooner.status_code == 400 and "tisdag 9 mars" in sooner.json()["start"][0]
    assert later.status_code == 200, later.json()
    assert Booking.objects.get(uid=uid).start.isoformat() == "2027-03-10T08:00:00+00:00"


def test_the_move_page_offers_a_booking_with_an_interpreter_only_times_after_the_lead_time(sara, anna):
    interpreted = book(sara, anna, start=TUESDAY_9_0900, needs=ARABIC).json()["uid"]
    plain = book(sara, anna, start="2027-03-09T10:00:00+01:00").json()["uid"]
    page = Client()
    page.force_login(sara)

    offered = page.get(f"/bookings/{interpreted}/reschedule/?start=2027-03-02").content.decode()
    other = page.get(f"/bookings/{plain}/reschedule/?start=2027-03-02").content.decode()

    assert "2027-03-02T" not in offered and "2027-03-09T" in offered
    assert "2027-03-02T" in other


# --- Needs that could not be met ----------------------------------------------------------

AFTER_THE_SESSION = datetime(2027, 3, 9, 9, 30, tzinfo=UTC)


def outcome(user, uid, **body):
    return client_for(user).post(
        f"/api/v1/bookings/{uid}/outcome/", {"outcome": "attended", **body}, format="json"
    )


def test_the_advisor_records_which_needs_could_not_be_met(sara, anna, frozen_clock):
    uid = book(sara, anna, start=TUESDAY_9_0900, needs={**ARABIC, "step_free": True}).json()["uid"]
    frozen_clock.move_to(AFTER_THE_SESSION)

    recorded = outcome(anna.user, uid, needs_not_met=["interpreter"])
    kept = outcome(anna.user, uid)  # left out: as it was
    emptied = outcome(anna.user, uid, needs_not_met=[])

    assert recorded.status_code == 200 and recorded.json()["needs_not_met"] == ["interpreter"]
    assert kept.json()["needs_not_met"] == ["interpreter"]
    assert emptied.json()["needs_not_met"] == []
    entry = AuditEntry.objects.filter(action="booking.outcome").order_by("pk").first()
    assert entry.data["needs_not_met"] == ["interpreter"]


@pytest.mark.parametrize(
    ("not_met", "reason"),
    [
        (["hearing_loop"], "inget behov av slaget"),  # a need the booking does not have
        (["teleport"], None),  # not a kind of need at all
        ("interpreter", None),  # not a list
    ],
)
def test_a_need_not_met_that_the_booking_does_not_have_is_a_400_and_changes_nothing(
    sara, anna, frozen_clock, not_met, reason
):
    uid = book(sara, anna, start=TUESDAY_9_0900, needs=ARABIC).json()["uid"]
    frozen_clock.move_to(AFTER_THE_SESSION)

    response = outcome(anna.user, uid, needs_not_met=not_met)

    assert response.status_code == 400, response.content
    assert "needs_not_met" in response.json()
    if reason:
        assert reason in str(response.json()["needs_not_met"]), response.json()
    booking = Booking.objects.get(uid=uid)
    assert (booking.status, booking.needs_not_met) == ("confirmed", [])


def test_needs_not_met_outlive_erasure_and_count_in_the_statistics(sara, anna, frozen_clock):
    from reporting.selectors import region_figures

    uid = book(sara, anna, start=TUESDAY_9_0900, needs={**ARABIC, "easy_read": True}).json()["uid"]
    frozen_clock.move_to(AFTER_THE_SESSION)
    outcome(anna.user, uid, needs_not_met=["interpreter"])
    person_bookings_erase(user=sara, now=AFTER_THE_SESSION)

    booking = Booking.objects.get(uid=uid)
    assert booking.needs == {} and booking.needs_not_met == ["interpreter"]
    figures = region_figures(region=anna.region, start=date(2027, 3, 1), end=date(2027, 3, 31))
    by_need = {r["key"]: r["sessions_held"] for r in figures["by_need"]}
    not_met = {r["key"]: r["sessions_held"] for r in figures["by_need_not_met"]}
    assert by_need == {
        "interpreter": 1,
        "step_free": 0,
        "hearing_loop": 0,
        "companion": 0,
        "easy_read": 1,
        "other": 0,
    }
    assert not_met == {**dict.fromkeys(needs.KINDS, 0), "interpreter": 1}

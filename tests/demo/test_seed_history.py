"""seed_demo's year of past bookings (demo.history): realistic, once,
and `--history-bookings N` for benchmarks."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import timedelta
from io import StringIO
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from advisors.availability import is_public_holiday
from advisors.models import Advisor, WeeklyHours
from bookings import needs
from bookings.models import (
    Booking,
    BookingStatus,
    Enterprise,
    EnterpriseKind,
    EntrepreneurProfile,
    Feedback,
    Gender,
    WomenLed,
)
from bookings.pseudonyms import enterprise_ref, statistics_keys
from bookings.validation import normalise_org_number
from demo import history as demo_history

User = get_user_model()
STOCKHOLM = ZoneInfo("Europe/Stockholm")


def keys_of(booking) -> tuple[str, str]:
    """The booking service's keys for a booking's person and enterprise."""
    enterprise = booking.enterprise
    return statistics_keys(
        person_id=booking.entrepreneur_id,
        enterprise=enterprise_ref(org_number=enterprise.org_number, pk=enterprise.pk),
    )


def seed(**kwargs) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("seed_demo", stdout=out, stderr=err, **kwargs)
    return out.getvalue(), err.getvalue()


def assert_no_overlaps(bookings) -> None:
    """Invariant 1, as the PostgreSQL exclusion constraint checks it."""
    by_advisor = defaultdict(list)
    for advisor_id, start, end in bookings.exclude(status=BookingStatus.CANCELLED).values_list(
        "advisor_id", "blocked_start", "blocked_end"
    ):
        by_advisor[advisor_id].append((start, end))
    for ranges in by_advisor.values():
        ranges.sort()
        for (_, end), (start, _) in pairwise(ranges):
            assert end <= start


def assert_first_time_is_the_first_held_booking(bookings) -> None:
    firsts = {}
    for pk, key, status, first_time in bookings.order_by("start", "pk").values_list(
        "pk", "stat_enterprise_key", "status", "stat_first_time"
    ):
        if status in (BookingStatus.CANCELLED, BookingStatus.NO_SHOW):
            assert not first_time
        elif key not in firsts:
            firsts[key] = pk
            assert first_time
        else:
            assert not first_time


@pytest.fixture
def history(db):
    seed()
    return Booking.objects.select_related("advisor", "enterprise", "entrepreneur")


def test_a_year_of_history_with_every_status_and_feedback(history):
    now = timezone.now()
    assert 300 <= history.count() <= 550
    assert not history.filter(start__gte=now).exists()
    assert not history.filter(start__lt=now - timedelta(days=366)).exists()
    assert set(history.values_list("status", flat=True)) == set(BookingStatus.values)
    total = history.count()
    assert 0.05 <= history.filter(status=BookingStatus.CANCELLED).count() / total <= 0.2
    assert 0.03 <= history.filter(status=BookingStatus.NO_SHOW).count() / total <= 0.14

    completed = history.filter(status=BookingStatus.COMPLETED).count()
    assert 0.45 <= Feedback.objects.count() / completed <= 0.75
    assert not Feedback.objects.exclude(booking__status=BookingStatus.COMPLETED).exists()
    ratings = list(Feedback.objects.values_list("rating", flat=True))
    assert sum(r >= 3 for r in ratings) / len(ratings) > 0.8 and min(ratings) < 3
    assert Feedback.objects.exclude(comment="").exists()
    for feedback in Feedback.objects.select_related("booking"):
        assert feedback.booking.end <= feedback.created <= now


def test_every_gender_and_enterprise_kind_has_bookings_in_both_regions(history):
    for region in ("20", "07"):
        in_region = history.filter(stat_region=region)
        assert set(in_region.values_list("stat_gender", flat=True)) == set(Gender.values)
        assert set(in_region.values_list("stat_enterprise_kind", flat=True)) == set(EnterpriseKind.values)
        assert in_region.values("stat_municipality").distinct().count() >= 8
    for n in range(1, 6):
        assert history.filter(entrepreneur__email=f"entrepreneur{n}@example.se").exists()
    for advisor in Advisor.objects.all():
        assert history.filter(advisor=advisor).count() >= 30


def test_bookings_keep_the_advisors_rules(history):
    assert_no_overlaps(history)
    weekly = defaultdict(list)
    for advisor_id, day, start, end in WeeklyHours.objects.values_list(
        "advisor_id", "weekday", "start", "end"
    ):
        weekly[advisor_id, day].append((start, end))
    for b in history.prefetch_related("advisor__topics", "advisor__municipalities"):
        start, end = b.start.astimezone(STOCKHOLM), b.end.astimezone(STOCKHOLM)
        assert any(s <= start.time() and end.time() <= e for s, e in weekly[b.advisor_id, start.weekday()])
        assert start.minute % b.advisor.slot_step == 0
        assert not is_public_holiday(start.date())
        assert b.duration in b.advisor.session_lengths
        assert b.end - b.start == timedelta(minutes=b.duration)
        assert b.blocked_start == b.start - timedelta(minutes=b.advisor.buffer_before)
        assert b.blocked_end == b.end + timedelta(minutes=b.advisor.buffer_after)
        assert b.topic_id in {t.pk for t in b.advisor.topics.all()}
        assert b.mode in b.advisor.meeting_modes
        served = {m.code for m in b.advisor.municipalities.all()}
        assert not served or b.enterprise.municipality_id in served
        if b.status == BookingStatus.CANCELLED:
            assert b.created < b.cancelled_at < b.start
        else:
            assert b.cancelled_at is None


def test_the_statistical_facts_are_those_the_booking_service_fixes(history):
    assert_first_time_is_the_first_held_booking(history)
    profiles = dict(EntrepreneurProfile.objects.values_list("user_id", "gender"))
    for b in history:
        assert b.stat_region == b.advisor.region_id
        assert b.stat_advisor_organisation == b.advisor.organisation
        assert b.stat_municipality == b.enterprise.municipality_id
        assert b.stat_enterprise_kind == b.enterprise.kind
        assert b.stat_gender == profiles[b.entrepreneur_id]
        assert b.stat_women_led == (b.enterprise.women_led == WomenLed.YES)
        assert (b.stat_person_key, b.stat_enterprise_key) == keys_of(b)
        assert 1 <= b.stat_waiting_days <= 30
        assert b.created == b.start - timedelta(days=b.stat_waiting_days)
        local = b.start.astimezone(STOCKHOLM).date() - b.created.astimezone(STOCKHOLM).date()
        assert local.days == b.stat_waiting_days
    waits = list(history.values_list("stat_waiting_days", flat=True))
    assert sorted(waits)[len(waits) // 2] <= 7  # skewed to short waits


def test_most_held_sessions_have_an_outcome_note_written_at_their_end(history):
    held = history.filter(status=BookingStatus.COMPLETED)
    noted = held.exclude(outcome_note="")

    assert 0.7 <= noted.count() / held.count() <= 0.9
    for b in noted:
        assert b.outcome_note in demo_history.OUTCOME_NOTES
        assert b.outcome_noted == b.end
    assert not held.filter(outcome_note="").exclude(outcome_noted=None).exists()
    # Only a held session has an outcome to write down.
    assert not history.exclude(status=BookingStatus.COMPLETED).exclude(outcome_note="").exists()
    assert not history.exclude(status=BookingStatus.COMPLETED).exclude(outcome_noted=None).exists()
    assert noted.values("outcome_note").distinct().count() >= 5


def test_the_enterprises_are_mixed_led_by_women_or_not(history):
    in_history = Enterprise.objects.filter(bookings__in=history).distinct()
    assert set(in_history.values_list("women_led", flat=True)) == set(WomenLed.values)
    assert history.filter(stat_women_led=True).exists() and history.filter(stat_women_led=False).exists()
    assert Enterprise.objects.get(name="Returhuset Falun ekonomisk förening").women_led == WomenLed.YES
    assert Enterprise.objects.get(name="Borlänge Matlag AB (SVB)").women_led == WomenLed.NO


def test_the_outcome_notes_come_the_same_from_the_same_seed(history):
    advisor = demo_history.AdvisorFacts.of(Advisor.objects.order_by("pk").first(), [1])
    client = demo_history.Client(1, 1, "2080", EnterpriseKind.SOCIAL, Gender.WOMAN, "e", "p", True)
    window = demo_history.Window.ending(timezone.now())
    start = timezone.now() - timedelta(days=30)

    def build():
        builder = demo_history.Builder(random.Random(demo_history.SEED), window)
        for n in range(60):
            builder.add(
                advisor, client, start + timedelta(days=n // 4, hours=n % 4), advisor.geometry.lengths[0]
            )
        return builder.bookings

    first, again = build(), build()
    assert [(b.status, b.outcome_note, b.outcome_noted) for b in first] == [
        (b.status, b.outcome_note, b.outcome_noted) for b in again
    ]
    assert any(b.outcome_note for b in first)
    assert all(b.stat_women_led for b in first)  # from the client's enterprise


def test_generated_people_are_obviously_fake_and_cannot_sign_in(history):
    generated = User.objects.filter(email__endswith="@example.invalid")
    assert generated.count() == 60
    assert history.filter(entrepreneur__in=generated).values("entrepreneur").distinct().count() == 60
    assert not EmailAddress.objects.filter(user__in=generated).exists()
    assert not any(u.has_usable_password() for u in generated)
    for enterprise in Enterprise.objects.filter(members__in=generated).exclude(org_number=""):
        assert normalise_org_number(enterprise.org_number) == enterprise.org_number
    numbers = list(Enterprise.objects.exclude(org_number="").values_list("org_number", flat=True))
    assert len(numbers) == len(set(numbers))


def test_the_history_is_added_once(db):
    out, _ = seed()
    assert "Added a year of past bookings" in out
    counts = (
        Booking.objects.count(),
        Feedback.objects.count(),
        User.objects.count(),
        Enterprise.objects.count(),
    )

    out, _ = seed()

    assert "already in place" in out
    assert counts == (
        Booking.objects.count(),
        Feedback.objects.count(),
        User.objects.count(),
        Enterprise.objects.count(),
    )


def test_history_bookings_adds_exactly_n_in_bulk(db, django_assert_max_num_queries):
    seed()
    before = set(Booking.objects.values_list("pk", flat=True))
    with CaptureQueriesContext(connection) as plain:
        seed()  # the accounts' upserts, the same in both runs

    # Bulk inserts: on SQLite, Django puts 999 variables at most in an
    # INSERT, 25 bookings of 39 columns, so 2,000 take 80 (and their feedback
    # some more); on PostgreSQL one takes 5,000.
    with django_assert_max_num_queries(len(plain) + 120):
        out, err = seed(history_bookings=2000)

    added = Booking.objects.exclude(pk__in=before)
    assert added.count() == 2000
    assert "2,000 more past bookings" in out
    assert "100% 2,000/2,000" in err  # not a terminal: a line every 5 %
    assert set(added.values_list("stat_region", flat=True)) == {"20", "07"}
    assert set(added.values_list("status", flat=True)) >= {"completed", "no_show", "cancelled"}
    assert Feedback.objects.filter(booking__in=added).count() > 500
    # About one in twelve needs something to take part; now and then it was not met.
    with_needs = list(added.exclude(stat_needs=[]))
    assert 80 < len(with_needs) < 250
    assert all(b.stat_needs == needs.kinds_of(b.needs) for b in with_needs)
    assert all(set(b.needs_not_met) <= set(b.stat_needs) for b in with_needs)
    assert any(b.needs_not_met for b in with_needs)
    # Generated advisors hold them, out of the directory.
    assert not Advisor.objects.filter(bookings__in=added, is_active=True).exists()
    assert Advisor.objects.filter(is_active=True).count() == 6
    assert_no_overlaps(Booking.objects.all())
    assert_first_time_is_the_first_held_booking(Booking.objects.all())
    first = added.select_related("enterprise", "entrepreneur").first()
    assert (first.stat_person_key, first.stat_enterprise_key) == keys_of(first)


def test_history_bookings_add_up_over_runs(db):
    demo_history.seed_bulk_history(1500, batch_size=1000)
    demo_history.seed_bulk_history(700, batch_size=1000)

    assert Booking.objects.count() == 2200
    assert_no_overlaps(Booking.objects.all())
    assert_first_time_is_the_first_held_booking(Booking.objects.all())


def test_a_negative_count_is_refused(db):
    with pytest.raises(CommandError):
        seed(history_bookings=-1)

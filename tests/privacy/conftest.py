"""People with a history to export or erase.

- `sara` (the `entrepreneur`) runs Returhuset in Falun; she has a held session
  with Anna (feedback given, Anna's private notes on it), one session ahead,
  a waitlist place, reminder settings, a calendar feed and an API token.
- `anna` (the `advisor`) holds both sessions.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from advisors.models import Topic
from backend.models import ApiToken
from backend.services import api_token_issue
from bookings.models import Booking, Enterprise, EnterpriseKind, EntrepreneurProfile, Gender, WomenLed
from bookings.services import booking_create, booking_give_feedback, booking_record_outcome
from bookings.waitlist import waitlist_join
from notifications.feeds import calendar_feed_rotate, notification_settings_save

# Monday 1 March 2027, 07:00 in Stockholm.
NOW = datetime(2027, 3, 1, 6, 0, tzinfo=UTC)
PAST_START = datetime(2027, 3, 2, 8, 0, tzinfo=UTC)  # Tuesday 09:00 in Stockholm
LATER = datetime(2027, 3, 8, 6, 0, tzinfo=UTC)  # the Monday after
AHEAD_START = datetime(2027, 3, 10, 8, 0, tzinfo=UTC)  # Wednesday 09:00, after LATER


@pytest.fixture
def frozen_clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def anna(advisor):
    return advisor


@pytest.fixture
def sara(entrepreneur, anna, other_advisor, frozen_clock):
    topic = Topic.objects.filter(is_active=True).order_by("position").first()
    enterprise = Enterprise.objects.create(
        name="Returhuset",
        org_number="769600-0004",
        kind=EnterpriseKind.WORK_INTEGRATING,
        municipality_id="2080",
        women_led=WomenLed.YES,
    )
    enterprise.members.add(entrepreneur)
    EntrepreneurProfile.objects.create(user=entrepreneur, gender=Gender.WOMAN)
    held = booking_create(
        entrepreneur=entrepreneur,
        advisor=anna,
        start=PAST_START,
        duration=60,
        topic=topic,
        mode="video",
        message="We need help with a loan application.",
    )
    frozen_clock.move_to(LATER)
    booking_record_outcome(
        booking=held,
        by=anna.user,
        attended=True,
        private_notes="Anna's own notes.",
        outcome_note="We went through the budget; Sara applies in May.",
    )
    booking_give_feedback(booking=held, by=entrepreneur, rating=4, comment="Anna was very helpful.")
    booking_create(
        entrepreneur=entrepreneur,
        advisor=anna,
        start=AHEAD_START,
        duration=60,
        topic=topic,
        mode="video",
        message="Follow-up on the loan.",
    )
    # Erik (Kronoberg) keeps no hours, so nothing of his is free and Sara may wait for him.
    other_advisor.weekly_hours.all().delete()
    waitlist_join(entrepreneur=entrepreneur, advisor=other_advisor)
    notification_settings_save(user=entrepreneur, reminder_2h=False)
    calendar_feed_rotate(user=entrepreneur)
    api_token_issue(user=entrepreneur)
    assert ApiToken.objects.filter(user=entrepreneur).exists()
    assert Booking.objects.filter(entrepreneur=entrepreneur).count() == 2
    return entrepreneur

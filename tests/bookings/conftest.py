"""Fixtures of the API tests of the booking services (test_booking_*.py):
Anna's calendar, Sara's and
Ahmed's enterprises."""

from __future__ import annotations

import pytest

from advisors.models import Advisor, Topic
from bookings.models import EntrepreneurProfile, Gender
from tests.bookings.api import enterprise_for


@pytest.fixture
def anna(advisor) -> Advisor:
    """Anna: hourly slots, no buffers, a day's notice, advises on financing and starting up."""
    Advisor.objects.filter(pk=advisor.pk).update(slot_step=60, buffer_after=0, session_lengths=[60, 90])
    advisor.refresh_from_db()
    advisor.topics.set(Topic.objects.filter(slug__in=["financing", "starting-up"]))
    return advisor


@pytest.fixture
def sara(entrepreneur):
    enterprise_for(entrepreneur, org_number="769600-0004")
    EntrepreneurProfile.objects.create(user=entrepreneur, gender=Gender.WOMAN)
    return entrepreneur


@pytest.fixture
def ahmed(other_entrepreneur):
    enterprise_for(other_entrepreneur, name="Matlaget", municipality_id="2081")
    return other_entrepreneur

"""What the API tests of the booking services (test_booking_*.py) share
besides their fixtures (tests/bookings/conftest.py): the clock's times, an
enterprise for a person, and booking through the API."""

from __future__ import annotations

from datetime import UTC, datetime

from bookings.models import (
    Enterprise,
    EnterpriseKind,
)
from tests.conftest import client_for

# Monday 1 March 2027, 07:00 in Stockholm.
NOW = datetime(2027, 3, 1, 6, 0, tzinfo=UTC)
TUESDAY_0900 = "2027-03-02T09:00:00+01:00"
TUESDAY_1000 = "2027-03-02T10:00:00+01:00"


def enterprise_for(user, **over) -> Enterprise:
    values = {"name": "Returhuset", "kind": EnterpriseKind.WORK_INTEGRATING, "municipality_id": "2080"}
    values.update(over)
    enterprise = Enterprise.objects.create(**values)
    enterprise.members.add(user)
    return enterprise


def book(user, adv, start=TUESDAY_0900, **over):
    body = {"advisor": adv.pk, "start": start, "duration": 60, "topic": "financing", "mode": "video"}
    body.update(over)
    return client_for(user).post("/api/v1/bookings/", body, format="json")

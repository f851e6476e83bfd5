"""The statistics keys of a booking survive a rotation of SECRET_KEY."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection
from django.utils.crypto import salted_hmac

from advisors.models import Advisor
from bookings import pseudonyms
from bookings.models import Booking, Enterprise, EnterpriseKind, PseudonymSecret
from tests import factories

pytestmark = pytest.mark.usefixtures("frozen_clock")  # at NOW (tests/conftest.py)

NOW = datetime(2027, 3, 1, 6, 0, tzinfo=UTC)  # Monday 07:00 in Stockholm
migration = importlib.import_module("bookings.migrations.0007_pseudonym_secrets")


@pytest.fixture
def anna(advisor) -> Advisor:
    Advisor.objects.filter(pk=advisor.pk).update(slot_step=60, buffer_after=0, session_lengths=[60])
    advisor.refresh_from_db()
    return advisor


def book(entrepreneur, advisor, start: str) -> Booking:
    return factories.book(entrepreneur, advisor, datetime.fromisoformat(start))


def test_rotating_secret_key_keeps_an_enterprise_returning_and_counted_once(entrepreneur, anna, settings):
    enterprise = Enterprise.objects.create(
        name="Returhuset",
        kind=EnterpriseKind.WORK_INTEGRATING,
        municipality_id="2080",
        org_number="769600-0004",
    )
    enterprise.members.add(entrepreneur)
    first = book(entrepreneur, anna, "2027-03-02T09:00:00+01:00")

    settings.SECRET_KEY = "a-new-secret-key-after-rotation-long-enough-for-django-checks"
    second = book(entrepreneur, anna, "2027-03-02T10:00:00+01:00")

    assert first.stat_first_time and not second.stat_first_time
    assert second.stat_enterprise_key == first.stat_enterprise_key
    assert second.stat_person_key == first.stat_person_key


def test_the_keys_are_not_those_of_secret_key(db):
    person, enterprise = pseudonyms.statistics_keys(person_id=7, enterprise="org:769600-0004")

    assert person != salted_hmac("radtid.statistics.person", "7", algorithm="sha256").hexdigest()
    assert (
        enterprise
        != salted_hmac("radtid.statistics.enterprise", "org:769600-0004", algorithm="sha256").hexdigest()
    )


def test_a_database_with_bookings_keeps_the_keys_made_under_secret_key(entrepreneur, anna):
    enterprise = Enterprise.objects.create(
        name="Matlaget", kind=EnterpriseKind.WORK_INTEGRATING, municipality_id="2080"
    )
    enterprise.members.add(entrepreneur)
    book(entrepreneur, anna, "2027-03-02T09:00:00+01:00")
    PseudonymSecret.objects.all().delete()

    migration.keep_the_keys_already_made(apps, SimpleNamespace(connection=connection))

    ref = pseudonyms.enterprise_ref(org_number="", pk=enterprise.pk)
    assert pseudonyms.statistics_keys(person_id=entrepreneur.pk, enterprise=ref) == (
        salted_hmac("radtid.statistics.person", str(entrepreneur.pk), algorithm="sha256").hexdigest(),
        salted_hmac(
            "radtid.statistics.enterprise", f"enterprise:{enterprise.pk}", algorithm="sha256"
        ).hexdigest(),
    )


def test_a_new_database_gets_random_secrets(db):
    PseudonymSecret.objects.all().delete()

    migration.keep_the_keys_already_made(apps, SimpleNamespace(connection=connection))

    stored = set(PseudonymSecret.objects.values_list("secret", flat=True))
    derived = {
        migration.hashlib.sha256((salt + "x").encode()).hexdigest() for salt in migration.SALTS.values()
    }
    assert len(stored) == 2 and not stored & derived


def test_missing_secrets_are_made_once_and_then_kept(db):
    PseudonymSecret.objects.all().delete()

    made = pseudonyms.statistics_keys(person_id=1, enterprise="enterprise:1")

    assert PseudonymSecret.objects.count() == 2
    assert pseudonyms.statistics_keys(person_id=1, enterprise="enterprise:1") == made

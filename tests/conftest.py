"""Shared fixtures. The people in them, like healthchecks' Alice and Bob:

- `entrepreneur`: Sara, runs a work-integrating social enterprise in Falun
- `other_entrepreneur`: Ahmed, another entrepreneur who must never see Sara's data
- `advisor`: Anna, advisor at Coompanion Dalarna (region 20)
- `other_advisor`: Erik, advisor in Kronoberg (region 07)
- `coordinator`: Karin, regional coordinator for Dalarna
- `other_region_coordinator`: Per, regional coordinator for Kronoberg
- `staff`: a platform operator
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.utils import translation
from pytest_django.plugin import blocking_manager_key
from rest_framework.test import APIClient

from tests import factories


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None):
    """A transactional test ends by flushing every table, the regions and
    topics the migrations load included. Django's runner hides this by running
    such tests last; under xdist's --dist loadscope a module's transactional
    test runs among its other tests, and every module after it on that worker
    would find no regions. So put the migrated rows back once its fixtures are
    torn down."""
    result = yield
    marker = item.get_closest_marker("django_db")
    if nextitem is not None and marker is not None and marker.kwargs.get("transaction"):
        from django.db import connections

        with item.config.stash[blocking_manager_key].unblock():
            for connection in connections.all():
                contents = getattr(connection, "_test_serialized_contents", None)
                if contents:
                    connection.creation.deserialize_db_from_string(contents)
    return result


@pytest.fixture(autouse=True)
def default_language():
    """Each test starts in the site's default language (Swedish): a request in
    English leaves its language active in the thread, which would otherwise
    make the next test's messages depend on the order tests run in."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def entrepreneur(db):
    return factories.UserFactory(email="sara@example.se", full_name="Sara Nilsson")


@pytest.fixture
def other_entrepreneur(db):
    return factories.UserFactory(email="ahmed@example.se", full_name="Ahmed Ali")


@pytest.fixture
def advisor(db):
    return factories.AdvisorFactory(
        user__email="anna@example.se", user__full_name="Anna Lindqvist", region_id="20"
    )


@pytest.fixture
def other_advisor(db):
    return factories.AdvisorFactory(
        user__email="erik@example.se", user__full_name="Erik Berg", region_id="07"
    )


@pytest.fixture
def coordinator(db):
    return factories.CoordinatorFactory(user__email="karin@example.se", region_id="20")


@pytest.fixture
def other_region_coordinator(db):
    return factories.CoordinatorFactory(user__email="per@example.se", region_id="07")


@pytest.fixture
def staff(db):
    """Signs in with two-factor authentication, as the admin demands of staff."""
    return factories.StaffFactory(email="ops@example.se")


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client

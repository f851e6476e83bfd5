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

import functools
import inspect
from collections.abc import Callable, Iterator
from pathlib import Path
from types import CodeType, FunctionType

import pytest
import time_machine
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


# The second pass of `make test`, on PostgreSQL and Redis, runs only the tests
# marked `services` (tests/services.py). A test that shows it depends on the
# database, cache or broker under it, yet is not marked, would never meet
# PostgreSQL or Redis: it fails, saying so, rather than let that be forgotten.
# The signs are read from the names the code uses (the test's, those of the
# fixtures of tests/ it uses, and of the functions of their own modules they
# call). They cannot see every dependence (SQL the two databases answer
# differently, deep in a service), so such tests are marked by hand as well.
SERVICE_FIXTURES = {
    "database_vendor": "runs a live stack on the run's database",
    "site": "serves the demo site on the run's database",
    "transactional_db": "commits for real",
}
SERVICE_NAMES = {
    "vendor": "reads the database's vendor",
    "select_for_update": "takes row locks",
    "IntegrityError": "relies on a database constraint",
    "POSTGRES_URL": "needs PostgreSQL",
    "REDIS_URL": "needs Redis",
    "require_services_pass": "needs PostgreSQL and Redis",
}
CACHE_CALLS = {"clear", "get", "set", "add", "incr", "delete", "get_many", "set_many"}
TESTS_DIR = str(Path(__file__).resolve().parent)


UNMARKED = pytest.StashKey[str]()
UNGROUPED = pytest.StashKey[str]()


# First: xdist's worker reads the xdist_group markers in its own hook of this
# name, which pytest would otherwise call before this one (this conftest loads
# before xdist's worker plugin registers, and later registrations run first).
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        group = _shared_setup(item)
        if group:
            item.add_marker(pytest.mark.xdist_group(group))
        if item.get_closest_marker("services") is None:
            why = _depends_on_services(item)
            if why:
                item.stash[UNMARKED] = why


def pytest_collection_finish(session: pytest.Session) -> None:
    # On an xdist worker under --dist loadgroup, xdist marks each grouped test
    # by a suffix of its node id; if a pytest or xdist release stops doing that
    # (pytest-dev/pytest-xdist#1386), every live stack is quietly built once per
    # test instead of once per module: fail those tests instead.
    if not session.config.getoption("loadgroup", default=False):
        return
    for item in session.items:
        if item.get_closest_marker("xdist_group") and "@" not in item.nodeid:
            item.stash[UNGROUPED] = (
                "--dist loadgroup did not group this test (no @group suffix on its node id): "
                "pytest and pytest-xdist disagree on node ids; see pyproject.toml's pin of pytest"
            )


def pytest_runtest_setup(item: pytest.Item) -> None:
    if UNGROUPED in item.stash:
        pytest.fail(item.stash[UNGROUPED], pytrace=False)
    why = item.stash.get(UNMARKED, None)
    if why:
        pytest.fail(
            f"this test {why}, so the pass on PostgreSQL and Redis must run it: "
            "mark it @pytest.mark.services (see tests/services.py)",
            pytrace=False,
        )


def _shared_setup(item: pytest.Item) -> str | None:
    """Under `--dist loadgroup` (the Makefile's) tests run on whichever xdist
    worker is free, except those sharing a fixture of ours wider than one test
    (a live stack, a server, the browser): they are kept together on one
    worker, so that it is set up once. The group is the module for a module's
    or class's fixture, the fixture's directory for a session's."""
    group = None
    for defs in getattr(getattr(item, "_fixtureinfo", None), "name2fixturedefs", {}).values():
        fixture = defs[-1]
        if fixture.scope == "function" or not _own(fixture.func):
            continue
        if fixture.scope in ("session", "package"):
            return fixture.baseid or "tests"
        group = item.nodeid.split("::", 1)[0]
    return group


def _own(function: Callable) -> bool:
    code = getattr(inspect.unwrap(function), "__code__", None)
    return code is not None and code.co_filename.startswith(TESTS_DIR)


def _depends_on_services(item: pytest.Item) -> str | None:
    """Why `item` depends on the services under it, if its fixtures or the
    names its code uses show it; else None."""
    for name in getattr(item, "fixturenames", ()):
        if name in SERVICE_FIXTURES:
            return f"uses the fixture {name} ({SERVICE_FIXTURES[name]})"
    marker = item.get_closest_marker("django_db")
    if marker is not None and marker.kwargs.get("transaction"):
        return "is a transactional test (it commits for real)"
    function = getattr(item, "function", None)
    if function is None:
        return None
    functions = [function]
    for defs in getattr(getattr(item, "_fixtureinfo", None), "name2fixturedefs", {}).values():
        functions += [d.func for d in defs]
    for f in functions:
        why = _signs(inspect.unwrap(f))
        if why:
            return why
    return None


def _signs(function: Callable) -> str | None:
    """What in `function`, or in a function of its own module it calls, shows a
    dependence on the services."""
    seen, todo = set(), [function]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        why, called = _own_signs(current)
        if why:
            return why
        todo += called
    return None


@functools.cache
def _own_signs(function: Callable) -> tuple[str | None, tuple[Callable, ...]]:
    """What `function`'s own code shows (None outside tests/), and the functions
    of its module it calls by name."""
    if not _own(function):
        return None, ()
    names = set(_names(function.__code__))
    for name, why in SERVICE_NAMES.items():
        if name in names:
            return why, ()
    if "cache" in names and names & CACHE_CALLS:
        return "counts on the cache", ()
    module = inspect.getmodule(function)
    called = (getattr(module, name, None) for name in names)
    return None, tuple(
        f for f in called if isinstance(f, FunctionType) and f.__module__ == function.__module__
    )


def _names(code: CodeType) -> Iterator[str]:
    """The global and attribute names `code` and the functions nested in it use."""
    yield from code.co_names
    for const in code.co_consts:
        if isinstance(const, CodeType):
            yield from _names(const)


@pytest.fixture(autouse=True)
def default_language():
    """Each test starts in the site's default language (Swedish): a request in
    English leaves its language active in the thread, which would otherwise
    make the next test's messages depend on the order tests run in."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture
def frozen_clock(request: pytest.FixtureRequest):
    """Time stopped at the test module's NOW (an aware datetime it defines),
    for Django, allauth and pyotp alike; `frozen_clock.move_to(...)` moves it.
    A module that wants it for every test says
    `pytestmark = pytest.mark.usefixtures("frozen_clock")`."""
    now = getattr(request.module, "NOW", None)
    if now is None:
        pytest.fail(f"{request.module.__name__} asks for frozen_clock but defines no NOW")
    with time_machine.travel(now, tick=False) as traveller:
        yield traveller


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

"""A real browser against a real server: Debian's Chromium, driven by
Playwright's sync API, on Rådtid served by gunicorn with production settings
(DJANGO_DEBUG=0, collected static files served by whitenoise) over a
PostgreSQL database made for the run, with Redis as broker and cache: the
suite's second pass (`make test-services`); the first skips them. The database is seeded
with `manage.py seed_demo`, so the demo accounts exist. Mail goes to .eml
files in a folder the tests read, as a person reads their inbox.

One server and one browser serve the tests of this package (on one xdist worker);
each test opens its own browser contexts, so cookies never leak between
tests. A failing test leaves a screenshot of each page it opened in
var/e2e-screenshots/<test>.png.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import time
from collections.abc import Callable, Iterator
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import expect, sync_playwright

from tests.integration.conftest import BASE_DIR, LiveStack, broker_for, cache_env, free_port, own_database
from tests.services import require, require_services_pass

DEMO_PASSWORD = "demo-pass-2026"
SCREENSHOTS = BASE_DIR / "var" / "e2e-screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Playwright waits this long for a page or an element before it gives up; the
# server is local, so anything slower is a failure worth a screenshot.
TIMEOUT_MS = 15_000
expect.set_options(timeout=TIMEOUT_MS)


def chromium_path() -> str | None:
    return shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)


class DemoSite(LiveStack):
    """The live stack of tests/integration, seeded with the demo data instead
    of its race fixtures, with mail kept as files in `mail_dir`."""

    mail_dir: Path

    @classmethod
    @contextlib.contextmanager
    def serving(cls, vendor: str, *, workdir: Path) -> Iterator[DemoSite]:
        port = free_port()
        mail_dir = workdir / "mail"
        with own_database(vendor, workdir, migrated=True) as database_url, broker_for(vendor) as broker:
            # What a production server gets, nothing inherited from the test run.
            env = {
                **{k: os.environ[k] for k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR") if k in os.environ},
                "DJANGO_SETTINGS_MODULE": "backend.settings",
                "DJANGO_DEBUG": "0",
                "SECRET_KEY": secrets.token_urlsafe(40),
                "SITE_URL": f"http://127.0.0.1:{port}",
                "ALLOWED_HOSTS": "127.0.0.1",
                "DATABASE_URL": database_url,
                "CELERY_BROKER_URL": broker,
                **cache_env(broker),
                "EMAIL_URL": f"filemail://{mail_dir}",
                "RADTID_VAR_DIR": str(workdir / "var"),
                "LOG_LEVEL": "WARNING",
                "PYTHONUNBUFFERED": "1",
            }
            site = cls(vendor, database_url, port, env, workdir / "server.log")
            site.mail_dir = mail_dir
            site.manage("seed_demo")
            # DEBUG off serves the hashed, compressed files of collectstatic (whitenoise).
            site.manage("collectstatic", "--noinput")
            with site._serve(workers=2, threads=4):
                yield site

    # --- The inbox -------------------------------------------------------------

    def mails_to(self, address: str) -> list[EmailMessage]:
        """Mails sent to `address` so far, oldest first."""
        found = []
        for path in sorted(self.mail_dir.glob("*.eml")):
            with path.open("rb") as f:
                message = BytesParser(policy=policy.default).parse(f)
            if address.lower() in str(message.get("To", "")).lower():
                found.append(message)
        return found

    def wait_for_mail(self, address: str, *, count: int = 1, timeout: float = 10) -> EmailMessage:
        """The `count`th mail to `address`, waiting for it to arrive."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            mails = self.mails_to(address)
            if len(mails) >= count:
                return mails[count - 1]
            time.sleep(0.1)
        raise AssertionError(f"no mail number {count} to {address} within {timeout} s in {self.mail_dir}")

    @staticmethod
    def text_of(message: EmailMessage) -> str:
        part = message.get_body(preferencelist=("plain", "html"))
        assert part is not None, "a mail without a text body"
        return part.get_content()

    # --- The API, for what a test needs to exist but does not test --------------

    def api(self, email: str, password: str = DEMO_PASSWORD) -> requests.Session:
        """A requests session signed in to the API as `email` with a token."""
        session = requests.Session()
        response = session.post(
            self.url("/api/v1/auth/token/"), json={"email": email, "password": password}, timeout=30
        )
        assert response.status_code == 200, response.text
        session.headers["Authorization"] = f"Token {response.json()['token']}"
        return session

    def get_json(self, path: str) -> Any:
        response = requests.get(self.url(path), timeout=30)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's Chromium: Playwright's own browser builds are never downloaded."""
    path = chromium_path()
    require("Chromium", path is not None, "install Debian's chromium (apt-get install chromium)")
    assert path is not None
    return path


@pytest.fixture(scope="package")
def site(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoSite]:
    """The demo site as production serves it: gunicorn on PostgreSQL and Redis,
    in the suite's second pass only. What the browser meets is the pages, the
    same on either database, so they are walked once, in the production mode,
    rather than again on SQLite (tests/integration proves the embedded mode)."""
    require_services_pass("the browser walks the site as production serves it")
    workdir = tmp_path_factory.mktemp("e2e")
    with DemoSite.serving("postgresql", workdir=workdir) as served:
        yield served


# Package scope, not session: Playwright's sync API keeps an event loop running
# in the thread while it is open, and Django refuses its database from a thread
# with a running loop (SynchronousOnlyOperation). The e2e tests run as one
# xdist group, so the browser closes before the worker's next tests.
@pytest.fixture(scope="package")
def browser(chromium: str) -> Iterator[Any]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    # Keep each phase's report on the item (item.rep_setup, rep_call,
    # rep_teardown), so a fixture can tell at teardown whether the test failed.
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def _screenshot_name(nodeid: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid.split("::", 1)[-1]).strip("_")


@pytest.fixture
def new_page(browser: Any, site: DemoSite, request: pytest.FixtureRequest) -> Iterator[Callable[..., Any]]:
    """Opens a page in a new browser context (its own cookies), by default a
    desktop window in Swedish. Pages of a test that failed are screenshotted."""
    contexts: list[Any] = []
    pages: list[Any] = []

    def open_page(*, width: int = 1280, height: int = 900, locale: str = "sv-SE", **options: Any) -> Any:
        context = browser.new_context(
            base_url=site.base_url,
            viewport={"width": width, "height": height},
            locale=locale,
            timezone_id="Europe/Stockholm",
            accept_downloads=True,
            **options,
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        pages.append(page)
        return page

    yield open_page

    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        name = _screenshot_name(request.node.nodeid)
        for n, page in enumerate(pages, start=1):
            path = SCREENSHOTS / (f"{name}.png" if n == 1 else f"{name}-{n}.png")
            with contextlib.suppress(Exception):  # a crashed page has no picture to give
                page.screenshot(path=str(path), full_page=True)
                print(f"screenshot of {page.url}: {path}")
        print(f"server log ({site.log}):\n{site.log_tail()}")
    for context in contexts:
        with contextlib.suppress(Exception):
            context.close()

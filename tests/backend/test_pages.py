from __future__ import annotations

import re

import pytest
from django.conf import settings

from backend import urls as backend_urls

# The site without the account's privacy pages (another part of the project
# builds them), for the privacy notice's fallback; used with pytest.mark.urls.
urlpatterns = [p for p in backend_urls.urlpatterns if getattr(p, "name", None) != "account_privacy"]
handler404 = backend_urls.handler404


def english(client):
    """The page texts are English in the code; the Swedish comes with the translations."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_the_start_page_says_what_the_service_is_for_in_swedish_by_default(client, db):
    response = client.get("/")

    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="sv">' in html
    assert "Hoppa till innehållet" in html
    assert "socialt företag" in html or "sociala företag" in html


def test_the_layout_has_a_skip_link_landmarks_and_the_footer_links(client, db):
    html = client.get("/").content.decode()

    assert 'href="#main"' in html and 'id="main"' in html
    for landmark in ("<header", "<nav", "<main", "<footer"):
        assert landmark in html
    assert 'href="/privacy/"' in html
    assert 'href="/accessibility/"' in html


def test_the_language_switch_works_without_javascript_and_is_remembered(client, db):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})

    assert response.status_code == 302
    html = client.get("/").content.decode()
    assert '<html lang="en">' in html
    assert "Skip to content" in html
    assert "Book free advice for your social enterprise" in html


@pytest.mark.parametrize(
    "path",
    [
        "/privacy/",
        "/accessibility/",
        "/help/advisors/",
        "/help/coordinators/",
        "/accounts/login/",
        "/accounts/signup/",
    ],
)
def test_the_public_pages_render(client, db, path):
    assert client.get(path).status_code == 200


def test_an_unknown_page_gets_the_friendly_404(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Sidan hittades inte" in response.content.decode()


def test_a_page_for_another_role_gets_the_friendly_403(client, entrepreneur):
    client.force_login(entrepreneur)
    response = client.get("/advisor/")
    assert response.status_code == 403
    assert "Hoppa till innehållet" in response.content.decode()  # the site's layout, not Django's bare page


def test_the_menu_shows_each_role_its_own_pages(client, advisor, coordinator):
    assert 'href="/advisors/"' in client.get("/").content.decode()
    client.force_login(advisor.user)
    assert 'href="/advisor/"' in client.get("/").content.decode()
    client.force_login(coordinator.user)
    html = client.get("/").content.decode()
    assert 'href="/coordinator/advisors/"' in html and 'href="/advisor/"' not in html


def test_each_role_finds_its_help_page_in_the_footer(client, entrepreneur, advisor, coordinator):
    client.force_login(entrepreneur)
    html = client.get("/bookings/").content.decode()
    assert 'href="/help/advisors/"' not in html and 'href="/help/coordinators/"' not in html
    client.force_login(advisor.user)
    html = client.get("/advisor/").content.decode()
    assert 'href="/help/advisors/"' in html and 'href="/help/coordinators/"' not in html
    client.force_login(coordinator.user)
    html = client.get("/statistics/").content.decode()
    assert 'href="/help/coordinators/"' in html and 'href="/help/advisors/"' not in html


def test_the_start_page_links_both_help_pages(client, db):
    html = client.get("/").content.decode()
    assert 'href="/help/advisors/"' in html and 'href="/help/coordinators/"' in html


def test_the_advisors_help_explains_each_setting_and_links_its_page(client, db):
    response = english(client).get("/help/advisors/")
    page = text(response)
    for heading in (
        "Weekly hours",
        "Hours on given dates",
        "Time off",
        "Booking settings",
        "Your external calendar",
    ):
        assert heading in page
    assert "Yes, held" in page  # recording an outcome, in the words of the form
    html = response.content.decode()
    for url in (
        "/advisor/hours/",
        "/advisor/overrides/",
        "/advisor/time-off/",
        "/advisor/settings/",
        "/bookings/advisor/",
    ):
        assert f'href="{url}"' in html


@pytest.mark.parametrize("threshold", [5, 3])
def test_the_coordinators_help_explains_the_statistics(client, db, settings, threshold):
    settings.STATISTICS_SUPPRESSION_THRESHOLD = threshold
    response = english(client).get("/help/coordinators/")
    page = text(response)
    assert f"1 to {threshold - 1} enterprises or people is shown as “&lt;{threshold}”" in page
    for words in ("Project period", "last quarter", "Excel file (XLSX)", "first day of each month"):
        assert words in page
    # Issue 16: the periods a report covers, and the rounding against subtracting reports.
    assert "A report covers whole calendar months or whole weeks, from a Monday to a Sunday" in page
    assert f"rounded to the nearest multiple of {threshold}" in page
    html = response.content.decode()
    assert 'href="/statistics/"' in html and 'href="/statistics/definitions/"' in html


def test_the_accessibility_statement_follows_digg_s_model(client, db, settings):
    settings.ACCESSIBILITY_CONTACT_EMAIL = "tillganglighet@region.example.se"
    response = english(client).get("/accessibility/")
    page = text(response)
    html = response.content.decode()

    assert "partially compliant" in page
    assert "WCAG) 2.1 at level AA" in page and "EN 301 549" in page
    assert 'href="mailto:tillganglighet@region.example.se"' in html
    assert 'href="https://www.digg.se/tdosanmalan"' in html
    assert "Content that is not accessible" in page and "screen readers" in page
    assert "axe-core" in page and "keyboard" in page
    assert "last reviewed on 28 November 2026" in page


def test_the_privacy_notice_names_the_controller_from_the_settings(client, db, settings):
    settings.PRIVACY_CONTROLLER_NAME = "Region Kronoberg"
    settings.PRIVACY_CONTROLLER_CONTACT = "dataskydd@kronoberg.example.se"
    response = english(client).get("/privacy/")
    page = text(response)

    assert "Region Kronoberg runs this service and is the controller" in page
    assert 'href="mailto:dataskydd@kronoberg.example.se"' in response.content.decode()
    assert "public interest (article 6.1 e" in page
    assert "36 months" in page
    assert "shown as “&lt;5”" in page  # statistics are anonymous aggregates
    assert "imy.se" in page


def test_without_a_controller_name_the_privacy_notice_says_the_region(client, db, settings):
    settings.PRIVACY_CONTROLLER_NAME = ""
    page = text(english(client).get("/privacy/"))
    assert "The region that runs this service is the controller" in page


def test_the_privacy_notice_links_the_account_privacy_pages(client, db):
    html = english(client).get("/privacy/").content.decode()
    assert '<a href="/account/privacy/">your account\'s privacy page</a>' in html


@pytest.mark.urls("tests.backend.test_pages")
def test_without_the_account_privacy_pages_the_notice_gives_their_path(client, db):
    html = english(client).get("/privacy/").content.decode()
    assert "your account's privacy page (/account/privacy/)" in html
    assert 'href="/account/privacy/"' not in html

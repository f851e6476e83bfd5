from __future__ import annotations

import pytest


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


@pytest.mark.parametrize("path", ["/privacy/", "/accessibility/", "/accounts/login/", "/accounts/signup/"])
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

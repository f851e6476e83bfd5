"""Security headers on every response: a Content-Security-Policy without
'unsafe-inline' (the API docs alone widen it), no framing, a referrer and a
permissions policy; HSTS and secure cookies in production (test_settings.py
checks that they follow SITE_URL's scheme)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in policy.split(";") if part.strip())}


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/advisors/", "/api/v1/topics/", "/healthz"])
def test_every_response_carries_a_strict_policy(client, db, path):
    response = client.get(path, follow=True)

    csp = directives(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]


def test_only_the_api_docs_allow_inline_styles_and_never_inline_scripts(client, db):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    csp = directives(response)
    assert "'unsafe-inline'" in csp["style-src"]
    assert "'unsafe-inline'" not in csp["script-src"]
    # The split view loads Swagger UI's set-up as a file, so no inline script is needed.
    page = response.content.decode()
    assert not re.search(r"<script>(?!\s*</script>)", page)


def test_our_templates_have_no_inline_script_style_or_handlers():
    offenders = []
    for template in ROOT.glob("**/templates/**/*.html"):
        if template.relative_to(ROOT).parts[0] in {".venv", "var"}:
            continue  # installed packages, and make bench's throwaway venv in var/
        if "email" in template.parts:
            continue  # mail is not shown under the site's policy
        text = template.read_text()
        for pattern in (r"<script(?![^>]*\ssrc=)[^>]*>", r"<style", r"\sstyle=", r"\son[a-z]+="):
            if re.search(pattern, text):
                offenders.append(f"{template.relative_to(ROOT)}: {pattern}")
    assert offenders == []


def test_htmx_is_told_not_to_inject_its_style_element(client, db):
    page = client.get("/").content.decode()

    assert '<meta name="htmx-config" content=\'{"includeIndicatorStyles": false}\'>' in page

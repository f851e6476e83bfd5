"""The look's promises that can be checked without a browser: the logo and
its accessible name, the favicon (also at /favicon.ico), and that no button
which cancels, deactivates, erases, leaves or voids something is ever the
primary style (tests/e2e/test_accessibility.py takes the screenshots)."""

from __future__ import annotations

import re
import struct
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
TEMPLATE_DIRS = [BASE_DIR / "templates", *sorted(BASE_DIR.glob("*/templates"))]
STATIC_IMG = BASE_DIR / "static" / "img"

# The words (English msgids, as in the templates) of actions that cannot be undone.
RISKY = re.compile(
    r"\b(cancel|delete|deactivate|erase|withdraw|remove|leave|turn (it )?off|revoke|"
    r"make new codes|make a new calendar address)",
    re.IGNORECASE,
)
BUTTON = re.compile(r"<button\b(?P<attrs>[^>]*)>(?P<text>.*?)</button>", re.DOTALL)
BUTTON_LINK = re.compile(
    r"<a\b(?P<attrs>[^>]*\bclass=\"[^\"]*\bbutton\b[^\"]*\"[^>]*)>(?P<text>.*?)</a>", re.DOTALL
)


def risky_controls(source: str) -> list[tuple[str, bool]]:
    """Each button (or link styled as one) whose words are a risky action, with
    whether its style keeps it off the primary look: danger-styled, or a link."""
    found = []
    for pattern, allowed in ((BUTTON, ("button-danger", "link-button")), (BUTTON_LINK, ("button-danger",))):
        for match in pattern.finditer(source):
            text = re.sub(r"<span class=\"visually-hidden\">.*?</span>", "", match["text"], flags=re.DOTALL)
            if RISKY.search(text):
                classes = re.search(r'class="([^"]*)"', match["attrs"])
                found.append((text.strip(), bool(classes) and any(c in classes[1] for c in allowed)))
    return found


def templates() -> list[Path]:
    return [path for folder in TEMPLATE_DIRS for path in folder.rglob("*.html") if "email" not in path.parts]


def test_the_scan_catches_a_primary_risky_button():
    assert risky_controls('<button type="submit">{% translate "Delete" %}</button>') == [
        ('{% translate "Delete" %}', False)
    ]
    assert risky_controls('<a class="button" href="/x/">{% translate "Cancel it" %}</a>') == [
        ('{% translate "Cancel it" %}', False)
    ]
    assert risky_controls('<button type="submit" class="button-secondary button-danger">Erase</button>')[0][1]
    assert risky_controls('<button type="submit">{% translate "Save" %}</button>') == []


def test_no_risky_action_is_a_primary_button():
    primary, checked = [], []
    for path in templates():
        for text, fine in risky_controls(path.read_text(encoding="utf-8")):
            where = f"{path.relative_to(BASE_DIR)}: {text}"
            (checked if fine else primary).append(where)

    assert not primary, "risky actions styled as the primary button:\n" + "\n".join(primary)
    # The scan must see the risky actions there are, or it proves nothing.
    seen = "\n".join(checked)
    for expected in (
        "bookings/_cancel_form.html",
        "coordinator/deactivate.html",
        "account/privacy_erase.html",
        "waitlist/list.html",
        "mfa/totp/deactivate_form.html",
        "mfa/index.html",
        "mfa/recovery_codes/generate.html",
        "calendar_settings.html",
    ):
        assert expected in seen, f"the scan found no risky button in {expected}"


def test_the_safe_choice_stands_first_beside_erasing_the_account(client, entrepreneur):
    client.force_login(entrepreneur)

    page = client.get("/account/privacy/erase/").content.decode()

    keep = '<a class="button" href="/account/privacy/">Behåll mitt konto</a>'
    erase = (
        '<button type="submit" class="button-secondary button-danger">Radera mitt konto för alltid</button>'
    )
    assert keep in page and erase in page and page.index(keep) < page.index(erase)


def test_every_page_has_the_logo_named_as_the_start_page_and_the_icons(client, db):
    page = client.get("/").content.decode()

    # The link reads "Rådtid, startsidan"; the mark beside the name is decoration.
    assert re.search(
        r'<a class="brand-link" href="/"><img class="brand-mark" src="/static/img/logo.svg" alt=""[^>]*>'
        r'<span class="brand-name">Rådtid</span><span class="visually-hidden">, startsidan</span></a>',
        page,
    )
    assert '<link rel="icon" href="/static/img/logo.svg" type="image/svg+xml">' in page
    assert '<link rel="icon" href="/static/img/favicon.ico"' in page
    assert '<link rel="apple-touch-icon" href="/static/img/apple-touch-icon.png">' in page


def test_the_logo_is_in_english_the_home_page(client, db):
    client.cookies["django_language"] = "en"

    page = client.get("/").content.decode()

    assert '<span class="visually-hidden">, home page</span>' in page


def test_favicon_ico_leads_to_the_icon(client, db):
    response = client.get("/favicon.ico")

    assert response.status_code == 302
    assert response["Location"] == "/static/img/favicon.ico"
    assert "max-age=86400" in response["Cache-Control"]


@pytest.mark.parametrize("method", ["post", "put"])
def test_favicon_ico_answers_only_reading(client, db, method):
    assert getattr(client, method)("/favicon.ico").status_code == 405


def test_the_icon_files_are_what_they_say():
    ico = (STATIC_IMG / "favicon.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", ico[:6])
    assert (reserved, kind) == (0, 1) and count >= 2  # an icon with several sizes
    sizes = {ico[6 + 16 * n] for n in range(count)}
    assert {16, 32} <= sizes
    assert (STATIC_IMG / "apple-touch-icon.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = ET.parse(STATIC_IMG / "logo.svg").getroot()  # noqa: S314 (our own file)
    assert svg.tag == "{http://www.w3.org/2000/svg}svg" and svg.get("viewBox") == "0 0 32 32"

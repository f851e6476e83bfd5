"""On a phone 360 px wide, the public pages fit: nothing scrolls sideways
(WCAG 1.4.10 Reflow asks for 320 CSS px; 360 × 740 is a common phone)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import advisor_id

pytestmark = [pytest.mark.e2e, pytest.mark.services]


def test_public_pages_have_no_sideways_scroll_on_a_phone(site, new_page):
    page = new_page(width=360, height=740, is_mobile=True, has_touch=True, device_scale_factor=2)
    anna = advisor_id(site, "Anna Lindqvist", region="20")
    widths = {}
    for path in ("/", "/advisors/", "/advisors/?region=20", f"/advisors/{anna}/"):
        page.goto(path)
        expect(page.locator("h1")).to_be_visible()
        widths[path] = page.evaluate("document.documentElement.scrollWidth")
    assert all(width <= 360 for width in widths.values()), widths

"""The header's search in a real browser: the box on every admin page, its results page, in French
and in Hebrew (right to left), within a 1366x768 screen and without a CSP violation."""

import pytest
from playwright.sync_api import expect

from .browser import screenshot
from .test_admin_browser import add_prospects, assert_no_csp_violation, open_admin  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("language", ["fr", "he"])
def test_the_header_box_finds_a_prospect_typed_without_its_accent(open_admin, language):  # noqa: F811
    add_prospects()
    page = open_admin(language)
    page.goto("/admin/crm/lead/")
    box = page.locator("#header .crm-search-box input[type=search]")
    expect(box).to_be_in_viewport()

    box.fill("LUMIERE")
    box.press("Enter")

    results = page.locator(".crm-search-results")
    expect(results).to_contain_text("Boulangerie Lumière du Marais et Fils")
    expect(results.locator("a.crm-search-all").first).to_have_attribute("href", "/admin/crm/lead/?q=LUMIERE")
    expect(box).to_have_value("LUMIERE")
    assert_no_csp_violation(page)
    widths = page.evaluate("({page: document.documentElement.scrollWidth, screen: window.innerWidth})")
    assert widths["page"] <= widths["screen"], widths
    screenshot(page, f"admin-search-{language}")

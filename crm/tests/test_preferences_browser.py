"""A person's time zone and language in a real browser (Chromium through Playwright, as
`test_admin_browser.py`): a French user in Paris gets no "you are one hour ahead of the server" note
beside the date fields, and the header's switcher changes the language with no script of ours."""

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from crm.preferences import save_preferences

from .browser import TIMEOUT_MS, screenshot
from .factories import UserFactory
from .test_admin_browser import CSP_LISTENER, assert_no_csp_violation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# An activity's form has two date-and-time fields (due, done), each with Django's time zone note.
NEW_ACTIVITY = "/admin/crm/activity/add/"


@pytest.fixture
def open_admin_in_paris(browser, settings, live_server) -> Iterator:
    """A browser in Paris (its clock one hour behind the server's Jerusalem in winter), signed in
    as a superuser whose profile says `time_zone`."""
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    contexts = []

    def open_admin(time_zone: str) -> Page:
        context = browser.new_context(base_url=live_server.url, locale="fr-FR", timezone_id="Europe/Paris")
        context.set_default_timeout(TIMEOUT_MS)
        context.add_init_script(CSP_LISTENER)
        contexts.append(context)
        page = context.new_page()
        page.console_errors = []
        page.on("pageerror", lambda error: page.console_errors.append(str(error)))
        save_preferences(
            UserFactory(username="claire", is_superuser=True), language="fr", time_zone=time_zone
        )
        page.goto("/admin/login/")
        page.fill("#id_username", "claire")
        page.fill("#id_password", "correct horse battery staple")
        page.click("input[type=submit]")
        expect(page.locator("#user-tools")).to_be_visible()
        return page

    yield open_admin
    for context in contexts:
        context.close()


def test_a_user_in_paris_with_the_paris_time_zone_sees_no_time_zone_warning(open_admin_in_paris):
    page = open_admin_in_paris("Europe/Paris")

    page.goto(NEW_ACTIVITY)

    expect(page.locator("#id_due_at_0")).to_be_visible()
    assert_no_csp_violation(page)  # the admin's scripts ran: they would have added the warning
    expect(page.locator(".timezonewarning")).to_have_count(0)
    screenshot(page, "admin-activity-paris")


def test_without_the_time_zone_the_same_browser_is_warned(open_admin_in_paris):
    page = open_admin_in_paris("")  # the server's Asia/Jerusalem

    page.goto(NEW_ACTIVITY)

    expect(page.locator(".timezonewarning").first).to_be_visible()


def test_the_header_switcher_turns_the_admin_to_hebrew_and_back(open_admin_in_paris):
    page = open_admin_in_paris("Europe/Paris")
    page.goto("/admin/crm/lead/")

    page.select_option("#language-switcher", "he")
    page.click(".language-switcher button")

    expect(page).to_have_url(re.compile(r"/admin/crm/lead/$"))  # the same page
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("h1")).to_have_text("לידים")
    assert_no_csp_violation(page)
    page.select_option("#language-switcher", "fr")
    page.click(".language-switcher button")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("h1")).to_have_text("Prospects")

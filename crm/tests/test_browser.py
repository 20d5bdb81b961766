"""A real browser end to end: the public form (French, Hebrew) to the prospects page in the admin.

Playwright drives Debian's Chromium (`make test` installs it; a Playwright browser download is
never used) against pytest-django's live server. A missing Chromium fails the test, it does not
skip it: `make test` is expected to have installed it.
"""

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from crm.models import Lead
from mini_analysis.models import MiniAnalysis, Status

from .browser import TIMEOUT_MS, screenshot
from .factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(browser, settings, live_server, tmp_path) -> Iterator[Page]:
    # The live server speaks plain http: secure-only cookies would drop the admin login and CSRF.
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.MEDIA_ROOT = tmp_path  # the generated PDFs
    context = browser.new_context(base_url=live_server.url, locale="fr-FR")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


def log_into_admin(page: Page) -> None:
    UserFactory(username="boss", is_superuser=True)
    page.goto("/admin/login/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", "correct horse battery staple")
    page.click("input[type=submit]")
    expect(page.locator("#user-tools")).to_contain_text("boss")


def fill_and_submit_form(page: Page, language: str, brand_name: str) -> None:
    page.goto(f"/{language}/mini-analysis/")
    page.fill("#id_email", "visitor@example.com")
    page.fill("#id_phone", "050-234-5678")
    page.fill("#id_brand_name", brand_name)
    page.select_option("#id_sector", "food")
    page.check("#id_consent")
    screenshot(page, f"form-{language}")
    page.click("button[type=submit]")


@pytest.mark.parametrize(
    ("language", "direction", "brand_name"),
    [("fr", "ltr", "Maison Lumière"), ("he", "rtl", "שוקולד תל אביב")],
)
def test_form_gives_an_analysis_and_a_generated_prospect_in_the_admin(page, language, direction, brand_name):
    page.goto(f"/{language}/mini-analysis/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("html")).to_have_attribute("dir", direction)

    fill_and_submit_form(page, language, brand_name)

    expect(page).to_have_url(re.compile(rf"/{language}/mini-analysis/[0-9a-f-]{{36}}/$"))
    expect(page.locator("html")).to_have_attribute("dir", direction)
    mini_analysis = MiniAnalysis.objects.get()
    assert (mini_analysis.status, mini_analysis.language) == (Status.GENERATED, language)
    first_line = mini_analysis.analysis_text.strip().splitlines()[0]
    expect(page.locator(".analysis")).to_contain_text(first_line)
    expect(page.locator("h1")).to_contain_text(brand_name)
    screenshot(page, f"result-{language}")

    log_into_admin(page)
    page.goto("/admin/crm/prospects/?status__exact=GENERATED")
    expect(page.locator("#result_list")).to_contain_text(brand_name)
    screenshot(page, f"prospects-{language}")
    lead = Lead.objects.get()
    assert (lead.status, lead.language, lead.brand_name) == (Status.GENERATED, language, brand_name)

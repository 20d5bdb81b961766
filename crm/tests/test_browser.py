"""A real browser end to end: the public form (French, Hebrew) to the prospects page in the admin.

Playwright drives Debian's Chromium (`make test` installs it; a Playwright browser download is
never used) against pytest-django's live server. A missing Chromium fails the test, it does not
skip it: `make test` is expected to have installed it.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Browser, Page, expect, sync_playwright

from crm.models import Lead
from mini_analysis.models import Status

from .factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"
TIMEOUT_MS = 15_000


@pytest.fixture
def browser(monkeypatch) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs it (apt-get install chromium).")
    # Playwright's sync API runs an event loop in this thread, and Django then refuses the test's
    # own ORM calls; they are synchronous and safe here, so allow them for this test only.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, settings, live_server) -> Iterator[Page]:
    # The live server speaks plain http: secure-only cookies would drop the admin login and CSRF.
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    context = browser.new_context(base_url=live_server.url, locale="fr-FR")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def log_into_admin(page: Page) -> None:
    UserFactory(username="boss", is_superuser=True)
    page.goto("/admin/login/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", "correct horse battery staple")
    page.click("input[type=submit]")
    expect(page.locator("#user-tools")).to_contain_text("boss")


def test_generated_prospect_shows_in_the_admin(page):
    from mini_analysis.tests.factories import MiniAnalysisFactory

    MiniAnalysisFactory(brand_name="Infra Check", status=Status.GENERATED)
    log_into_admin(page)
    page.goto("/admin/crm/prospects/?status__exact=GENERATED")
    expect(page.locator("#result_list")).to_contain_text("Infra Check")
    screenshot(page, "infra")
    assert Lead.objects.count() == 1

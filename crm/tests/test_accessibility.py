"""axe-core finds no critical or serious violation on any page people use, in French, English and
Hebrew: the public form and its result, the login, the dashboard, every CRM list, every record
page and the board, filled with `wide_rows` (every badge, the longest values).

A new page is one more line in `PAGES`: its name, its URL (formatted with `language` and `rows`,
the records of `add_wide_rows`), and whether it needs a signed-in user.
"""

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from .accessibility import assert_accessible
from .browser import TIMEOUT_MS, log_in
from .factories import UserFactory
from .wide_rows import WideRows, add_wide_rows

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser(module_browser):
    """This module's many pages share one Chromium (they create their own rows, not restore them)."""
    return module_browser


LOCALES = {"fr": "fr-FR", "en": "en-US", "he": "he-IL"}
SIGNED_IN, ANONYMOUS = True, False
PAGES = [
    ("public form", "/{language}/mini-analysis/", ANONYMOUS),
    ("result", "/{language}/mini-analysis/{rows.mini_analysis.request_id}/", ANONYMOUS),
    ("login", "/admin/login/", ANONYMOUS),
    ("dashboard", "/admin/", SIGNED_IN),
    ("prospects", "/admin/crm/lead/", SIGNED_IN),
    ("activities", "/admin/crm/activity/", SIGNED_IN),
    ("opportunities", "/admin/crm/opportunity/", SIGNED_IN),
    ("contacts", "/admin/crm/contact/", SIGNED_IN),
    ("companies", "/admin/crm/company/", SIGNED_IN),
    ("prospect", "/admin/crm/lead/{rows.lead.pk}/change/", SIGNED_IN),
    ("activity", "/admin/crm/activity/{rows.activity.pk}/change/", SIGNED_IN),
    ("opportunity", "/admin/crm/opportunity/{rows.opportunity.pk}/change/", SIGNED_IN),
    ("contact", "/admin/crm/contact/{rows.contact.pk}/change/", SIGNED_IN),
    ("company", "/admin/crm/company/{rows.company.pk}/change/", SIGNED_IN),
    ("board", "/admin/crm/opportunity/board/", SIGNED_IN),
    ("my day", "/admin/crm/my-day/", SIGNED_IN),
    ("search", "/admin/search/?q=lumiere", SIGNED_IN),
    ("profile", "/admin/profile/", SIGNED_IN),
    ("email a prospect", "/admin/crm/lead/{rows.lead.pk}/email/", SIGNED_IN),
    ("import mappings", "/admin/crm/importmapping/", SIGNED_IN),
    ("import mapping", "/admin/crm/importmapping/{rows.import_mapping.pk}/change/", SIGNED_IN),
    ("lifecycle stages", "/admin/crm/lifecyclestagemapping/", SIGNED_IN),
    ("lifecycle stage", "/admin/crm/lifecyclestagemapping/{rows.lifecycle_stage.pk}/change/", SIGNED_IN),
]


@pytest.fixture
def open_page(browser, settings, live_server) -> Iterator:
    """A page in a language, signed in as a superuser or not."""
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    boss = UserFactory(username="boss", is_superuser=True, password=None)  # signed in by `log_in`
    contexts = []

    def open_page(language: str, signed_in: bool) -> Page:
        context = browser.new_context(base_url=live_server.url, locale=LOCALES[language])
        context.set_default_timeout(TIMEOUT_MS)
        if signed_in:
            log_in(context, live_server.url, boss)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def page_url(url: str, language: str, rows: WideRows) -> str:
    return url.format(language=language, rows=rows)


@pytest.mark.parametrize(("name", "url", "signed_in"), PAGES, ids=[page[0] for page in PAGES])
def test_page_has_no_critical_or_serious_accessibility_violation(open_page, name, url, signed_in):
    rows = add_wide_rows()
    failures = []
    for language in LOCALES:
        page = open_page(language, signed_in)
        response = page.goto(page_url(url, language, rows))
        assert response.ok, f"{name} ({language}): HTTP {response.status}"
        expect(page.locator("html")).to_have_attribute("lang", language)
        try:
            assert_accessible(page, f"{name} ({language})")
        except AssertionError as failure:
            failures.append(str(failure))
    assert not failures, "\n".join(failures)

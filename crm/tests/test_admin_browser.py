"""The admin in a real browser: the prospects list fits a 1366x768 screen, and no page breaks the CSP.

Same set-up as `test_browser.py` (Debian's Chromium through Playwright, pytest-django's live
server, screenshots under test-artifacts/). The admin is not language-prefixed: LocaleMiddleware
reads the browser's Accept-Language, which the context's `locale` sets.
"""

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from crm.models import Lead, Source
from mini_analysis.models import Language, Status

from .browser import TIMEOUT_MS, screenshot
from .factories import LeadFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREEN = {"width": 1366, "height": 768}
LOCALES = {"fr": "fr-FR", "en": "en-US", "he": "he-IL"}
# The prospects list's columns a sales person must see without scrolling sideways, by their
# header in each language. A new column is one more line here.
EXPECTED_COLUMNS = [
    {"fr": "Marque", "en": "Brand", "he": "מותג"},
    {"fr": "E-mail", "en": "Email", "he": 'דוא"ל'},
    {"fr": "Téléphone", "en": "Phone", "he": "טלפון"},
    {"fr": "Statut", "en": "Status", "he": "סטטוס"},
    {"fr": "Étape", "en": "Stage", "he": "שלב"},
    {"fr": "Prochaine action", "en": "Next action", "he": "הפעולה הבאה"},
    {"fr": "Source", "en": "Source", "he": "מקור"},
    {"fr": "Responsable", "en": "Owner", "he": "אחראי"},
    {"fr": "Créé le", "en": "Created", "he": "נוצר"},
]
IMPORT_CSV = (
    "email,phone,brand_name\nnew@example.com,050-234-5678,Nouvelle Marque\nnot-an-email,,Sans courriel\n"
)
# Reports every CSP violation of the page into `window.cspViolations` (Playwright's init scripts
# run outside the page's CSP).
CSP_LISTENER = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const where = event.sourceFile + ":" + event.lineNumber;
  window.cspViolations.push(event.violatedDirective + " " + (event.blockedURI || "inline") + " " + where);
});
"""


def watched_page(browser, base_url: str, language: str, viewport: dict, contexts: list) -> Page:
    """A page in a context of its own (added to `contexts`, for the fixture to close), in `language`
    at `viewport`, keeping its console errors (`page.console_errors`) and CSP violations."""
    context = browser.new_context(base_url=base_url, locale=LOCALES[language], viewport=viewport)
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(CSP_LISTENER)
    contexts.append(context)
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda message: message.type == "error" and page.console_errors.append(message.text))
    page.on("pageerror", lambda error: page.console_errors.append(str(error)))
    return page


@pytest.fixture
def open_admin(browser, settings, live_server) -> Iterator:
    """A logged-in admin page at 1366x768 in a language, recording console errors and CSP violations."""
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    contexts = []

    def open_admin(language: str) -> Page:
        page = watched_page(browser, live_server.url, language, SCREEN, contexts)
        UserFactory(username="boss", is_superuser=True)
        page.goto("/admin/login/")
        expect(page.locator("html")).to_have_attribute("lang", language)
        assert_no_csp_violation(page)
        screenshot(page, f"admin-login-{language}")
        page.fill("#id_username", "boss")
        page.fill("#id_password", "correct horse battery staple")
        page.click("input[type=submit]")
        expect(page.locator("#user-tools")).to_contain_text("boss")
        return page

    yield open_admin
    for context in contexts:
        context.close()


def assert_no_csp_violation(page: Page) -> None:
    page.wait_for_load_state("load")
    violations = page.evaluate("window.cspViolations")
    assert violations == [], violations
    assert page.console_errors == [], page.console_errors


def add_prospects() -> list[Lead]:
    """Rows as wide as real ones: long brands and emails, every status and source, an owner."""
    owner = UserFactory(username="dana.cohen")
    return [
        LeadFactory(
            brand_name="Boulangerie Lumière du Marais et Fils",
            email="contact.commercial@boulangerie-lumiere-marais.example",
            sector="food",
            status=Status.GENERATED,
            source=Source.MINI_ANALYSIS,
            assigned_to=owner,
        ),
        LeadFactory(
            brand_name="שוקולד תל אביב",
            email="info@chocolate-tlv.example",
            sector="retail",
            language=Language.HEBREW,
            status=Status.QUOTA_BLOCKED,
            source=Source.MIGRATION,
        ),
        LeadFactory(brand_name="Acme", status=Status.ERROR, source=Source.MANUAL, language=Language.ENGLISH),
        LeadFactory(brand_name="Nouveau", status=Status.NEW),
    ]


@pytest.mark.parametrize("language", ["fr", "en", "he"])
def test_prospects_list_fits_a_1366_by_768_screen_with_every_column_visible(open_admin, language):
    add_prospects()
    page = open_admin(language)
    page.goto("/admin/crm/lead/")
    table = page.locator("#result_list")
    expect(table).to_be_visible()
    screenshot(page, f"admin-prospects-{language}")

    widths = table.evaluate(
        "table => ({table: table.scrollWidth, container: table.closest('.results').clientWidth,"
        " page: document.documentElement.scrollWidth, screen: window.innerWidth})"
    )
    assert widths["table"] <= widths["container"], widths
    assert widths["page"] <= widths["screen"], widths
    for column in EXPECTED_COLUMNS:
        header = table.locator("thead th", has_text=column[language])
        expect(header).to_be_in_viewport()
    # The phone reads left to right in every language, Hebrew included.
    expect(table.locator("td.field-phone_number bdi[dir=ltr]").first).to_have_text("+972 50-234-5678")
    row_height = table.locator("tbody tr").first.evaluate("row => row.getBoundingClientRect().height")
    assert row_height < 40, row_height


@pytest.mark.parametrize("language", ["fr", "he"])
def test_admin_pages_raise_no_csp_violation_and_their_scripts_work(open_admin, language):
    lead = add_prospects()[0]
    page = open_admin(language)
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "he" else "ltr")
    assert_no_csp_violation(page)
    expect(page.locator("#content")).to_be_visible()
    screenshot(page, f"admin-index-{language}")
    # The CRM comes first in the sidebar and on the index, the prospects first within it.
    expect(page.locator("#content-main .module").first.locator("caption")).to_contain_text("CRM")
    expect(page.locator("#content-main .module").first.locator("tbody th a").first).to_have_attribute(
        "href", "/admin/crm/lead/"
    )

    page.goto("/admin/crm/lead/")
    assert_no_csp_violation(page)
    # The action bar's script: "select all" ticks every row and updates the counter.
    page.click("#action-toggle")
    expect(page.locator("#result_list tbody input.action-select:checked")).to_have_count(4)
    expect(page.locator(".action-counter")).to_contain_text("4")
    # The navigation sidebar's script: the toggle folds it away and back.
    page.click("#toggle-nav-sidebar")
    expect(page.locator("#nav-sidebar")).to_be_hidden()
    page.click("#toggle-nav-sidebar")
    expect(page.locator("#nav-sidebar")).to_be_visible()
    # The sidebar's quick filter (nav_sidebar.js) narrows the models listed.
    page.fill("#nav-filter", "zzz-no-such-model")
    expect(page.locator("#nav-sidebar tr.current-model")).to_be_hidden()
    assert_no_csp_violation(page)

    page.goto(f"/admin/crm/lead/{lead.pk}/change/")
    assert_no_csp_violation(page)
    expect(page.locator("#id_phone")).to_have_attribute("dir", "ltr")
    expect(page.locator("#id_email")).to_have_attribute("dir", "ltr")
    expect(page.locator("#id_brand_name")).to_have_attribute("dir", "auto")
    expect(page.locator("#id_notes")).to_have_attribute("dir", "auto")
    screenshot(page, f"admin-prospect-{language}")

    page.goto("/admin/crm/lead/import/")
    assert_no_csp_violation(page)
    page.set_input_files(
        "#id_import_file",
        files=[{"name": "prospects.csv", "mimeType": "text/csv", "buffer": IMPORT_CSV.encode()}],
    )
    page.click("#content input[type=submit]")
    expect(page.locator("table.import-mapping")).to_be_visible()
    expect(page.locator("ul.import-counts")).to_be_visible()
    assert_no_csp_violation(page)
    screenshot(page, f"admin-import-preview-{language}")

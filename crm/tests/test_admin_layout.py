"""Every CRM list fits a laptop, and the prospects list a phone, with rows as wide as real ones.

A laptop is 1366x768 with the admin's navigation sidebar open (Django's default) and closed (the
admin keeps the choice in localStorage); a phone is 390x844. The rows are `wide_rows`: the longest
value each field accepts, every badge, real dates. "Fits" means no horizontal scroll and every
column header inside the screen: its right edge, or its left edge in Hebrew (right to left).
Screenshots go to test-artifacts/admin-layout-*.png.
"""

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from .browser import TIMEOUT_MS, log_in, screenshot
from .factories import UserFactory
from .wide_rows import add_wide_rows

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser(module_browser):
    """This module's many pages share one Chromium (they create their own rows, not restore them)."""
    return module_browser


LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
LOCALES = {"fr": "fr-FR", "en": "en-US", "he": "he-IL"}
# Every CRM list; a new list is one more line.
LISTS = {
    "prospects": "/admin/crm/lead/",
    "activities": "/admin/crm/activity/",
    "opportunities": "/admin/crm/opportunity/",
    "contacts": "/admin/crm/contact/",
    "companies": "/admin/crm/company/",
}
# The pages with the activities inline, by the record they show.
RECORD_PAGES = {
    "prospect": lambda rows: f"/admin/crm/lead/{rows.lead.pk}/change/",
    "contact": lambda rows: f"/admin/crm/contact/{rows.contact.pk}/change/",
    "opportunity": lambda rows: f"/admin/crm/opportunity/{rows.opportunity.pk}/change/",
}
# Each header's edges and the part of the screen it can be seen in: the screen, narrowed by every
# ancestor that clips what overflows it (a table's scrolling box); and the page's widths, with the
# outermost elements that stick out of the screen (to say what to fix).
MEASURE = """(selector) => {
  const screen = document.documentElement.clientWidth;
  const rtl = document.documentElement.dir === "rtl";
  const visibleRange = (element) => {
    let [left, right] = [-Infinity, Infinity];
    for (let box = element.parentElement; box; box = box.parentElement) {
      if (getComputedStyle(box).overflowX !== "visible") {
        const rect = box.getBoundingClientRect();
        [left, right] = [Math.max(left, rect.left), Math.min(right, rect.right)];
      }
    }
    return [left, right];
  };
  const describe = (element) => element.tagName.toLowerCase() + (element.id ? "#" + element.id : "")
    + [...element.classList].map((name) => "." + name).join("");
  const outside = [...document.body.querySelectorAll("*")].filter((element) => {
    const rect = element.getBoundingClientRect();
    const [left, right] = visibleRange(element);
    const beyond = rtl ? Math.max(rect.left, left) < -0.5 : Math.min(rect.right, right) > screen + 0.5;
    return rect.width > 0 && beyond;
  });
  return {
    headers: [...document.querySelectorAll(selector)].map((th) => {
      const box = th.getBoundingClientRect();
      const [left, right] = visibleRange(th);
      return {text: th.innerText.trim() || th.className, left: box.left, right: box.right,
              width: box.width, visible_left: Math.max(left, 0), visible_right: Math.min(right, screen)};
    }),
    page: document.documentElement.scrollWidth,
    screen: screen,
    outside: outside.filter((element) => !outside.includes(element.parentElement)).map(describe),
  };
}"""


@pytest.fixture
def open_page(browser, settings, live_server) -> Iterator:
    """A page signed in as a superuser, in a language, at a size, with the sidebar open or closed."""
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    boss = UserFactory(username="boss", is_superuser=True, password=None)  # signed in by `log_in`
    contexts = []

    def open_page(language: str, viewport: dict, sidebar_open: bool = True) -> Page:
        context = browser.new_context(base_url=live_server.url, locale=LOCALES[language], viewport=viewport)
        context.set_default_timeout(TIMEOUT_MS)
        context.add_init_script(
            f"localStorage.setItem('django.admin.navSidebarIsOpen', '{str(sidebar_open).lower()}')"
        )
        log_in(context, live_server.url, boss)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def overflows(page: Page, selector: str, language: str, every_column: bool = True) -> list[str]:
    """What does not fit the screen: the page's width, then each header past the screen's edge (or
    hidden, unless not `every_column` is expected)."""
    seen = page.evaluate(MEASURE, selector)
    problems = []
    if seen["page"] > seen["screen"]:
        problems.append(
            f"the page is {seen['page']} px wide on a {seen['screen']} px screen: {seen['outside']}"
        )
    assert seen["headers"], f"no {selector} on the page"
    for header in seen["headers"]:
        if header["width"] == 0:
            if every_column:
                problems.append(f"{header['text']!r} is hidden")
            continue
        if language == "he":
            outside = header["left"] < header["visible_left"] - 0.5
        else:
            outside = header["right"] > header["visible_right"] + 0.5
        if outside:
            problems.append(f"{header['text']!r} at {header['left']:.0f}-{header['right']:.0f} px")
    return problems


@pytest.mark.parametrize("language", ["fr", "en", "he"])
@pytest.mark.parametrize("name", list(LISTS))
def test_every_crm_list_shows_every_column_on_a_laptop_sidebar_open_or_closed(open_page, name, language):
    add_wide_rows()
    problems = []
    for sidebar_open in [True, False]:
        page = open_page(language, LAPTOP, sidebar_open)
        page.goto(LISTS[name])
        expect(page.locator("#result_list tbody tr").first).to_be_visible()
        expect(page.locator("#nav-sidebar")).to_be_visible(visible=sidebar_open)
        sidebar = "sidebar" if sidebar_open else "no-sidebar"
        screenshot(page, f"admin-layout-{name}-{sidebar}-{language}")
        problems += [
            f"{sidebar}: {problem}" for problem in overflows(page, "#result_list thead th", language)
        ]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", ["fr", "en", "he"])
def test_prospects_list_is_usable_on_a_phone_without_scrolling_sideways(open_page, language):
    add_wide_rows()
    page = open_page(language, PHONE)
    page.goto(LISTS["prospects"])
    expect(page.locator("#result_list tbody tr").first).to_be_visible()
    screenshot(page, f"admin-layout-prospects-phone-{language}")

    assert not (problems := overflows(page, "#result_list thead th", language, every_column=False)), problems
    for key_column in ["brand", "stage_badge", "next_action_when"]:
        expect(page.locator(f"#result_list thead th.column-{key_column}")).to_be_in_viewport()
        expect(
            page.locator(
                f"#result_list tbody td.field-{key_column}, #result_list tbody th.field-{key_column}"
            ).first
        ).to_be_visible()
    search = page.locator("#searchbar").bounding_box()
    assert search["width"] >= 200, search
    assert search["x"] >= 0 and search["x"] + search["width"] <= PHONE["width"], search


@pytest.mark.parametrize("language", ["fr", "en", "he"])
@pytest.mark.parametrize("record", list(RECORD_PAGES))
def test_activities_inline_fits_a_laptop_on_every_record_page(open_page, record, language):
    rows = add_wide_rows()
    page = open_page(language, LAPTOP)
    page.goto(RECORD_PAGES[record](rows))
    if (edit := page.locator("details#crm-record-edit")).count():  # the prospect's page folds its form
        edit.locator("summary").click()
    inline = page.locator("#activities-group")
    expect(inline).to_be_visible()
    screenshot(page, f"admin-layout-{record}-inline-{language}")
    assert not (problems := overflows(page, "#activities-group thead th:not(.original)", language)), problems

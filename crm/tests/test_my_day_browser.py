"""My day in a real browser: one click from the dashboard's overdue count and from a list page's
navigation, one click to mark a task done; it fits 1366x768 with the admin's sidebar open and a
390x844 phone without sideways scrolling, in French, English and Hebrew, with no CSP violation.

Screenshots: test-artifacts/my-day-*.png.
"""

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone
from playwright.sync_api import Page, expect

from crm import services
from crm.models import Activity, ActivityKind

from .browser import screenshot
from .factories import ContactFactory, LeadFactory, UserFactory
from .test_admin_browser import assert_no_csp_violation, watched_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDE = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
SALES = ["view_lead", "change_lead", "view_contact", "view_opportunity", "view_activity", "change_activity"]
TITLE = {"fr": "Ma journée", "en": "My day", "he": "היום שלי"}


def acme_is_overdue(now) -> bool:
    """Acme's task is due in 30 minutes, later today; in the day's last hour (the server's time)
    that would be tomorrow, so it is then due two hours ago: one overdue task more."""
    return timezone.localtime(now).hour >= 23


def alices_day(now=None):
    """Rows as wide as real ones: long brands, a Hebrew one, a contact with a long email. Three
    overdue tasks (four in the day's last hour: `acme_is_overdue`)."""
    # A live-server test empties the tables, the Sales group's rows with them: its permissions, then.
    alice = UserFactory(username="alice")
    alice.user_permissions.add(*Permission.objects.filter(content_type__app_label="crm", codename__in=SALES))
    now = now or timezone.now()
    for brand, due_at in [
        ("Boulangerie Lumière du Marais et Fils", now - timedelta(days=3)),
        ("שוקולד תל אביב", now - timedelta(hours=1)),
        ("Acme", now - timedelta(hours=2) if acme_is_overdue(now) else now + timedelta(minutes=30)),
    ]:
        lead = LeadFactory(
            brand_name=brand, assigned_to=alice, email="contact.commercial@boulangerie.example"
        )
        services.record_activity(
            Activity(
                kind=ActivityKind.TASK,
                subject=f"Rappeler {brand} au sujet de la proposition commerciale",
                due_at=due_at,
                lead=lead,
            ),
            user=alice,
        )
    contact = ContactFactory(owner=alice, email="a.very.long.address.of.a.buyer@entreprise-exemple.example")
    services.record_activity(
        Activity(
            kind=ActivityKind.TASK,
            subject="Send the contract",
            due_at=now - timedelta(days=1),
            contact=contact,
        ),
        user=alice,
    )
    LeadFactory(brand_name="Nouveau prospect sans action", assigned_to=alice)
    return alice


@pytest.fixture
def open_as_alice(browser, settings, live_server) -> Iterator:
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    contexts = []

    def open_as_alice(language: str, viewport: dict) -> Page:
        page = watched_page(browser, live_server.url, language, viewport, contexts)
        page.goto("/admin/login/")
        page.fill("#id_username", "alice")
        page.fill("#id_password", "correct horse battery staple")
        page.click("input[type=submit]")
        expect(page.locator("#user-tools")).to_contain_text("alice")
        return page

    yield open_as_alice
    for context in contexts:
        context.close()


def assert_no_sideways_scroll(page: Page) -> None:
    widths = page.evaluate(
        "() => ({page: document.documentElement.scrollWidth, screen: window.innerWidth,"
        " content: document.querySelector('#content-main').scrollWidth,"
        " box: document.querySelector('#content-main').clientWidth})"
    )
    assert widths["page"] <= widths["screen"], widths
    assert widths["content"] <= widths["box"], widths


@pytest.mark.parametrize("language", ["fr", "en", "he"])
def test_my_day_is_one_click_from_the_dashboard_and_from_a_list_and_fits_1366_by_768(open_as_alice, language):
    now = timezone.now()
    alices_day(now)
    overdue = 4 if acme_is_overdue(now) else 3
    page = open_as_alice(language, WIDE)

    # From the dashboard: the overdue count opens My day.
    page.goto("/admin/")
    screenshot(page, f"my-day-dashboard-{language}")
    page.locator(".crm-dash-bars .crm-dash-overdue + .crm-dash-bar-value a").click()
    expect(page.locator("h1")).to_have_text(TITLE[language])
    assert page.url.endswith("/admin/crm/my-day/")
    expect(page.locator("#my-day-overdue .crm-my-day-count")).to_have_text(str(overdue))

    # From a list page: the navigation sidebar's "My day".
    page.goto("/admin/crm/lead/")
    expect(page.locator("#nav-sidebar")).to_be_visible()
    page.locator("#nav-sidebar").get_by_role("link", name=TITLE[language], exact=True).click()
    expect(page.locator("h1")).to_have_text(TITLE[language])
    assert_no_csp_violation(page)
    expect(page.locator("#nav-sidebar")).to_be_visible()
    assert_no_sideways_scroll(page)
    expect(page.locator(".crm-my-day-row time.crm-overdue").first).to_be_visible()
    screenshot(page, f"my-day-1366-{language}")

    # One click: done, back on My day with a message and one overdue task fewer.
    page.locator(".crm-my-day-done").first.click()
    expect(page.locator(".messagelist .success")).to_be_visible()
    expect(page.locator("#my-day-overdue .crm-my-day-count")).to_have_text(str(overdue - 1))
    assert_no_csp_violation(page)


@pytest.mark.parametrize("language", ["fr", "he"])
def test_my_day_fits_a_390_by_844_phone(open_as_alice, language):
    alices_day()
    page = open_as_alice(language, PHONE)
    page.goto("/admin/crm/my-day/")
    expect(page.locator("h1")).to_have_text(TITLE[language])
    assert_no_sideways_scroll(page)
    # The buttons stay on the screen.
    box = page.locator(".crm-my-day-actions").first.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    screenshot(page, f"my-day-390-{language}")
    assert_no_csp_violation(page)


# The left and right edges of a date-time's date and of its time, as the screen shows them.
DATE_AND_TIME_EDGES = """(element) => {
  const text = element.firstChild;
  const space = text.data.indexOf(" ");
  const range = document.createRange();
  range.setStart(text, 0);
  range.setEnd(text, space);
  const date = range.getBoundingClientRect();
  range.setStart(text, space + 1);
  range.setEnd(text, text.data.length);
  const time = range.getBoundingClientRect();
  return {text: text.data, date: [date.left, date.right], time: [time.left, time.right]};
}"""


def test_in_hebrew_a_due_date_reads_date_then_time_as_in_french(open_as_alice):
    alices_day()
    page = open_as_alice("he", WIDE)
    for url, due in [
        ("/admin/crm/my-day/", ".crm-my-day-row time.crm-overdue"),
        ("/admin/crm/activity/", "#result_list td.field-due time.crm-overdue"),
    ]:
        page.goto(url)
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        edges = page.locator(due).first.evaluate(DATE_AND_TIME_EDGES)
        assert edges["date"][1] <= edges["time"][0], edges  # the date on the left, as in French
        screenshot(page, f"due-date-he-{url.strip('/').replace('/', '-')}")
    assert_no_csp_violation(page)

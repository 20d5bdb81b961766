"""The record pages in a real browser, at 1366x768 with the navigation sidebar open: on a
prospect a sales person logs a call with its next action, moves the stage and disqualifies, each
within the clicks the sales workspace allows, without scrolling, in French, English and Hebrew;
a contact's, a company's and an opportunity's header and quick log fit the same screen, and a
deal is logged on and lost (with its reason) the same way.

Same set-up as `test_admin_browser.py`. A click counts once; a dropdown would count twice (none
is needed). Before each click, the element must be inside the screen and the page unscrolled.
"""

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from crm import services
from crm.models import Activity, ActivityKind, Lead, LeadStage, LossReason, Opportunity, OpportunityStage
from mini_analysis.models import MiniAnalysis, Status

from .browser import screenshot
from .factories import CompanyFactory, ContactFactory, LeadFactory, OpportunityFactory, SalesPersonFactory
from .reference_rows import restore_reference_rows
from .test_admin_browser import assert_no_csp_violation, watched_page

# The sales group and the reasons are seeded by migrations: kept across the flushes.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _reference_rows(transactional_db):
    """The stages, reasons and groups the migrations seed (a transactional test's flush empties them)."""
    restore_reference_rows()


SCREEN = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
# The stage buttons and the disqualification's reason, by their label in each language.
CONNECTED = {"fr": "Joint", "en": "Connected", "he": "נוצר קשר"}
DISQUALIFIED = {"fr": "Disqualifié", "en": "Disqualified", "he": "נפסל"}
NO_BUDGET = {"fr": "Pas de budget", "en": "No budget", "he": "אין תקציב"}


@pytest.fixture
def sales_person_page(browser, settings, live_server) -> Iterator:
    """A sales person signed in, in a language, on a screen size; page loads are counted."""
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    contexts = []

    def open_page(language: str, viewport: dict) -> Page:
        page = watched_page(browser, live_server.url, language, viewport, contexts)
        page.loads = 0

        def loaded(_page) -> None:
            page.loads += 1

        page.on("load", loaded)
        page.goto("/admin/login/")
        page.fill("#id_username", "dana")
        page.fill("#id_password", "correct horse battery staple")
        page.click("input[type=submit]")
        expect(page.locator("#user-tools")).to_contain_text("dana")
        return page

    yield open_page
    for context in contexts:
        context.close()


def worked_prospect() -> Lead:
    """A prospect as a sales person finds it: long names, a Hebrew person, a history."""
    seller = SalesPersonFactory(username="dana")
    lead = LeadFactory(
        brand_name="Boulangerie Lumière du Marais et Fils",
        email="contact.commercial@boulangerie-lumiere-marais.example",
        first_name="יעל",
        last_name="כהן",
        status=Status.GENERATED,
        assigned_to=seller,
        pdf_url="/fr/mini-analysis/x/pdf/",
    )
    MiniAnalysis.objects.create(email=lead.email, brand_name=lead.brand_name, status=Status.GENERATED)
    services.log_contact(lead, user=seller, note="Left a message with the assistant", outcome="left_message")
    services.record_activity(
        Activity(
            kind=ActivityKind.TASK,
            subject="Send the deck",
            due_at=timezone.now() - timedelta(days=2),
            lead=lead,
        ),
        user=seller,
    )
    return lead


def click_without_scrolling(page: Page, target: Locator, submits: bool = False) -> None:
    """One click on an element already on the screen, the page never scrolled; a submit waits
    for the page it loads."""
    box = target.bounding_box()
    assert box is not None, target
    assert box["y"] >= 0 and box["y"] + box["height"] <= SCREEN["height"], box
    assert box["x"] >= 0 and box["x"] + box["width"] <= SCREEN["width"], box
    assert page.evaluate("window.scrollY") == 0
    if not submits:
        target.click()
        return
    with page.expect_navigation(wait_until="load"):
        target.click()


@pytest.mark.parametrize("language", ["fr", "en", "he"])
def test_a_sales_person_logs_a_call_moves_the_stage_and_disqualifies_without_scrolling(
    sales_person_page, language
):
    lead = worked_prospect()
    page = sales_person_page(language, SCREEN)
    page.goto(f"/admin/crm/lead/{lead.pk}/change/")
    assert_no_csp_violation(page)
    expect(page.locator("#nav-sidebar")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "he" else "ltr")
    card = page.locator(".crm-record-card")
    expect(card.locator("a[href^='tel:'] bdi[dir=ltr]")).to_have_text("+972 50-234-5678")
    expect(card.locator("a[href^='mailto:'] bdi[dir=ltr]")).to_be_visible()
    expect(card.locator(".crm-overdue")).to_be_visible()
    for element in [card.locator("a[href^='tel:']"), page.locator(".crm-log-save")]:
        expect(element).to_be_in_viewport(ratio=1)
    screenshot(page, f"record-{language}")

    # A call (the default kind) with its note and its next action: 3 clicks, 1 load.
    loads = page.loads
    click_without_scrolling(page, page.locator("#id_note"))
    page.keyboard.type("Spoke with her, interested in the premium plan")
    click_without_scrolling(page, page.locator("#id_next_action"))
    page.keyboard.type("Send the quote")
    click_without_scrolling(page, page.locator(".crm-log-save"), submits=True)
    expect(page.locator(".messagelist .success")).to_be_visible()
    assert page.loads == loads + 1
    assert_no_csp_violation(page)
    call = lead.activities.get(subject="Spoke with her, interested in the premium plan")
    assert (call.kind, call.done_at is not None) == (ActivityKind.CALL, True)
    lead.refresh_from_db()
    assert lead.last_contacted_at == call.done_at
    assert lead.activities.filter(kind=ActivityKind.TASK, subject="Send the quote", done_at=None).exists()
    expect(page.locator(".crm-timeline-entries")).to_contain_text("Spoke with her")
    screenshot(page, f"record-logged-{language}")

    # The stage: 1 click.
    loads = page.loads
    click_without_scrolling(
        page, page.get_by_role("button", name=CONNECTED[language], exact=True), submits=True
    )
    expect(page.locator(".messagelist .success")).to_be_visible()
    assert page.loads == loads + 1
    lead.refresh_from_db()
    assert lead.stage == LeadStage.CONNECTED

    # Disqualified with a reason: 2 clicks (the reasons open inline, each one submits).
    loads = page.loads
    click_without_scrolling(page, page.locator(".crm-disqualify summary"))
    click_without_scrolling(
        page, page.get_by_role("button", name=NO_BUDGET[language], exact=True), submits=True
    )
    expect(page.locator(".messagelist .success")).to_be_visible()
    assert page.loads == loads + 1
    lead.refresh_from_db()
    assert (lead.stage, lead.disqualification_reason.name) == (LeadStage.DISQUALIFIED, "No budget")
    assert_no_csp_violation(page)
    screenshot(page, f"record-disqualified-{language}")


@pytest.mark.parametrize("language", ["fr", "he"])
def test_every_record_page_needs_no_sideways_scroll_on_a_phone(sales_person_page, language):
    """A prospect's, a contact's, a company's and a deal's page at 390x844: the page is no wider
    than the screen, and its header card and quick log (a company's lists) are on it."""
    lead = worked_prospect()
    opportunity = worked_opportunity()
    records = {
        "lead": lead,
        "contact": opportunity.contact,
        "company": opportunity.company,
        "opportunity": opportunity,
    }
    page = sales_person_page(language, PHONE)
    for kind, record in records.items():
        page.goto(f"/admin/crm/{kind}/{record.pk}/change/")
        assert_no_csp_violation(page)
        widths = page.evaluate("({page: document.documentElement.scrollWidth, screen: window.innerWidth})")
        assert widths["page"] <= widths["screen"], (kind, widths)
        beside = page.locator(".crm-record-related" if kind == "company" else ".crm-record-log")
        for element in [page.locator(".crm-record-card"), beside]:
            box = element.bounding_box()
            assert box is not None, kind
            assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (kind, box)
        screenshot(page, f"record-phone-{kind}-{language}")


def test_an_open_task_is_done_or_moved_in_one_click(sales_person_page):
    lead = worked_prospect()
    page = sales_person_page("en", SCREEN)
    page.goto(f"/admin/crm/lead/{lead.pk}/change/")
    task = lead.activities.get(subject="Send the deck")
    entry = page.locator(".crm-timeline-open", has_text="Send the deck")
    entry.get_by_role("button", name="Tomorrow").click()
    expect(page.locator(".messagelist .success")).to_be_visible()
    task.refresh_from_db()
    assert timezone.localtime(task.due_at).date() == timezone.localdate() + timedelta(days=1)
    page.locator(".crm-timeline-open", has_text="Send the deck").get_by_role("button", name="Done").click()
    expect(page.locator(".messagelist .success")).to_be_visible()
    task.refresh_from_db()
    assert task.done_at is not None
    assert_no_csp_violation(page)


def worked_opportunity() -> Opportunity:
    """A deal as a sales person finds it: long names, a Hebrew contact, a history, a late task."""
    seller = SalesPersonFactory(username="dana")
    company = CompanyFactory(name="Boulangerie Lumière du Marais et Fils", sector="food", owner=seller)
    contact = ContactFactory(
        company=company,
        owner=seller,
        first_name="יעל",
        last_name="כהן",
        email="contact.commercial@boulangerie-lumiere-marais.example",
    )
    opportunity = OpportunityFactory(
        company=company, contact=contact, owner=seller, name="Abonnement premium Lumière", amount=36000
    )
    services.log_contact(
        contact, user=seller, note="Left a message with the assistant", outcome="left_message"
    )
    services.log_contact(opportunity, user=seller, note="Demo done", next_action="Send the quote")
    Activity.objects.filter(subject="Send the quote").update(due_at=timezone.now() - timedelta(days=2))
    services.refresh_next_action(opportunity=opportunity, user=seller)
    return opportunity


RECORD_KINDS = ["contact", "company", "opportunity"]


@pytest.mark.parametrize("language", ["fr", "en", "he"])
@pytest.mark.parametrize("kind", RECORD_KINDS)
def test_a_contact_company_or_deal_shows_its_header_and_quick_log_without_scrolling(
    sales_person_page, kind, language
):
    opportunity = worked_opportunity()
    record = {"contact": opportunity.contact, "company": opportunity.company, "opportunity": opportunity}[
        kind
    ]
    page = sales_person_page(language, SCREEN)
    page.goto(f"/admin/crm/{kind}/{record.pk}/change/")
    assert_no_csp_violation(page)
    expect(page.locator("#nav-sidebar")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "he" else "ltr")
    card = page.locator(".crm-record-card")
    # The whole header (facts, stage buttons, tools) and the quick log (or a company's lists).
    beside = page.locator(".crm-record-related" if kind == "company" else ".crm-record-log")
    for element in [page.locator("h1.crm-record-title"), card, beside]:
        expect(element).to_be_in_viewport(ratio=1)
    assert page.evaluate("window.scrollY") == 0
    expect(card.locator(".crm-overdue")).to_be_visible()  # the late "Send the quote"
    if kind == "contact":
        expect(card.locator("a[href^='tel:'] bdi[dir=ltr]")).to_have_text("+972 50-234-5678")
        expect(card.locator("a[href^='mailto:'] bdi[dir=ltr]")).to_be_visible()
    if kind == "company":
        expect(beside.locator("a[href*='/crm/contact/']")).to_be_visible()
        expect(beside.locator("a[href*='/crm/opportunity/']")).to_be_visible()
    expect(page.locator(".crm-timeline-entries")).to_contain_text("Demo done")
    screenshot(page, f"record-{kind}-{language}")


@pytest.mark.parametrize("language", ["fr", "he"])
def test_a_deal_is_logged_on_and_lost_with_its_reason_without_scrolling(sales_person_page, language):
    opportunity = worked_opportunity()
    page = sales_person_page(language, SCREEN)
    page.goto(f"/admin/crm/opportunity/{opportunity.pk}/change/")

    # A call with its note: 2 clicks, 1 load.
    loads = page.loads
    click_without_scrolling(page, page.locator("#id_note"))
    page.keyboard.type("Negotiated the price")
    click_without_scrolling(page, page.locator(".crm-log-save"), submits=True)
    expect(page.locator(".messagelist .success")).to_be_visible()
    assert page.loads == loads + 1
    assert opportunity.activities.filter(subject="Negotiated the price", kind=ActivityKind.CALL).exists()

    # Lost with a reason: 2 clicks (the reasons open inline, each one submits).
    lost = OpportunityStage.objects.get(is_lost=True)
    reason = LossReason.objects.filter(is_active=True).first()
    loads = page.loads
    click_without_scrolling(page, page.locator(".crm-disqualify summary"))
    click_without_scrolling(page, page.locator(f".crm-reason-button[value='{reason.pk}']"), submits=True)
    expect(page.locator(".messagelist .success")).to_be_visible()
    assert page.loads == loads + 1
    opportunity.refresh_from_db()
    assert (opportunity.stage, opportunity.loss_reason) == (lost, reason)
    assert_no_csp_violation(page)
    screenshot(page, f"record-opportunity-lost-{language}")

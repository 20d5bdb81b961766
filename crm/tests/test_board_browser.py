"""The pipeline board in a real browser (Chromium, 1366x768, French, English, Hebrew): a card
dragged to Lost asks its reason in a dialog, a card moves by the keyboard, the moves are announced,
and the page's script is the site's own (no CSP violation). Screenshots under test-artifacts/.

Marking a deal lost from the board: a drag and one click on the reason, one page load.
"""

from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from crm.models import LossReason, Opportunity, OpportunityStage

from .browser import TIMEOUT_MS, screenshot
from .factories import OpportunityFactory, UserFactory
from .reference_rows import restore_reference_rows
from .test_admin_browser import LOCALES, SCREEN, assert_no_csp_violation, open_admin  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _reference_rows(transactional_db):
    """The stages, reasons and groups the migrations seed (a transactional test's flush empties them)."""
    restore_reference_rows()


# What the reader sees, by language: the reason picked, the announcements, amounts as written there.
READER = {
    "fr": {"price": "Prix", "picked": "saisie dans", "moved": "déplacée vers", "ils": "36\u202f000\xa0₪"},
    "en": {"price": "Price", "picked": "Picked up", "moved": "moved to", "ils": "₪36,000"},
    "he": {"price": "מחיר", "picked": "נבחרה", "moved": "הועברה", "ils": "\u200f36,000\xa0\u200f₪"},
}


def card(page: Page, opportunity: Opportunity):
    return page.locator(f"#card-{opportunity.pk}")


def column(page: Page, stage_name: str):
    return page.locator(f'section[data-stage="{OpportunityStage.objects.get(name=stage_name).pk}"]')


@pytest.mark.parametrize("language", ["fr", "en", "he"])
def test_a_card_dragged_to_lost_asks_its_reason_and_a_card_moves_by_keyboard(open_admin, language):  # noqa: F811
    page = open_admin(language)
    lost_deal = OpportunityFactory(name="Acme deal", amount=Decimal("36000"), currency="ILS")
    moved_deal = OpportunityFactory(name="Globex deal", amount=Decimal("12500"), currency="EUR")
    page.goto("/admin/crm/opportunity/board/")
    assert_no_csp_violation(page)
    expect(page.locator("#crm-board-help")).to_be_visible()
    expect(card(page, lost_deal).locator(".crm-board-amount")).to_have_text(READER[language]["ils"])
    sizes = page.evaluate("({page: document.documentElement.scrollWidth, screen: window.innerWidth})")
    assert sizes["page"] <= sizes["screen"], sizes
    screenshot(page, f"board-{language}")

    # Drag and drop to Lost, then one click on the reason: the card is lost with it, and stays in sight.
    loads = []
    page.on("load", lambda loaded: loads.append(loaded.url))
    card(page, lost_deal).drag_to(column(page, "Lost"), source_position={"x": 4, "y": 4})
    dialog = page.locator("#crm-loss-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator(".crm-loss-card")).to_have_text("Acme deal")
    screenshot(page, f"board-loss-reason-{language}")
    with page.expect_navigation():
        dialog.get_by_role("button", name=READER[language]["price"], exact=True).click()
    expect(column(page, "Lost").locator(f"#card-{lost_deal.pk}")).to_be_visible()
    assert len(loads) == 1  # the POST's redirect back to the board
    expect(card(page, lost_deal).locator(".crm-board-reason")).to_have_text(READER[language]["price"])
    lost_deal.refresh_from_db()
    assert lost_deal.stage.is_lost and lost_deal.loss_reason == LossReason.objects.get(name="Price")
    expect(page.locator("#crm-board-status")).to_contain_text(READER[language]["moved"])
    assert_no_csp_violation(page)

    # The keyboard: focus the card, Enter picks it up, the arrow towards the next column, Enter drops.
    card(page, moved_deal).focus()
    page.keyboard.press("Enter")
    expect(page.locator("#crm-board-status")).to_contain_text(READER[language]["picked"])
    page.keyboard.press("ArrowLeft" if language == "he" else "ArrowRight")  # towards the next column
    expect(column(page, "Meeting")).to_have_class("crm-board-column crm-board-target")
    screenshot(page, f"board-keyboard-{language}")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(column(page, "Meeting").locator(f"#card-{moved_deal.pk}")).to_be_focused()
    expect(page.locator("#crm-board-status")).to_contain_text(READER[language]["moved"])
    moved_deal.refresh_from_db()
    assert moved_deal.stage.name == "Meeting" and moved_deal.stage_entries.count() == 2
    assert_no_csp_violation(page)
    screenshot(page, f"board-moved-{language}")


def test_without_javascript_the_cards_form_marks_a_deal_lost_with_its_reason(browser, settings, live_server):
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    context = browser.new_context(
        base_url=live_server.url, locale=LOCALES["en"], viewport=SCREEN, java_script_enabled=False
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    UserFactory(username="boss", is_superuser=True)
    deal = OpportunityFactory(name="Initech deal")
    page.goto("/admin/login/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", "correct horse battery staple")
    page.click("input[type=submit]")
    page.goto("/admin/crm/opportunity/board/")
    expect(page.locator("#crm-board-help")).to_be_hidden()
    form = card(page, deal).locator("form")
    form.get_by_label("Move to").select_option(label="Lost")
    form.get_by_label("Reason if lost").select_option(label="Chose a competitor")
    screenshot(page, "board-no-javascript-en")
    form.get_by_role("button", name="Move").click()
    expect(column(page, "Lost").locator(f"#card-{deal.pk}")).to_contain_text("Chose a competitor")
    deal.refresh_from_db()
    assert deal.loss_reason == LossReason.objects.get(name="Chose a competitor")
    context.close()


def test_with_javascript_the_cards_form_asks_the_loss_reason_in_the_dialog(open_admin):  # noqa: F811
    page = open_admin("en")
    deal = OpportunityFactory(name="Umbrella deal")
    page.goto("/admin/crm/opportunity/board/")
    form = card(page, deal).locator("form")
    expect(form.get_by_label("Reason if lost")).to_be_hidden()  # the dialog asks it instead
    form.get_by_label("Move to").select_option(label="Lost")
    form.get_by_role("button", name="Move").click()
    dialog = page.locator("#crm-loss-dialog")
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")  # cancelled: the card stays where it was, its menu too
    expect(dialog).to_be_hidden()
    expect(form.get_by_label("Move to")).to_have_value(str(deal.stage_id))
    form.get_by_label("Move to").select_option(label="Lost")
    form.get_by_role("button", name="Move").click()
    with page.expect_navigation():
        dialog.get_by_role("button", name="No decision").click()
    expect(column(page, "Lost").locator(f"#card-{deal.pk}")).to_contain_text("No decision")
    assert_no_csp_violation(page)

"""A sales person's day, walked in a real browser: the six tasks of the sales workspace, each within
its clicks and page loads, nothing needing a scroll, in French, English and Hebrew.

A laptop: 1366x768, the admin's navigation sidebar open (Django's default; the admin keeps the
choice in localStorage, set here as a laptop has it). The rows are `wide_rows` (the longest values
the fields take, every badge, real dates), all the sales person's own, plus their overdue task
and a task due later today. Every click goes through `Walk`: it is counted (a dropdown choice
counts 2, a drag from a card to a column 1: a press and a release), and the element must be
inside the screen, the page unscrolled, before it is clicked; this test never scrolls. Page loads
are the main frame's `load` events (a POST answered by a redirect is one).

| task | target |
| find what is overdue or due today | 1 click from anywhere (My day, in the header) |
| call a prospect and log the call | <= 3 clicks + the note, 1 load, no scroll |
| set the next action | in the same submit as the call |
| move the stage | 1 click, no scroll |
| mark an opportunity lost with a reason | <= 3 clicks, from the board |
| disqualify a prospect with a reason | <= 3 clicks, no scroll |

Between tasks the walk goes where the next one starts (a prospect from My day, the board from the
sidebar, another prospect); those steps are counted and reported too. Screenshots of the screen
(what is seen without scrolling), one per step and language: test-artifacts/walk/.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from crm import services
from crm.models import (
    Activity,
    ActivityKind,
    Company,
    Contact,
    Lead,
    LeadStage,
    Opportunity,
)

from .browser import ARTIFACTS, TIMEOUT_MS, log_in
from .factories import SalesPersonFactory
from .reference_rows import restore_reference_rows
from .test_admin_browser import CSP_LISTENER, LOCALES, assert_no_csp_violation
from .wide_rows import WORDS, add_wide_rows, longest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREEN = {"width": 1366, "height": 768}
SHOTS = ARTIFACTS / "walk"
# What the walk clicks, by its label in each language.
MY_DAY = {"fr": "Ma journée", "en": "My day", "he": "היום שלי"}
BOARD = {"fr": "Tableau du pipeline", "en": "Pipeline board", "he": "לוח הצנרת"}
CONNECTED = {"fr": "Joint", "en": "Connected", "he": "נוצר קשר"}
PRICE = {"fr": "Prix", "en": "Price", "he": "מחיר"}
NO_BUDGET = {"fr": "Pas de budget", "en": "No budget", "he": "אין תקציב"}
NOTE = {
    "fr": "Joint, intéressée par l'offre premium",
    "en": "Reached her, interested in the premium plan",
    "he": "דיברנו, מתעניינת בחבילת הפרימיום",
}
NEXT_ACTION = {"fr": "Envoyer le devis", "en": "Send the quote", "he": "לשלוח הצעת מחיר"}


# A call opens the phone's application (here: nothing), the browser stays on the page.
CALLS_STAY_ON_THE_PAGE = """
document.addEventListener("click", (event) => {
  if (event.target.closest('a[href^="tel:"]')) { event.preventDefault(); window.called = true; }
});
"""


@pytest.fixture(autouse=True)
def _reference_rows(transactional_db):
    """The stages, reasons and groups the migrations seed (a transactional test's flush empties them)."""
    restore_reference_rows()


@dataclass
class Step:
    name: str
    clicks: int = 0
    loads: int = 0
    clicked: list[str] = field(default_factory=list)


class Walk:
    """The one way this test touches the page: each click counted and checked on the screen."""

    def __init__(self, page: Page, language: str) -> None:
        self.page = page
        self.language = language
        self.loads = 0
        self.steps: list[Step] = []
        page.on("load", self._loaded)

    def _loaded(self, _page) -> None:
        self.loads += 1

    @contextmanager
    def step(self, name: str) -> Iterator[Step]:
        """A step of the day; its clicks and loads are what happened inside it. Its screenshot is
        the screen at its end."""
        step = Step(name)
        loads = self.loads
        self.steps.append(step)
        yield step
        self.page.wait_for_load_state("load")
        step.loads = self.loads - loads
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"{self.language}-{len(self.steps)}-{name}.png"))

    def on_screen(self, target: Locator) -> None:
        """`target` is inside the 1366x768 screen and the page is not scrolled: no scroll needed."""
        expect(target).to_be_visible()
        box = target.bounding_box()
        where = self.page.evaluate("[window.scrollX, window.scrollY]")
        assert where == [0, 0], f"the page is scrolled to {where}"
        assert box["x"] >= 0 and box["x"] + box["width"] <= SCREEN["width"], (str(target), box)
        assert box["y"] >= 0 and box["y"] + box["height"] <= SCREEN["height"], (str(target), box)

    def click(self, target: Locator, *, loads_a_page: bool = False, counts: int = 1) -> None:
        self.on_screen(target)
        step = self.steps[-1]
        step.clicks += counts
        step.clicked.append(str(target))
        if loads_a_page:
            with self.page.expect_navigation(wait_until="load"):
                target.click()
        else:
            target.click()

    def drag(self, card: Locator, column: Locator) -> None:
        """A card pressed, carried and released on a column: one click's gesture."""
        self.on_screen(card)
        self.on_screen(column)
        step = self.steps[-1]
        step.clicks += 1
        step.clicked.append(f"drag {card} to {column}")
        card.drag_to(column, source_position={"x": 4, "y": 4})

    def report(self) -> str:
        return "\n".join(
            f"  {step.name}: {step.clicks} click(s), {step.loads} load(s)" for step in self.steps
        )


@dataclass
class Day:
    seller: object
    called: Lead  # the prospect with the overdue call
    disqualified: Lead
    lost: Opportunity


def a_sales_persons_day() -> Day:
    """`wide_rows`, all the sales person's own, with an overdue call and a task due later today."""
    seller = SalesPersonFactory(username="dana", first_name="Dana", last_name="Cohen", password=None)
    rows = add_wide_rows()
    Lead.objects.update(assigned_to=seller)
    for model in (Contact, Company, Opportunity, Activity):
        model.objects.update(owner=seller)
    called = rows.lead  # a new prospect, its brand 200 characters long
    now = timezone.now()
    services.record_activity(
        Activity(
            kind=ActivityKind.TASK,
            subject=longest("Rappeler au sujet de la proposition commerciale ", 200),
            due_at=now - timedelta(days=1),
            lead=called,
        ),
        user=seller,
    )
    later_today = max(now + timedelta(minutes=5), min(now + timedelta(hours=2), end_of_today()))
    disqualified = Lead.objects.filter(stage=LeadStage.ATTEMPTING).first()
    services.record_activity(
        Activity(
            kind=ActivityKind.TASK,
            subject=longest(WORDS["he"], 200),
            due_at=later_today,
            lead=disqualified,
        ),
        user=seller,
    )
    lost = Opportunity.objects.filter(stage__is_won=False, stage__is_lost=False).first()
    return Day(seller, called, disqualified, lost)


def end_of_today():
    local = timezone.localtime()
    return local.replace(hour=23, minute=59, second=0, microsecond=0)


@pytest.fixture
def laptop(browser, settings, live_server) -> Iterator:
    """A page at 1366x768 with the sidebar open, signed in as `user`, in a language."""
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    contexts = []

    def open_page(language: str, user) -> Page:
        context = browser.new_context(base_url=live_server.url, locale=LOCALES[language], viewport=SCREEN)
        context.set_default_timeout(TIMEOUT_MS)
        context.add_init_script(CSP_LISTENER)
        context.add_init_script("localStorage.setItem('django.admin.navSidebarIsOpen', 'true')")
        context.add_init_script(CALLS_STAY_ON_THE_PAGE)
        log_in(context, live_server.url, user)
        contexts.append(context)
        page = context.new_page()
        page.console_errors = []
        page.on(
            "console", lambda message: message.type == "error" and page.console_errors.append(message.text)
        )
        page.on("pageerror", lambda error: page.console_errors.append(str(error)))
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.mark.slow
@pytest.mark.parametrize("language", ["fr", "en", "he"])
def test_a_sales_persons_day_takes_the_clicks_the_workspace_allows_and_no_scroll(laptop, language):
    day = a_sales_persons_day()
    page = laptop(language, day.seller)
    page.goto("/admin/")
    walk = Walk(page, language)
    # My day in the header: on the screen of every page the walk sees, the home page included.
    my_day = page.locator("#header").get_by_role("link", name=MY_DAY[language], exact=True)

    # 1. What is overdue or due today: one click from anywhere (here the home page).
    with walk.step("my-day") as step:
        walk.click(my_day, loads_a_page=True)
        overdue = page.locator("#my-day-overdue").locator("xpath=..")
        walk.on_screen(page.locator("#my-day-overdue"))
        walk.on_screen(page.locator("#my-day-today"))
        walk.on_screen(overdue.locator(".crm-my-day-row", has_text="Rappeler au sujet").locator("time"))
    assert (step.clicks, step.loads) == (1, 1)
    assert_no_csp_violation(page)

    # From My day to the prospect of the overdue call.
    with walk.step("open-the-prospect") as step:
        row = overdue.locator(".crm-my-day-row", has_text="Rappeler au sujet")
        walk.click(row.locator("a.crm-my-day-about"), loads_a_page=True)
    assert (step.clicks, step.loads) == (1, 1)
    walk.on_screen(my_day)  # My day stays one click away

    # 2. The call and its log: the phone, the note, Save; 3. its next action in the same submit.
    with walk.step("call-and-next-action") as step:
        walk.click(page.locator(".crm-record-card a.crm-record-phone"))
        assert page.evaluate("window.called") is True
        walk.click(page.locator("#id_note"))
        page.keyboard.type(NOTE[language])
        call_clicks = step.clicks
        walk.click(page.locator("#id_next_action"))
        page.keyboard.type(NEXT_ACTION[language])
        walk.click(page.locator(".crm-log-save"), loads_a_page=True)
        expect(page.locator(".messagelist .success")).to_be_visible()
    assert call_clicks + 1 <= 3 and step.loads == 1, walk.report()  # + 1: Save
    assert step.clicks == call_clicks + 2  # the next action's box, Save: the same submit
    assert_no_csp_violation(page)
    call = day.called.activities.get(subject=NOTE[language])
    assert (call.kind, call.done_at is not None) == (ActivityKind.CALL, True)
    assert day.called.activities.filter(kind=ActivityKind.TASK, subject=NEXT_ACTION[language], done_at=None)
    walk.on_screen(my_day)

    # 4. The stage: one click.
    with walk.step("stage") as step:
        walk.click(page.get_by_role("button", name=CONNECTED[language], exact=True), loads_a_page=True)
        expect(page.locator(".messagelist .success")).to_be_visible()
    assert (step.clicks, step.loads) == (1, 1)
    day.called.refresh_from_db()
    assert day.called.stage == LeadStage.CONNECTED

    # To the board: the sidebar's Opportunities, then the board.
    expect(page.locator("#nav-sidebar")).to_be_visible()
    with walk.step("open-the-board"):
        walk.click(page.locator("#nav-sidebar a[href='/admin/crm/opportunity/']"), loads_a_page=True)
        walk.click(page.get_by_role("link", name=BOARD[language], exact=True), loads_a_page=True)
    walk.on_screen(my_day)

    # 5. An opportunity lost with its reason, from the board: the card dragged to Lost, the reason.
    lost_column = page.locator("section[data-lost]")
    with walk.step("lost") as step:
        walk.drag(page.locator(f"#card-{day.lost.pk}"), lost_column.locator("h2"))
        walk.click(
            page.locator("#crm-loss-dialog").get_by_role("button", name=PRICE[language], exact=True),
            loads_a_page=True,
        )
        expect(lost_column.locator(f"#card-{day.lost.pk}")).to_be_visible()
    assert step.clicks <= 3 and step.loads == 1, walk.report()
    day.lost.refresh_from_db()
    assert day.lost.stage.is_lost and day.lost.loss_reason.name == "Price"
    assert_no_csp_violation(page)

    # To another prospect: My day, its task due today.
    with walk.step("open-another-prospect"):
        walk.click(my_day, loads_a_page=True)
        today = page.locator("#my-day-today").locator("xpath=..")
        walk.click(today.locator("a.crm-my-day-about").first, loads_a_page=True)

    # 6. Disqualified with a reason: the button, the reason.
    with walk.step("disqualify") as step:
        walk.click(page.locator(".crm-disqualify summary"))
        walk.click(page.get_by_role("button", name=NO_BUDGET[language], exact=True), loads_a_page=True)
        expect(page.locator(".messagelist .success")).to_be_visible()
    assert step.clicks <= 3 and step.loads == 1, walk.report()
    day.disqualified.refresh_from_db()
    assert (day.disqualified.stage, day.disqualified.disqualification_reason.name) == (
        LeadStage.DISQUALIFIED,
        "No budget",
    )
    assert_no_csp_violation(page)
    walk.on_screen(my_day)
    print(f"\nThe day in {language} (screenshots in {SHOTS}):\n{walk.report()}")

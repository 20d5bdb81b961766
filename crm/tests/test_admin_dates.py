"""A date and time reads the same in Hebrew as in French and English: date first, then the time.

"05/12/2026 17:45" is two numbers and a space; in a right-to-left page the bidi algorithm orders
them right to left, the time first. Every date and time the CRM's pages show is one isolated
left-to-right run (`crm.display.datetime_html`; `datetime_text` in messages). The browser's view
of it is in `test_my_day_browser.py`.
"""

import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from crm import display, services
from crm.models import Activity, ActivityKind

from .factories import ContactFactory, LeadFactory, OpportunityFactory

pytestmark = pytest.mark.django_db

DATE_AND_TIME = re.compile(r"\d\d/\d\d/\d{4} \d\d:\d\d")
LEFT_TO_RIGHT_ISOLATE, POP_ISOLATE = "\u2066", "\u2069"


class DatesAndTimes(HTMLParser):
    """Each date and time of a page's text, with whether it is isolated left to right: the whole
    text of an element with `dir="ltr"`, or between the isolate marks.

    Not yet the read-only fields of Django's folded form ("Edit details": created, updated, first
    and last contacted), which Django formats itself (`display_for_field`): left out here."""

    VOID = {"input", "br", "img", "meta", "link", "hr", "source", "wbr", "col", "area", "base"}

    def __init__(self) -> None:
        super().__init__()
        self.open: list[tuple[str, str | None, bool]] = []
        self.found: list[tuple[str, bool]] = []

    def handle_starttag(self, tag, attrs) -> None:
        if tag not in self.VOID:
            attrs = dict(attrs)
            self.open.append((tag, attrs.get("dir"), attrs.get("class") == "readonly"))

    def handle_endtag(self, tag) -> None:
        while self.open:
            if self.open.pop()[0] == tag:
                break

    def handle_data(self, data) -> None:
        if self.open and self.open[-1][0] in {"script", "style", "textarea"}:
            return
        if self.open and self.open[-1][2]:
            return  # a value Django formatted itself
        for match in DATE_AND_TIME.finditer(data):
            marked = data[: match.start()].endswith(LEFT_TO_RIGHT_ISOLATE) and data[match.end() :].startswith(
                POP_ISOLATE
            )
            alone = data.strip() == match.group() and self.open and self.open[-1][1] == "ltr"
            self.found.append((match.group(), bool(marked or alone)))


def dates_and_times(html: str) -> list[tuple[str, bool]]:
    parser = DatesAndTimes()
    parser.feed(html)
    return parser.found


def test_a_date_and_time_is_one_left_to_right_run_in_html_and_in_text():
    moment = timezone.make_aware(timezone.datetime(2026, 12, 5, 17, 45))
    with translation.override("he"):
        html = display.datetime_html(moment, "crm-overdue")
        text = display.datetime_text(moment)

    iso = timezone.localtime(moment).isoformat()
    assert html == f'<time datetime="{iso}" class="crm-overdue" dir="ltr">05/12/2026 17:45</time>'
    assert text == "\u206605/12/2026 17:45\u2069"
    assert display.datetime_html(None) == display.EMPTY


@pytest.mark.parametrize("language", ["he", "fr", "en"])
def test_every_date_and_time_of_the_sales_pages_reads_left_to_right(client, signed_in_seller, language):
    now = timezone.now()
    lead = LeadFactory(assigned_to=signed_in_seller)
    contact = ContactFactory(owner=signed_in_seller)
    opportunity = OpportunityFactory(owner=signed_in_seller, next_step_at=now - timedelta(days=2))
    for record in ({"lead": lead}, {"contact": contact}):
        services.record_activity(
            Activity(kind=ActivityKind.TASK, subject="Call back", due_at=now - timedelta(days=1), **record),
            user=signed_in_seller,
        )
        services.record_activity(
            Activity(kind=ActivityKind.CALL, subject="Called", done_at=now - timedelta(hours=3), **record),
            user=signed_in_seller,
        )
    # A message carrying a date: the quick log's next action.
    client.post(
        reverse("admin:crm_lead_log", args=[lead.pk]),
        {"kind": "call", "note": "Reached", "next_action": "Send the quote"},
        HTTP_ACCEPT_LANGUAGE=language,
    )
    pages = {
        "the record page, its message": reverse("admin:crm_lead_change", args=[lead.pk]),
        "My day": reverse("admin:crm_my_day"),
        "the activities": reverse("admin:crm_activity_changelist"),
        "the contact's timeline": reverse("admin:crm_contact_change", args=[contact.pk]),
        "the opportunity": reverse("admin:crm_opportunity_change", args=[opportunity.pk]),
    }

    for page, url in pages.items():
        found = dates_and_times(client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode())
        assert found, page
        assert [shown for shown, isolated in found if not isolated] == [], page

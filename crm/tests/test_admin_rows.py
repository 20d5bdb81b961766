"""The prospects' and contacts' list rows (`crm.admin.rows`) are Django's own markup, drawn in one pass."""

from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.admin.templatetags import admin_list
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from crm.admin import rows
from crm.models import Lead, LeadStage
from mini_analysis.models import Status

from .factories import (
    ActivityFactory,
    CompanyFactory,
    ContactFactory,
    LeadFactory,
    SalesPersonFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:crm_lead_changelist")


@pytest.fixture
def varied_leads():
    """A row for each way a cell can look: empty values, an owner, overdue and future actions,
    markup and right-to-left text in a brand, an unknown stored status."""
    owner = UserFactory(username="dana", first_name="Dana")
    now = timezone.now()
    leads = [
        LeadFactory(brand_name="<b>Atelier & fils</b>", phone="", assigned_to=owner),
        LeadFactory(brand_name="חנות הפרחים", email="", status=Status.GENERATED, stage=LeadStage.ATTEMPTING),
        LeadFactory(brand_name="", sector="", status="LEGACY"),
        LeadFactory(brand_name="Soon", next_action="Call back", next_action_at=now + timedelta(days=2)),
        LeadFactory(brand_name="Late", next_action="Send <quote>", next_action_at=now - timedelta(days=2)),
    ]
    return leads


def django_rows(cl) -> list[str]:
    return ["".join(admin_list.items_for_result(cl, result, None)) for result in cl.result_list]


def one_pass_rows(cl) -> list[str]:
    return ["".join(row) for row in rows.results(cl)]


def assert_drawn_in_one_pass_as_django_draws(response, page: str) -> None:
    """The list's rows, drawn by the one-pass renderer, are Django's byte for byte, and on the page."""
    cl = response.context["cl"]
    assert cl.result_list, "the query shows rows"
    assert rows._method_columns(cl) is not None, f"the {page} page takes the one-pass path"
    assert one_pass_rows(cl) == django_rows(cl)
    for row in one_pass_rows(cl):
        assert row in response.content.decode()


@pytest.mark.parametrize(
    "query",
    ["", "?status__exact=GENERATED", "?q=%3Cb%3E&o=-3", "?next_action_at_when=overdue", "?o=-9.1"],
)
def test_each_row_is_byte_for_byte_what_django_draws(client, varied_leads, query):
    client.force_login(UserFactory(username="boss", is_superuser=True))
    assert_drawn_in_one_pass_as_django_draws(client.get(CHANGELIST + query), "prospects")


def test_a_sales_persons_rows_are_what_django_draws(client, varied_leads):
    person = SalesPersonFactory(username="sam")
    Lead.objects.update(assigned_to=person)
    ActivityFactory(lead=varied_leads[0], owner=person)
    client.force_login(person)
    cl = client.get(CHANGELIST).context["cl"]
    assert len(cl.result_list) == len(varied_leads)
    assert one_pass_rows(cl) == django_rows(cl)


def test_a_search_for_the_url_marker_itself_is_drawn_by_django(client, varied_leads):
    client.force_login(UserFactory(username="boss", is_superuser=True))
    response = client.get(CHANGELIST + "?q=" + rows.PK_MARKER)
    assert response.status_code == 200
    assert one_pass_rows(response.context["cl"]) == django_rows(response.context["cl"])


def test_the_page_draws_its_rows_through_the_one_pass_renderer(client, varied_leads, monkeypatch):
    drawn = []
    original = rows.results
    monkeypatch.setattr(rows, "results", lambda cl: drawn.append(cl) or original(cl))
    client.force_login(UserFactory(username="boss", is_superuser=True))
    client.get(CHANGELIST)
    assert len(drawn) == 1


def test_the_link_of_a_row_keeps_the_lists_filters(client, varied_leads):
    client.force_login(UserFactory(username="boss", is_superuser=True))
    response = client.get(CHANGELIST + "?status__exact=GENERATED")
    lead = varied_leads[1]
    change = reverse("admin:crm_lead_change", args=[lead.pk])
    assert f'href="{change}?_changelist_filters=status__exact%3DGENERATED"' in response.content.decode()


def test_a_changelist_with_other_columns_is_left_to_django(client, varied_leads, monkeypatch):
    """A model field as a column (Django formats it itself) or a popup: Django's own rows."""
    client.force_login(UserFactory(username="boss", is_superuser=True))
    model_admin = admin.site._registry[Lead]
    monkeypatch.setattr(model_admin, "list_display", ["brand", "email", "created_date"])
    cl = client.get(CHANGELIST).context["cl"]
    assert rows._method_columns(cl) is None
    assert one_pass_rows(cl) == django_rows(cl)
    monkeypatch.undo()
    cl = client.get(CHANGELIST + "?_popup=1&_to_field=id").context["cl"]
    assert rows._method_columns(cl) is None


def test_a_method_returning_plain_text_dates_or_booleans_is_shown_as_django_shows_it(
    client, varied_leads, monkeypatch
):
    client.force_login(UserFactory(username="boss", is_superuser=True))
    model_admin = admin.site._registry[Lead]

    @admin.display(boolean=True, description="analysed")
    def analysed(lead):
        return lead.status == Status.GENERATED

    @admin.display(description="day")
    def day(lead):
        return lead.next_action_at.date() if lead.next_action_at else None

    day.empty_value_display = "(none)"

    def plain(lead):
        return f"<{lead.brand_name}> & {lead.pk}" if lead.brand_name else "  "

    def safe_blank(lead):
        return format_html("{}", " ")

    for name, method in [("analysed", analysed), ("day", day), ("plain", plain), ("safe_blank", safe_blank)]:
        monkeypatch.setattr(model_admin, name, method, raising=False)
    monkeypatch.setattr(model_admin, "list_display", ["brand", "analysed", "day", "plain", "safe_blank"])
    cl = client.get(CHANGELIST).context["cl"]
    assert rows._method_columns(cl) is not None
    assert one_pass_rows(cl) == django_rows(cl)


@pytest.mark.parametrize("query", ["", "?q=lea", "?q=0534687204&o=-4", "?o=-7"])
def test_the_contacts_rows_with_their_company_are_byte_for_byte_what_django_draws(client, query):
    """The contacts list takes the one-pass path too: its company column is a foreign key (the
    related record's name, or the empty display, in a "nowrap" cell), its links keep the search."""
    ContactFactory(first_name="Léa", last_name="<i>Cohen</i>", phone="+972534687204", company=None)
    ContactFactory(first_name="Léa", company=CompanyFactory(name="<b>Atelier & fils</b>"))
    ContactFactory(first_name="", last_name="", email="lea@example.com", company=CompanyFactory(name="שלום"))
    client.force_login(UserFactory(username="boss", is_superuser=True))
    assert_drawn_in_one_pass_as_django_draws(
        client.get(reverse("admin:crm_contact_changelist") + query), "contacts"
    )

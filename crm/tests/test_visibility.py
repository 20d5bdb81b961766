"""The visibility rule of `crm/visibility.py`, clause by clause, for every model and every route.

A sales person sees a record because they own it or own a record that owns it (their opportunity's
contact and company, their contact's company; a lead's activities), never because an anonymous
request resembles it. Unassigned leads are everyone's pool, and grant nothing beyond themselves.
An activity is visible exactly when every record it is on is. A manager (a superuser) sees all.
"""

import csv
import io
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser, Permission
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.test import APIClient

from crm import services, visibility
from crm.admin.activities import ActivityAdmin
from crm.admin.leads import LeadAdmin
from crm.admin.pipeline import CompanyAdmin, ContactAdmin, OpportunityAdmin
from crm.dashboard import clear_figures_cache, dashboard_figures
from crm.models import Activity, ActivityKind, ApiToken, Company, Contact, Lead, Opportunity
from crm.timeline import record_activities
from mini_analysis.services import submit_mini_analysis

from .factories import (
    ActivityFactory,
    CompanyFactory,
    ContactFactory,
    LeadFactory,
    OpportunityFactory,
    SalesPersonFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@dataclass
class People:
    seller: object  # the sales person whose view is tested
    other: object  # another sales person
    boss: object  # a manager


@pytest.fixture
def people() -> People:
    seller = SalesPersonFactory(username="seller")
    # The Sales group may not delete: the delete pages are checked with the permission given.
    seller.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="crm", codename__startswith="delete_")
    )
    return People(
        seller=seller,
        other=SalesPersonFactory(username="ben"),
        boss=UserFactory(username="boss", is_superuser=True),
    )


def anonymous_request(email: str, brand_name: str) -> Lead:
    """What anyone may do: submit the public form with any email and brand (an unassigned lead)."""
    request = submit_mini_analysis(
        email=email, phone="", brand_name=brand_name, sector="Retail", language="fr"
    )
    return Lead.objects.get(email_key=request.email_key, brand_key=request.brand_key)


def log(record_field: str, record, user, **fields) -> Activity:
    fields.setdefault("subject", "Call")
    return services.record_activity(
        Activity(kind=ActivityKind.CALL, **{record_field: record}, **fields), user=user
    )


def converted(lead: Lead, user) -> services.Conversion:
    return services.convert_lead(lead, user=user)


# --- The rule, clause by clause, for every model ------------------------------------------------
# Each case builds its records and returns the one whose visibility to `seller` is stated.


def their_lead_reassigned_to_another(p: People) -> Lead:
    lead = LeadFactory(assigned_to=p.seller)
    services.assign_leads(Lead.objects.filter(pk=lead.pk), p.other, actor=p.boss)
    return lead


def activity_they_logged_on_a_lead_since_reassigned(p: People) -> Activity:
    lead = LeadFactory(assigned_to=p.seller)
    activity = log("lead", lead, p.seller)
    services.assign_leads(Lead.objects.filter(pk=lead.pk), p.other, actor=p.boss)
    return activity


def activity_another_logged_on_a_lead_since_reassigned_to_them(p: People) -> Activity:
    lead = LeadFactory(assigned_to=p.other)
    activity = log("lead", lead, p.other)
    services.assign_leads(Lead.objects.filter(pk=lead.pk), p.seller, actor=p.boss)
    return activity


def opportunity_of_a_lead_converted_then_reassigned_to_them(p: People) -> Opportunity:
    lead = LeadFactory(assigned_to=p.other)
    opportunity = converted(lead, p.other).opportunity
    services.assign_leads(Lead.objects.filter(pk=lead.pk), p.seller, actor=p.boss)
    return opportunity


def opportunity_they_converted_then_their_lead_reassigned(p: People) -> Opportunity:
    lead = LeadFactory(assigned_to=p.seller)
    opportunity = converted(lead, p.seller).opportunity
    services.assign_leads(Lead.objects.filter(pk=lead.pk), p.other, actor=p.boss)
    return opportunity


def unassigned_lead_converted_by_another(p: People) -> services.Conversion:
    return converted(LeadFactory(), p.other)


def lookalike_of_their_company(p: People) -> Company:
    company = converted(LeadFactory(assigned_to=p.other, brand_name="Maison Rivka"), p.other).company
    anonymous_request("stranger@example.com", "  MAISON   rivka ")
    return company


def lookalike_of_their_contact(p: People) -> Contact:
    contact = converted(LeadFactory(assigned_to=p.other, email="rivka@example.com"), p.other).contact
    anonymous_request("Rivka@Example.com", "Another brand")
    return contact


def lookalike_linked_by_a_manager(p: People) -> services.Conversion:
    """A manager converts an unassigned look-alike: it is linked to the other's contact."""
    converted(LeadFactory(assigned_to=p.other, email="rivka@example.com"), p.other)
    return converted(anonymous_request("rivka@example.com", "Another brand"), p.boss)


def activity_of_another_on_the_contact_a_lookalike_repeats(p: People) -> Activity:
    contact = lookalike_of_their_contact(p)
    return log("contact", contact, p.other)


def activity_on_their_lead_and_anothers_contact(p: People) -> Activity:
    return log("lead", LeadFactory(assigned_to=p.seller), p.boss, contact=ContactFactory(owner=p.other))


def their_conversion(p: People) -> services.Conversion:
    return converted(LeadFactory(assigned_to=p.seller), p.seller)


RULE = [
    # owner: what they own, and what a record they own owns
    ("owner", "lead assigned to them", lambda p: LeadFactory(assigned_to=p.seller), True),
    ("owner", "contact they own", lambda p: ContactFactory(owner=p.seller, company=None), True),
    ("owner", "company they own", lambda p: CompanyFactory(owner=p.seller), True),
    ("owner", "opportunity they own", lambda p: OpportunityFactory(owner=p.seller), True),
    (
        "owner",
        "contact of their opportunity, owned by another",
        lambda p: OpportunityFactory(owner=p.seller, contact__owner=p.other).contact,
        True,
    ),
    (
        "owner",
        "company of their opportunity, owned by another",
        lambda p: OpportunityFactory(owner=p.seller, company__owner=p.other).company,
        True,
    ),
    (
        "owner",
        "company of their contact, owned by another",
        lambda p: ContactFactory(owner=p.seller, company=CompanyFactory(owner=p.other)).company,
        True,
    ),
    (
        "owner",
        "company of the contact of their opportunity, both owned by another",
        lambda p: (
            OpportunityFactory(
                owner=p.seller,
                company__owner=p.seller,
                contact__owner=p.other,
                contact__company=CompanyFactory(owner=p.other),
            ).contact.company
        ),
        True,
    ),
    (
        "owner",
        "activity another logged on their lead",
        lambda p: log("lead", LeadFactory(assigned_to=p.seller), p.other),
        True,
    ),
    (
        "owner",
        "activity another logged on their contact",
        lambda p: log("contact", ContactFactory(owner=p.seller), p.other),
        True,
    ),
    (
        "owner",
        "activity another logged on their opportunity",
        lambda p: log("opportunity", OpportunityFactory(owner=p.seller), p.other),
        True,
    ),
    ("owner", "lead of another", lambda p: LeadFactory(assigned_to=p.other), False),
    ("owner", "contact of another", lambda p: ContactFactory(owner=p.other), False),
    ("owner", "company of another", lambda p: CompanyFactory(owner=p.other), False),
    ("owner", "opportunity of another", lambda p: OpportunityFactory(owner=p.other), False),
    (
        "owner",
        "activity they own on the contact of another",
        lambda p: log("contact", ContactFactory(owner=p.other), p.boss, owner=p.seller),
        False,
    ),
    (
        "owner",
        "activity they own on the opportunity of another",
        lambda p: log("opportunity", OpportunityFactory(owner=p.other), p.boss, owner=p.seller),
        False,
    ),
    (
        "owner",
        "activity on their lead and another's contact",
        activity_on_their_lead_and_anothers_contact,
        False,
    ),
    # unassigned: the pool every sales person may take from, and nothing beyond it
    ("unassigned", "unassigned lead", lambda p: LeadFactory(), True),
    (
        "unassigned",
        "activity another logged on an unassigned lead",
        lambda p: log("lead", LeadFactory(), p.other),
        True,
    ),
    (
        "unassigned",
        "contact of an unassigned lead converted by another",
        lambda p: unassigned_lead_converted_by_another(p).contact,
        False,
    ),
    (
        "unassigned",
        "company of an unassigned lead converted by another",
        lambda p: unassigned_lead_converted_by_another(p).company,
        False,
    ),
    (
        "unassigned",
        "opportunity of an unassigned lead converted by another",
        lambda p: unassigned_lead_converted_by_another(p).opportunity,
        False,
    ),
    # converted: what their conversion made is theirs
    ("converted", "contact of their conversion", lambda p: their_conversion(p).contact, True),
    ("converted", "company of their conversion", lambda p: their_conversion(p).company, True),
    ("converted", "opportunity of their conversion", lambda p: their_conversion(p).opportunity, True),
    ("converted", "their converted lead", lambda p: their_conversion(p).lead, True),
    # reassigned: a lead's activities follow the lead; other records keep their own owner
    ("reassigned", "their lead reassigned to another", their_lead_reassigned_to_another, False),
    (
        "reassigned",
        "activity they logged on a lead since reassigned",
        activity_they_logged_on_a_lead_since_reassigned,
        False,
    ),
    (
        "reassigned",
        "activity another logged on a lead since reassigned to them",
        activity_another_logged_on_a_lead_since_reassigned_to_them,
        True,
    ),
    (
        "reassigned",
        "opportunity they own after their lead was reassigned",
        opportunity_they_converted_then_their_lead_reassigned,
        True,
    ),
    (
        "reassigned",
        "opportunity of another's lead reassigned to them",
        opportunity_of_a_lead_converted_then_reassigned_to_them,
        False,
    ),
    # anonymous resemblance: a look-alike request opens nothing
    ("anonymous-resemblance", "company whose brand a request repeats", lookalike_of_their_company, False),
    ("anonymous-resemblance", "contact whose email a request repeats", lookalike_of_their_contact, False),
    (
        "anonymous-resemblance",
        "contact a manager linked a look-alike to",
        lambda p: lookalike_linked_by_a_manager(p).contact,
        False,
    ),
    (
        "anonymous-resemblance",
        "opportunity a manager made of a look-alike",
        lambda p: lookalike_linked_by_a_manager(p).opportunity,
        False,
    ),
    (
        "anonymous-resemblance",
        "activity of another on a contact a request repeats",
        activity_of_another_on_the_contact_a_lookalike_repeats,
        False,
    ),
]


@pytest.mark.parametrize(
    ("clause", "case", "build", "visible"), RULE, ids=[f"{c}: {n}" for c, n, _, _ in RULE]
)
def test_the_rule(people, clause, case, build, visible):
    record = build(people)
    model = type(record)
    assert visibility.can_see(people.seller, record) is visible
    listed = visibility.visible_to(people.seller, model.objects.all()).filter(pk=record.pk).exists()
    assert listed is visible
    # The same rule written per row, for a search's few matches.
    assert visibility.visible_among_few(people.seller, model.objects.filter(pk=record.pk)).exists() is visible


@pytest.mark.parametrize(
    ("clause", "case", "build", "visible"), RULE, ids=[f"{c}: {n}" for c, n, _, _ in RULE]
)
def test_a_manager_sees_every_record(people, clause, case, build, visible):
    record = build(people)
    assert visibility.can_see(people.boss, record)
    assert visibility.visible_to(people.boss, type(record).objects.all()).filter(pk=record.pk).exists()
    assert visibility.visible_among_few(people.boss, type(record).objects.filter(pk=record.pk)).exists()


def test_the_manager_predicate_is_an_active_superuser(people):
    assert visibility.sees_everything(people.boss)
    assert not visibility.sees_everything(people.seller)
    assert not visibility.sees_everything(AnonymousUser())
    people.boss.is_active = False
    assert not visibility.sees_everything(people.boss)


def test_an_anonymous_user_sees_nothing_not_even_what_nobody_owns(people):
    """Without the guard, an anonymous user's missing id would match every unowned record."""
    lead = LeadFactory()
    contact = ContactFactory(owner=None, company=CompanyFactory(owner=None))
    opportunity = OpportunityFactory(owner=None, contact=contact, company=contact.company)
    activity = log("lead", lead, None)
    for record in [lead, contact, contact.company, opportunity, activity]:
        assert not visibility.can_see(AnonymousUser(), record)
        assert not visibility.visible_to(AnonymousUser(), type(record).objects.all()).exists()


# --- Conversion of a look-alike -----------------------------------------------------------------


@pytest.mark.parametrize("resembles", ["contact", "company"])
def test_a_sales_person_cannot_convert_a_lookalike_of_anothers_records(people, resembles):
    theirs = converted(
        LeadFactory(assigned_to=people.other, email="rivka@x.com", brand_name="Rivka"), people.other
    )
    lead = anonymous_request(
        "rivka@x.com" if resembles == "contact" else "someone@y.com",
        "Rivka" if resembles == "company" else "Other brand",
    )
    with translation.override("en"):
        with pytest.raises(services.PipelineError) as refused:
            converted(lead, people.seller)
        message = str(refused.value)
    assert message == (
        "This person or brand already belongs to another sales person's records: ask a manager to convert"
        " this prospect."
    )
    assert "ben" not in message and "rivka" not in message.lower()
    lead.refresh_from_db()
    assert (lead.stage, lead.contact, lead.opportunity) == ("NEW", None, None)
    assert (Contact.objects.count(), Company.objects.count()) == (1, 1)
    assert not visibility.can_see(people.seller, theirs.contact)


def test_the_refusal_is_translated(people):
    converted(LeadFactory(assigned_to=people.other, email="rivka@x.com"), people.other)
    lead = anonymous_request("rivka@x.com", "Other brand")
    with translation.override("fr"), pytest.raises(services.PipelineError) as refused:
        converted(lead, people.seller)
    assert "responsable" in str(refused.value)


def test_a_manager_converts_a_lookalike_and_links_the_existing_records(people):
    theirs = converted(
        LeadFactory(assigned_to=people.other, email="rivka@x.com", brand_name="Rivka"), people.other
    )
    conversion = converted(anonymous_request("Rivka@x.com", "RIVKA"), people.boss)
    assert (conversion.contact, conversion.company) == (theirs.contact, theirs.company)


def test_a_sales_person_converting_into_their_own_contact_links_it(people):
    mine = converted(LeadFactory(assigned_to=people.seller, email="ana@x.com"), people.seller)
    again = converted(
        LeadFactory(assigned_to=people.seller, email="ana@x.com", brand_name="Second"), people.seller
    )
    assert again.contact == mine.contact


# --- Every route --------------------------------------------------------------------------------


@pytest.fixture
def world(people):
    """One visible and one hidden record of each model for `seller`, the hidden ones reached the
    ways the old rule leaked: a look-alike request, a manager's link, a reassignment."""
    now = timezone.now()
    mine_lead = LeadFactory(assigned_to=people.seller, brand_name="Mine", email="mine@x.com")
    mine = converted(mine_lead, people.seller)
    mine_task = services.record_activity(
        Activity(kind=ActivityKind.TASK, subject="Mine", due_at=now - timedelta(days=1), lead=mine_lead),
        user=people.seller,
    )
    theirs_lead = LeadFactory(assigned_to=people.other, brand_name="Theirs", email="theirs@x.com")
    theirs = converted(theirs_lead, people.other)
    # Anonymous look-alikes of their contact and company; a manager converts the first.
    anonymous_request("THEIRS@x.com", "A look-alike")
    anonymous_request("stranger@x.com", " theirs ")
    converted(Lead.objects.get(email_key="theirs@x.com", brand_key="a look-alike"), people.boss)
    # A task the seller logged on a lead since reassigned to the other.
    moved = LeadFactory(assigned_to=people.seller, brand_name="Moved", email="moved@x.com")
    moved_task = services.record_activity(
        Activity(kind=ActivityKind.TASK, subject="Moved", due_at=now - timedelta(days=1), lead=moved),
        user=people.seller,
    )
    services.assign_leads(Lead.objects.filter(pk=moved.pk), people.other, actor=people.boss)
    # The other's call on their contact, which the seller's own contact timeline must not show.
    log("lead", theirs_lead, people.other)
    return {
        "visible": {
            "lead": mine_lead,
            "contact": mine.contact,
            "company": mine.company,
            "opportunity": mine.opportunity,
            "activity": mine_task,
        },
        "hidden": {
            "lead": theirs_lead,
            "contact": theirs.contact,
            "company": theirs.company,
            "opportunity": theirs.opportunity,
            "activity": moved_task,
        },
    }


MODELS = ["lead", "contact", "company", "opportunity", "activity"]
ADMINS = {
    "lead": (LeadAdmin, Lead),
    "contact": (ContactAdmin, Contact),
    "company": (CompanyAdmin, Company),
    "opportunity": (OpportunityAdmin, Opportunity),
    "activity": (ActivityAdmin, Activity),
}


@pytest.fixture
def seller_client(client, people):
    client.force_login(people.seller)
    return client


def url(route: str, record) -> str:
    return reverse(f"admin:crm_{record._meta.model_name}_{route}", args=[record.pk])


@pytest.mark.parametrize("model_name", MODELS)
def test_changelist(seller_client, world, model_name):
    response = seller_client.get(reverse(f"admin:crm_{model_name}_changelist"))
    rows = set(response.context["cl"].queryset)
    assert world["visible"][model_name] in rows
    assert world["hidden"][model_name] not in rows


@pytest.mark.parametrize("model_name", MODELS)
@pytest.mark.parametrize(("route", "refused"), [("change", 302), ("delete", 302), ("history", 404)])
def test_object_pages(seller_client, world, model_name, route, refused):
    assert seller_client.get(url(route, world["visible"][model_name])).status_code == 200
    assert seller_client.get(url(route, world["hidden"][model_name])).status_code == refused


@pytest.mark.parametrize("model_name", MODELS)
def test_per_object_permissions(people, world, model_name):
    """The admin's own checks, built on the same querysets: an action or a page cannot skip them."""
    admin_class, model = ADMINS[model_name]
    model_admin = admin_class(model, None)
    request = RequestFactory().get("/")
    request.user = people.seller
    for check in ["has_view_permission", "has_change_permission", "has_delete_permission"]:
        assert getattr(model_admin, check)(request, world["visible"][model_name])
        assert not getattr(model_admin, check)(request, world["hidden"][model_name])


AUTOCOMPLETES = [
    ("lead", "activity", "lead"),
    ("contact", "activity", "contact"),
    ("contact", "opportunity", "contact"),
    ("company", "contact", "company"),
    ("company", "opportunity", "company"),
    ("opportunity", "activity", "opportunity"),
]


@pytest.mark.parametrize(("target", "model_name", "field_name"), AUTOCOMPLETES)
def test_autocomplete(seller_client, world, target, model_name, field_name):
    response = seller_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "crm", "model_name": model_name, "field_name": field_name},
    )
    found = {int(row["id"]) for row in response.json()["results"]}
    assert world["visible"][target].pk in found
    assert world["hidden"][target].pk not in found


def test_the_contact_timeline_shows_only_visible_activities(people, world):
    """The other's contact has the seller's look-alike nowhere; the seller's own contact page too."""
    theirs = world["hidden"]["contact"]
    assert list(record_activities(theirs, people.seller)) == []
    assert record_activities(theirs, people.boss).count() == 1
    contact = world["visible"]["contact"]
    assert set(record_activities(contact, people.seller)) == {world["visible"]["activity"]}


def test_the_contact_page_timeline_and_inline_show_only_visible_activities(seller_client, people):
    contact = ContactFactory(owner=people.seller, company=None)
    mine = LeadFactory(assigned_to=people.seller, email=contact.email, contact=contact)
    theirs = LeadFactory(assigned_to=people.other, email=contact.email, contact=contact, brand_name="Z")
    log("lead", mine, people.seller, subject="My call")
    log("lead", theirs, people.other, subject="Their secret call")
    log("contact", contact, people.other, subject="On the contact", lead=theirs)
    page = seller_client.get(url("change", contact)).content.decode()
    assert "My call" in page
    assert "Their secret call" not in page and "On the contact" not in page


def test_a_leads_page_names_no_record_the_viewer_cannot_see(seller_client, people):
    """An unassigned look-alike a manager converted into another's records: its page is visible
    to every sales person, the contact and opportunity it links to are not."""
    theirs = converted(LeadFactory(assigned_to=people.other, email="rivka@x.com"), people.other)
    lookalike = anonymous_request("rivka@x.com", "Look-alike")
    conversion = converted(lookalike, people.boss)
    conversion.opportunity.name = "Secret deal"
    conversion.opportunity.save()
    page = seller_client.get(url("change", lookalike)).content.decode()
    assert url("change", theirs.contact) not in page and url("change", conversion.opportunity) not in page
    assert "Secret deal" not in page


def test_the_dashboard_counts_only_visible_opportunities_and_tasks(people, world):
    clear_figures_cache()
    figures = dashboard_figures(people.seller)
    assert sum(stage.count for stage in figures.pipeline) == 1  # their own opportunity only
    assert [bar.count for bar in figures.overdue] == [1]  # not the task of the reassigned lead
    clear_figures_cache()
    team = dashboard_figures(people.boss)
    assert sum(stage.count for stage in team.pipeline) == 3
    assert sum(bar.count for bar in team.overdue) == 2


def test_the_dashboard_page(seller_client, world):
    clear_figures_cache()
    assert seller_client.get(reverse("admin:index")).status_code == 200


def test_the_csv_export_writes_only_visible_leads(seller_client, world):
    selected = [world["visible"]["lead"].pk, world["hidden"]["lead"].pk]
    response = seller_client.post(
        reverse("admin:crm_lead_changelist"), {"action": "export_csv", "_selected_action": selected}
    )
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [row["email"] for row in rows] == ["mine@x.com"]


@pytest.mark.parametrize(
    ("model_name", "path"), [("lead", "leads"), ("contact", "contacts"), ("opportunity", "opportunities")]
)
def test_the_json_api_lists_only_visible_records(people, world, model_name, path):
    client = APIClient()
    token = ApiToken.objects.create(user=people.seller, read_only=True)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.key}")
    response = client.get(f"/api/crm/{path}", {"limit": 100})
    found = {row["id"] for row in response.json()["results"]}
    assert world["visible"][model_name].pk in found
    assert world["hidden"][model_name].pk not in found


def test_the_json_api_refuses_to_convert_a_lookalike(people, world):
    client = APIClient()
    token = ApiToken.objects.create(user=people.seller, read_only=False)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.key}")
    lookalike = Lead.objects.get(brand_key="theirs", email_key="stranger@x.com")
    response = client.post(f"/api/crm/leads/{lookalike.pk}/convert", {}, format="json")
    assert response.status_code == 409
    lookalike.refresh_from_db()
    assert lookalike.contact is None


def test_the_admin_refuses_to_convert_a_lookalike(seller_client, world):
    lookalike = Lead.objects.get(brand_key="theirs", email_key="stranger@x.com")
    response = seller_client.post(url("convert", lookalike), {"currency": "EUR"}, follow=True)
    assert "ask a manager" in response.content.decode() or "responsable" in response.content.decode()
    lookalike.refresh_from_db()
    assert lookalike.contact is None


@pytest.mark.parametrize("who", ["seller", "manager", "anonymous"])
def test_the_parts_of_the_visible_leads_are_disjoint_and_make_up_the_visible_leads(people, who):
    """`visible_lead_parts` is the same rule, read part by part (the sector filter's walk)."""
    user = {"seller": people.seller, "manager": people.boss, "anonymous": AnonymousUser()}[who]
    LeadFactory(assigned_to=people.seller), LeadFactory(assigned_to=people.other), LeadFactory()
    parts = [set(part) for part in visibility.visible_lead_parts(user)]
    assert sum(len(part) for part in parts) == len(set().union(*parts))
    assert set().union(*parts) == set(visibility.visible_leads(user))


@pytest.mark.parametrize("who", ["seller", "manager", "anonymous"])
def test_the_parts_of_the_visible_activities_are_disjoint_and_make_up_the_visible_activities(people, who):
    """`visible_activity_parts` is the same rule, read part by part (a sales person's list count)."""
    user = {"seller": people.seller, "manager": people.boss, "anonymous": AnonymousUser()}[who]
    theirs, others, pool = (
        LeadFactory(assigned_to=people.seller),
        LeadFactory(assigned_to=people.other),
        LeadFactory(),
    )
    their_deal = OpportunityFactory(owner=people.seller)
    other_deal = OpportunityFactory(owner=people.other)
    for lead in (theirs, others, pool):
        ActivityFactory(lead=lead)
        ActivityFactory(lead=lead, opportunity=other_deal)
        ActivityFactory(lead=lead, contact=their_deal.contact)
    for deal in (their_deal, other_deal):
        ActivityFactory(opportunity=deal)
        ActivityFactory(contact=deal.contact)
    parts = [set(part) for part in visibility.visible_activity_parts(user)]
    assert sum(len(part) for part in parts) == len(set().union(*parts))
    assert set().union(*parts) == set(visibility.visible_activities(user))
    if who == "seller":
        assert 0 < len(set(visibility.visible_activities(user))) < Activity.objects.count()


def test_a_sales_persons_activities_page_builds_the_contact_and_deal_conditions_once(
    people, seller_client, monkeypatch
):
    """The list, the parts it counts and its page share one build of the conditions on an
    activity's contact and deal (they depend on the person alone); the rows stay the rule's."""
    built = []
    contacts = visibility.visible_contacts
    monkeypatch.setattr(
        visibility, "visible_contacts", lambda user, *a: built.append(user) or contacts(user, *a)
    )
    lead = LeadFactory(assigned_to=people.seller)
    ActivityFactory.create_batch(2, lead=lead), ActivityFactory(lead=LeadFactory(assigned_to=people.other))
    cl = seller_client.get(reverse("admin:crm_activity_changelist")).context["cl"]
    assert len(built) == 1 and len(cl.queryset.count_parts) == 2  # theirs, and NULL
    assert set(cl.result_list) == set(Activity.objects.filter(lead=lead))

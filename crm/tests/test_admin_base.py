"""`crm/admin/base.py`: every CRM form keeps a link the user cannot see or is not offered.

Each case is one foreign key of one admin form (owner, company, contact, lead, opportunity, the
assignee, the disqualification reason, the activities inline's owner): the change page is opened
and posted back as the browser would send it, with one other field edited; the link is unchanged.
"""

from datetime import timedelta

import pytest
from django import forms
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone, translation

from crm import services
from crm.models import Activity, ActivityKind, Contact, DisqualificationReason, LeadStage

from .factories import (
    CompanyFactory,
    ContactFactory,
    LeadFactory,
    OpportunityFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def change_url(record) -> str:
    return reverse(f"admin:crm_{record._meta.model_name}_change", args=[record.pk])


def _add_form(data: dict, form) -> None:
    for name, field in form.fields.items():
        if field.disabled:
            continue
        bound = form[name]
        value = bound.value()
        if isinstance(field, forms.SplitDateTimeField):
            for index, part in enumerate(field.widget.decompress(value)):
                data[f"{bound.html_name}_{index}"] = "" if part is None else part.isoformat()
        elif isinstance(field, forms.BooleanField):
            if value:
                data[bound.html_name] = "on"
        elif value is None:
            data[bound.html_name] = ""
        else:
            data[bound.html_name] = getattr(value, "as_e164", value)


def posted_back(response, **changes) -> dict:
    """The change page's forms as the browser posts them untouched (no extra inline rows)."""
    data: dict = {}
    _add_form(data, response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management[name].value()
        data[management.add_prefix("TOTAL_FORMS")] = len(formset.initial_forms)
        for form in formset.initial_forms:
            _add_form(data, form)
    data.update(changes)
    return data


def save_untouched(client, record, **changes):
    page = client.get(change_url(record))
    assert page.status_code == 200
    response = client.post(change_url(record), posted_back(page, **changes))
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    record.refresh_from_db()
    return page.content.decode()


@pytest.fixture
def departed():
    """A staff account since deactivated: no longer offered as an owner, still the owner."""
    return UserFactory(username="departed", is_active=False)


def test_a_contacts_company_seen_through_their_deal_is_kept(client, signed_in_seller):
    """Ben's contact, visible to the seller as the contact of the seller's deal, at Ben's other
    company: visible too (the company of a contact they see), and kept on save."""
    ben = UserFactory(username="ben")
    company = CompanyFactory(owner=ben, name="Ben's account")
    contact = ContactFactory(owner=ben, company=company, phone="+972502345678")
    OpportunityFactory(
        owner=signed_in_seller, contact=contact, company=CompanyFactory(owner=signed_in_seller)
    )
    page = save_untouched(client, contact, phone="+972502345679")
    assert (contact.company, str(contact.phone)) == (company, "+972502345679")
    assert f'<option value="{company.pk}" selected>Ben&#x27;s account</option>' in page


def contact_form(user, contact: Contact, data: dict | None = None):
    """The contact page's form as the admin builds it for `user`."""
    request = RequestFactory().get("/")
    request.user = user
    form_class = admin.site._registry[Contact].get_form(request, contact)
    return form_class(data, instance=contact)


def test_a_link_to_a_hidden_record_is_kept_under_a_neutral_label(seller):
    """The form's own guard, built directly: the company is outside the seller's choices."""
    ben = UserFactory(username="ben")
    hidden = CompanyFactory(owner=ben, name="Ben's secret account")
    contact = ContactFactory(owner=ben, company=hidden)
    with translation.override("en"):
        field = str(contact_form(seller, contact)["company"])
    assert "Ben's secret account" not in field and "Ben&#x27;s secret account" not in field
    assert f'<option value="{hidden.pk}" selected>Not visible to you</option>' in field
    data = {
        "email": contact.email,
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "language": contact.language,
        "owner": ben.pk,
    }
    form = contact_form(seller, contact, {**data, "company": hidden.pk, "phone": "+972502345679"})
    assert form.is_valid(), form.errors
    assert form.save(commit=False).company == hidden
    other_hidden = CompanyFactory(owner=ben)
    form = contact_form(seller, contact, {**data, "company": other_hidden.pk})
    assert not form.is_valid() and "company" in form.errors


@pytest.mark.parametrize("field_name", ["company", "owner"])
def test_the_contact_form_keeps_a_link_not_offered(client, signed_in_boss, departed, field_name):
    contact = ContactFactory(owner=departed)
    company = contact.company
    save_untouched(client, contact, last_name="Typo fixed")
    assert (contact.last_name, contact.company, contact.owner) == ("Typo fixed", company, departed)


def test_the_company_form_keeps_an_owner_not_offered(client, signed_in_boss, departed):
    company = CompanyFactory(owner=departed)
    save_untouched(client, company, country="Israel")
    assert (company.country, company.owner) == ("Israel", departed)


@pytest.mark.parametrize("field_name", ["company", "contact", "owner"])
def test_the_opportunity_form_keeps_its_links(client, signed_in_seller, field_name):
    """The seller's deal with another's company and contact (visible by rule: they are the deal's)."""
    other = UserFactory(username="ben")
    opportunity = OpportunityFactory(owner=signed_in_seller, company__owner=other, contact__owner=other)
    before = getattr(opportunity, field_name)
    save_untouched(client, opportunity, name="Renamed")
    assert opportunity.name == "Renamed" and getattr(opportunity, field_name) == before


def test_the_opportunity_form_keeps_an_owner_not_offered(client, signed_in_boss, departed):
    opportunity = OpportunityFactory(owner=departed)
    save_untouched(client, opportunity, name="Renamed")
    assert opportunity.owner == departed


@pytest.mark.parametrize("field_name", ["lead", "contact", "opportunity", "owner"])
def test_the_activity_form_keeps_its_links(client, signed_in_boss, departed, field_name):
    opportunity = OpportunityFactory(owner=departed)
    lead = LeadFactory(assigned_to=departed)
    activity = services.record_activity(
        Activity(
            kind=ActivityKind.NOTE,
            subject="Note",
            lead=lead,
            contact=opportunity.contact,
            opportunity=opportunity,
            owner=departed,
        ),
        user=None,
    )
    before = getattr(activity, field_name)
    save_untouched(client, activity, subject="Fixed")
    assert activity.subject == "Fixed" and getattr(activity, field_name) == before


def test_the_prospect_form_keeps_an_assignee_not_offered(client, signed_in_boss, departed):
    lead = LeadFactory(assigned_to=departed)
    save_untouched(client, lead, notes="Call back")
    assert (lead.notes, lead.assigned_to) == ("Call back", departed)


def test_the_prospect_form_keeps_a_retired_disqualification_reason(client, signed_in_boss):
    reason = DisqualificationReason.objects.create(name="Old reason", is_active=False)
    lead = LeadFactory(stage=LeadStage.DISQUALIFIED, disqualification_reason=reason)
    save_untouched(client, lead, notes="Still out")
    assert (lead.notes, lead.disqualification_reason) == ("Still out", reason)


def test_the_activities_inline_keeps_an_owner_not_offered(client, signed_in_seller, departed):
    lead = LeadFactory(assigned_to=signed_in_seller)
    task = services.record_activity(
        Activity(
            kind=ActivityKind.TASK,
            subject="Plan",
            due_at=timezone.now() + timedelta(days=1),
            lead=lead,
            owner=departed,
        ),
        user=signed_in_seller,
    )
    save_untouched(client, lead, notes="Called")
    task.refresh_from_db()
    assert (lead.notes, task.owner) == ("Called", departed)

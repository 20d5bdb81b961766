"""The pipeline's models (`crm/models/pipeline.py`, `activities.py`) and the sales stage on leads:
the invariants the database guards, whatever path writes the row."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone, translation

from crm import services
from crm.models import Activity, ActivityKind, Company, Contact, Lead, LeadStage, OpportunityStage

from .factories import CompanyFactory, ContactFactory, LeadFactory

pytestmark = pytest.mark.django_db


def refused(write) -> bool:
    try:
        with transaction.atomic():
            write()
    except IntegrityError:
        return True
    return False


def test_one_brand_is_one_company_whatever_the_case_and_spacing():
    CompanyFactory(name="My Brand")
    assert refused(lambda: Company.objects.create(name=" my  BRAND "))
    with pytest.raises(ValidationError):
        Company(name="MY BRAND").full_clean()


def test_one_email_is_one_contact_whatever_the_case():
    ContactFactory(email="ana@x.com")
    assert refused(lambda: Contact.objects.create(email="ANA@x.com "))
    with pytest.raises(ValidationError):
        Contact(email="Ana@X.com").full_clean()


def test_an_activity_belongs_to_a_lead_a_contact_or_an_opportunity():
    assert refused(
        lambda: Activity.objects.create(kind=ActivityKind.NOTE, subject="x", done_at=timezone.now())
    )


def test_a_task_has_a_due_date_and_a_logged_activity_a_date():
    lead = LeadFactory()
    assert refused(lambda: Activity.objects.create(kind=ActivityKind.TASK, subject="x", lead=lead))
    assert refused(lambda: Activity.objects.create(kind=ActivityKind.CALL, subject="x", lead=lead))


def test_a_disqualified_lead_has_a_reason_and_a_converted_lead_a_contact():
    lead = LeadFactory()
    assert refused(lambda: Lead.objects.filter(pk=lead.pk).update(stage=LeadStage.DISQUALIFIED))
    assert refused(lambda: Lead.objects.filter(pk=lead.pk).update(stage=LeadStage.CONVERTED))


def test_existing_and_new_leads_start_at_new():
    assert LeadFactory().stage == LeadStage.NEW
    assert Lead._meta.get_field("stage").db_default == LeadStage.NEW


def test_the_seeded_stages_are_translated_on_display():
    proposal = OpportunityStage.objects.get(name="Proposal")
    with translation.override("fr"):
        assert str(proposal) == "Proposition"
    with translation.override("he"):
        assert str(proposal) == "הצעה"
    assert str(OpportunityStage(name="Typed by hand")) == "Typed by hand"


def test_the_contact_of_a_converted_lead_cannot_be_deleted():
    conversion = services.convert_lead(LeadFactory(), user=None, create_opportunity=False)
    with pytest.raises(ProtectedError):
        conversion.contact.delete()

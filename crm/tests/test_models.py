import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from crm import visibility
from crm.models import Lead

from .factories import LeadFactory

pytestmark = pytest.mark.django_db


def test_same_email_and_brand_in_other_case_and_spaces_is_refused_by_the_database():
    LeadFactory(email="Ana@X.com", brand_name="My Brand")
    with pytest.raises(IntegrityError), transaction.atomic():
        LeadFactory(email="ana@x.com ", brand_name="my brand")


def test_same_email_with_another_brand_is_another_lead():
    LeadFactory(email="ana@x.com", brand_name="My Brand")
    LeadFactory(email="ana@x.com", brand_name="My Other Brand")
    assert Lead.objects.count() == 2


def test_clean_reports_a_duplicate_on_the_brand_field():
    LeadFactory(email="Ana@X.com", brand_name="My Brand")
    duplicate = Lead(email="ana@x.com", brand_name=" MY BRAND")
    with pytest.raises(ValidationError) as error:
        duplicate.full_clean()
    assert "brand_name" in error.value.message_dict


def test_analysis_text_is_kept_as_a_preview_of_500_characters():
    lead = LeadFactory(analysis_text="x" * 2000)
    lead.refresh_from_db()
    assert len(lead.analysis_text) == 500


def test_updated_at_moves_on_save_but_created_at_does_not():
    lead = LeadFactory()
    created_at, updated_at = lead.created_at, lead.updated_at
    lead.notes = "Called back"
    lead.save(update_fields=["notes"])
    lead.refresh_from_db()
    assert lead.created_at == created_at
    assert lead.updated_at > updated_at


def test_visible_to_a_sales_person_is_their_leads_and_the_unassigned_ones(django_user_model):
    alice = django_user_model.objects.create_user("alice", is_staff=True)
    bob = django_user_model.objects.create_user("bob", is_staff=True)
    boss = django_user_model.objects.create_superuser("boss")
    mine, unassigned, theirs = LeadFactory(assigned_to=alice), LeadFactory(), LeadFactory(assigned_to=bob)

    assert set(visibility.visible_leads(alice)) == {mine, unassigned}
    assert set(visibility.visible_leads(boss)) == {mine, unassigned, theirs}


def test_tables_keep_the_legacy_collection_name():
    assert Lead._meta.db_table == "leads"

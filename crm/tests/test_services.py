"""The automatic lead: `crm.services.sync_lead` and the `post_save` receiver that calls it."""

from unittest import mock

import pytest
from django.db import DatabaseError

from crm import services
from crm.models import Lead, LeadSyncFailure, Source
from mini_analysis.models import MiniAnalysis, Status
from mini_analysis.tests.factories import MiniAnalysisFactory

from .factories import LeadFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_new_mini_analysis_creates_its_lead_from_the_form_source():
    mini_analysis = MiniAnalysisFactory(
        email="ana@example.com", brand_name="Maison Lumière", sector="Retail", language="he"
    )
    lead = Lead.objects.get()
    assert lead.source == Source.MINI_ANALYSIS
    assert lead.status == Status.NEW
    assert lead.mini_analysis == mini_analysis
    assert (lead.email, lead.brand_name, lead.sector, lead.language) == (
        "ana@example.com",
        "Maison Lumière",
        "Retail",
        "he",
    )
    assert str(lead.phone) == "+972502345678"


@pytest.mark.parametrize("status", [Status.GENERATED, Status.QUOTA_BLOCKED, Status.ERROR])
def test_lead_status_follows_the_mini_analysis_status(status):
    mini_analysis = MiniAnalysisFactory()
    mini_analysis.status = status
    mini_analysis.analysis_text = "Analysis " * 100
    mini_analysis.pdf_url = "/media/analyses/x.pdf"
    mini_analysis.save()

    lead = Lead.objects.get()
    assert lead.status == status
    assert lead.pdf_url == "/media/analyses/x.pdf"
    assert lead.analysis_text == mini_analysis.analysis_text[:500]


def test_second_submission_of_same_brand_links_existing_lead():
    first = MiniAnalysisFactory(email="Ana@X.com", brand_name="My Brand")
    second = MiniAnalysisFactory(email="ana@x.com ", brand_name="my brand", status=Status.GENERATED)

    lead = Lead.objects.get()
    assert lead.mini_analysis == second
    assert lead.status == Status.GENERATED
    assert MiniAnalysis.objects.filter(pk__in=[first.pk, second.pk]).count() == 2


def test_existing_lead_keeps_what_a_sales_person_set():
    seller = UserFactory()
    lead = LeadFactory(
        email="ana@x.com",
        brand_name="My Brand",
        source=Source.MANUAL,
        assigned_to=seller,
        notes="Met at the fair",
    )
    MiniAnalysisFactory(email="ANA@x.com", brand_name="My Brand", status=Status.GENERATED)

    lead.refresh_from_db()
    assert (lead.assigned_to, lead.notes, lead.source) == (seller, "Met at the fair", Source.MANUAL)
    assert lead.status == Status.GENERATED


def test_an_older_mini_analysis_saved_again_does_not_take_the_lead_back():
    older = MiniAnalysisFactory(email="ana@x.com", brand_name="B", created_at="2024-01-01T00:00Z")
    newer = MiniAnalysisFactory(email="ana@x.com", brand_name="B", status=Status.GENERATED)
    older.status = Status.ERROR
    older.save()

    lead = Lead.objects.get()
    assert (lead.mini_analysis, lead.status) == (newer, Status.GENERATED)


def test_a_failing_lead_write_keeps_the_mini_analysis_and_records_the_failure(caplog):
    with mock.patch.object(Lead, "save", side_effect=DatabaseError("disk full")):
        mini_analysis = MiniAnalysisFactory()

    assert MiniAnalysis.objects.filter(pk=mini_analysis.pk).exists()
    assert not Lead.objects.exists()
    failure = LeadSyncFailure.objects.get()
    assert failure.mini_analysis == mini_analysis
    assert "disk full" in failure.error
    assert f"[ERROR] Lead write failed for mini-analysis {mini_analysis.pk}" in caplog.text


def test_sync_lead_is_idempotent():
    mini_analysis = MiniAnalysisFactory()
    assert services.sync_lead(mini_analysis) == services.sync_lead(mini_analysis)
    assert Lead.objects.count() == 1


def test_assign_leads_sets_the_sales_person_and_counts_them():
    seller = UserFactory()
    LeadFactory.create_batch(3)
    assert services.assign_leads(Lead.objects.all(), seller) == 3
    assert set(Lead.objects.values_list("assigned_to", flat=True)) == {seller.pk}


def test_a_form_submission_follows_the_lead_written_by_bulk_create():
    [lead] = Lead.objects.bulk_create([LeadFactory.build(email="dana@example.com", brand_name="Shop")])
    mini_analysis = MiniAnalysisFactory(email="Dana@Example.com", brand_name="shop")
    assert list(Lead.objects.values_list("pk", "mini_analysis_id")) == [(lead.pk, mini_analysis.pk)]


def test_a_newer_request_never_replaces_the_contact_values_of_the_lead():
    lead = LeadFactory(email="ana@x.com", brand_name="My Brand", phone="+972541234567", sector="retail")
    lead.language = "he"
    lead.save()
    newer = MiniAnalysisFactory(
        email=" ANA@X.com", brand_name="my  BRAND", phone="+972502345678", sector="food", language="en"
    )

    lead.refresh_from_db()
    assert (str(lead.phone), lead.sector, lead.language) == ("+972541234567", "retail", "he")
    assert (lead.mini_analysis, lead.status) == (newer, newer.status)


def test_a_newer_request_fills_the_contact_fields_the_lead_left_blank():
    lead = LeadFactory(email="ana@x.com", brand_name="My Brand", phone="", sector="")
    MiniAnalysisFactory(email="ana@x.com", brand_name="My Brand", phone="+972502345678", sector="food")

    lead.refresh_from_db()
    assert (str(lead.phone), lead.sector) == ("+972502345678", "food")

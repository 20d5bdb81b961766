"""Many writers at once still give one lead per person and brand (the unique constraint's job).

Real concurrency needs a server database: these tests run in the PostgreSQL pass of `.ci/run`.
"""

import importlib
import io

import pytest
from django.core.management import call_command
from django.test import Client

from crm import services
from crm.models import Company, Contact, Lead, LeadSyncFailure, Opportunity
from crm.selectors import mini_analyses_without_lead
from crm.tests.factories import LeadFactory
from igv_site.tests.concurrency import run_at_once
from mini_analysis.keys import identity_key
from mini_analysis.models import MiniAnalysis, Status
from mini_analysis.services import submit_mini_analysis

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

WRITERS = 50


def test_fifty_simultaneous_requests_of_one_brand_give_one_lead():
    spellings = ["Ana@X.com", "ana@x.com", " ANA@x.COM ", "ana@X.com"]
    brands = ["My Brand", "my brand", " MY  BRAND", "My brand "]

    def submit(index: int) -> None:
        MiniAnalysis.objects.create(email=spellings[index % 4], brand_name=brands[index % 4], sector="Retail")

    assert run_at_once(submit, WRITERS) == []
    assert MiniAnalysis.objects.count() == WRITERS
    lead = Lead.objects.get()
    assert (lead.email_key, lead.brand_key) == ("ana@x.com", "my brand")
    # The writers that lost the race updated the winner's lead; none fell back to the audit.
    assert not LeadSyncFailure.objects.exists()
    newest = MiniAnalysis.objects.order_by("-created_at").first()
    assert lead.mini_analysis.created_at == newest.created_at  # the lead follows the newest request


def test_fifty_visitors_posting_the_form_for_one_brand_at_once_give_one_lead_and_no_error(settings, tmp_path):
    """The same, through the real view: the form, the rate limit, the generator and the PDF."""
    settings.MINI_ANALYSIS_RATE_LIMIT = "1000/m"
    settings.MEDIA_ROOT = tmp_path
    spellings = ["Ana@X.com", "ana@x.com", " ANA@x.COM ", "ana@X.com"]
    brands = ["My Brand", "my brand", " MY  BRAND", "My brand "]
    statuses: list[int] = []

    def post(index: int) -> None:
        form = {"email": spellings[index % 4], "brand_name": brands[index % 4], "sector": "retail"}
        response = Client(REMOTE_ADDR=f"10.0.0.{index}").post("/fr/mini-analysis/", {**form, "consent": "on"})
        statuses.append(response.status_code)

    assert run_at_once(post, WRITERS) == []
    assert statuses == [302] * WRITERS
    assert MiniAnalysis.objects.count() == WRITERS
    assert set(MiniAnalysis.objects.values_list("status", flat=True)) == {Status.GENERATED}
    lead = Lead.objects.get()
    assert (lead.email_key, lead.brand_key, lead.status) == ("ana@x.com", "my brand", Status.GENERATED)
    assert not LeadSyncFailure.objects.exists()


def backfill_history(count: int) -> None:
    """`count` requests of distinct people and brands stored without their lead, as the legacy history is."""
    rows = [
        MiniAnalysis(email=f"client{i}@example.com", brand_name=f"Brand {i}", sector="Retail")
        for i in range(count)
    ]
    for row in rows:
        row.email_key, row.brand_key = identity_key(row.email, row.brand_name)
    MiniAnalysis.objects.bulk_create(rows)


def run_backfill(outputs: list[str]) -> None:
    out = io.StringIO()
    call_command("migrate_mini_analyses", "--batch-size", "10", stdout=out)
    outputs.append(out.getvalue())


def created(output: str) -> int:
    return int(output.split("Leads created: ")[1].split()[0])


def test_backfill_and_form_at_once_give_one_lead_per_brand_and_lose_nothing(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    backfill_history(200)
    outputs: list[str] = []

    def backfill_or_submit(index: int) -> None:
        if index == 0:
            run_backfill(outputs)
        else:  # a visitor of the history's brands (another spelling) or a new one, through the form's service
            person = index * 7 if index % 2 else 1000 + index
            submit_mini_analysis(
                email=f"CLIENT{person}@example.com ",
                phone="",
                brand_name=f"brand {person}",
                sector="retail",
                language="fr",
            )

    assert run_at_once(backfill_or_submit, 20) == []
    identities = MiniAnalysis.objects.values("email_key", "brand_key").distinct().count()
    assert Lead.objects.count() == identities == 209  # 200 of the history, 9 new
    assert not mini_analyses_without_lead().exists()
    assert not LeadSyncFailure.objects.exists()
    assert "Errors: 0" in outputs[0]


def test_two_backfills_at_once_create_each_lead_once():
    backfill_history(300)
    outputs: list[str] = []

    assert run_at_once(lambda index: run_backfill(outputs), 2) == []
    assert Lead.objects.count() == 300
    assert sum(created(output) for output in outputs) == 300
    assert not mini_analyses_without_lead().exists()


# --- Conversions at once (crm.services.convert_lead) ---------------------------------------------


@pytest.fixture
def pipeline_rows():
    """The stages the data migration seeds: a transactional test's flush removed them."""
    from django.apps import apps

    importlib.import_module("crm.migrations.0005_pipeline_reference_rows").seed(apps, None)


def test_twenty_simultaneous_conversions_of_one_lead_create_one_contact_and_one_opportunity(pipeline_rows):
    lead = LeadFactory(email="ana@x.com", brand_name="My Brand")
    results = []

    def convert(index: int) -> None:
        results.append(services.convert_lead(lead, user=None))

    assert run_at_once(convert, 20) == []
    assert (Contact.objects.count(), Company.objects.count(), Opportunity.objects.count()) == (1, 1, 1)
    assert sum(result.created for result in results) == 1
    assert {(r.contact.pk, r.company.pk, r.opportunity.pk) for r in results} == {
        (Contact.objects.get().pk, Company.objects.get().pk, Opportunity.objects.get().pk)
    }


def test_simultaneous_conversions_of_one_persons_brands_share_one_contact(pipeline_rows):
    """Different leads (no shared row lock) race on the contact's unique email key instead."""
    leads = [
        LeadFactory(email=" ANA@x.com" if index % 2 else "ana@x.com", brand_name=f"Brand {index}")
        for index in range(10)
    ]

    def convert(index: int) -> None:
        services.convert_lead(leads[index], user=None)

    assert run_at_once(convert, 10) == []
    assert Contact.objects.count() == 1
    assert (Company.objects.count(), Opportunity.objects.count()) == (10, 10)
    assert set(Lead.objects.values_list("contact", flat=True)) == {Contact.objects.get().pk}

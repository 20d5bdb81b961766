import csv
import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command

from crm import services
from crm.models import Activity, ActivityKind, Contact, Lead, Opportunity
from mini_analysis.models import MiniAnalysis
from mini_analysis.tests.factories import MiniAnalysisFactory

from .factories import LeadFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ana(settings, tmp_path):
    """Ana's two requests for one brand (one lead) and a stored PDF; Bob's request stays untouched."""
    settings.MEDIA_ROOT = tmp_path
    default_storage.save("analyses/ana.pdf", ContentFile(b"%PDF-1.4"))
    MiniAnalysisFactory(email="Ana@X.com", brand_name="Maison", pdf_url="/media/analyses/ana.pdf")
    MiniAnalysisFactory(email="ana@x.com ", brand_name="maison", analysis_text="Analyse")
    Lead.objects.update(notes="Called on Monday")
    MiniAnalysisFactory(email="bob@y.com", brand_name="Bob's")


def test_export_lists_every_request_and_lead_of_the_person(ana):
    out = io.StringIO()
    call_command("export_personal_data", "ANA@x.com", stdout=out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [row["record"] for row in rows] == ["mini_analysis", "mini_analysis", "lead"]
    assert {row["email"].strip().lower() for row in rows} == {"ana@x.com"}
    assert rows[2]["notes"] == "Called on Monday"


def test_erasure_deletes_the_rows_and_the_pdf_and_nothing_else(ana):
    out = io.StringIO()
    call_command("erase_personal_data", "ana@x.com", stdout=out)
    assert "Deleted: mini-analyses: 2, leads: 1, files: 1" in out.getvalue()
    assert not MiniAnalysis.objects.filter(email_key="ana@x.com").exists()
    assert not Lead.objects.filter(email_key="ana@x.com").exists()
    assert not default_storage.exists("analyses/ana.pdf")
    assert MiniAnalysis.objects.filter(email="bob@y.com").exists()
    assert Lead.objects.filter(email="bob@y.com").exists()


def test_anonymisation_keeps_the_history_without_personal_data(ana):
    call_command("erase_personal_data", "ana@x.com", "--anonymise", stdout=io.StringIO())
    assert not MiniAnalysis.objects.filter(email_key="ana@x.com").exists()
    assert not Lead.objects.filter(email_key="ana@x.com").exists()
    kept = list(MiniAnalysis.objects.filter(brand_key="maison"))
    assert len(kept) == 2
    assert all(not (row.phone or row.analysis_text or row.pdf_url) for row in kept)
    lead = Lead.objects.get(brand_key="maison")
    assert (lead.notes, str(lead.phone), lead.pdf_url) == ("", "", "")
    assert Lead.objects.count() == 2  # no lead written again for the anonymised requests


def test_dry_run_changes_nothing(ana):
    out = io.StringIO()
    call_command("erase_personal_data", "ana@x.com", "--dry-run", stdout=out)
    assert "Would erase: mini-analyses: 2, leads: 1" in out.getvalue()
    assert MiniAnalysis.objects.count() == 3


def test_a_non_email_is_refused():
    with pytest.raises(CommandError, match="Not an email"):
        call_command("erase_personal_data", "everyone", stdout=io.StringIO())


def test_an_unknown_person_has_nothing_to_export():
    LeadFactory()
    err = io.StringIO()
    call_command("export_personal_data", "nobody@x.com", stdout=io.StringIO(), stderr=err)
    assert "No data kept about nobody@x.com" in err.getvalue()


@pytest.mark.parametrize("mode", [[], ["--anonymise"]])
def test_erasure_removes_the_person_from_the_contact_and_every_history(ana, mode):
    lead = Lead.objects.get(email_key="ana@x.com")
    conversion = services.convert_lead(lead, user=None)
    services.record_activity(Activity(kind=ActivityKind.CALL, subject="Called", lead=lead), user=None)
    out = io.StringIO()
    call_command("erase_personal_data", "ana@x.com", *mode, stdout=out)
    assert "contacts: 1" in out.getvalue()
    contact = Contact.objects.get(pk=conversion.contact.pk)
    assert "ana" not in contact.email and (contact.name, str(contact.phone)) == ("", "")
    assert Opportunity.objects.filter(pk=conversion.opportunity.pk).exists()  # the business stays
    assert not Lead.history.filter(email_key="ana@x.com").exists()
    assert not Lead.history.filter(id=lead.pk).exclude(email__startswith="erased-").exists()
    assert not Contact.history.filter(id=contact.pk).exists()


def test_export_lists_the_contact_of_the_person(ana):
    services.convert_lead(Lead.objects.get(email_key="ana@x.com"), user=None)
    out = io.StringIO()
    call_command("export_personal_data", "ana@x.com", stdout=out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [row["record"] for row in rows] == ["mini_analysis", "mini_analysis", "lead", "contact"]

import csv
import io
import os
import stat

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command

from crm import exports, privacy, services
from crm.models import Activity, ActivityKind, Contact, Lead, Opportunity
from crm.privacy import storage_name_of
from mini_analysis.models import MiniAnalysis
from mini_analysis.pdf import pdf_storage_name
from mini_analysis.services import submit_mini_analysis
from mini_analysis.tests.conftest import run_jobs
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
    kept = list(MiniAnalysis.objects.exclude(email="bob@y.com"))
    assert len(kept) == 2
    assert all(not (row.phone or row.analysis_text or row.pdf_url) for row in kept)
    # "Maison" is Ana's brand alone: it is erased too, the same way on the requests and the lead.
    lead = Lead.objects.exclude(email="bob@y.com").get()
    assert (lead.notes, str(lead.phone), lead.pdf_url) == ("", "", "")
    assert {row.brand_key for row in kept} == {lead.brand_key} and "maison" not in lead.brand_key
    assert {row.email_key for row in kept} == {lead.email_key}
    assert (lead.sector, lead.language, lead.status) == (kept[0].sector, kept[0].language, kept[0].status)
    assert Lead.objects.count() == 2  # no lead written again for the anonymised requests


def test_dry_run_changes_nothing(ana):
    out = io.StringIO()
    call_command("erase_personal_data", "ana@x.com", "--dry-run", stdout=out)
    assert "Would delete: mini-analyses: 2, leads: 1, files: 1" in out.getvalue()
    assert MiniAnalysis.objects.count() == 3


def test_a_non_email_is_refused():
    with pytest.raises(CommandError, match="Not an email"):
        call_command("erase_personal_data", "everyone", stdout=io.StringIO())


def test_an_unknown_person_has_nothing_to_export():
    LeadFactory()
    err = io.StringIO()
    call_command("export_personal_data", "nobody@x.com", stdout=io.StringIO(), stderr=err)
    assert "No data kept about nobody@x.com" in err.getvalue()


@pytest.fixture
def submitted(settings, tmp_path):
    """A real request through the form's service: its PDF is written by `save_pdf` to storage."""
    settings.MEDIA_ROOT = tmp_path
    with run_jobs():  # the worker's job: generation and the PDF, then the email
        mini_analysis = submit_mini_analysis(
            email="Dana@Example.com", phone="", brand_name="Dana Shop", sector="retail", language="he"
        )
    mini_analysis.refresh_from_db()
    name = pdf_storage_name(mini_analysis)
    assert mini_analysis.pdf_url == f"/he/mini-analysis/{mini_analysis.request_id}/pdf/"
    assert default_storage.exists(name)
    return mini_analysis


def test_erasure_deletes_the_pdf_of_a_real_request_and_counts_it(submitted):
    out = io.StringIO()
    call_command("erase_personal_data", "dana@example.com", stdout=out)
    assert "Deleted: mini-analyses: 1, leads: 1, files: 1" in out.getvalue()
    assert not default_storage.exists(pdf_storage_name(submitted))


def test_anonymisation_deletes_the_pdf_of_a_real_request(submitted):
    out = io.StringIO()
    call_command("erase_personal_data", "dana@example.com", "--anonymise", stdout=out)
    assert "Anonymised: mini-analyses: 1, leads: 1" in out.getvalue()
    assert "Deleted: files: 1" in out.getvalue()
    assert not default_storage.exists(pdf_storage_name(submitted))


def test_erasure_deletes_the_stored_pdf_even_when_the_url_was_lost(submitted):
    MiniAnalysis.objects.filter(pk=submitted.pk).update(pdf_url="")
    Lead.objects.update(pdf_url="")
    out = io.StringIO()
    call_command("erase_personal_data", "dana@example.com", stdout=out)
    assert "files: 1" in out.getvalue()
    assert not default_storage.exists(pdf_storage_name(submitted))


def test_erasure_counts_only_the_files_that_existed(submitted):
    default_storage.delete(pdf_storage_name(submitted))
    out = io.StringIO()
    call_command("erase_personal_data", "dana@example.com", stdout=out)
    assert "files: 0" in out.getvalue()


UUID = "6f1c6f0e-0c1e-4a43-9a70-1f3f6f0e0c1e"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (f"/fr/mini-analysis/{UUID}/pdf/", f"mini-analyses/{UUID}.pdf"),
        (f"/he/mini-analysis/{UUID}/pdf/", f"mini-analyses/{UUID}.pdf"),
        ("/media/analyses/ana.pdf", "analyses/ana.pdf"),
        ("https://elsewhere.example/media/ana.pdf", None),
        ("javascript:alert(1)", None),
        ("", None),
    ],
)
def test_storage_name_of_each_url_form(url, expected):
    assert storage_name_of(url) == expected


def test_a_media_url_outside_the_storage_deletes_nothing(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    MiniAnalysisFactory(email="eve@x.com", pdf_url="/media/../../etc/passwd")
    out = io.StringIO()
    call_command("erase_personal_data", "eve@x.com", stdout=out)
    assert "files: 0" in out.getvalue()


def test_export_guards_spreadsheet_formulas_like_the_admin_export():
    # "+33" alone is a number to a spreadsheet, not a formula: "+33+A1" is one.
    MiniAnalysisFactory(email="mal@x.com", brand_name='=HYPERLINK("http://evil")', sector="+33+A1")
    out = io.StringIO()
    call_command("export_personal_data", "mal@x.com", stdout=out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert {row["brand_name"] for row in rows} == {'\'=HYPERLINK("http://evil")'}
    assert {row["sector"] for row in rows} == {"'+33+A1"}
    assert privacy.spreadsheet_safe is exports.spreadsheet_safe


def test_export_finds_rows_written_by_bulk_create():
    MiniAnalysis.objects.bulk_create([MiniAnalysisFactory.build(email="Dana@Example.com", brand_name="Shop")])
    Lead.objects.bulk_create([LeadFactory.build(email="dana@example.com", brand_name="Shop")])
    out = io.StringIO()
    call_command("export_personal_data", "dana@example.com", stdout=out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [row["record"] for row in rows] == ["mini_analysis", "lead"]


@pytest.mark.parametrize("mode", [[], ["--anonymise"]])
def test_erasure_removes_the_person_from_the_contact_and_every_history(ana, mode):
    lead = Lead.objects.get(email_key="ana@x.com")
    conversion = services.convert_lead(lead, user=None)
    services.record_activity(Activity(kind=ActivityKind.CALL, subject="Called", lead=lead), user=None)
    out = io.StringIO()
    call_command("erase_personal_data", "ana@x.com", *mode, stdout=out)
    assert "contacts: 1" in out.getvalue()
    contact = Contact.objects.get(pk=conversion.contact.pk)
    assert "ana" not in contact.email and (contact.full_name, str(contact.phone)) == ("", "")
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


def test_export_writes_a_file_only_its_owner_can_read(ana, tmp_path):
    output = tmp_path / "ana.csv"
    previous = os.umask(0)  # even where new files would be world-writable
    try:
        call_command("export_personal_data", "ana@x.com", "--output", str(output), stderr=io.StringIO())
    finally:
        os.umask(previous)
    assert stat.S_IMODE(output.stat().st_mode) == 0o600
    rows = list(csv.DictReader(output.open(encoding="utf-8", newline="")))
    assert [row["record"] for row in rows] == ["mini_analysis", "mini_analysis", "lead"]


def test_export_refuses_to_overwrite_a_file_without_force(ana, tmp_path):
    output = tmp_path / "ana.csv"
    output.write_text("kept")
    with pytest.raises(CommandError, match=r"already exists: use --force"):
        call_command("export_personal_data", "ana@x.com", "--output", str(output), stderr=io.StringIO())
    assert output.read_text() == "kept"


def test_export_with_force_overwrites_and_narrows_the_mode_to_0600(ana, tmp_path):
    output = tmp_path / "ana.csv"
    output.write_text("old rows " * 1000)
    output.chmod(0o644)
    call_command(
        "export_personal_data", "ana@x.com", "--output", str(output), "--force", stderr=io.StringIO()
    )
    assert stat.S_IMODE(output.stat().st_mode) == 0o600
    assert output.read_text(encoding="utf-8").startswith("record,id,email")
    assert "old rows" not in output.read_text(encoding="utf-8")


def test_export_into_a_missing_folder_is_a_clear_command_error(ana, tmp_path):
    output = tmp_path / "missing" / "dir" / "f.csv"
    with pytest.raises(CommandError, match=r"The folder .*missing/dir does not exist"):
        call_command("export_personal_data", "ana@x.com", "--output", str(output), stderr=io.StringIO())


def test_export_never_follows_a_symbolic_link(ana, tmp_path):
    target = tmp_path / "elsewhere.csv"
    target.write_text("kept")
    link = tmp_path / "ana.csv"
    link.symlink_to(target)
    for force in [[], ["--force"]]:
        with pytest.raises(CommandError):
            call_command(
                "export_personal_data", "ana@x.com", "--output", str(link), *force, stderr=io.StringIO()
            )
    assert target.read_text() == "kept"

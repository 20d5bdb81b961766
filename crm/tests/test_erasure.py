"""What an erasure changes where (`crm.erasure`): shared companies, activities, jobs, mentions."""

import io

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from crm import services
from crm.erasure import plan_erasure
from crm.models import Activity, ActivityKind, Company, Contact, Lead, Opportunity
from crm.privacy import erase_personal_data
from crm.redaction import REDACTED
from crm.tasks import notify_assignee
from mini_analysis.models import MiniAnalysis
from mini_analysis.tasks import generate_mini_analysis, send_analysis_email
from mini_analysis.tests.factories import MiniAnalysisFactory

from .factories import LeadFactory, UserFactory

pytestmark = pytest.mark.django_db


def converted(email: str, brand: str, **fields) -> Lead:
    lead = LeadFactory(email=email, brand_name=brand, **fields)
    services.convert_lead(lead, user=None)
    lead.refresh_from_db()
    return lead


def erase(email: str, *options: str) -> str:
    out = io.StringIO()
    call_command("erase_personal_data", email, *options, stdout=out, no_color=True)
    return out.getvalue()


def log(kind: str, subject: str, **where) -> Activity:
    activity = Activity(
        kind=kind, subject=subject, body=f"{subject}, in detail", done_at=timezone.now(), **where
    )
    return services.record_activity(activity, user=None)


@pytest.mark.parametrize("mode", [[], ["--anonymise"]])
def test_a_company_shared_with_another_person_keeps_its_name_and_their_contact(mode):
    ana, bob = converted("ana@x.com", "Maison"), converted("bob@y.com", "maison ")
    company = Company.objects.get()
    assert ana.contact.company == bob.contact.company == company

    output = erase("ana@x.com", *mode)

    assert "companies: 0" in output
    company.refresh_from_db()
    assert company.name == "Maison"
    bob_contact = Contact.objects.get(pk=bob.contact_id)
    assert (bob_contact.email, bob_contact.company) == ("bob@y.com", company)
    ana_contact = Contact.objects.get(pk=ana.contact_id)
    assert "ana" not in ana_contact.email and ana_contact.company == company
    # Her deal stays, anonymised; its name is the shared brand, nobody's personal data.
    assert Opportunity.objects.get(contact=ana_contact).name == "Maison"
    assert Lead.objects.get(email="bob@y.com").brand_name == "maison "


def test_a_company_only_the_person_justifies_is_anonymised_with_its_history():
    lead = converted("ana@x.com", "Ana Design Studio")
    company = Company.objects.get()
    Company.objects.filter(pk=company.pk).update(website="https://ana-design.example", country="Israel")
    assert Company.history.filter(id=company.pk).exists()

    assert "companies: 1" in erase("ana@x.com")

    company.refresh_from_db()
    assert "ana" not in company.name.lower() and company.brand_key == company.name
    assert (company.website, company.country) == ("", "")
    assert not Company.history.filter(id=company.pk).exists()
    opportunity = Opportunity.objects.get(pk=lead.opportunity_id)
    assert opportunity.company == company and opportunity.name == REDACTED


def test_deleting_removes_the_activities_of_the_leads_and_anonymises_the_others():
    lead = converted("ana@x.com", "Maison")
    on_lead = log(ActivityKind.CALL, "First call", lead=lead)
    on_contact = log(ActivityKind.MEETING, "Met at the fair", contact=lead.contact)
    on_deal = log(ActivityKind.EMAIL, "Sent the proposal", opportunity=lead.opportunity)

    output = erase("ana@x.com")

    assert "Deleted: mini-analyses: 0, leads: 1, files: 0, activities: 1" in output
    assert "Anonymised: contacts: 1, companies: 1, opportunities: 1, activities: 2" in output
    assert not Activity.objects.filter(pk=on_lead.pk).exists()
    kept = Activity.objects.filter(pk__in=[on_contact.pk, on_deal.pk])
    assert {(activity.kind, activity.subject, activity.body) for activity in kept} == {
        (ActivityKind.MEETING, REDACTED, ""),
        (ActivityKind.EMAIL, REDACTED, ""),
    }


def test_anonymising_keeps_every_activity_without_its_text():
    lead = converted("ana@x.com", "Maison")
    log(ActivityKind.CALL, "First call", lead=lead)
    log(ActivityKind.NOTE, "Likes blue", contact=lead.contact)

    output = erase("ana@x.com", "--anonymise")

    assert "activities: 2" in output.splitlines()[0]
    assert set(Activity.objects.values_list("subject", "body")) == {(REDACTED, "")}


def test_anonymised_requests_still_match_their_lead_so_the_backfill_writes_none_again():
    MiniAnalysisFactory(email="Ana@X.com", brand_name="Maison")
    MiniAnalysisFactory(email="ana@x.com", brand_name="Atelier")
    assert Lead.objects.count() == 2

    erase("ana@x.com", "--anonymise")

    audit = io.StringIO()
    call_command("check_mini_analyses", stdout=audit)
    assert "Mini-analyses without lead: 0" in audit.getvalue()
    call_command("migrate_mini_analyses", stdout=io.StringIO(), stderr=io.StringIO())
    assert Lead.objects.count() == 2
    assert Lead.objects.filter(email_key__startswith="erased-").count() == 2


def test_job_results_of_the_person_are_deleted_and_a_running_one_is_left_to_finish(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    ana = MiniAnalysisFactory(email="ana@x.com", brand_name="Maison")
    bob = MiniAnalysisFactory(email="bob@y.com", brand_name="Shop")
    ana_lead, user = Lead.objects.get(email="ana@x.com"), UserFactory()
    DBTaskResult.objects.all().delete()
    ana_jobs = [
        generate_mini_analysis.enqueue(ana.pk),
        send_analysis_email.enqueue(ana.pk, 3),
        notify_assignee.enqueue(ana_lead.pk, user.pk),
    ]
    bob_jobs = [generate_mini_analysis.enqueue(bob.pk), notify_assignee.enqueue(ana.pk + 1000, user.pk)]
    failed = DBTaskResult.objects.get(pk=bob_jobs[0].id)
    failed.set_failed(RuntimeError("SMTP refused ana@x.com"))  # Bob's job, whose error names her
    running = generate_mini_analysis.enqueue(ana.pk)
    DBTaskResult.objects.filter(pk=running.id).update(status=TaskResultStatus.RUNNING)

    assert "job results: 4" in erase("ana@x.com")

    left = set(DBTaskResult.objects.values_list("pk", flat=True))
    assert {str(pk) for pk in left} == {bob_jobs[1].id, running.id}
    assert not {job.id for job in ana_jobs} & {str(pk) for pk in left}


def test_a_person_kept_nowhere_but_in_other_peoples_notes_is_redacted_there():
    other = LeadFactory(notes="Her friend Ana (ana@x.com, +972 54-987-6543) may call")

    output = erase("ana@x.com")

    assert (
        "Redacted: admin log entries: 0, sessions: 0, other records: 2" in output
    )  # the lead and its history
    other.refresh_from_db()
    assert other.notes == f"Her friend Ana ({REDACTED}, +972 54-987-6543) may call"  # her phone is unknown
    assert other.history.get().notes == other.notes


@pytest.mark.parametrize("anonymise", [False, True])
def test_the_dry_run_counts_what_the_run_then_does(anonymise):
    lead = converted("ana@x.com", "Maison", notes="Ana Levi")
    MiniAnalysisFactory(email="ana@x.com", brand_name="Maison")
    log(ActivityKind.CALL, "Called", lead=lead)
    LeadFactory(notes="see ana@x.com")

    dry_run = erase_personal_data("ana@x.com", anonymise=anonymise, dry_run=True)
    assert MiniAnalysis.objects.filter(email_key="ana@x.com").count() == 1
    assert Lead.objects.filter(email_key="ana@x.com").count() == 1
    assert erase_personal_data("ana@x.com", anonymise=anonymise) == dry_run
    assert (dry_run.leads, dry_run.contacts, dry_run.other_records) == (1, 1, 2)  # a note and its history


def test_the_plan_reads_only():
    converted("ana@x.com", "Maison")
    before = (Lead.history.count(), Contact.objects.values_list("email", flat=True).get())
    plan_erasure("ana@x.com", anonymise=True)
    assert (Lead.history.count(), Contact.objects.values_list("email", flat=True).get()) == before

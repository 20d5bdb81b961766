"""The automatic lead: `crm.services.sync_lead` and the `post_save` receiver that calls it."""

from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.db import DatabaseError
from django.utils import timezone, translation

from crm import services
from crm.models import (
    Activity,
    ActivityKind,
    Company,
    Contact,
    DisqualificationReason,
    Lead,
    LeadStage,
    LeadSyncFailure,
    Opportunity,
    OpportunityStage,
    Source,
)
from mini_analysis.models import MiniAnalysis, Status
from mini_analysis.tests.factories import MiniAnalysisFactory

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


# --- The sales pipeline ---------------------------------------------------------------------------


def _stage(name: str) -> OpportunityStage:
    return OpportunityStage.objects.get(name=name)


def test_converting_a_lead_creates_contact_company_and_opportunity_and_keeps_the_lead():
    seller = UserFactory()
    lead = LeadFactory(email=" Ana@Example.com", brand_name="Maison Lumière", assigned_to=seller)

    conversion = services.convert_lead(lead, user=seller, amount=Decimal("1200"))

    assert conversion.created
    lead.refresh_from_db()
    assert lead.stage == LeadStage.CONVERTED
    assert lead.converted_by == seller and lead.converted_at is not None
    assert lead.contact == conversion.contact and lead.opportunity == conversion.opportunity
    assert conversion.contact.email_key == "ana@example.com"
    assert conversion.contact.company == conversion.company
    assert conversion.company.brand_key == "maison lumière"
    opportunity = conversion.opportunity
    assert (opportunity.company, opportunity.contact, opportunity.owner) == (
        conversion.company,
        conversion.contact,
        seller,
    )
    assert opportunity.stage == _stage("Qualification")
    assert (opportunity.amount, opportunity.currency) == (Decimal("1200"), "EUR")
    assert list(opportunity.stage_entries.values_list("stage__name", "entered_by")) == [
        ("Qualification", seller.pk)
    ]


def test_converting_without_an_open_stage_is_refused_and_writes_nothing():
    """The stages are editable rows: with every open one deleted, conversion says why (no 500)."""
    OpportunityStage.objects.filter(is_won=False, is_lost=False).delete()
    lead = LeadFactory()

    with translation.override("en"), pytest.raises(services.PipelineError, match="no open opportunity stage"):
        services.convert_lead(lead, user=UserFactory())

    lead.refresh_from_db()
    assert lead.stage == LeadStage.NEW
    assert (Contact.objects.count(), Company.objects.count(), Opportunity.objects.count()) == (0, 0, 0)


def test_converting_twice_returns_the_same_records_and_creates_nothing():
    lead = LeadFactory()
    first = services.convert_lead(lead, user=None)
    second = services.convert_lead(lead, user=None)
    assert not second.created
    assert (second.contact, second.company, second.opportunity) == (
        first.contact,
        first.company,
        first.opportunity,
    )
    assert (Contact.objects.count(), Company.objects.count(), Opportunity.objects.count()) == (1, 1, 1)


def test_conversion_reuses_the_contact_of_the_same_email_and_the_company_of_the_same_brand():
    company = CompanyFactory(name="My Brand")
    contact = ContactFactory(email="ana@x.com", company=None)
    lead = LeadFactory(email="ANA@X.com ", brand_name=" my  BRAND")

    conversion = services.convert_lead(lead, user=None, create_opportunity=False)

    assert (conversion.contact, conversion.company, conversion.opportunity) == (contact, company, None)
    contact.refresh_from_db()
    assert contact.company == company  # a contact without company takes the brand's
    assert (Contact.objects.count(), Company.objects.count(), Opportunity.objects.count()) == (1, 1, 0)


def test_the_name_asked_at_conversion_names_the_lead_and_the_new_contact():
    lead = LeadFactory(first_name="", last_name="")

    conversion = services.convert_lead(lead, user=None, first_name=" Yael ", last_name="Cohen")

    lead.refresh_from_db()
    assert (lead.first_name, lead.last_name, lead.full_name) == ("Yael", "Cohen", "Yael Cohen")
    assert (conversion.contact.first_name, conversion.contact.last_name) == ("Yael", "Cohen")
    assert str(conversion.contact) == f"Yael Cohen <{lead.email}>"


def test_a_contact_made_by_conversion_was_last_contacted_when_its_lead_was():
    lead = LeadFactory()
    call = services.record_activity(Activity(kind=ActivityKind.CALL, subject="Called", lead=lead), user=None)

    conversion = services.convert_lead(lead, user=None)

    assert conversion.contact.last_contacted_at == call.done_at is not None


def test_the_services_clock_dates_a_conversion_and_the_moves_of_its_opportunity():
    lead = LeadFactory()
    converted_at = timezone.now() - timedelta(days=30)
    conversion = services.convert_lead(lead, user=None, now=converted_at)
    won_at = converted_at + timedelta(days=4)
    opportunity = services.move_opportunity(conversion.opportunity, _stage("Won"), user=None, now=won_at)

    assert conversion.lead.converted_at == conversion.contact.created_at == converted_at
    assert conversion.company.created_at == opportunity.created_at == converted_at
    assert (opportunity.won_at, opportunity.stage_entered_at) == (won_at, won_at)
    assert list(opportunity.stage_entries.values_list("entered_at", flat=True)) == [converted_at, won_at]


def test_conversion_names_a_reused_contact_only_when_it_has_no_name():
    named = ContactFactory(email="ana@x.com", first_name="Ana", last_name="Levi")
    unnamed = ContactFactory(email="ben@x.com", first_name="", last_name="")

    services.convert_lead(LeadFactory(email="ana@x.com", first_name="Anna", last_name="L"), user=None)
    services.convert_lead(LeadFactory(email="ben@x.com", first_name="Ben", last_name="Katz"), user=None)

    named.refresh_from_db()
    unnamed.refresh_from_db()
    assert named.full_name == "Ana Levi"  # a sales person's spelling is kept
    assert unnamed.full_name == "Ben Katz"


def test_two_brands_of_one_person_give_one_contact_and_two_companies():
    services.convert_lead(LeadFactory(email="ana@x.com", brand_name="First"), user=None)
    services.convert_lead(LeadFactory(email="ana@x.com", brand_name="Second"), user=None)
    assert Contact.objects.count() == 1
    assert sorted(Company.objects.values_list("name", flat=True)) == ["First", "Second"]
    assert Opportunity.objects.count() == 2


def test_a_disqualified_lead_is_not_converted():
    lead = LeadFactory()
    services.set_lead_stage(
        lead, LeadStage.DISQUALIFIED, user=None, reason=DisqualificationReason.objects.first()
    )
    with pytest.raises(services.PipelineError):
        services.convert_lead(lead, user=None)
    assert not Contact.objects.exists()


def test_disqualifying_needs_a_reason_and_requalifying_clears_it():
    lead = LeadFactory()
    with pytest.raises(services.PipelineError):
        services.set_lead_stage(lead, LeadStage.DISQUALIFIED, user=None)
    reason = DisqualificationReason.objects.get(name="No budget")
    services.set_lead_stage(lead, LeadStage.DISQUALIFIED, user=None, reason=reason)
    lead.refresh_from_db()
    assert (lead.stage, lead.disqualification_reason) == (LeadStage.DISQUALIFIED, reason)
    services.set_lead_stage(lead, LeadStage.QUALIFIED, user=None)
    lead.refresh_from_db()
    assert (lead.stage, lead.disqualification_reason) == (LeadStage.QUALIFIED, None)


@pytest.mark.parametrize("stage", [LeadStage.CONVERTED, "UNKNOWN"])
def test_converted_is_reached_only_through_the_conversion(stage):
    with pytest.raises(services.PipelineError):
        services.set_lead_stage(LeadFactory(), stage, user=None)


def test_a_converted_lead_keeps_its_stage():
    lead = LeadFactory()
    services.convert_lead(lead, user=None)
    with pytest.raises(services.PipelineError):
        services.set_lead_stage(lead, LeadStage.NEW, user=None)


def test_each_step_is_in_the_history_with_its_author():
    seller = UserFactory()
    lead = LeadFactory(assigned_to=seller)
    services.set_lead_stage(lead, LeadStage.QUALIFIED, user=seller)
    conversion = services.convert_lead(lead, user=seller)
    services.move_opportunity(conversion.opportunity, _stage("Won"), user=seller)

    stages = list(lead.history.order_by("history_id").values_list("stage", "history_user"))
    assert stages[-2:] == [(LeadStage.QUALIFIED, seller.pk), (LeadStage.CONVERTED, seller.pk)]
    moves = conversion.opportunity.history.order_by("history_id").values_list("stage__name", "history_user")
    assert list(moves) == [("Qualification", seller.pk), ("Won", seller.pk)]
    assert conversion.contact.history.get().history_user == seller
    assert conversion.company.history.get().history_user == seller


def test_moving_an_opportunity_stamps_the_stage_and_the_won_and_lost_dates():
    opportunity = OpportunityFactory()
    entered = opportunity.stage_entered_at
    services.move_opportunity(opportunity, _stage("Won"), user=None)
    opportunity.refresh_from_db()
    assert opportunity.stage_entered_at > entered
    assert opportunity.won_at == opportunity.stage_entered_at and opportunity.lost_at is None
    services.move_opportunity(opportunity, _stage("Negotiation"), user=None)
    opportunity.refresh_from_db()
    assert (opportunity.won_at, opportunity.lost_at) == (None, None)
    assert list(opportunity.stage_entries.values_list("stage__name", flat=True)) == [
        "Qualification",
        "Won",
        "Negotiation",
    ]


def test_moving_to_the_same_stage_records_nothing():
    opportunity = OpportunityFactory()
    services.move_opportunity(opportunity, opportunity.stage, user=None)
    assert opportunity.stage_entries.count() == 1
    assert opportunity.history.count() == 1


def test_the_next_action_is_the_earliest_open_task():
    lead = LeadFactory()
    now = timezone.now()
    later = services.record_activity(
        Activity(kind=ActivityKind.TASK, subject="Send the offer", due_at=now + timedelta(days=3), lead=lead),
        user=None,
    )
    sooner = services.record_activity(
        Activity(kind=ActivityKind.TASK, subject="Call back", due_at=now + timedelta(days=1), lead=lead),
        user=None,
    )
    lead.refresh_from_db()
    assert (lead.next_action, lead.next_action_at) == ("Call back", sooner.due_at)

    services.complete_task(sooner, user=None)
    lead.refresh_from_db()
    assert (lead.next_action, lead.next_action_at) == ("Send the offer", later.due_at)

    services.complete_task(later, user=None)
    lead.refresh_from_db()
    assert (lead.next_action, lead.next_action_at) == ("", None)


def test_an_opportunitys_next_step_follows_its_open_tasks():
    opportunity = OpportunityFactory()
    due = timezone.now() + timedelta(days=2)
    services.record_activity(
        Activity(kind=ActivityKind.TASK, subject="Demo", due_at=due, opportunity=opportunity), user=None
    )
    opportunity.refresh_from_db()
    assert (opportunity.next_step, opportunity.next_step_at) == ("Demo", due)


def test_a_logged_call_sets_last_contacted_on_the_lead_and_its_contact_but_a_note_does_not():
    seller = UserFactory()
    lead = LeadFactory()
    services.convert_lead(lead, user=None, create_opportunity=False)
    lead.refresh_from_db()
    services.record_activity(Activity(kind=ActivityKind.NOTE, subject="Note", lead=lead), user=seller)
    lead.refresh_from_db()
    assert lead.last_contacted_at is None
    call = services.record_activity(
        Activity(kind=ActivityKind.CALL, subject="Called", lead=lead), user=seller
    )
    lead.refresh_from_db()
    lead.contact.refresh_from_db()
    assert lead.last_contacted_at == call.done_at == lead.contact.last_contacted_at
    assert (call.owner, call.created_by) == (seller, seller)


def test_the_first_contact_of_a_lead_is_its_earliest_call_email_or_meeting():
    lead = LeadFactory()
    now = timezone.now()

    def log(kind, done_at, due_at=None):
        row = Activity(kind=kind, subject=kind, lead=lead, done_at=done_at, due_at=due_at)
        return services.record_activity(row, user=None)

    log(ActivityKind.NOTE, now - timedelta(days=9))
    log(ActivityKind.TASK, now - timedelta(days=8), due_at=now - timedelta(days=8))
    lead.refresh_from_db()
    assert lead.first_contacted_at is None  # a note or a task is no contact
    log(ActivityKind.CALL, now - timedelta(days=2))
    earlier = log(ActivityKind.EMAIL, now - timedelta(days=5))  # logged late, happened first
    log(ActivityKind.MEETING, now - timedelta(days=1))
    lead.refresh_from_db()
    assert lead.first_contacted_at == now - timedelta(days=5)
    assert lead.last_contacted_at == now - timedelta(days=1)
    earlier.delete()
    services.activity_changed(earlier, user=None)
    lead.refresh_from_db()
    assert lead.first_contacted_at == now - timedelta(days=2)


def test_assigning_leads_records_one_history_row_each_with_the_actor():
    manager, seller = UserFactory(), UserFactory()
    leads = LeadFactory.create_batch(3)
    services.assign_leads(Lead.objects.filter(assigned_to__isnull=True), seller, actor=manager)
    rows = Lead.history.filter(history_type="~")
    assert sorted(rows.values_list("id", "assigned_to", "history_user")) == sorted(
        (lead.pk, seller.pk, manager.pk) for lead in leads
    )


@pytest.mark.django_db(transaction=True)
def test_the_derived_fields_are_refreshed_outside_a_transaction_too():
    """`refresh_next_action` and `refresh_contact_last_contacted` lock their row: each holds its own
    transaction, so a caller outside one (a command, a test's setup) is not refused by PostgreSQL."""
    seller = SalesPersonFactory()
    opportunity = OpportunityFactory(owner=seller, contact=ContactFactory(owner=seller))
    task = ActivityFactory(
        opportunity=opportunity,
        done_at=None,
        kind="task",
        subject="Call back",
        owner=seller,
        due_at=timezone.now(),
    )

    services.refresh_next_action(opportunity=opportunity, user=seller)
    services.refresh_contact_last_contacted(opportunity.contact_id, seller)

    opportunity.refresh_from_db()
    assert (opportunity.next_step, opportunity.next_step_at) == (task.subject, task.due_at)

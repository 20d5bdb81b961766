import io
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db.models import Count, F, Max, Min
from django.utils import timezone

from crm import services
from crm.models import (
    Activity,
    ActivityKind,
    Company,
    Contact,
    Lead,
    LeadStage,
    Opportunity,
    OpportunityStage,
    OpportunityStageEntry,
    Source,
)
from mini_analysis.models import MiniAnalysis, Status
from mini_analysis.pdf import pdf_storage_name
from mini_analysis.sectors import Sector
from mini_analysis.tests.conftest import run_jobs

pytestmark = pytest.mark.django_db

MODELS = [MiniAnalysis, Lead, Activity, Company, Contact, Opportunity, OpportunityStageEntry]


@pytest.fixture
def seeded(settings, tmp_path) -> str:
    settings.DEBUG = True
    settings.MEDIA_ROOT = tmp_path
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_seed_demo_creates_about_fifty_prospects_in_three_languages_and_is_safe_twice(seeded):
    counts = {model: model.objects.count() for model in MODELS}
    out = io.StringIO()
    call_command("seed_demo", stdout=out)

    assert {model: model.objects.count() for model in MODELS} == counts
    assert MiniAnalysis.objects.count() == 50
    assert Lead.objects.count() == 54  # 50 from the requests, 4 typed in the admin
    assert set(Lead.objects.values_list("language", flat=True)) == {"fr", "en", "he"}
    assert get_user_model().objects.get(username="admin").is_superuser
    for username in ["sales", "sales2"]:
        assert get_user_model().objects.get(username=username).groups.filter(name="Sales").exists()
    assert "Demo data already present" in out.getvalue()
    assert "Admin login: admin / admin" in out.getvalue()


def test_demo_request_ids_are_random_not_derived_from_the_source(seeded):
    """A request's id is the key of its public page and PDF: the demo's are uuid4, like a
    visitor's, so nobody can compute them from this repository (they were uuid5 of a namespace)."""
    request_ids = list(MiniAnalysis.objects.values_list("request_id", flat=True))
    assert {request_id.version for request_id in request_ids} == {4}
    MiniAnalysis.objects.all().delete()
    call_command("seed_demo", stdout=io.StringIO())
    assert not set(request_ids) & set(MiniAnalysis.objects.values_list("request_id", flat=True))


def test_seed_demo_refuses_to_run_in_production(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo", stdout=io.StringIO())
    assert not MiniAnalysis.objects.exists()


def test_every_filter_value_of_the_prospects_page_has_prospects(seeded):
    def values(name: str) -> set:
        return set(Lead.objects.values_list(name, flat=True))

    assert values("status") == set(Status.values)
    assert values("source") == set(Source.values)
    assert values("stage") == set(LeadStage.values)
    assert values("sector") == set(Sector.values)
    assert values("assigned_to__username") == {"sales", "sales2", None}


def test_requests_and_their_leads_are_dated_over_months(seeded):
    span = MiniAnalysis.objects.aggregate(first=Min("created_at"), last=Max("created_at"))
    assert span["last"] - span["first"] > timedelta(days=150)
    assert span["last"] <= timezone.now()
    followed = Lead.objects.filter(mini_analysis__isnull=False)
    assert followed.count() == 50
    assert not followed.exclude(created_at=F("mini_analysis__created_at")).exists()


def test_generated_requests_have_their_pdf_in_storage(seeded):
    generated = MiniAnalysis.objects.filter(status=Status.GENERATED)
    assert generated.count() == 35  # 7 in 10 of the 50 requests (STATUS_CYCLE)
    for mini_analysis in generated:
        assert mini_analysis.pdf_url
        assert default_storage.exists(pdf_storage_name(mini_analysis))
    assert not MiniAnalysis.objects.exclude(status=Status.GENERATED).exclude(pdf_url="").exists()


def test_the_board_has_an_opportunity_in_every_stage_one_won_and_one_lost(seeded):
    assert not OpportunityStage.objects.annotate(n=Count("opportunities")).filter(n=0).exists()
    won = Opportunity.objects.get(stage__is_won=True)
    lost = Opportunity.objects.get(stage__is_lost=True)
    assert won.won_at and not won.lost_at and lost.lost_at and not lost.won_at
    # Each opportunity's stage entries end with its current stage, entered when it says.
    for opportunity in Opportunity.objects.all():
        last = opportunity.stage_entries.order_by("entered_at", "id").last()
        assert (last.stage, last.entered_at) == (opportunity.stage, opportunity.stage_entered_at)
    converted = Lead.objects.filter(stage=LeadStage.CONVERTED)
    # One lead in three is left unassigned; of the others, 3 in 11 convert (STAGE_CYCLE) unless under
    # two weeks old: 9, one opportunity each.
    assert converted.count() == 9
    assert not converted.filter(opportunity__isnull=True).exists()


def test_worked_leads_have_activities_and_some_next_actions_are_overdue(seeded):
    now = timezone.now()
    assert set(Activity.objects.values_list("kind", flat=True)) == set(ActivityKind.values)
    overdue = Activity.objects.filter(kind=ActivityKind.TASK, done_at__isnull=True, due_at__lt=now)
    assert set(overdue.values_list("owner__username", flat=True)) == {"sales", "sales2"}
    assert Lead.objects.filter(next_action_at__lt=now).exists()
    assert not Lead.objects.filter(assigned_to__isnull=True).exclude(stage=LeadStage.NEW).exists()
    worked = Lead.objects.exclude(stage__in=[LeadStage.NEW])
    assert not worked.filter(last_contacted_at__isnull=True).exists()
    assert not worked.filter(first_contacted_at__isnull=True).exists()
    assert not worked.filter(first_contacted_at__gt=F("last_contacted_at")).exists()


def test_the_demo_s_sales_work_is_what_the_services_derive_from_its_activities(seeded):
    """Written through the services, the demo's next actions, first and last contacts agree with
    the activities: deriving them again changes nothing (no field, no history row)."""
    histories = {model: model.history.count() for model in (Lead, Contact, Opportunity)}

    for lead in Lead.objects.all():
        services.refresh_next_action(lead=lead)
    for opportunity in Opportunity.objects.all():
        services.refresh_next_action(opportunity=opportunity)
    for activity in Activity.objects.filter(contact__isnull=False) | Activity.objects.filter(
        lead__contact__isnull=False
    ):
        services.activity_changed(activity, user=None)

    assert {model: model.history.count() for model in histories} == histories


def test_the_demo_s_contacts_were_last_contacted_at_their_timeline_s_latest_contact(seeded):
    for contact in Contact.objects.all():
        latest = Activity.objects.filter(lead__contact=contact, kind__in=services.CONTACTING_KINDS).aggregate(
            latest=Max("done_at")
        )["latest"]
        assert contact.last_contacted_at == latest


def test_a_converted_demo_prospect_leaves_its_open_tasks_to_its_opportunity(seeded):
    converted = Lead.objects.filter(stage=LeadStage.CONVERTED)
    assert not Activity.objects.filter(lead__in=converted, kind=ActivityKind.TASK, done_at__isnull=True)
    assert not converted.exclude(next_action="").exists()
    assert (
        Opportunity.objects.exclude(next_step="").count()
        == Opportunity.objects.filter(stage__is_won=False, stage__is_lost=False).count()
    )


def test_the_demo_s_story_happened_in_the_past_in_order_by_its_sales_people(seeded):
    now = timezone.now()
    sales = set(get_user_model().objects.filter(username__in=["sales", "sales2"]))
    assert not Activity.objects.filter(created_at__gt=now).exists()
    assert not Activity.objects.filter(done_at__gt=now).exists()
    assert not OpportunityStageEntry.objects.filter(entered_at__gt=now).exists()
    for lead in Lead.objects.filter(stage=LeadStage.CONVERTED).select_related("opportunity"):
        assert lead.created_at < lead.converted_at <= lead.opportunity.stage_entered_at < now
        assert lead.converted_by in sales and lead.contact.created_at == lead.converted_at
    for entry in OpportunityStageEntry.objects.select_related("opportunity"):
        assert entry.entered_by == entry.opportunity.owner  # moved by its sales person, not by a script
    stage_changes = Lead.history.filter(history_change_reason="stage changed")
    assert set(stage_changes.values_list("history_user__username", flat=True)) == {"sales", "sales2"}


def test_sales_group_may_view_and_change_prospects_but_not_delete_them():
    from django.contrib.auth.models import Group

    codenames = set(Group.objects.get(name="Sales").permissions.values_list("codename", flat=True))
    assert {"view_lead", "change_lead", "view_minianalysis"} <= codenames
    assert "delete_lead" not in codenames
    assert "assign_lead" not in codenames


def test_the_demo_emails_nobody(settings, tmp_path, mailoutbox):
    """Its visitors are invented: the worker `make run` starts must not print fifty emails."""
    settings.DEBUG = True
    settings.MEDIA_ROOT = tmp_path
    with run_jobs():
        call_command("seed_demo", stdout=io.StringIO())

    assert MiniAnalysis.objects.filter(status=Status.GENERATED).exists()
    assert mailoutbox == []

"""The pipeline in the admin: conversion from the prospect page, stages, activities inline, the
contacts/companies/opportunities pages, history, and one visibility rule on every route."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm import services
from crm.models import (
    Activity,
    ActivityKind,
    Company,
    Contact,
    DisqualificationReason,
    Lead,
    LeadStage,
    Opportunity,
    OpportunityStage,
)
from mini_analysis.models import Status

from .factories import (
    ActivityFactory,
    CompanyFactory,
    ContactFactory,
    LeadFactory,
    OpportunityFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def change_url(obj) -> str:
    return reverse(f"admin:crm_{obj._meta.model_name}_change", args=[obj.pk])


def lead_form(lead: Lead, **changes) -> dict:
    """The prospect page's POST, with an empty activities inline."""
    data = {
        "brand_name": lead.brand_name,
        "email": lead.email,
        "phone": str(lead.phone),
        "sector": lead.sector,
        "language": lead.language,
        "assigned_to": lead.assigned_to_id or "",
        "notes": lead.notes,
        "stage": lead.stage,
        "disqualification_reason": lead.disqualification_reason_id or "",
        "analysis_text": lead.analysis_text,
        "activities-TOTAL_FORMS": "0",
        "activities-INITIAL_FORMS": "0",
        "activities-MIN_NUM_FORMS": "0",
        "activities-MAX_NUM_FORMS": "1000",
    }
    data.update(changes)
    return data


# --- Conversion ---------------------------------------------------------------------------------


def test_a_sales_person_converts_a_prospect_from_its_page_once(client, signed_in_seller):
    lead = LeadFactory(assigned_to=signed_in_seller)
    page = client.get(change_url(lead)).content.decode()
    convert_url = reverse("admin:crm_lead_convert", args=[lead.pk])
    assert convert_url in page

    assert client.get(convert_url).status_code == 200
    form = {"create_opportunity": "on", "opportunity_name": "First deal", "amount": "500", "currency": "ILS"}
    response = client.post(convert_url, form)
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.stage == LeadStage.CONVERTED and lead.converted_by == signed_in_seller
    assert (lead.opportunity.name, lead.opportunity.currency, lead.opportunity.owner) == (
        "First deal",
        "ILS",
        signed_in_seller,
    )

    client.post(convert_url, form)
    assert (Contact.objects.count(), Opportunity.objects.count()) == (1, 1)
    assert convert_url not in client.get(change_url(lead)).content.decode()


def test_converting_needs_the_permission_and_a_post(client):
    user = UserFactory()
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_lead", "change_lead"]))
    client.force_login(user)
    lead = LeadFactory()
    convert_url = reverse("admin:crm_lead_convert", args=[lead.pk])
    assert convert_url not in client.get(change_url(lead)).content.decode()
    assert client.post(convert_url, {"create_opportunity": "on", "currency": "EUR"}).status_code == 403
    assert not Contact.objects.exists()


def test_converting_a_prospect_of_someone_else_is_not_found(client, signed_in_seller):
    lead = LeadFactory(assigned_to=UserFactory())
    response = client.post(reverse("admin:crm_lead_convert", args=[lead.pk]), {"currency": "EUR"})
    assert response.status_code == 404
    assert not Contact.objects.exists()


def test_the_bulk_action_converts_the_selection_and_skips_the_disqualified(client, signed_in_seller):
    leads = LeadFactory.create_batch(2, assigned_to=signed_in_seller)
    services.set_lead_stage(
        leads[1], LeadStage.DISQUALIFIED, user=None, reason=DisqualificationReason.objects.first()
    )
    response = client.post(
        reverse("admin:crm_lead_changelist"),
        {"action": "convert", "_selected_action": [lead.pk for lead in leads]},
        follow=True,
    )
    assert response.status_code == 200
    assert list(Lead.objects.filter(stage=LeadStage.CONVERTED)) == [leads[0]]
    assert Opportunity.objects.count() == 1


# --- Stages, status, activities -----------------------------------------------------------------


def test_the_analysis_status_is_read_only_on_the_prospect_page(client, signed_in_seller):
    lead = LeadFactory(assigned_to=signed_in_seller, status=Status.GENERATED)
    response = client.post(change_url(lead), lead_form(lead, status=Status.ERROR, notes="Called"))
    assert response.status_code == 302
    lead.refresh_from_db()
    assert (lead.status, lead.notes) == (Status.GENERATED, "Called")


def test_disqualifying_without_a_reason_is_a_form_error(client, signed_in_seller):
    lead = LeadFactory(assigned_to=signed_in_seller)
    response = client.post(change_url(lead), lead_form(lead, stage=LeadStage.DISQUALIFIED))
    assert response.status_code == 200
    assert "disqualification_reason" in response.context["adminform"].form.errors
    reason = DisqualificationReason.objects.first()
    response = client.post(
        change_url(lead), lead_form(lead, stage=LeadStage.DISQUALIFIED, disqualification_reason=reason.pk)
    )
    assert response.status_code == 302
    lead.refresh_from_db()
    assert (lead.stage, lead.disqualification_reason) == (LeadStage.DISQUALIFIED, reason)


def test_converted_cannot_be_chosen_by_hand(client, signed_in_seller):
    lead = LeadFactory(assigned_to=signed_in_seller)
    response = client.post(change_url(lead), lead_form(lead, stage=LeadStage.CONVERTED))
    assert response.status_code == 200
    assert "stage" in response.context["adminform"].form.errors
    lead.refresh_from_db()
    assert lead.stage == LeadStage.NEW


def test_a_task_planned_inline_becomes_the_prospects_next_action(client, signed_in_seller):
    lead = LeadFactory(assigned_to=signed_in_seller)
    due = timezone.localtime() + timedelta(days=1)
    form = lead_form(
        lead,
        **{
            "activities-TOTAL_FORMS": "1",
            "activities-0-kind": ActivityKind.TASK,
            "activities-0-subject": "Call back",
            "activities-0-due_at_0": due.strftime("%d/%m/%Y"),
            "activities-0-due_at_1": due.strftime("%H:%M:%S"),
            "activities-0-owner": signed_in_seller.pk,
        },
    )
    response = client.post(change_url(lead), form)
    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    lead.refresh_from_db()
    assert lead.next_action == "Call back"
    assert lead.activities.get().created_by == signed_in_seller


def test_a_call_logged_inline_without_a_date_happened_now(client, signed_in_seller):
    lead = LeadFactory(assigned_to=signed_in_seller)
    before = timezone.now()
    form = lead_form(
        lead,
        **{
            "activities-TOTAL_FORMS": "1",
            "activities-0-kind": ActivityKind.CALL,
            "activities-0-subject": "First call",
            "activities-0-owner": signed_in_seller.pk,
        },
    )
    response = client.post(change_url(lead), form)
    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    call = lead.activities.get()
    assert before <= call.done_at <= timezone.now()
    lead.refresh_from_db()
    assert lead.last_contacted_at == call.done_at


def test_the_prospect_page_saves_as_a_browser_posts_line_breaks(client, signed_in_seller):
    """A browser posts each line break of a textarea as CRLF: a 500-character analysis preview
    with 13 line breaks comes back as 513 characters, and must still fit its 500."""
    preview = "\n".join(["x" * 34] * 14)[:500]
    lead = LeadFactory(assigned_to=signed_in_seller, analysis_text=preview, notes="a\nb")
    as_posted = {"analysis_text": preview.replace("\n", "\r\n"), "notes": "a\r\nb\r\nc"}
    response = client.post(change_url(lead), lead_form(lead, **as_posted))
    assert response.status_code == 302, response.context["adminform"].form.errors
    lead.refresh_from_db()
    assert (lead.analysis_text, lead.notes) == (preview, "a\nb\nc")


def test_a_call_logged_on_the_activities_page_without_a_date_happened_now(client, signed_in_seller):
    lead = LeadFactory(assigned_to=signed_in_seller)
    data = {"kind": ActivityKind.CALL, "subject": "First call", "lead": lead.pk, "owner": signed_in_seller.pk}
    response = client.post(reverse("admin:crm_activity_add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Activity.objects.get().done_at is not None


@pytest.mark.parametrize(
    ("when", "expected"),
    [("overdue", {"late"}), ("today", {"today"}), ("week", {"today"}), ("none", {"nothing"})],
)
def test_the_next_action_filter(client, signed_in_boss, monkeypatch, when, expected):
    # Noon today, frozen: "in a minute" is still today, at whatever time the suite runs.
    now = timezone.localtime().replace(hour=12, minute=0, second=0, microsecond=0)
    monkeypatch.setattr(timezone, "now", lambda: now)
    for brand, moment in [("late", now - timedelta(days=30)), ("today", now + timedelta(seconds=60))]:
        lead = LeadFactory(brand_name=brand)
        services.record_activity(
            Activity(kind=ActivityKind.TASK, subject="x", due_at=moment, lead=lead), user=None
        )
    LeadFactory(brand_name="nothing")
    response = client.get(reverse("admin:crm_lead_changelist"), {"next_action_at_when": when})
    assert {lead.brand_name for lead in response.context["cl"].result_list} == expected


def test_an_overdue_next_action_is_marked_with_a_css_class(client, signed_in_boss):
    lead = LeadFactory()
    services.record_activity(
        Activity(kind=ActivityKind.TASK, subject="x", due_at=timezone.now() - timedelta(days=1), lead=lead),
        user=None,
    )
    page = client.get(reverse("admin:crm_lead_changelist")).content.decode()
    assert 'class="crm-overdue"' in page
    assert "style=" not in page.split('id="result_list"')[1].split("</table>")[0]


def test_a_contacts_timeline_shows_the_activities_of_its_prospects(client, signed_in_boss):
    lead = LeadFactory()
    conversion = services.convert_lead(lead, user=None)
    services.record_activity(
        Activity(kind=ActivityKind.CALL, subject="Called the prospect", lead=lead), user=None
    )
    page = client.get(change_url(conversion.contact)).content.decode()
    assert "Called the prospect" in page


def test_a_stage_set_on_the_prospect_page_is_written_by_the_stage_service(client, signed_in_seller):
    lead = LeadFactory(assigned_to=signed_in_seller, notes="")
    response = client.post(change_url(lead), lead_form(lead, stage=LeadStage.ATTEMPTING, notes="Called once"))
    assert response.status_code == 302
    lead.refresh_from_db()
    assert (lead.stage, lead.notes) == (LeadStage.ATTEMPTING, "Called once")
    stage_change = lead.history.filter(stage=LeadStage.ATTEMPTING).order_by("history_id").first()
    assert (stage_change.history_change_reason, stage_change.history_user) == (
        "stage changed",
        signed_in_seller,
    )


def test_a_stage_the_rule_refuses_under_the_lock_is_not_written_and_says_why(
    client, signed_in_seller, monkeypatch
):
    lead = LeadFactory(assigned_to=signed_in_seller)
    monkeypatch.setattr(services.stages, "lead_stage_error", lambda *args: "Another change came first.")
    response = client.post(
        change_url(lead), lead_form(lead, stage=LeadStage.CONNECTED, notes="Spoke"), follow=True
    )
    lead.refresh_from_db()
    assert (lead.stage, lead.notes) == (LeadStage.NEW, "Spoke")
    assert "Another change came first." in response.content.decode()


# --- History ------------------------------------------------------------------------------------


def test_the_history_page_shows_who_changed_the_prospect(client, signed_in_seller):
    lead = LeadFactory(assigned_to=signed_in_seller)
    client.post(change_url(lead), lead_form(lead, stage=LeadStage.CONNECTED))
    assert lead.history.latest().history_user == signed_in_seller
    response = client.get(reverse("admin:crm_lead_history", args=[lead.pk]))
    assert response.status_code == 200
    assert "seller" in response.content.decode()


@pytest.mark.parametrize("model_name", ["lead", "contact", "opportunity", "company"])
def test_the_history_of_a_record_of_someone_else_is_not_found(client, signed_in_seller, model_name):
    other = UserFactory()
    opportunity = OpportunityFactory(owner=other)
    record = {
        "lead": LeadFactory(assigned_to=other),
        "contact": ContactFactory(owner=other, company=None),
        "opportunity": opportunity,
        "company": CompanyFactory(owner=other),
    }[model_name]
    response = client.get(reverse(f"admin:crm_{model_name}_history", args=[record.pk]))
    assert response.status_code == 404


def test_the_history_of_a_deleted_record_of_someone_else_is_not_found(client, signed_in_seller):
    lead = LeadFactory(assigned_to=UserFactory())
    pk = lead.pk
    lead.delete()
    assert client.get(reverse("admin:crm_lead_history", args=[pk])).status_code == 404


# --- Visibility: one rule on every route --------------------------------------------------------


@pytest.fixture
def two_worlds(signed_in_seller):
    """Records the seller may see (`mine`) and records of another sales person (`theirs`)."""
    other = UserFactory(username="other")
    mine_lead = LeadFactory(assigned_to=signed_in_seller, brand_name="Mine")
    theirs_lead = LeadFactory(assigned_to=other, brand_name="Theirs")
    mine = services.convert_lead(mine_lead, user=signed_in_seller)
    theirs = services.convert_lead(theirs_lead, user=other)
    mine_activity = services.record_activity(
        Activity(kind=ActivityKind.CALL, subject="Mine", lead=mine_lead), user=signed_in_seller
    )
    theirs_activity = services.record_activity(
        Activity(kind=ActivityKind.CALL, subject="Theirs", lead=theirs_lead), user=other
    )
    return {
        "mine": {
            "lead": mine_lead,
            "contact": mine.contact,
            "company": mine.company,
            "opportunity": mine.opportunity,
            "activity": mine_activity,
        },
        "theirs": {
            "lead": theirs_lead,
            "contact": theirs.contact,
            "company": theirs.company,
            "opportunity": theirs.opportunity,
            "activity": theirs_activity,
        },
    }


MODEL_NAMES = ["lead", "contact", "company", "opportunity", "activity"]


@pytest.mark.parametrize("model_name", MODEL_NAMES)
def test_each_changelist_shows_a_sales_person_only_what_they_may_see(client, two_worlds, model_name):
    response = client.get(reverse(f"admin:crm_{model_name}_changelist"))
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [two_worlds["mine"][model_name]]


@pytest.mark.parametrize("model_name", MODEL_NAMES)
def test_each_change_page_of_someone_elses_record_is_refused(client, two_worlds, model_name):
    assert client.get(change_url(two_worlds["mine"][model_name])).status_code == 200
    response = client.get(change_url(two_worlds["theirs"][model_name]))
    assert response.status_code == 302  # the admin's "does not exist" redirect to its index


@pytest.mark.parametrize(
    ("model_name", "field_name", "target"),
    [
        ("activity", "lead", "lead"),
        ("activity", "contact", "contact"),
        ("activity", "opportunity", "opportunity"),
        ("opportunity", "company", "company"),
        ("opportunity", "contact", "contact"),
        ("contact", "company", "company"),
    ],
)
def test_each_autocomplete_offers_only_visible_records(client, two_worlds, model_name, field_name, target):
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "crm", "model_name": model_name, "field_name": field_name},
    )
    assert response.status_code == 200
    ids = {int(result["id"]) for result in response.json()["results"]}
    assert ids == {two_worlds["mine"][target].pk}


def test_a_form_cannot_point_to_someone_elses_record(client, two_worlds):
    theirs = two_worlds["theirs"]["contact"]
    response = client.post(
        reverse("admin:crm_activity_add"),
        {"kind": ActivityKind.NOTE, "subject": "Sneaky", "contact": theirs.pk},
    )
    assert response.status_code == 200
    assert "contact" in response.context["adminform"].form.errors
    assert not Activity.objects.filter(subject="Sneaky").exists()


def test_the_mark_done_action_only_reaches_visible_tasks(client, two_worlds):
    theirs = two_worlds["theirs"]["lead"]
    task = services.record_activity(
        Activity(kind=ActivityKind.TASK, subject="Their task", due_at=timezone.now(), lead=theirs), user=None
    )
    client.post(
        reverse("admin:crm_activity_changelist"), {"action": "mark_done", "_selected_action": [task.pk]}
    )
    task.refresh_from_db()
    assert task.done_at is None


def test_a_superuser_sees_every_record(client, signed_in_boss):
    OpportunityFactory(owner=UserFactory())
    for model_name in ["contact", "company", "opportunity"]:
        response = client.get(reverse(f"admin:crm_{model_name}_changelist"))
        assert len(response.context["cl"].result_list) == 1


# --- Queries that do not grow with the rows -----------------------------------------------------


def make_rows(model_name: str, count: int, owner) -> None:
    if model_name == "lead":
        for lead in LeadFactory.create_batch(count, assigned_to=owner):
            services.record_activity(
                Activity(kind=ActivityKind.TASK, subject="t", due_at=timezone.now(), lead=lead), user=None
            )
    elif model_name == "contact":
        ContactFactory.create_batch(count, owner=owner)
    elif model_name == "company":
        CompanyFactory.create_batch(count, owner=owner)
    elif model_name == "opportunity":
        OpportunityFactory.create_batch(count, owner=owner)
    else:
        lead = LeadFactory(assigned_to=owner)
        for _ in range(count):
            ActivityFactory(lead=lead, owner=owner, contact=ContactFactory(owner=owner))


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("model_name", MODEL_NAMES)
def test_each_changelist_runs_as_many_queries_for_50_rows_as_for_10(client, signed_in_seller, model_name):
    url = reverse(f"admin:crm_{model_name}_changelist")
    make_rows(model_name, 10, signed_in_seller)
    ten = count_queries(client, url)
    make_rows(model_name, 40, signed_in_seller)
    fifty = count_queries(client, url)
    assert fifty == ten


def test_the_contact_page_runs_as_many_queries_with_50_activities_as_with_10(client, signed_in_boss):
    contact = ContactFactory()
    lead = LeadFactory()
    Lead.objects.filter(pk=lead.pk).update(contact=contact)
    ActivityFactory.create_batch(10, lead=lead)
    client.get(change_url(contact))  # warm the caches (content types) the first view fills
    ten = count_queries(client, change_url(contact))
    ActivityFactory.create_batch(40, lead=lead)
    assert count_queries(client, change_url(contact)) == ten


def test_the_stage_and_reason_lists_are_editable_rows(client, signed_in_boss):
    response = client.get(reverse("admin:crm_opportunitystage_changelist"))
    assert [stage.name for stage in response.context["cl"].result_list] == [
        "Qualification",
        "Meeting",
        "Proposal",
        "Negotiation",
        "Won",
        "Lost",
    ]
    assert OpportunityStage.objects.get(name="Proposal").probability == 50
    assert DisqualificationReason.objects.filter(is_active=True).count() == 5
    assert Company.objects.count() == 0


def test_the_activities_page_lists_ones_overdue_open_tasks_only(client, signed_in_seller):
    lead = LeadFactory(assigned_to=signed_in_seller)
    past = timezone.now() - timedelta(days=1)
    open_task = services.record_activity(
        Activity(kind=ActivityKind.TASK, subject="Open", due_at=past, lead=lead), user=signed_in_seller
    )
    done_task = services.record_activity(
        Activity(kind=ActivityKind.TASK, subject="Done", due_at=past, lead=lead), user=signed_in_seller
    )
    services.complete_task(done_task, user=signed_in_seller)
    response = client.get(reverse("admin:crm_activity_changelist"), {"due_at_when": "overdue"})
    assert list(response.context["cl"].result_list) == [open_task]
    assert 'class="crm-overdue"' in response.content.decode()


@pytest.mark.parametrize("action", ["convert", "assign_to_me", "export_csv"])
def test_each_prospect_action_ignores_someone_elses_prospects(client, two_worlds, action):
    theirs = LeadFactory(assigned_to=UserFactory(), brand_name="Also theirs")
    response = client.post(
        reverse("admin:crm_lead_changelist"), {"action": action, "_selected_action": [theirs.pk]}
    )
    theirs.refresh_from_db()
    assert theirs.stage == LeadStage.NEW and theirs.assigned_to.username != "seller"
    if action == "export_csv":
        assert "Also theirs" not in b"".join(response.streaming_content).decode()


def test_moving_an_activity_to_another_prospect_recomputes_the_one_it_left(client, signed_in_boss):
    first, second = LeadFactory(), LeadFactory()
    call = services.record_activity(
        Activity(kind=ActivityKind.CALL, subject="Called", lead=first, done_at=timezone.now()), user=None
    )
    first.refresh_from_db()
    assert first.first_contacted_at == first.last_contacted_at == call.done_at
    done = timezone.localtime(call.done_at)
    response = client.post(
        reverse("admin:crm_activity_change", args=[call.pk]),
        {
            "kind": ActivityKind.CALL,
            "subject": "Called",
            "body": "",
            "lead": second.pk,
            "done_at_0": done.strftime("%Y-%m-%d"),
            "done_at_1": done.strftime("%H:%M:%S"),
            "owner": signed_in_boss.pk,
        },
    )
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.first_contacted_at, first.last_contacted_at) == (None, None)
    assert second.first_contacted_at is not None

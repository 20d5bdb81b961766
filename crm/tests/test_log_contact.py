"""`services.log_contact`, the record page's one submit, and the timeline it feeds (`crm.timeline`)."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm import services
from crm.models import Activity, ActivityKind, ActivityOutcome
from crm.timeline import record_timeline
from mini_analysis.tests.factories import MiniAnalysisFactory

from .factories import LeadFactory, SalesPersonFactory

pytestmark = pytest.mark.django_db


def test_a_call_logged_without_a_date_happened_now_and_is_the_last_contact(seller):
    lead = LeadFactory(assigned_to=seller)
    before = timezone.now()

    logged = services.log_contact(lead, user=seller, note="Reached her\nShe wants a quote", outcome="reached")

    call = logged.activity
    assert (call.kind, call.subject, call.body, call.outcome) == (
        ActivityKind.CALL,
        "Reached her",
        "Reached her\nShe wants a quote",
        ActivityOutcome.REACHED,
    )
    assert before <= call.done_at <= timezone.now()
    assert (call.owner, call.created_by) == (seller, seller)
    lead.refresh_from_db()
    assert lead.last_contacted_at == lead.first_contacted_at == call.done_at
    assert logged.next_task is None


def test_the_next_action_is_a_task_in_the_same_submit_and_becomes_the_prospects_next_action(seller):
    lead = LeadFactory(assigned_to=seller)
    due = services.due_on(timezone.localdate() + dt.timedelta(days=3))

    logged = services.log_contact(
        lead, user=seller, note="Called", next_action="Send the quote", next_action_due=due
    )

    assert (logged.next_task.kind, logged.next_task.due_at, logged.next_task.done_at) == (
        ActivityKind.TASK,
        due,
        None,
    )
    lead.refresh_from_db()
    assert (lead.next_action, lead.next_action_at) == ("Send the quote", due)


def test_a_next_action_without_a_day_is_due_tomorrow_morning(seller):
    lead = LeadFactory(assigned_to=seller)
    logged = services.log_contact(lead, user=seller, next_action="Call back")
    due = timezone.localtime(logged.next_task.due_at)
    assert (due.date(), due.hour) == (
        timezone.localdate() + dt.timedelta(days=1),
        services.activities.DUE_HOUR,
    )


def test_a_call_without_a_note_is_named_after_its_kind_and_a_given_date_is_kept(seller):
    lead = LeadFactory(assigned_to=seller)
    yesterday = timezone.now() - dt.timedelta(days=1)
    call = services.log_contact(lead, user=seller, at=yesterday).activity
    assert (str(call.subject), call.done_at) == ("Appel", yesterday)


def test_a_long_first_line_is_cut_in_the_subject_and_kept_whole_in_the_body(seller):
    lead = LeadFactory(assigned_to=seller)
    note = "x" * 300
    call = services.log_contact(lead, user=seller, note=note).activity
    assert (len(call.subject), call.subject[-1], call.body) == (200, "…", note)


def test_a_task_logged_is_planned_not_done_and_needs_a_date(seller):
    lead = LeadFactory(assigned_to=seller)
    with pytest.raises(services.PipelineError):
        services.log_contact(lead, user=seller, kind=ActivityKind.TASK, note="Prepare the deck")
    due = timezone.now() + dt.timedelta(days=2)
    task = services.log_contact(
        lead, user=seller, kind=ActivityKind.TASK, note="Prepare the deck", at=due
    ).activity
    assert (task.due_at, task.done_at, task.outcome) == (due, None, "")
    lead.refresh_from_db()
    assert lead.next_action == "Prepare the deck"


def test_both_writes_or_neither(seller, monkeypatch):
    """The next action's write fails: the call is not logged either."""
    lead = LeadFactory(assigned_to=seller)
    real = services.activities.record_activity

    def fail_on_task(activity, *, user):
        if activity.kind == ActivityKind.TASK:
            raise RuntimeError("the database went away")
        return real(activity, user=user)

    monkeypatch.setattr(services.activities, "record_activity", fail_on_task)
    with pytest.raises(RuntimeError):
        services.log_contact(lead, user=seller, note="Called", next_action="Call back")
    assert not Activity.objects.exists()
    lead.refresh_from_db()
    assert lead.last_contacted_at is None


def test_the_timeline_is_every_activity_and_request_of_the_person_and_brand_newest_first(seller):
    lead = LeadFactory(assigned_to=seller, email="ana@shop.example", brand_name="Shop")
    now = timezone.now()
    old_request = MiniAnalysisFactory(
        email="ana@shop.example", brand_name="shop", created_at=now - dt.timedelta(days=9)
    )
    first_call = services.log_contact(
        lead, user=seller, note="Called", at=now - dt.timedelta(days=2)
    ).activity
    second = services.log_contact(lead, user=seller, note="Talked", next_action="Call back")
    MiniAnalysisFactory(email="someone@else.example", brand_name="Shop")

    entries = record_timeline(lead, seller)

    # The task planned for tomorrow leads: what happens next comes first.
    expected = [second.next_task, second.activity, first_call, old_request]
    assert [entry.activity or entry.request for entry in entries] == expected
    assert [entry.when for entry in entries] == [
        second.next_task.due_at,
        second.activity.done_at,
        first_call.done_at,
        old_request.created_at,
    ]


def test_the_timeline_hides_an_activity_of_a_contact_the_user_may_not_see(seller):
    """A converted prospect's contact owned by someone else: their call on it is theirs."""
    colleague = SalesPersonFactory(username="colleague")
    lead = LeadFactory(assigned_to=seller)
    conversion = services.convert_lead(lead, user=seller, create_opportunity=False)
    contact = conversion.contact
    contact.owner = colleague
    contact.save()
    services.record_activity(
        Activity(kind=ActivityKind.CALL, subject="Theirs", contact=contact), user=colleague
    )
    mine = services.log_contact(lead, user=seller, note="Mine").activity
    lead.refresh_from_db()

    assert [entry.activity for entry in record_timeline(lead, seller)] == [mine]


def test_the_timeline_reads_the_same_number_of_queries_for_10_or_200_activities(seller):
    def queries_for(count: int) -> int:
        lead = LeadFactory(assigned_to=seller)
        MiniAnalysisFactory(email=lead.email, brand_name=lead.brand_name)
        Activity.objects.bulk_create(
            Activity(
                kind=ActivityKind.CALL, subject=f"Call {n}", lead=lead, done_at=timezone.now(), owner=seller
            )
            for n in range(count)
        )
        with CaptureQueriesContext(connection) as queries:
            entries = record_timeline(lead, seller)
            [entry.activity.owner for entry in entries if entry.activity]
        assert len(entries) == count + 1
        return len(queries)

    assert queries_for(10) == queries_for(200)

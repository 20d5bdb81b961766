"""The prospect's record page (crm/admin/record.py): what it shows, its three writes, who may use them."""

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm import services
from crm.models import Activity, ActivityKind, DisqualificationReason, LeadStage
from mini_analysis.tests.factories import MiniAnalysisFactory

from .factories import LeadFactory, SalesPersonFactory, UserFactory
from .record_urls import log_url, record_url, stage_url, task_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def mine(signed_in_seller):
    return LeadFactory(
        assigned_to=signed_in_seller, first_name="Yael", last_name="Cohen", phone="+972502345678"
    )


@pytest.fixture
def theirs():
    return LeadFactory(assigned_to=SalesPersonFactory(username="colleague"))


def test_the_record_page_shows_the_person_links_to_call_and_write_and_the_stage_buttons(client, mine):
    page = client.get(record_url(mine)).content.decode()
    assert "Yael Cohen" in page
    assert 'href="tel:+972502345678"' in page
    assert f'href="mailto:{mine.email}"' in page
    assert f'<bdi dir="ltr">{mine.email}</bdi>' in page
    assert f'action="{log_url(mine)}"' in page
    for stage in [LeadStage.NEW, LeadStage.ATTEMPTING, LeadStage.CONNECTED, LeadStage.QUALIFIED]:
        assert f'name="stage" value="{stage}"' in page
    assert 'value="DISQUALIFIED"' in page
    assert 'id="lead_form"' in page  # the stock form, folded below
    assert "style=" not in page.split('class="crm-record"')[1].split('id="lead_form"')[0]


def test_logging_a_call_with_a_next_action_is_one_post_back_to_the_page(client, mine):
    due = timezone.localdate() + dt.timedelta(days=2)
    response = client.post(
        log_url(mine),
        {
            "kind": "call",
            "outcome": "reached",
            "note": "Wants a quote",
            "next_action": "Send it",
            "next_action_due": due.isoformat(),
        },
    )
    assert response.status_code == 302 and response.url == record_url(mine)
    call, task = mine.activities.order_by("pk")
    assert (call.kind, call.subject, call.outcome) == (ActivityKind.CALL, "Wants a quote", "reached")
    assert (task.subject, timezone.localtime(task.due_at).date()) == ("Send it", due)
    page = client.get(response.url).content.decode()
    assert "Wants a quote" in page and "Send it" in page


def test_an_invalid_log_is_shown_again_with_what_was_typed(client, mine):
    response = client.post(log_url(mine), {"kind": "task", "note": "Prepare the deck", "next_action_due": ""})
    assert response.status_code == 200
    assert response.context["log_form"].errors == {"next_action_due": ["Donnez une échéance à la tâche."]}
    assert "Prepare the deck" in response.content.decode()
    assert not mine.activities.exists()


def test_a_stage_button_moves_the_stage(client, mine):
    response = client.post(stage_url(mine), {"stage": LeadStage.CONNECTED})
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.stage == LeadStage.CONNECTED


def test_disqualifying_takes_the_reason_and_refuses_without_one(client, mine):
    client.post(stage_url(mine), {"stage": LeadStage.DISQUALIFIED})
    mine.refresh_from_db()
    assert mine.stage == LeadStage.NEW
    reason = DisqualificationReason.objects.get(name="No budget")
    client.post(stage_url(mine), {"stage": LeadStage.DISQUALIFIED, "reason": reason.pk})
    mine.refresh_from_db()
    assert (mine.stage, mine.disqualification_reason) == (LeadStage.DISQUALIFIED, reason)


def test_converted_cannot_be_set_by_a_button(client, mine):
    response = client.post(stage_url(mine), {"stage": LeadStage.CONVERTED}, follow=True)
    mine.refresh_from_db()
    assert mine.stage == LeadStage.NEW
    assert "conversion" in response.content.decode()


def test_an_open_task_is_done_moved_to_tomorrow_or_to_a_date_in_one_post(client, mine, signed_in_seller):
    task = services.log_contact(mine, user=signed_in_seller, next_action="Call back").next_task
    client.post(task_url(mine, task), {"move": "next_week"})
    task.refresh_from_db()
    assert timezone.localtime(task.due_at).date() == timezone.localdate() + dt.timedelta(days=7)
    client.post(task_url(mine, task), {"move": "date", "due": "2031-05-04"})
    task.refresh_from_db()
    assert timezone.localtime(task.due_at).date() == dt.date(2031, 5, 4)
    mine.refresh_from_db()
    assert mine.next_action_at == task.due_at
    client.post(task_url(mine, task), {"move": "done"})
    task.refresh_from_db()
    mine.refresh_from_db()
    assert task.done_at is not None and mine.next_action_at is None


def test_a_task_of_another_prospect_is_not_found_through_this_one(client, mine, signed_in_seller):
    other = LeadFactory(assigned_to=signed_in_seller)
    task = services.log_contact(other, user=signed_in_seller, next_action="Call back").next_task
    assert client.post(task_url(mine, task), {"move": "done"}).status_code == 404
    task.refresh_from_db()
    assert task.done_at is None


def test_a_sales_person_cannot_open_or_write_on_a_colleagues_prospect(client, signed_in_seller, theirs):
    assert client.get(record_url(theirs)).status_code == 302  # Django's "does not exist" redirect
    task = services.log_contact(theirs, user=theirs.assigned_to, next_action="Theirs").next_task
    reason = DisqualificationReason.objects.first()
    assert client.post(log_url(theirs), {"kind": "call", "note": "x"}).status_code == 404
    assert client.post(stage_url(theirs), {"stage": "DISQUALIFIED", "reason": reason.pk}).status_code == 404
    assert client.post(task_url(theirs, task), {"move": "done"}).status_code == 404
    theirs.refresh_from_db()
    assert (theirs.stage, theirs.activities.count()) == (LeadStage.NEW, 2)


def test_a_user_who_may_only_view_prospects_sees_the_page_but_cannot_write(client):
    viewer = UserFactory(username="viewer", is_superuser=False)
    viewer.user_permissions.add(Permission.objects.get(codename="view_lead"))
    client.force_login(viewer)
    lead = LeadFactory()
    page = client.get(record_url(lead)).content.decode()
    assert lead.brand_name in page and "crm-log-form" not in page and 'name="stage"' not in page
    assert client.post(log_url(lead), {"kind": "call"}).status_code == 403
    assert client.post(stage_url(lead), {"stage": "CONNECTED"}).status_code == 403


def test_the_writes_are_posts_only(client, mine):
    assert client.get(log_url(mine)).status_code == 405
    assert client.get(stage_url(mine)).status_code == 405


def test_the_record_page_reads_the_same_number_of_queries_for_10_or_200_activities(client, signed_in_seller):
    def queries_for(count: int) -> int:
        lead = LeadFactory(assigned_to=signed_in_seller)
        for _ in range(5):
            MiniAnalysisFactory(email=lead.email, brand_name=lead.brand_name)
        Activity.objects.bulk_create(
            Activity(
                kind=ActivityKind.CALL,
                subject=f"Call {n}",
                lead=lead,
                done_at=timezone.now(),
                owner=signed_in_seller,
            )
            for n in range(count)
        )
        Activity.objects.bulk_create(
            Activity(
                kind=ActivityKind.TASK,
                subject=f"Task {n}",
                lead=lead,
                due_at=timezone.now(),
                owner=signed_in_seller,
            )
            for n in range(count // 10)
        )
        ContentType.objects.clear_cache()  # read once per process: both views read it, whatever ran before
        with CaptureQueriesContext(connection) as queries:
            page = client.get(record_url(lead))
        assert page.content.decode().count("crm-timeline-entry") == count + count // 10 + 5
        return len(queries)

    assert queries_for(10) == queries_for(200)

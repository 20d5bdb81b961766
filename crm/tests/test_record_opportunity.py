"""An opportunity's record page (crm/admin/record.py, record_kinds.py): what it shows, its writes
(the quick log, the stage buttons through `services.move_opportunity`, tasks), who may use them."""

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm import services
from crm.models import Activity, ActivityKind, LossReason, OpportunityStage, OpportunityStageEntry

from .factories import OpportunityFactory, SalesPersonFactory, UserFactory
from .record_urls import log_url, record_url, stage_url, task_url

pytestmark = pytest.mark.django_db


def stage(name: str) -> OpportunityStage:
    return OpportunityStage.objects.get(name=name)


@pytest.fixture
def mine(signed_in_seller):
    return OpportunityFactory(owner=signed_in_seller, name="Big deal", amount=12345, currency="EUR")


@pytest.fixture
def theirs():
    return OpportunityFactory(owner=SalesPersonFactory(username="colleague"))


@pytest.mark.parametrize(("language", "amount"), [("fr", "12\u202f345\xa0€"), ("en", "€12,345")])
def test_the_record_page_shows_the_deal_its_links_its_amount_for_the_reader_and_the_stage_buttons(
    client, mine, language, amount
):
    page = client.get(record_url(mine), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert "Big deal" in page
    assert amount in page
    assert reverse("admin:crm_company_change", args=[mine.company_id]) in page
    assert reverse("admin:crm_contact_change", args=[mine.contact_id]) in page
    assert f'action="{log_url(mine)}"' in page
    for name in ["Qualification", "Proposal", "Won"]:
        assert f'name="stage" value="{stage(name).pk}"' in page
    lost = page.split('class="crm-disqualify"')[1].split("</details>")[0]
    assert f'value="{stage("Lost").pk}"' in lost and 'name="loss_reason"' in lost
    assert 'id="opportunity_form"' in page  # the stock form, folded below
    assert "style=" not in page.split('class="crm-record"')[1].split('id="opportunity_form"')[0]


def test_logging_a_call_with_a_next_action_is_one_post_and_becomes_its_next_step(client, mine):
    due = timezone.localdate() + dt.timedelta(days=2)
    response = client.post(
        log_url(mine),
        {"kind": "meeting", "note": "Demo done", "next_action": "Send the contract", "next_action_due": due},
    )
    assert response.status_code == 302 and response.url == record_url(mine)
    meeting, task = mine.activities.order_by("pk")
    assert (meeting.kind, meeting.subject) == (ActivityKind.MEETING, "Demo done")
    mine.refresh_from_db()
    assert (mine.next_step, mine.next_step_at) == ("Send the contract", task.due_at)
    page = client.get(response.url).content.decode()
    assert "Send the contract" in page.split('class="crm-record-next"')[1].split("</dd>")[0]


def test_a_stage_button_moves_the_deal_through_the_service(client, mine):
    response = client.post(stage_url(mine), {"stage": stage("Proposal").pk})
    assert response.status_code == 302 and response.url == record_url(mine)
    mine.refresh_from_db()
    assert mine.stage == stage("Proposal")
    assert OpportunityStageEntry.objects.filter(opportunity=mine, stage=stage("Proposal")).exists()


def test_lost_takes_its_reason_and_refuses_without_one(client, mine):
    response = client.post(stage_url(mine), {"stage": stage("Lost").pk}, follow=True)
    mine.refresh_from_db()
    assert mine.stage == stage("Qualification")
    assert response.context["messages"]
    reason = LossReason.objects.filter(is_active=True).first()
    client.post(stage_url(mine), {"stage": stage("Lost").pk, "loss_reason": reason.pk})
    mine.refresh_from_db()
    assert (mine.stage, mine.loss_reason, mine.lost_at is not None) == (stage("Lost"), reason, True)


def test_an_open_task_is_done_or_moved_in_one_post(client, mine, signed_in_seller):
    task = services.log_contact(mine, user=signed_in_seller, next_action="Call back").next_task
    client.post(task_url(mine, task), {"move": "next_week"})
    task.refresh_from_db()
    assert timezone.localtime(task.due_at).date() == timezone.localdate() + dt.timedelta(days=7)
    client.post(task_url(mine, task), {"move": "done"})
    task.refresh_from_db()
    mine.refresh_from_db()
    assert task.done_at is not None and mine.next_step_at is None


def test_a_sales_person_cannot_open_or_write_on_a_colleagues_deal(client, signed_in_seller, theirs):
    assert client.get(record_url(theirs)).status_code == 302  # Django's "does not exist" redirect
    task = services.log_contact(theirs, user=theirs.owner, next_action="Theirs").next_task
    assert client.post(log_url(theirs), {"kind": "call", "note": "x"}).status_code == 404
    assert client.post(stage_url(theirs), {"stage": stage("Won").pk}).status_code == 404
    assert client.post(task_url(theirs, task), {"move": "done"}).status_code == 404
    theirs.refresh_from_db()
    assert (theirs.stage, theirs.activities.count()) == (stage("Qualification"), 2)


def test_a_user_who_may_only_view_opportunities_sees_the_page_but_cannot_write(client):
    viewer = UserFactory(username="viewer", is_superuser=False)
    viewer.user_permissions.add(Permission.objects.get(codename="view_opportunity"))
    client.force_login(viewer)
    opportunity = OpportunityFactory(name="Their deal", owner=viewer)  # a viewer sees their own
    page = client.get(record_url(opportunity)).content.decode()
    assert "Their deal" in page and "crm-log-form" not in page and 'name="stage"' not in page
    assert client.post(log_url(opportunity), {"kind": "call"}).status_code == 403
    assert client.post(stage_url(opportunity), {"stage": stage("Won").pk}).status_code == 403


def test_the_writes_are_posts_only(client, mine):
    assert client.get(log_url(mine)).status_code == 405
    assert client.get(stage_url(mine)).status_code == 405


def test_the_record_page_reads_the_same_number_of_queries_for_10_or_200_activities(client, signed_in_seller):
    def queries_for(count: int) -> int:
        opportunity = OpportunityFactory(owner=signed_in_seller)
        Activity.objects.bulk_create(
            Activity(
                kind=ActivityKind.CALL,
                subject=f"Call {n}",
                opportunity=opportunity,
                done_at=timezone.now(),
                owner=signed_in_seller,
            )
            for n in range(count)
        )
        Activity.objects.bulk_create(
            Activity(
                kind=ActivityKind.TASK, subject=f"Task {n}", opportunity=opportunity, due_at=timezone.now()
            )
            for n in range(count // 10)
        )
        with CaptureQueriesContext(connection) as queries:
            page = client.get(record_url(opportunity))
        assert page.content.decode().count("crm-timeline-entry") == count + count // 10
        return len(queries)

    assert queries_for(10) == queries_for(200)

"""A contact's record page (crm/admin/record.py, record_kinds.py): what it shows, its writes,
who may use them."""

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm import services
from crm.models import Activity, ActivityKind

from .factories import ContactFactory, LeadFactory, OpportunityFactory, SalesPersonFactory, UserFactory
from .record_urls import log_url, record_url, task_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def mine(signed_in_seller):
    return ContactFactory(owner=signed_in_seller, first_name="Yael", last_name="Cohen", phone="+972502345678")


@pytest.fixture
def theirs():
    return ContactFactory(owner=SalesPersonFactory(username="colleague"))


def test_the_record_page_shows_the_person_links_to_call_and_write_their_company_and_deals(
    client, mine, signed_in_seller
):
    deal = OpportunityFactory(contact=mine, company=mine.company, owner=signed_in_seller, name="Big deal")
    page = client.get(record_url(mine)).content.decode()
    assert "Yael Cohen" in page
    assert 'href="tel:+972502345678"' in page
    assert f'href="mailto:{mine.email}"' in page
    assert f'<bdi dir="ltr">{mine.email}</bdi>' in page
    assert reverse("admin:crm_company_change", args=[mine.company_id]) in page
    assert reverse("admin:crm_opportunity_change", args=[deal.pk]) in page and "Big deal" in page
    assert reverse("admin:crm_contact_email", args=[mine.pk]) in page
    assert f'action="{log_url(mine)}"' in page
    assert 'id="contact_form"' in page  # the stock form, folded below
    assert "style=" not in page.split('class="crm-record"')[1].split('id="contact_form"')[0]


def test_the_timeline_holds_its_own_its_prospects_and_its_opportunities_activities_newest_first(
    client, mine, signed_in_seller
):
    deal = OpportunityFactory(contact=mine, company=mine.company, owner=signed_in_seller, name="Big deal")
    lead = LeadFactory(contact=mine, assigned_to=signed_in_seller)
    now = timezone.now()
    for subject, on in [("On the lead", {"lead": lead}), ("On the deal", {"opportunity": deal})]:
        services.record_activity(
            Activity(kind=ActivityKind.CALL, subject=subject, done_at=now - dt.timedelta(days=2), **on),
            user=signed_in_seller,
        )
    services.log_contact(mine, user=signed_in_seller, note="On the contact")
    page = client.get(record_url(mine)).content.decode()
    timeline = page.split('class="crm-timeline-entries"')[1]
    assert timeline.index("On the contact") < timeline.index("On the deal")
    assert "On the lead" in timeline
    assert "Big deal" in timeline.split("On the deal")[1].split("</li>")[0]  # where it was logged


def test_logging_a_call_with_a_next_action_is_one_post_on_the_contact(client, mine):
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
    assert (call.kind, call.subject, call.outcome, call.lead_id) == (
        ActivityKind.CALL,
        "Wants a quote",
        "reached",
        None,
    )
    assert (task.subject, timezone.localtime(task.due_at).date()) == ("Send it", due)
    mine.refresh_from_db()
    assert mine.last_contacted_at == call.done_at
    page = client.get(response.url).content.decode()
    assert "Wants a quote" in page
    assert "Send it" in page.split('class="crm-record-next"')[1].split("</dd>")[0]  # its next action


def test_an_invalid_log_is_shown_again_with_what_was_typed(client, mine):
    response = client.post(log_url(mine), {"kind": "task", "note": "Prepare the deck", "next_action_due": ""})
    assert response.status_code == 200
    assert response.context["log_form"].errors == {"next_action_due": ["Donnez une échéance à la tâche."]}
    assert "Prepare the deck" in response.content.decode()
    assert not mine.activities.exists()


def test_an_open_task_is_done_or_moved_in_one_post(client, mine, signed_in_seller):
    task = services.log_contact(mine, user=signed_in_seller, next_action="Call back").next_task
    client.post(task_url(mine, task), {"move": "tomorrow"})
    task.refresh_from_db()
    assert timezone.localtime(task.due_at).date() == timezone.localdate() + dt.timedelta(days=1)
    client.post(task_url(mine, task), {"move": "date", "due": "2031-05-04"})
    task.refresh_from_db()
    assert timezone.localtime(task.due_at).date() == dt.date(2031, 5, 4)
    client.post(task_url(mine, task), {"move": "done"})
    task.refresh_from_db()
    assert task.done_at is not None


def test_a_task_of_another_contact_is_not_found_through_this_one(client, mine, signed_in_seller):
    other = ContactFactory(owner=signed_in_seller)
    task = services.log_contact(other, user=signed_in_seller, next_action="Call back").next_task
    assert client.post(task_url(mine, task), {"move": "done"}).status_code == 404
    task.refresh_from_db()
    assert task.done_at is None


def test_a_sales_person_cannot_open_or_write_on_a_colleagues_contact(client, signed_in_seller, theirs):
    assert client.get(record_url(theirs)).status_code == 302  # Django's "does not exist" redirect
    task = services.log_contact(theirs, user=theirs.owner, next_action="Theirs").next_task
    assert client.post(log_url(theirs), {"kind": "call", "note": "x"}).status_code == 404
    assert client.post(task_url(theirs, task), {"move": "done"}).status_code == 404
    assert theirs.activities.count() == 2
    task.refresh_from_db()
    assert task.done_at is None


def test_a_user_who_may_only_view_contacts_sees_the_page_but_cannot_write(client):
    viewer = UserFactory(username="viewer", is_superuser=False)
    viewer.user_permissions.add(Permission.objects.get(codename="view_contact"))
    client.force_login(viewer)
    contact = ContactFactory(first_name="Dana", owner=viewer)  # theirs: a viewer sees their own
    task = services.log_contact(contact, user=None, next_action="Call back").next_task
    page = client.get(record_url(contact)).content.decode()
    assert "Dana" in page and "crm-log-form" not in page and "crm-task-actions" not in page
    assert client.post(log_url(contact), {"kind": "call"}).status_code == 403
    assert client.post(task_url(contact, task), {"move": "done"}).status_code == 403


def test_the_writes_are_posts_only(client, mine):
    assert client.get(log_url(mine)).status_code == 405


def test_the_record_page_reads_the_same_number_of_queries_for_10_or_200_activities(client, signed_in_seller):
    def queries_for(count: int) -> int:
        contact = ContactFactory(owner=signed_in_seller)
        deal = OpportunityFactory(contact=contact, company=contact.company, owner=signed_in_seller)
        Activity.objects.bulk_create(
            Activity(
                kind=ActivityKind.CALL,
                subject=f"Call {n}",
                contact=contact if n % 2 else None,
                opportunity=None if n % 2 else deal,
                done_at=timezone.now(),
                owner=signed_in_seller,
            )
            for n in range(count)
        )
        Activity.objects.bulk_create(
            Activity(kind=ActivityKind.TASK, subject=f"Task {n}", contact=contact, due_at=timezone.now())
            for n in range(count // 10)
        )
        with CaptureQueriesContext(connection) as queries:
            page = client.get(record_url(contact))
        assert page.content.decode().count("crm-timeline-entry") == count + count // 10
        return len(queries)

    assert queries_for(10) == queries_for(200)

"""A company's record page (crm/admin/record.py, record_kinds.py): its contacts and opportunities,
their activities on its timeline, no quick log (an activity is never on a company)."""

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from crm import services
from crm.models import Activity, ActivityKind

from .factories import CompanyFactory, ContactFactory, OpportunityFactory, SalesPersonFactory, UserFactory
from .record_urls import record_url, task_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def mine(signed_in_seller):
    return CompanyFactory(owner=signed_in_seller, name="Boulangerie Lumière", sector="food")


def test_the_record_page_shows_the_sector_its_contacts_and_its_opportunities(client, mine, signed_in_seller):
    contact = ContactFactory(company=mine, owner=signed_in_seller, first_name="Yael", last_name="Cohen")
    deal = OpportunityFactory(company=mine, contact=contact, owner=signed_in_seller, name="Big deal")
    page = client.get(record_url(mine), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Boulangerie Lumière" in page and "Restaurants / Food" in page
    assert reverse("admin:crm_contact_change", args=[contact.pk]) in page and "Yael Cohen" in page
    assert reverse("admin:crm_opportunity_change", args=[deal.pk]) in page and "Big deal" in page
    assert 'id="company_form"' in page  # the stock form, folded below
    assert "style=" not in page.split('class="crm-record"')[1].split('id="company_form"')[0]


def test_a_company_has_no_quick_log_an_activity_is_logged_on_a_contact_or_a_deal(client, mine):
    page = client.get(record_url(mine)).content.decode()
    assert "crm-log-form" not in page
    with pytest.raises(NoReverseMatch):
        reverse("admin:crm_company_log", args=[mine.pk])


def test_the_timeline_holds_the_activities_of_its_contacts_and_opportunities(client, mine, signed_in_seller):
    contact = ContactFactory(company=mine, owner=signed_in_seller, first_name="Yael", last_name="Cohen")
    deal = OpportunityFactory(company=mine, contact=contact, owner=signed_in_seller, name="Big deal")
    elsewhere = ContactFactory(owner=signed_in_seller)
    services.log_contact(contact, user=signed_in_seller, note="Called Yael")
    services.log_contact(deal, user=signed_in_seller, note="Sent the quote")
    services.log_contact(elsewhere, user=signed_in_seller, note="Another company")
    timeline = client.get(record_url(mine)).content.decode().split('class="crm-timeline-entries"')[1]
    assert timeline.index("Sent the quote") < timeline.index("Called Yael")
    assert "Another company" not in timeline
    assert "Yael Cohen" in timeline.split("Called Yael")[1].split("</li>")[0]  # on whom


def test_an_open_task_of_a_contact_is_done_from_the_company_page(client, mine, signed_in_seller):
    contact = ContactFactory(company=mine, owner=signed_in_seller)
    task = services.log_contact(contact, user=signed_in_seller, next_action="Call back").next_task
    page = client.get(record_url(mine)).content.decode()
    assert f'action="{task_url(mine, task)}"' in page
    client.post(task_url(mine, task), {"move": "done"})
    task.refresh_from_db()
    assert task.done_at is not None


def test_a_sales_person_cannot_open_or_write_on_a_colleagues_company(client, signed_in_seller):
    colleague = SalesPersonFactory(username="colleague")
    theirs = CompanyFactory(owner=colleague)
    task = services.log_contact(
        ContactFactory(company=theirs, owner=colleague), user=colleague, next_action="Theirs"
    ).next_task
    assert client.get(record_url(theirs)).status_code == 302  # Django's "does not exist" redirect
    assert client.post(task_url(theirs, task), {"move": "done"}).status_code == 404
    task.refresh_from_db()
    assert task.done_at is None


def test_a_user_who_may_only_view_companies_sees_the_page_but_cannot_write(client):
    viewer = UserFactory(username="viewer", is_superuser=False)
    viewer.user_permissions.add(Permission.objects.get(codename="view_company"))
    client.force_login(viewer)
    company = CompanyFactory(name="Lumière", owner=viewer)  # theirs: a viewer sees their own
    contact = ContactFactory(company=company, owner=viewer)
    task = services.log_contact(contact, user=None, next_action="Call").next_task
    page = client.get(record_url(company)).content.decode()
    assert "Lumière" in page and "crm-task-actions" not in page
    assert client.post(task_url(company, task), {"move": "done"}).status_code == 403


def test_the_record_page_reads_the_same_number_of_queries_for_10_or_200_activities(client, signed_in_seller):
    def queries_for(count: int) -> int:
        company = CompanyFactory(owner=signed_in_seller)
        contacts = ContactFactory.create_batch(3, company=company, owner=signed_in_seller)
        deal = OpportunityFactory(company=company, contact=contacts[0], owner=signed_in_seller)
        Activity.objects.bulk_create(
            Activity(
                kind=ActivityKind.CALL,
                subject=f"Call {n}",
                contact=contacts[n % 3] if n % 2 else None,
                opportunity=None if n % 2 else deal,
                done_at=timezone.now(),
                owner=signed_in_seller,
            )
            for n in range(count)
        )
        with CaptureQueriesContext(connection) as queries:
            page = client.get(record_url(company))
        assert page.content.decode().count("crm-timeline-entry") == count
        return len(queries)

    assert queries_for(10) == queries_for(200)

"""The rules the activities keep: "overdue" is an open task past its date, never a call or a done
task; a contact's "last contacted" is the latest call, email or meeting of its timeline."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from crm import services
from crm.models import Activity, ActivityKind, Contact
from crm.timeline import record_activities

from .factories import ContactFactory, LeadFactory, OpportunityFactory, UserFactory

pytestmark = pytest.mark.django_db


def record(kind, subject, **fields) -> Activity:
    return services.record_activity(Activity(kind=kind, subject=subject, **fields), user=None)


def timeline_items(client, contact: Contact) -> list[str]:
    page = client.get(reverse("admin:crm_contact_change", args=[contact.pk])).content.decode()
    return page.split('<ol class="crm-timeline-entries">')[1].split("</ol>")[0].split("<li ")[1:]


def test_only_an_open_task_past_its_date_is_red_on_the_contacts_timeline(client, signed_in_boss):
    contact = ContactFactory()
    yesterday = timezone.now() - timedelta(days=1)
    record(ActivityKind.CALL, "Called", contact=contact, done_at=yesterday)
    record(ActivityKind.MEETING, "Met", contact=contact, done_at=yesterday)
    done = record(ActivityKind.TASK, "Done task", contact=contact, due_at=yesterday)
    services.complete_task(done, user=None)
    record(ActivityKind.TASK, "Late task", contact=contact, due_at=yesterday)

    items = timeline_items(client, contact)

    red = [item for item in items if "crm-overdue" in item]
    assert len(items) == 4
    assert len(red) == 1 and "Late task" in red[0]


def test_last_contacted_is_the_latest_call_email_or_meeting_of_the_timeline_opportunities_included():
    opportunity = OpportunityFactory()
    contact = opportunity.contact
    lead = LeadFactory(contact=contact)
    now = timezone.now()
    record(ActivityKind.CALL, "On the contact", contact=contact, done_at=now - timedelta(days=5))
    record(ActivityKind.EMAIL, "On its prospect", lead=lead, done_at=now - timedelta(days=3))
    record(ActivityKind.MEETING, "On its deal", opportunity=opportunity, done_at=now - timedelta(days=1))
    record(ActivityKind.NOTE, "A note is no contact", opportunity=opportunity, done_at=now)

    contact.refresh_from_db()
    contacting = [
        activity.done_at
        for activity in record_activities(contact, signed_in_user())
        if activity.kind in services.CONTACTING_KINDS
    ]
    assert contact.last_contacted_at == max(contacting) == now - timedelta(days=1)


def test_last_contacted_goes_back_when_the_latest_contact_is_deleted():
    opportunity = OpportunityFactory()
    contact = opportunity.contact
    now = timezone.now()
    record(ActivityKind.CALL, "Earlier", contact=contact, done_at=now - timedelta(days=5))
    latest = record(ActivityKind.MEETING, "Latest", opportunity=opportunity, done_at=now - timedelta(days=1))

    latest.delete()
    services.activity_changed(latest, user=None)

    contact.refresh_from_db()
    assert contact.last_contacted_at == now - timedelta(days=5)


def signed_in_user():
    return UserFactory(username="manager", is_superuser=True)

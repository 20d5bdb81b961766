"""An activity carries its lead's owner (`Activity.lead_owner`), kept by the database's triggers
(crm/migrations/0039) whatever writes the lead or the activity: the visibility of activities reads
it, so a copy out of step would show a sales person a colleague's calls, or hide their own."""

import pytest
from django.db import connection
from django.db.models import F, Q

from crm import services
from crm.models import Activity, ActivityKind, Lead

from .factories import ActivityFactory, ContactFactory, LeadFactory, UserFactory

pytestmark = pytest.mark.django_db


def out_of_step() -> list[tuple]:
    """Every activity whose copy is not its lead's owner (NULL on none), read in SQL."""
    differs = Q(lead__isnull=True, lead_owner__isnull=False) | Q(
        lead__isnull=False, lead_owner__isnull=True, lead__assigned_to__isnull=False
    )
    differs |= Q(lead__assigned_to__isnull=True, lead_owner__isnull=False, lead__isnull=False)
    differs |= Q(lead_owner__isnull=False, lead__assigned_to__isnull=False) & ~Q(
        lead_owner=F("lead__assigned_to")
    )
    return list(Activity.objects.filter(differs).values_list("pk", "lead_id", "lead_owner_id"))


def copy_of(activity: Activity) -> int | None:
    return Activity.objects.values_list("lead_owner_id", flat=True).get(pk=activity.pk)


def test_an_activity_is_written_with_its_leads_owner_and_none_without_a_lead():
    seller = UserFactory()
    on_lead = ActivityFactory(lead=LeadFactory(assigned_to=seller))
    on_pool = ActivityFactory(lead=LeadFactory(assigned_to=None))
    on_contact = ActivityFactory(contact=ContactFactory(owner=seller))
    assert (copy_of(on_lead), copy_of(on_pool), copy_of(on_contact)) == (seller.pk, None, None)


def test_the_activities_follow_their_lead_reassigned_one_by_one_in_bulk_and_freed():
    first, second = UserFactory(), UserFactory()
    lead, others = LeadFactory(assigned_to=first), LeadFactory.create_batch(3, assigned_to=None)
    activities = [
        ActivityFactory(lead=lead),
        ActivityFactory(lead=lead, kind=ActivityKind.TASK, done_at=None, due_at=lead.created_at),
    ]
    activities += [ActivityFactory(lead=other) for other in others]

    lead.assigned_to = second
    lead.save()  # the admin's and a service's path
    assert {copy_of(activity) for activity in activities[:2]} == {second.pk}
    services.assign_leads(Lead.objects.filter(pk__in=[other.pk for other in others]), first)  # one UPDATE
    assert {copy_of(activity) for activity in activities[2:]} == {first.pk}
    Lead.objects.filter(pk=lead.pk).update(assigned_to=None)  # set free
    assert {copy_of(activity) for activity in activities[:2]} == {None}
    assert out_of_step() == []


def test_an_activity_moved_to_another_lead_takes_its_owner_and_a_stale_copy_written_back_is_mended():
    first, second = UserFactory(), UserFactory()
    activity = ActivityFactory(lead=LeadFactory(assigned_to=first))
    stale = Activity.objects.get(pk=activity.pk)  # loaded before the reassignment below
    Lead.objects.filter(pk=activity.lead_id).update(assigned_to=second)

    stale.subject = "Called back"
    stale.save()  # writes every column, its lead_owner of before among them
    assert copy_of(activity) == second.pk

    activity.lead = LeadFactory(assigned_to=None)
    activity.save()
    assert copy_of(activity) is None
    Activity.objects.filter(pk=activity.pk).update(lead=LeadFactory(assigned_to=first))
    assert copy_of(activity) == first.pk
    Activity.objects.filter(pk=activity.pk).update(lead_owner=second)  # a write of the copy itself
    assert copy_of(activity) == first.pk


def test_bulk_created_activities_and_a_deleted_sales_persons_are_kept_in_step():
    leaving, staying = UserFactory(), UserFactory()
    theirs = LeadFactory.create_batch(2, assigned_to=leaving)
    Activity.objects.bulk_create(
        [
            Activity(kind=ActivityKind.NOTE, subject="Imported", lead=lead, done_at=lead.created_at)
            for lead in theirs
        ]
        + [
            Activity(
                kind=ActivityKind.NOTE,
                subject="Other",
                lead=LeadFactory(assigned_to=staying),
                done_at=theirs[0].created_at,
            )
        ]
    )
    assert sorted(Activity.objects.values_list("lead_owner_id", flat=True)) == sorted(
        [leaving.pk, leaving.pk, staying.pk]
    )
    leaving.delete()  # their leads' `assigned_to` set to NULL (SET_NULL), their activities' copy with it
    assert Activity.objects.filter(lead__in=theirs, lead_owner__isnull=True).count() == 2
    assert out_of_step() == []


def test_a_raw_sql_reassignment_is_followed_too():
    """The copy is the database's: no Django code runs on this path."""
    seller = UserFactory()
    activity = ActivityFactory(lead=LeadFactory(assigned_to=None))
    with connection.cursor() as cursor:
        cursor.execute("UPDATE leads SET assigned_to_id = %s WHERE id = %s", [seller.pk, activity.lead_id])
    assert copy_of(activity) == seller.pk


def test_the_record_activity_service_keeps_the_copy_of_a_task_planned_on_a_lead():
    seller = UserFactory()
    lead = LeadFactory(assigned_to=seller)
    task = services.record_activity(
        Activity(kind=ActivityKind.TASK, subject="Call back", lead=lead, due_at=lead.created_at), user=seller
    )
    assert copy_of(task) == seller.pk
    assert out_of_step() == []

"""A record's timeline: every activity (and for a prospect every request of its person and brand)
that the user may see, newest first.

One query per kind of row whatever their number (the activities with their owner, records and
email; for a prospect the requests too), merged in Python by date; all go through `crm.visibility`.
Each record page (crm/admin/record.py) asks for its own activities here, so the page, its task
buttons and its tests read the same rows.
"""

import datetime
import heapq
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import F, Model, Q, QuerySet
from django.db.models.functions import Coalesce

from mini_analysis.models import MiniAnalysis

from . import selectors, visibility
from .models import Activity, Company, Contact, Lead, Opportunity

User = AbstractBaseUser | AnonymousUser


@dataclass(frozen=True)
class TimelineEntry:
    """One line of the timeline: an activity or a request, and when it happened (a task: when due).

    `on` is the record the activity is attached to when it is not the page's own (a company's
    timeline shows its contacts' calls): the record itself, shown by its name."""

    when: datetime.datetime
    activity: Activity | None = None
    request: MiniAnalysis | None = None
    on: Model | None = None


def _where(record: Lead | Contact | Company | Opportunity) -> Q:
    """Which activities belong on a record's timeline."""
    if isinstance(record, Lead):
        # The prospect's, and those of the contact and opportunity it became.
        where = Q(lead=record)
        if record.contact_id:
            where |= Q(contact_id=record.contact_id)
        if record.opportunity_id:
            where |= Q(opportunity_id=record.opportunity_id)
        return where
    if isinstance(record, Contact):
        # Its own, its prospects' and its opportunities' (its last contact is read from the same).
        return Q(contact=record) | Q(lead__contact=record) | Q(opportunity__contact=record)
    if isinstance(record, Opportunity):
        # Its own and those of the prospect it came from.
        return Q(opportunity=record) | Q(lead__opportunity=record)
    # A company has no activity of its own: its contacts', their prospects' and its opportunities'.
    return Q(contact__company=record) | Q(lead__contact__company=record) | Q(opportunity__company=record)


def record_activities(record: Lead | Contact | Company | Opportunity, user: User) -> QuerySet[Activity]:
    """The activities of `record`'s timeline that `user` may see, newest first by when they
    happened (a task by its due date, so what is planned leads)."""
    return (
        visibility.visible_activities(user, Activity.objects.filter(_where(record)))
        .select_related("owner", "lead", "contact", "opportunity", "email")
        .annotate(happened_at=Coalesce("done_at", "due_at", "created_at"))
        .order_by(F("happened_at").desc(), "-pk")
    )


def _attached_elsewhere(activity: Activity, record: Model) -> Model | None:
    """The record an activity is on, when the page shows another one (its most specific one)."""
    for on in (activity.opportunity, activity.contact, activity.lead):
        if on is not None:
            return None if on == record else on
    return None


def record_timeline(record: Lead | Contact | Company | Opportunity, user: User) -> list[TimelineEntry]:
    """The record page's timeline, read-only: activities (and a prospect's requests), newest first."""
    activities: Iterable[TimelineEntry] = (
        TimelineEntry(activity.happened_at, activity=activity, on=_attached_elsewhere(activity, record))
        for activity in record_activities(record, user)
    )
    if not isinstance(record, Lead):
        return list(activities)
    requests = visibility.visible_mini_analyses(user, selectors.mini_analyses_of_lead(record))
    requested = (TimelineEntry(request.created_at, request=request) for request in requests)
    return list(heapq.merge(activities, requested, key=lambda entry: entry.when, reverse=True))


def next_open_task(timeline: list[TimelineEntry]) -> Activity | None:
    """The earliest open task of a timeline: the next action of a record that keeps none itself
    (a contact, a company), read from the rows already on the page."""
    tasks = [
        entry.activity for entry in timeline if entry.activity is not None and entry.activity.is_open_task
    ]
    return min(tasks, key=lambda task: (task.due_at, task.pk), default=None)

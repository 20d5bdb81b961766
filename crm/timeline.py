"""A prospect's timeline: every activity and every request of its person and brand, newest first.

Two queries whatever their number (the activities with their owner, the requests), merged in
Python by date; both go through `crm.visibility`.
"""

import datetime
import heapq
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Coalesce

from mini_analysis.models import MiniAnalysis

from . import selectors, visibility
from .models import Activity, Lead


@dataclass(frozen=True)
class TimelineEntry:
    """One line of the timeline: an activity or a request, and when it happened (a task: when due)."""

    when: datetime.datetime
    activity: Activity | None = None
    request: MiniAnalysis | None = None


def lead_activities(lead: Lead, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Activity]:
    """The activities of the lead and of the contact and opportunity it became that `user` may
    see, newest first by when they happened (a task by its due date, so what is planned leads)."""
    where = Q(lead=lead)
    if lead.contact_id:
        where |= Q(contact_id=lead.contact_id)
    if lead.opportunity_id:
        where |= Q(opportunity_id=lead.opportunity_id)
    return (
        visibility.visible_activities(user, Activity.objects.filter(where))
        .select_related("owner")
        .annotate(happened_at=Coalesce("done_at", "due_at", "created_at"))
        .order_by(F("happened_at").desc(), "-pk")
    )


def lead_timeline(lead: Lead, user: AbstractBaseUser | AnonymousUser) -> list[TimelineEntry]:
    """The record page's timeline, read-only: activities and requests, newest first."""
    activities = (
        TimelineEntry(activity.happened_at, activity=activity) for activity in lead_activities(lead, user)
    )
    requests = visibility.visible_mini_analyses(user, selectors.mini_analyses_of_lead(lead))
    requested = (TimelineEntry(request.created_at, request=request) for request in requests)
    return list(heapq.merge(activities, requested, key=lambda entry: entry.when, reverse=True))

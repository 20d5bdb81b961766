"""Activities (calls, emails, meetings, notes, tasks) and what they keep up to date: each
record's next action (its earliest open task) and last contact.
"""

import datetime
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import Max, Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ..locks import lock_leads
from ..models import (
    Activity,
    ActivityKind,
    Contact,
    Lead,
    Opportunity,
)
from .common import PipelineError, model_update

# Logged activities that count as contacting the person (a note does not).
CONTACTING_KINDS = [ActivityKind.CALL, ActivityKind.EMAIL, ActivityKind.MEETING]
# A next action given a day but no time is due that morning, local time.
DUE_HOUR = 9
SUBJECT_LENGTH = Activity._meta.get_field("subject").max_length
# The field of `Activity` that points to each kind of record an activity can be logged on.
LOGGED_ON = {Lead: "lead", Contact: "contact", Opportunity: "opportunity"}


@dataclass(frozen=True)
class LoggedContact:
    activity: Activity
    next_task: Activity | None


def due_on(day: datetime.date) -> datetime.datetime:
    """A day's due time (`DUE_HOUR`, the current time zone)."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(DUE_HOUR)))


def log_contact(
    record: Lead | Contact | Opportunity,
    *,
    user: AbstractBaseUser | None,
    kind: str = ActivityKind.CALL,
    note: str = "",
    outcome: str = "",
    next_action: str = "",
    next_action_due: datetime.datetime | None = None,
    at: datetime.datetime | None = None,
) -> LoggedContact:
    """The record page's one submit: what was done (dated now unless `at`) and, when given, what
    comes next (a task due `next_action_due`, default tomorrow morning), in one transaction, so
    the record's next action and last contact follow both or neither. `record` is the prospect,
    contact or opportunity both activities are on (an activity has no company).

    A task logged here is planned, not done: due `at`, or `next_action_due`.
    """
    on = {LOGGED_ON[type(record)]: record}
    note = note.strip()
    subject = _subject(note) or str(ActivityKind(kind).label)
    activity = Activity(
        kind=kind,
        subject=subject,
        body=note if note != subject else "",
        outcome="" if kind in (ActivityKind.TASK, ActivityKind.NOTE) else outcome,
        **on,
    )
    if kind == ActivityKind.TASK:
        activity.due_at = at or next_action_due
        if activity.due_at is None:
            raise PipelineError(_("Give the task a due date."))
    else:
        activity.done_at = at
    next_task = None
    if next_action := next_action.strip():
        due = next_action_due or due_on(timezone.localdate() + datetime.timedelta(days=1))
        next_task = Activity(kind=ActivityKind.TASK, subject=_subject(next_action), due_at=due, **on)
    with transaction.atomic():
        record_activity(activity, user=user)
        if next_task is not None:
            record_activity(next_task, user=user)
    return LoggedContact(activity, next_task)


def _subject(text: str) -> str:
    """A note's first line, cut to the subject's length (the whole note stays in the body)."""
    first_line = text.strip().split("\n", 1)[0].strip()
    if len(first_line) <= SUBJECT_LENGTH:
        return first_line
    return first_line[: SUBJECT_LENGTH - 1] + "…"


def record_activity(
    activity: Activity, *, user: AbstractBaseUser | None, now: datetime.datetime | None = None
) -> Activity:
    """Save a logged or planned activity and bring its records' next action and last contact up to date.

    `now` is the clock (default: the present): a logged activity without a date happened then, and
    a new one was written then (the demo data tells a past with it)."""
    activity.date_if_logged(now)
    if activity.pk is None:
        if now is not None:
            activity.created_at = now
        activity.created_by = user
        if activity.owner_id is None:
            activity.owner = user
    with transaction.atomic():
        # The lead it is on, and the one it leaves if it moves (refreshed by the caller after).
        stored = Activity.objects.filter(pk=activity.pk) if activity.pk else Activity.objects.none()
        lock_leads([activity.lead_id, *stored.values_list("lead_id", flat=True)])
        activity.save()
        activity_changed(activity, user=user)
    return activity


def complete_task(
    activity: Activity, *, user: AbstractBaseUser | None, now: datetime.datetime | None = None
) -> Activity:
    """Mark a planned task done (at `now`, default the present): the next action moves on to the
    following open task."""
    if activity.done_at is None:
        activity.done_at = now or timezone.now()
        with transaction.atomic():
            lock_leads([activity.lead_id])
            activity.save(update_fields=["done_at"])
            activity_changed(activity, user=user)
    return activity


def reschedule_task(activity: Activity, *, user: AbstractBaseUser | None, due_at) -> Activity:
    """Move an open task to another date: the next action follows (it is the earliest open task)."""
    if activity.done_at is None and activity.due_at != due_at:
        activity.due_at = due_at
        with transaction.atomic():
            lock_leads([activity.lead_id])
            activity.save(update_fields=["due_at"])
            activity_changed(activity, user=user)
    return activity


def delete_activities(activities, *, user: AbstractBaseUser | None) -> int:
    """Delete activities; the next actions and last contacts of their records are recomputed."""
    activities = list(activities)
    with transaction.atomic():
        lock_leads(activity.lead_id for activity in activities)
        for activity in activities:
            activity.delete()
            activity_changed(activity, user=user)
    return len(activities)


def activity_changed(activity: Activity, *, user: AbstractBaseUser | None) -> None:
    """What follows from an activity written or deleted: next actions and last contacts."""
    if activity.lead_id:
        refresh_next_action(lead=Lead(pk=activity.lead_id), user=user)
    if activity.opportunity_id:
        refresh_next_action(opportunity=Opportunity(pk=activity.opportunity_id), user=user)
    # Every contact whose timeline shows the activity: its own, its lead's, its opportunity's.
    contact_ids = {activity.contact_id}
    if activity.lead_id:
        contact_ids.add(Lead.objects.filter(pk=activity.lead_id).values_list("contact_id", flat=True).first())
    if activity.opportunity_id:
        contact_ids.add(
            Opportunity.objects.filter(pk=activity.opportunity_id)
            .values_list("contact_id", flat=True)
            .first()
        )
    for contact_id in sorted(contact_id for contact_id in contact_ids if contact_id):
        refresh_contact_last_contacted(contact_id, user)


@transaction.atomic
def refresh_next_action(
    *, lead: Lead | None = None, opportunity: Opportunity | None = None, user: AbstractBaseUser | None = None
) -> None:
    """The next action of a lead or an opportunity is its earliest open task (and the first and last
    contacts of a lead its earliest and latest call, email or meeting); saved only when it changed,
    so the history shows real changes."""
    if lead is not None:
        lead = Lead.objects.select_for_update().get(pk=lead.pk)
        task = _next_task(Q(lead=lead))
        contacts = lead.activities.filter(kind__in=CONTACTING_KINDS).aggregate(
            first=Min("done_at"), last=Max("done_at")
        )
        values = {
            "next_action": task.subject if task else "",
            "next_action_at": task.due_at if task else None,
            "last_contacted_at": contacts["last"],
            "first_contacted_at": contacts["first"],
        }
        model_update(lead, values, user=user, reason="activity")
    if opportunity is not None:
        opportunity = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
        task = _next_task(Q(opportunity=opportunity))
        values = {"next_step": task.subject if task else "", "next_step_at": task.due_at if task else None}
        model_update(opportunity, values, user=user, reason="activity")


def _next_task(where: Q) -> Activity | None:
    open_tasks = Activity.objects.filter(where, kind=ActivityKind.TASK, done_at__isnull=True)
    return open_tasks.order_by("due_at", "pk").first()


@transaction.atomic
def refresh_contact_last_contacted(
    contact_id: int, user: AbstractBaseUser | None
) -> datetime.datetime | None:
    """A contact was last contacted at the latest call, email or meeting of its timeline: on it, on
    its leads or on its opportunities (`timeline.record_activities`' rows, whoever may see them)."""
    contact = Contact.objects.select_for_update().get(pk=contact_id)
    last = Activity.objects.filter(
        Q(contact_id=contact_id) | Q(lead__contact_id=contact_id) | Q(opportunity__contact_id=contact_id),
        kind__in=CONTACTING_KINDS,
    ).aggregate(last=Max("done_at"))["last"]
    model_update(contact, {"last_contacted_at": last}, user=user, reason="activity")
    return last


def hand_over_open_tasks(lead: Lead, *, user: AbstractBaseUser | None) -> int:
    """A converted lead's open tasks move to what it became (its opportunity, and its contact), so
    the work goes on where the deal is, and leaves the queue with it if the deal is lost; the lead
    keeps its logged history. Returns how many moved."""
    moved = Activity.objects.filter(lead=lead, kind=ActivityKind.TASK, done_at__isnull=True).update(
        lead=None, contact=lead.contact_id, opportunity=lead.opportunity_id
    )
    refresh_next_action(lead=lead, opportunity=lead.opportunity, user=user)
    lead.refresh_from_db(fields=["next_action", "next_action_at"])
    if lead.contact_id:
        refresh_contact_last_contacted(lead.contact_id, user)
    return moved

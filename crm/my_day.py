"""My day: one person's task queue, in the order they work it: overdue tasks, the tasks due later
today, and their open prospects with no next action.

`my_day(user, owner=..., now=...)` reads; the admin page (`crm.admin.my_day`) only lays it out.
Every row comes from `crm.visibility` (`visible_activities`, `visible_leads`). A sales person's
queue is always their own; a manager (`visibility.sees_everything`) picks a person, the tasks
nobody owns, or everyone (`resolve_owner`).

A task is in the queue while it is open (a task, not done) and the work it is about is still
alive (`queue_tasks`): not on a disqualified prospect nor on a lost opportunity.
"Overdue" is due before now, the dashboard's overdue count; "today" is the rest of the local day
(`settings.TIME_ZONE`), so the three groups never share a row.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Count, Q, QuerySet, Window
from django.utils import timezone

from . import visibility
from .models import Activity, ActivityKind, Lead, LeadStage

# At most this many rows a group (a morning's work); the group's count says how many there are.
ROWS_PER_GROUP = 50
# What a row shows, and no more: a prospect row carries 40 columns, some of them long texts.
TASK_ROW_RELATED = ["lead", "contact", "opportunity", "owner"]
TASK_ROW_FIELDS = [
    "kind",
    "subject",
    "due_at",
    "done_at",
    *TASK_ROW_RELATED,
    "lead__brand_name",
    "contact__first_name",
    "contact__last_name",
    "contact__email",
    "opportunity__name",
    "owner__username",
]
LEAD_ROW_FIELDS = [
    "brand_name",
    "email",
    "phone",
    "stage",
    "created_at",
    "assigned_to",
    "assigned_to__username",
]
# The prospects still being worked: a converted or disqualified one needs no next action.
OPEN_LEAD_STAGES = [LeadStage.NEW, LeadStage.ATTEMPTING, LeadStage.CONNECTED, LeadStage.QUALIFIED]
EVERYONE = "all"
NOBODY = "none"


def queue_tasks(activities: QuerySet[Activity] | None = None) -> QuerySet[Activity]:
    """The open tasks that still ask for work: those of a disqualified prospect or of a lost deal
    are over with it (the dashboard's overdue count reads the same rule). A converted prospect's
    open tasks moved to its deal at conversion (`services.hand_over_open_tasks`); one planned on it
    since was planned on purpose, and stays."""
    activities = Activity.objects.all() if activities is None else activities
    return activities.filter(kind=ActivityKind.TASK, done_at__isnull=True).exclude(
        Q(lead__stage=LeadStage.DISQUALIFIED) | Q(opportunity__stage__is_lost=True)
    )


@dataclass(frozen=True)
class Owner:
    """Whose queue: a user, nobody (tasks without an owner), or everyone (`user` None for both)."""

    user: AbstractBaseUser | None
    everyone: bool = False

    @property
    def value(self) -> str:
        """The `owner` GET parameter that asks for this queue."""
        if self.everyone:
            return EVERYONE
        return str(self.user.pk) if self.user is not None else NOBODY


def resolve_owner(user: AbstractBaseUser, requested: str | None) -> Owner:
    """Whose queue `user` sees when asking for `requested` (the `owner` GET parameter).

    A sales person sees their own whatever they ask; a manager their own by default, or the person,
    nobody (`none`) or everyone (`all`) asked for. An unknown account is the manager's own.
    """
    if not visibility.sees_everything(user) or not requested:
        return Owner(user)
    if requested == EVERYONE:
        return Owner(None, everyone=True)
    if requested == NOBODY:
        return Owner(None)
    if requested.isdigit():
        other = get_user_model().objects.filter(pk=int(requested), is_staff=True).first()
        if other is not None:
            return Owner(other)
    return Owner(user)


@dataclass
class MyDay:
    owner: Owner
    now: datetime
    today: date
    overdue: list[Activity] = field(default_factory=list)
    overdue_count: int = 0
    due_today: list[Activity] = field(default_factory=list)
    due_today_count: int = 0
    no_next_action: list[Lead] = field(default_factory=list)
    no_next_action_count: int = 0


def start_of_day(day: date) -> datetime:
    """Local midnight of `day` (the current time zone), as an aware datetime."""
    return timezone.make_aware(datetime.combine(day, time.min))


def owner_tasks(user: AbstractBaseUser, owner: Owner) -> QuerySet[Activity]:
    """The queue's tasks of `owner` among those `user` may see."""
    tasks = queue_tasks(visibility.visible_activities(user))
    if owner.everyone:
        return tasks
    return tasks.filter(owner=owner.user) if owner.user is not None else tasks.filter(owner__isnull=True)


def owner_leads_without_next_action(user: AbstractBaseUser, owner: Owner) -> QuerySet[Lead]:
    """`owner`'s open prospects with no open task, among those `user` may see (everyone: the
    assigned ones; nobody: the unassigned pool)."""
    leads = visibility.visible_leads(user).filter(stage__in=OPEN_LEAD_STAGES, next_action_at__isnull=True)
    if owner.everyone:
        return leads.filter(assigned_to__isnull=False)
    return leads.filter(assigned_to=owner.user) if owner.user is not None else leads.filter(assigned_to=None)


def my_day(user: AbstractBaseUser, *, owner: Owner | None = None, now: datetime | None = None) -> MyDay:
    """The queue of `owner` (default: `user`'s own) as `user` may see it, as of `now`.

    Four queries whatever the table sizes: each group's first rows (the tasks' with their count),
    and the prospects' count.
    """
    owner = owner or Owner(user)
    now = now or timezone.now()
    today = timezone.localdate(now)
    tomorrow = start_of_day(today + timedelta(days=1))
    tasks = owner_tasks(user, owner)
    overdue, overdue_count = _first_rows(tasks.filter(due_at__lt=now))
    due_today, due_today_count = _first_rows(tasks.filter(due_at__gte=now, due_at__lt=tomorrow))
    leads = owner_leads_without_next_action(user, owner)
    return MyDay(
        owner=owner,
        now=now,
        today=today,
        overdue=overdue,
        overdue_count=overdue_count,
        due_today=due_today,
        due_today_count=due_today_count,
        no_next_action=list(
            leads.select_related("assigned_to")
            .only(*LEAD_ROW_FIELDS)
            .order_by("-created_at", "-pk")[:ROWS_PER_GROUP]
        ),
        no_next_action_count=leads.count(),
    )


def _first_rows(tasks: QuerySet[Activity]) -> tuple[list[Activity], int]:
    """A group's first rows by due date, and how many it has: one query (`COUNT(*) OVER ()` is
    counted before the LIMIT)."""
    rows = list(
        tasks.select_related(*TASK_ROW_RELATED)
        .only(*TASK_ROW_FIELDS)
        .annotate(group_count=Window(Count("pk")))
        .order_by("due_at", "pk")[:ROWS_PER_GROUP]
    )
    return rows, rows[0].group_count if rows else 0


def rescheduled(due_at: datetime, *, days: int, now: datetime | None = None) -> datetime:
    """A task moved to `days` after today, at the time of day it was due (local time)."""
    today = timezone.localdate(now or timezone.now())
    at = timezone.localtime(due_at).time().replace(tzinfo=None)
    return timezone.make_aware(datetime.combine(today + timedelta(days=days), at))

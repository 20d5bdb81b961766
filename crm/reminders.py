"""Reminders: each sales person's morning digest and the alert before a task (`send_reminders`).

One round is a handful of set-based queries whatever the number of people: who is due (their local
time is past 08:00 on a working day of their time zone and they have no digest for that day), the
claim (rows inserted under a unique constraint: a second worker, a restart or a second round inserts
nothing, so nobody gets two), what each digest lists (two queries for everyone), then one SMTP
connection. A failed email keeps its row, unsent with the error, and is tried again by later rounds
of the same morning (`RETRIES`).

Run by the worker's scheduler every few minutes (`mini_analysis.worker`) and by hand with
`manage.py send_reminders`: both call `send_reminders`, safe to run any number of times.
"""

import logging
import uuid
import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db.models import Case, Count, DateTimeField, F, Max, Q, Value, When, Window
from django.db.models.functions import RowNumber
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .assignment import sales_people
from .models import Activity, ActivityKind, Lead, Reminder, ReminderKind, SalesProfile

logger = logging.getLogger(__name__)

DIGEST_AT = time(8, 0)
ALERT_BEFORE = timedelta(minutes=15)
RETRIES = 3
RETRY_WITHIN = timedelta(hours=2)  # a morning's digest is not worth sending in the afternoon
LISTED = 20  # rows of each kind an email lists; the counts say how many there are in all
# Days off (Monday = 0) by time zone: Friday and Saturday in Israel, else Saturday and Sunday.
WEEKEND = {"Asia/Jerusalem": {4, 5}, "Asia/Tel_Aviv": {4, 5}}
DEFAULT_WEEKEND = {5, 6}


@dataclass
class RoundResult:
    digests: int = 0  # emails sent
    alerts: int = 0
    empty: int = 0  # digests with nothing to say: recorded, not sent
    failed: dict[int, str] = field(default_factory=dict)  # reminder id -> error


def send_reminders(*, now: datetime | None = None) -> RoundResult:
    """One round: the digests and task alerts due at `now` (default: the present)."""
    now = now or timezone.now()
    result = RoundResult()
    people = {user.pk: user for user in sales_people().select_related("sales_profile")}
    claim = uuid.uuid4()
    _claim_digests(people, now, claim)
    _claim_alerts(people, now, claim)
    mine = list(_claimed(claim, now).select_related("activity__lead", "activity__opportunity"))
    digests = [row for row in mine if row.kind == ReminderKind.DIGEST]
    contents = _digest_contents(digests, people, now)
    messages = []
    for row in mine:
        user = people.get(row.user_id)
        if user is None or not user.email:
            result.empty += 1
            continue
        content = contents.get(row.pk) if row.kind == ReminderKind.DIGEST else None
        if row.kind == ReminderKind.DIGEST and not content:
            result.empty += 1
            continue
        with translation.override(_language(user)):
            message = _digest_email(user, content) if content else _alert_email(user, row.activity)
        messages.append((row, message))
    sent_ids = _send(messages, result)
    handled = [row.pk for row in mine if row.pk not in result.failed]
    Reminder.objects.filter(pk__in=handled).update(sent_at=now, error="")
    for pk, error in result.failed.items():
        Reminder.objects.filter(pk=pk).update(error=error[:500])  # rare: one query per failure
    kinds = {row.pk: row.kind for row in mine}
    result.digests = sum(kinds[pk] == ReminderKind.DIGEST for pk in sent_ids)
    result.alerts = sum(kinds[pk] == ReminderKind.TASK for pk in sent_ids)
    return result


def local_zone(user) -> zoneinfo.ZoneInfo:
    profile = getattr(user, "sales_profile", None)
    return zoneinfo.ZoneInfo((profile and profile.time_zone) or settings.TIME_ZONE)


def digest_day(user, now: datetime) -> date | None:
    """The local day whose digest `user` is due at `now`: past 08:00 on a working day, with the
    digest turned on; None otherwise."""
    profile = getattr(user, "sales_profile", None)
    if profile is not None and not profile.daily_digest:
        return None
    zone = local_zone(user)
    local = now.astimezone(zone)
    if local.time() < DIGEST_AT or local.weekday() in WEEKEND.get(zone.key, DEFAULT_WEEKEND):
        return None
    return local.date()


def _claim_digests(people: dict, now: datetime, claim: uuid.UUID) -> None:
    rows = [
        Reminder(user_id=pk, kind=ReminderKind.DIGEST, day=day, claim=claim, created_at=now)
        for pk, user in people.items()
        if (day := digest_day(user, now)) is not None
    ]
    Reminder.objects.bulk_create(rows, ignore_conflicts=True)


def _claim_alerts(people: dict, now: datetime, claim: uuid.UUID) -> None:
    wanting = [
        pk
        for pk, user in people.items()
        if getattr(getattr(user, "sales_profile", None), "task_alerts", False)
    ]
    tasks = Activity.objects.filter(
        owner_id__in=wanting,
        kind=ActivityKind.TASK,
        done_at__isnull=True,
        due_at__gt=now,
        due_at__lte=now + ALERT_BEFORE,
    ).values_list("pk", "owner_id", "due_at")
    rows = [
        Reminder(
            user_id=owner, kind=ReminderKind.TASK, activity_id=pk, day=due.date(), claim=claim, created_at=now
        )
        for pk, owner, due in tasks
    ]
    Reminder.objects.bulk_create(rows, ignore_conflicts=True)


def _claimed(claim: uuid.UUID, now: datetime):
    """The rows this round sends: those it inserted, and earlier failures of the morning not sent
    yet. The UPDATE takes them over in one statement, so two rounds never both take one."""
    Reminder.objects.filter(
        # Ours; or an earlier round's that failed, or that died before it could say (5 minutes on).
        Q(claim=claim)
        | Q(created_at__gte=now - RETRY_WITHIN, error__gt="")
        | Q(created_at__gte=now - RETRY_WITHIN, created_at__lt=now - timedelta(minutes=5)),
        sent_at__isnull=True,
        attempts__lt=RETRIES,
    ).update(claim=claim, attempts=F("attempts") + 1)
    return Reminder.objects.filter(claim=claim, sent_at__isnull=True)


def _digest_contents(rows: list[Reminder], people: dict, now: datetime) -> dict[int, dict]:
    """What each digest lists, for everyone at once: overdue and due-today tasks (counted, the
    first `LISTED` of each listed) and the prospects assigned since their last digest."""
    if not rows:
        return {}
    bounds = {}
    for row in rows:
        zone = local_zone(people[row.user_id])
        start = datetime.combine(row.day, time(0), zone)
        bounds[row.user_id] = (start, start + timedelta(days=1))
    day_start = _per_owner("owner_id", {pk: start for pk, (start, _end) in bounds.items()})
    day_end = _per_owner("owner_id", {pk: end for pk, (_start, end) in bounds.items()})
    tasks = (
        Activity.objects.filter(owner_id__in=bounds, kind=ActivityKind.TASK, done_at__isnull=True)
        .annotate(day_start=day_start, day_end=day_end)
        .filter(due_at__lt=F("day_end"))
    )
    listed = (
        tasks.annotate(
            rank=Window(
                RowNumber(), partition_by=[F("owner_id")], order_by=[F("due_at").asc(), F("pk").asc()]
            )
        )
        .filter(rank__lte=LISTED)
        .select_related("lead", "contact", "opportunity")
    )
    counts = {
        row["owner_id"]: row
        for row in tasks.values("owner_id").annotate(
            overdue=Count("pk", filter=Q(due_at__lt=F("day_start"))),
            today=Count("pk", filter=Q(due_at__gte=F("day_start"))),
        )
    }
    since = _last_digests(bounds, now)
    new_leads = (
        Lead.objects.filter(assigned_to_id__in=bounds)
        .annotate(since=_per_owner("assigned_to_id", since))
        .filter(created_at__gt=F("since"))
        .annotate(
            rank=Window(RowNumber(), partition_by=[F("assigned_to_id")], order_by=[F("created_at").desc()])
        )
        .filter(rank__lte=LISTED)
    )
    contents = {
        row.pk: {"overdue": [], "today": [], "leads": [], "counts": counts.get(row.user_id, {})}
        for row in rows
    }
    by_user = {row.user_id: contents[row.pk] for row in rows}
    for task in listed:
        start = bounds[task.owner_id][0]
        by_user[task.owner_id]["overdue" if task.due_at < start else "today"].append(task)
    for lead in new_leads:
        by_user[lead.assigned_to_id]["leads"].append(lead)
    return {
        pk: content
        for pk, content in contents.items()
        if content["overdue"] or content["today"] or content["leads"]
    }


def _last_digests(bounds: dict, now: datetime) -> dict[int, datetime]:
    """When each person's previous digest was written; a first digest looks back one day."""
    last = dict(
        Reminder.objects.filter(kind=ReminderKind.DIGEST, user_id__in=bounds, sent_at__isnull=False)
        .values_list("user_id")
        .annotate(last=Max("created_at"))
    )
    return {pk: last.get(pk, now - timedelta(days=1)) for pk in bounds}


def _per_owner(column: str, values: dict[int, datetime]) -> Case:
    """A moment per person, as one SQL expression: the rows of everybody in one query."""
    groups: dict[datetime, list[int]] = {}
    for pk, value in values.items():
        groups.setdefault(value, []).append(pk)
    whens = [When(**{f"{column}__in": pks}, then=Value(value)) for value, pks in groups.items()]
    return Case(*whens, output_field=DateTimeField())


def _language(user) -> str:
    profile = getattr(user, "sales_profile", None)
    return (profile and profile.language) or settings.LANGUAGE_CODE


def _link(name: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(name)


def _digest_email(user, content: dict) -> EmailMultiAlternatives:
    counts = content["counts"]
    context = {
        "user": user,
        "name": user.get_full_name() or user.get_username(),
        "overdue": content["overdue"],
        "today": content["today"],
        "leads": content["leads"],
        "overdue_count": counts.get("overdue", 0),
        "today_count": counts.get("today", 0),
        "my_day_url": _link("admin:crm_my_day"),
        "site_url": settings.SITE_URL.rstrip("/"),
        "zone": local_zone(user),
    }
    subject = ngettext(
        "Your day: %(overdue)s overdue, %(today)s due today, %(new)s new prospect",
        "Your day: %(overdue)s overdue, %(today)s due today, %(new)s new prospects",
        len(content["leads"]),
    ) % {
        "overdue": context["overdue_count"],
        "today": context["today_count"],
        "new": len(content["leads"]),
    }
    return _email(user, subject, "crm/email/digest", context)


def _alert_email(user, task: Activity) -> EmailMultiAlternatives:
    context = {
        "name": user.get_full_name() or user.get_username(),
        "task": task,
        "my_day_url": _link("admin:crm_my_day"),
        "zone": local_zone(user),
    }
    subject = _("In 15 minutes: %(task)s") % {"task": " ".join(task.subject.split())}
    return _email(user, subject, "crm/email/task_alert", context)


def _email(user, subject: str, template: str, context: dict) -> EmailMultiAlternatives:
    with timezone.override(context["zone"]):
        text = render_to_string(f"{template}.txt", context)
        html = render_to_string(f"{template}.html", context)
    message = EmailMultiAlternatives(" ".join(subject.split()), text, None, [user.email])
    message.attach_alternative(html, "text/html")
    return message


def _send(messages: list[tuple[Reminder, EmailMultiAlternatives]], result: RoundResult) -> list[int]:
    """Every email on one connection; a failure is kept on its row, the others still go."""
    sent = []
    if not messages:
        return sent
    connection = get_connection()
    try:
        connection.open()
        for row, message in messages:
            message.connection = connection
            try:
                message.send()
                sent.append(row.pk)
            except Exception as error:  # an SMTP refusal, a dropped connection: kept, tried again
                logger.warning("[REMINDER] Email to user %s failed: %s", row.user_id, error)
                result.failed[row.pk] = repr(error)
    except Exception as error:
        logger.warning("[REMINDER] Mail server unavailable: %s", error)
        result.failed.update({row.pk: repr(error) for row, _message in messages if row.pk not in sent})
    finally:
        connection.close()
    return sent


__all__ = ["SalesProfile", "digest_day", "send_reminders"]

"""Fair automatic assignment of new leads (`CRM_AUTO_ASSIGN`).

The rule: a new lead goes to the eligible sales person whose last automatic lead is the oldest
(never having had one counts as oldest; ties go to the oldest account). Eligible means an active
user in the "Sales" group whose profile is not marked away. Among them, those who speak the lead's
language are preferred; when nobody eligible speaks it, every eligible person is in the pool. When
nobody is eligible, the lead stays unassigned (logged) for someone to take it by hand.

Least-recently-assigned is round-robin that survives changes to the team: a newcomer or someone back
from leave gets the next lead, once, then waits their turn like everyone else; nobody "catches up" a
burst of leads. Manual assignments do not take a turn: the rotation shares the automatic flow.

Race-free: the whole eligible team's profiles are locked (`SELECT … FOR UPDATE`, in primary key order
so that two assignments cannot deadlock) before the turns are read, so two leads created at once are
assigned one after the other, the second seeing the first's turn. Turns are a counter, not a clock, so
servers whose clocks differ cannot reorder them.
"""

import logging
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import DatabaseError, transaction
from django.db.models import F, Max

from .models import SPOKEN_LANGUAGE_FIELDS, Lead, SalesProfile
from .tasks import notify_assignee

logger = logging.getLogger(__name__)

SALES_GROUP = "Sales"


def sales_people():
    """Active members of the "Sales" group (a queryset of users)."""
    return get_user_model().objects.filter(is_active=True, groups__name=SALES_GROUP)


def choose_assignee(language: str) -> AbstractBaseUser | None:
    """Take the next turn of the round-robin for a lead in `language`; None when nobody is eligible.

    Takes the turn (the chosen person's `last_turn` moves to the back of the queue), so call it only
    for a lead that will be assigned, inside the transaction that assigns it.
    """
    with transaction.atomic():
        _create_missing_profiles()
        eligible = SalesProfile.objects.filter(user__in=sales_people(), is_away=False)
        # Lock first, read the turns after: PostgreSQL sorts before it waits for a lock, so an
        # ORDER BY in the locking query could rank by turns that the lock holder has just changed.
        locked = list(eligible.select_for_update().order_by("pk").values_list("pk", flat=True))
        if not locked:
            return None
        pool = team = SalesProfile.objects.filter(pk__in=locked)
        if (spoken := SPOKEN_LANGUAGE_FIELDS.get(language)) and team.filter(**{spoken: True}).exists():
            pool = team.filter(**{spoken: True})
        chosen = pool.select_related("user").order_by(F("last_turn").asc(nulls_first=True), "user_id").first()
        latest_turn = SalesProfile.objects.aggregate(latest=Max("last_turn"))["latest"] or 0
        chosen.last_turn = latest_turn + 1
        chosen.save(update_fields=["last_turn"])
        return chosen.user


def auto_assign(lead: Lead) -> AbstractBaseUser | None:
    """Assign a new lead by the round-robin when `CRM_AUTO_ASSIGN` is on, and tell the assignee.

    Runs in the transaction that creates the lead; the email is enqueued only once it commits. An
    assignment that fails leaves the lead unassigned (logged) and never loses the lead itself.
    """
    if not settings.CRM_AUTO_ASSIGN or lead.assigned_to_id is not None:
        return None
    try:
        with transaction.atomic():
            assignee = choose_assignee(lead.language)
            if assignee is None:
                logger.warning("[UNASSIGNED] No sales person available for lead %s", lead.pk)
                return None
            lead.assigned_to = assignee
            lead.save(update_fields=["assigned_to"])
    except DatabaseError:
        lead.assigned_to = None
        logger.exception("[ERROR] Automatic assignment failed for lead %s", lead.pk)
        return None
    logger.info("[ASSIGNED] Lead %s assigned to user %s", lead.pk, assignee.pk)
    # After the commit: the worker must find the lead, and a rollback must send nothing. `robust`:
    # a queue that fails to take the task is logged, and the visitor's request still succeeds.
    transaction.on_commit(partial(notify_assignee.enqueue, lead.pk, assignee.pk), robust=True)
    return assignee


def _create_missing_profiles() -> None:
    """Give every sales person a profile, so that nobody added to the group is silently skipped."""
    missing = sales_people().filter(sales_profile__isnull=True).values_list("pk", flat=True)
    if missing_ids := list(missing):
        SalesProfile.objects.bulk_create(
            [SalesProfile(user_id=user_id) for user_id in missing_ids], ignore_conflicts=True
        )

"""The CRM's business rules, in one place: the signal, the backfill, the API and the admin call these.

- A lead is one person and one brand: `identity_key` (email, brand name, trimmed and
  case-insensitive) is the dedupe key, guarded by a unique constraint on `Lead`.
- A lead follows the newest mini-analysis of its person and brand: status, PDF and analysis
  preview come from it; what a sales person set (`assigned_to`, `notes`) is never overwritten.
"""

import logging

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F, QuerySet
from django.db.models.functions import Substr
from django.utils import timezone

from mini_analysis.models import MiniAnalysis

from .assignment import auto_assign
from .models import ANALYSIS_PREVIEW_LENGTH, Lead, LeadSyncFailure, Source

logger = logging.getLogger(__name__)

# Fields a newer mini-analysis brings to an existing lead; everything else is the lead's own.
FOLLOWED_FIELDS = ["mini_analysis", "status", "pdf_url", "analysis_text"]
CONTACT_FIELDS = ["phone", "sector", "language"]


# The fields a lead copies from its mini-analysis, the same name on both models. The one mapping:
# `lead_fields_from` applies it in Python (the signal), `lead_expressions_from` in SQL (the backfill).
COPIED_FIELDS = ["email", "phone", "brand_name", "sector", "language", "status", "pdf_url"]


def lead_fields_from(mini_analysis: MiniAnalysis) -> dict:
    """The values a new lead takes from its mini-analysis."""
    return {
        **{name: getattr(mini_analysis, name) for name in COPIED_FIELDS},
        "mini_analysis": mini_analysis,
        "analysis_text": mini_analysis.analysis_text[:ANALYSIS_PREVIEW_LENGTH],
    }


def lead_expressions_from() -> dict:
    """`lead_fields_from` as SQL expressions over a `MiniAnalysis` queryset (for INSERT … SELECT)."""
    return {
        **{name: F(name) for name in COPIED_FIELDS},
        "mini_analysis_id": F("pk"),
        "analysis_text": Substr("analysis_text", 1, ANALYSIS_PREVIEW_LENGTH),
    }


def find_lead(email: str, brand_name: str) -> Lead | None:
    """The lead of this person and brand, if any (trimmed, case-insensitive)."""
    return Lead.objects.filter_identity(email, brand_name).first()


def sync_lead(mini_analysis: MiniAnalysis) -> Lead:
    """Create the lead of a mini-analysis, or bring the existing one up to date.

    Safe under concurrency: two saves of the same person and brand race on the unique
    constraint, the loser catches the IntegrityError and updates the winner's lead.
    """
    with transaction.atomic():
        lead = _locked_lead(mini_analysis)
        if lead is None:
            try:
                with transaction.atomic():
                    lead = Lead.objects.create(**lead_fields_from(mini_analysis), source=Source.MINI_ANALYSIS)
                    auto_assign(lead)
                    return lead
            except IntegrityError:
                lead = _locked_lead(mini_analysis)
                if lead is None:
                    raise
        _follow(lead, mini_analysis)
        return lead


def sync_lead_after_save(mini_analysis: MiniAnalysis) -> Lead | None:
    """What the `post_save` receiver runs. It never raises: the request is stored whatever happens.

    A failure is logged with the mini-analysis id and recorded as a `LeadSyncFailure`, which
    `check_mini_analyses` reports; `migrate_mini_analyses` later creates the missing lead.
    """
    try:
        return sync_lead(mini_analysis)
    except Exception as error:
        logger.exception("[ERROR] Lead write failed for mini-analysis %s", mini_analysis.pk)
        try:
            with transaction.atomic():
                LeadSyncFailure.objects.create(mini_analysis=mini_analysis, error=repr(error))
        except DatabaseError:
            logger.exception("[ERROR] Could not record the failure of mini-analysis %s", mini_analysis.pk)
        return None


def assign_leads(leads: QuerySet[Lead], assignee: AbstractBaseUser | None) -> int:
    """Assign the leads to a sales person (or unassign them with None); returns how many."""
    return leads.update(assigned_to=assignee, updated_at=timezone.now())


def _locked_lead(mini_analysis: MiniAnalysis) -> Lead | None:
    # No select_related: after waiting for the lock, PostgreSQL re-reads the locked lead row but
    # keeps the joined row it read before, so the linked request would be stale. `_follow` reads
    # it after the lock is held.
    return (
        Lead.objects.select_for_update()
        .filter_identity(mini_analysis.email, mini_analysis.brand_name)
        .first()
    )


def _follow(lead: Lead, mini_analysis: MiniAnalysis) -> None:
    """Let the lead follow this mini-analysis, unless it already follows a newer one."""
    linked = lead.mini_analysis
    if linked is not None and linked.pk != mini_analysis.pk and linked.created_at > mini_analysis.created_at:
        return
    new_values = lead_fields_from(mini_analysis)
    changed = [name for name in FOLLOWED_FIELDS if getattr(lead, name) != new_values[name]]
    changed += [
        name for name in CONTACT_FIELDS if new_values[name] and getattr(lead, name) != new_values[name]
    ]
    if not changed:
        return
    for name in changed:
        setattr(lead, name, new_values[name])
    lead.save(update_fields=changed)

"""A lead's sales stage, set by hand: the rule (`lead_stage_error`) and the write (`set_lead_stage`).
CONVERTED is reached through `conversion.convert_lead` only.
"""

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _

from ..history import attribute
from ..models import (
    DisqualificationReason,
    Lead,
    LeadStage,
)
from .common import PipelineError, save_record

# Stages a sales person sets by hand; CONVERTED is reached through `convert_lead` only.
MANUAL_LEAD_STAGES = [
    LeadStage.NEW,
    LeadStage.ATTEMPTING,
    LeadStage.CONNECTED,
    LeadStage.QUALIFIED,
    LeadStage.DISQUALIFIED,
]


def lead_stage_error(current: str, stage: str, reason: DisqualificationReason | None) -> str | None:
    """Why a lead in stage `current` may not be moved by hand to `stage` (with `reason`), or None."""
    if stage == current and stage != LeadStage.DISQUALIFIED:
        return None
    if current == LeadStage.CONVERTED:
        return _("This prospect is already converted.")
    if stage not in MANUAL_LEAD_STAGES:
        return _("Use the conversion to mark a prospect as converted.")
    if stage == LeadStage.DISQUALIFIED and reason is None:
        return _("Choose why the prospect is disqualified.")
    return None


def save_lead(lead: Lead, *, user: AbstractBaseUser | None, changed: list[str] | None = None) -> Lead:
    """A lead typed or edited in a form: new, saved whole; edited, the `changed` fields only, its
    stage (and reason) through `set_lead_stage`, in one transaction. A refused stage raises
    `PipelineError` once the other fields are saved: the rest of what the person typed is kept."""
    if lead.pk is None or changed is None:
        return save_record(lead, user=user)
    stage_fields = {"stage", "disqualification_reason"}
    refused = None
    with transaction.atomic():
        if stage_fields & set(changed):
            try:
                set_lead_stage(lead, lead.stage, user=user, reason=lead.disqualification_reason)
            except PipelineError as error:
                refused = error
        if others := [name for name in changed if name not in stage_fields]:
            save_record(lead, user=user, fields=others)
    if refused is not None:
        raise refused
    return lead


def set_lead_stage(
    lead: Lead,
    stage: str,
    *,
    user: AbstractBaseUser | None,
    reason: DisqualificationReason | None = None,
) -> Lead:
    """Move a lead to a sales stage by hand; a disqualification needs a reason (cleared otherwise).

    A converted lead stays converted (its contact and opportunity carry the work on).
    """
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=lead.pk)
        if error := lead_stage_error(lead.stage, stage, reason):
            raise PipelineError(error)
        lead.stage = stage
        lead.disqualification_reason = reason if stage == LeadStage.DISQUALIFIED else None
        attribute(lead, user, reason="stage changed")
        lead.save(update_fields=["stage", "disqualification_reason"])
    return lead

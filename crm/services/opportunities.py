"""An opportunity's writes: saved with its stage entries, won/lost dates and loss reason; moved on
the board."""

from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from ..history import attribute
from ..models import (
    LossReason,
    Opportunity,
    OpportunityStage,
    OpportunityStageEntry,
)
from ..models.pipeline import loss_reason_error
from .common import PipelineError


def save_opportunity(
    opportunity: Opportunity, *, user: AbstractBaseUser | None, now: datetime | None = None
) -> Opportunity:
    """Save an opportunity; when its stage changed (or it is new), stamp the stage entry.

    The date it entered the stage, won/lost dates and an `OpportunityStageEntry` row are written
    with the move, by the same actor, in one transaction. Every writer (admin form, board, API,
    conversion) saves through here. `now` is the clock (default: the present). A lost deal needs
    its `loss_reason` (`PipelineError` without one); any other stage has none, so a reopened deal
    forgets why it was lost (its history keeps it).
    """
    if error := loss_reason_error(opportunity):
        raise PipelineError(error)
    if not opportunity.stage.is_lost:
        opportunity.loss_reason = None
    with transaction.atomic():
        previous_stage_id = None
        if opportunity.pk is not None:
            previous_stage_id = (
                Opportunity.objects.select_for_update()
                .values_list("stage_id", flat=True)
                .get(pk=opportunity.pk)
            )
        moved = previous_stage_id != opportunity.stage_id
        if moved:
            now = now or timezone.now()
            stage = opportunity.stage
            opportunity.stage_entered_at = now
            opportunity.won_at = now if stage.is_won else None
            opportunity.lost_at = now if stage.is_lost else None
        attribute(opportunity, user, reason="stage changed" if moved and previous_stage_id else None)
        opportunity.save()
        if moved:
            OpportunityStageEntry.objects.create(
                opportunity=opportunity,
                stage=opportunity.stage,
                entered_at=opportunity.stage_entered_at,
                entered_by=user,
            )
    return opportunity


def move_opportunity(
    opportunity: Opportunity,
    stage: OpportunityStage,
    *,
    user: AbstractBaseUser | None,
    loss_reason: LossReason | None = None,
    now: datetime | None = None,
) -> Opportunity:
    """Move an opportunity to another stage (the board's cards) at `now` (default: the present); to
    a lost stage with its reason (`PipelineError` without one). A lost deal moved to lost again
    with another reason keeps its date and gets the new reason."""
    with transaction.atomic():
        opportunity = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
        new_reason = loss_reason if stage.is_lost else None
        if opportunity.stage_id == stage.pk and opportunity.loss_reason_id == getattr(new_reason, "pk", None):
            return opportunity
        opportunity.stage, opportunity.loss_reason = stage, new_reason
        return save_opportunity(opportunity, user=user, now=now)

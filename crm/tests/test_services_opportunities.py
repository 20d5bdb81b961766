"""Closing a deal (`crm/services/opportunities.py`, `Opportunity.loss_reason`): a lost deal says why,
from the editable list of loss reasons, whatever path writes it; the database holds the rule too."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone, translation

from crm import services
from crm.models import LossReason, Opportunity, OpportunityStage

from .factories import OpportunityFactory, UserFactory

pytestmark = pytest.mark.django_db


def stage(name: str) -> OpportunityStage:
    return OpportunityStage.objects.get(name=name)


def reason(name: str) -> LossReason:
    return LossReason.objects.get(name=name)


def test_the_loss_reasons_are_seeded_and_translated():
    names = list(LossReason.objects.filter(is_active=True).values_list("name", flat=True))
    assert names == ["Price", "Chose a competitor", "No budget", "No decision", "Timing", "Other"]
    with translation.override("fr"):
        assert str(reason("Chose a competitor")) == "A choisi un concurrent"
    with translation.override("he"):
        assert str(reason("Price")) == "מחיר"


def test_a_move_to_lost_without_a_reason_is_refused_and_records_nothing():
    opportunity = OpportunityFactory()
    with pytest.raises(services.PipelineError, match="Choisissez pourquoi"):
        services.move_opportunity(opportunity, stage("Lost"), user=None)
    opportunity.refresh_from_db()
    assert opportunity.stage == stage("Qualification") and opportunity.lost_at is None
    assert opportunity.stage_entries.count() == 1 and opportunity.history.count() == 1


def test_a_move_to_lost_records_the_reason_the_date_and_who_moved_it():
    seller = UserFactory()
    opportunity = OpportunityFactory(owner=seller)
    services.move_opportunity(opportunity, stage("Lost"), user=seller, loss_reason=reason("Price"))
    opportunity.refresh_from_db()
    assert opportunity.stage == stage("Lost") and opportunity.loss_reason == reason("Price")
    assert opportunity.lost_at == opportunity.stage_entered_at and opportunity.won_at is None
    entry = opportunity.stage_entries.latest("entered_at")
    assert (entry.stage, entry.entered_by, entry.entered_at) == (stage("Lost"), seller, opportunity.lost_at)
    latest = opportunity.history.latest()
    assert (latest.loss_reason_id, latest.history_user) == (reason("Price").pk, seller)


def test_a_reason_given_for_another_stage_is_not_kept():
    opportunity = OpportunityFactory()
    services.move_opportunity(opportunity, stage("Won"), user=None, loss_reason=reason("Price"))
    opportunity.refresh_from_db()
    assert opportunity.stage == stage("Won") and opportunity.loss_reason is None


def test_a_reopened_deal_forgets_its_loss_reason_but_its_history_keeps_it():
    opportunity = OpportunityFactory()
    services.move_opportunity(opportunity, stage("Lost"), user=None, loss_reason=reason("Timing"))
    services.move_opportunity(opportunity, stage("Proposal"), user=None)
    opportunity.refresh_from_db()
    assert (opportunity.loss_reason, opportunity.lost_at) == (None, None)
    assert reason("Timing").pk in opportunity.history.values_list("loss_reason_id", flat=True)


def test_a_lost_deal_lost_again_for_another_reason_keeps_its_date_and_takes_the_reason():
    opportunity = OpportunityFactory()
    services.move_opportunity(opportunity, stage("Lost"), user=None, loss_reason=reason("Timing"))
    lost_at = Opportunity.objects.get(pk=opportunity.pk).lost_at
    services.move_opportunity(opportunity, stage("Lost"), user=None, loss_reason=reason("Price"))
    opportunity.refresh_from_db()
    assert opportunity.loss_reason == reason("Price") and opportunity.lost_at == lost_at
    assert opportunity.stage_entries.count() == 2


def test_saving_a_lost_deal_without_a_reason_is_refused_by_the_form_and_the_service():
    opportunity = OpportunityFactory.build(stage=stage("Lost"), loss_reason=None)
    with pytest.raises(ValidationError) as error:
        opportunity.clean()
    assert "loss_reason" in error.value.message_dict
    with pytest.raises(services.PipelineError):
        services.save_opportunity(opportunity, user=None)


def test_the_database_refuses_a_lost_deal_without_a_reason():
    opportunity = OpportunityFactory()
    services.move_opportunity(opportunity, stage("Lost"), user=None, loss_reason=reason("Other"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Opportunity.objects.filter(pk=opportunity.pk).update(loss_reason=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        Opportunity.objects.filter(pk=OpportunityFactory().pk).update(lost_at=timezone.now())


def test_a_reason_in_use_cannot_be_deleted_only_deactivated():
    opportunity = OpportunityFactory()
    services.move_opportunity(opportunity, stage("Lost"), user=None, loss_reason=reason("Price"))
    with pytest.raises(ProtectedError):
        reason("Price").delete()

"""Who changed what (`crm/history.py`): the author and reason of a save, the service accounts of
commands, the set-based history of writes that bypass `save()`, and the history tables' bounds."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import DataError, IntegrityError, transaction
from django.db.models import CharField, Value
from django.utils import timezone

from crm.history import (
    HISTORY_TEXT_LENGTHS,
    acting_as,
    attribute,
    insert_history,
    service_account,
)
from crm.models import Company, Contact, Lead, Opportunity
from mini_analysis.lengths import NOTES_MAX_LENGTH, text_max_lengths

from .factories import LeadFactory, UserFactory

pytestmark = pytest.mark.django_db


def last_change(lead: Lead):
    return lead.history.order_by("history_id").last()


# --- attribute: the author and the reason of the next save --------------------------------------


def test_attribute_names_the_author_and_reason_of_the_next_save():
    ana = UserFactory(username="ana")
    lead = LeadFactory()

    assert attribute(lead, ana, "called back") is lead
    lead.notes = "Called back"
    lead.save()

    change = last_change(lead)
    assert (change.history_type, change.history_user, change.history_change_reason) == (
        "~",
        ana,
        "called back",
    )
    assert change.notes == "Called back"


def test_attribute_without_a_reason_clears_the_reason_of_an_earlier_save():
    ana = UserFactory(username="ana")
    lead = attribute(LeadFactory(), ana, "first reason")
    lead.save()

    attribute(lead, None)
    lead.save()

    change = last_change(lead)
    assert (change.history_user, change.history_change_reason) == (None, None)


# --- service accounts and acting_as ---------------------------------------------------------------


def test_a_service_account_is_created_once_inactive_not_staff_and_without_a_password():
    account = service_account("backfill")

    assert service_account("backfill").pk == account.pk
    assert get_user_model().objects.filter(username="backfill").count() == 1
    account.refresh_from_db()
    assert (account.is_active, account.is_staff, account.has_usable_password()) == (False, False, False)


def test_every_save_in_an_acting_as_block_is_recorded_as_made_by_its_user():
    robot = service_account("legacy-sync")
    lead = LeadFactory()

    with acting_as(robot):
        created = LeadFactory()
        lead.notes = "Synced"
        lead.save()
    lead.notes = "After the block"
    lead.save()

    assert last_change(created).history_user == robot
    changes = list(lead.history.order_by("history_id").values_list("notes", "history_user"))
    assert changes[-2:] == [("Synced", robot.pk), ("After the block", None)]


def test_acting_as_blocks_nest_and_the_outer_author_comes_back_even_after_an_error():
    outer, inner = service_account("outer"), service_account("inner")
    lead = LeadFactory()

    with acting_as(outer):
        with pytest.raises(RuntimeError), acting_as(inner):
            raise RuntimeError("the inner block failed")
        lead.notes = "By the outer one"
        lead.save()

    assert last_change(lead).history_user == outer


# --- insert_history: one row per row of a queryset, in one statement --------------------------------


def test_insert_history_writes_one_row_per_lead_of_the_queryset_and_says_how_many():
    boss = UserFactory(username="boss")
    chosen = LeadFactory.create_batch(3, notes="Old notes")
    other = LeadFactory()
    before = {lead.pk: lead.history.count() for lead in [*chosen, other]}
    date = timezone.now() - timedelta(days=1)

    written = insert_history(
        Lead.objects.filter(pk__in=[lead.pk for lead in chosen]).order_by("-brand_name"),
        history_type="~",
        user=boss,
        reason="assigned",
        date=date,
    )

    assert written == 3
    assert other.history.count() == before[other.pk]
    for lead in chosen:
        assert lead.history.count() == before[lead.pk] + 1
        change = last_change(lead)
        assert (change.history_type, change.history_user, change.history_change_reason) == (
            "~",
            boss,
            "assigned",
        )
        assert change.history_date == date
        assert (change.email, change.brand_name, change.notes) == (lead.email, lead.brand_name, "Old notes")


def test_insert_history_values_override_columns_with_what_the_rows_are_about_to_take():
    lead = LeadFactory(notes="Old notes")

    insert_history(
        Lead.objects.filter(pk=lead.pk),
        history_type="~",
        user=None,
        reason="bulk edit",
        date=timezone.now(),
        values={"notes": Value("New notes", output_field=CharField())},
    )

    change = last_change(lead)
    assert (change.notes, change.email, change.history_user) == ("New notes", lead.email, None)
    lead.refresh_from_db()
    assert lead.notes == "Old notes"  # the history is written before the update, not instead of it


@pytest.mark.parametrize(
    "rows",
    [lambda: Lead.objects.filter(pk=-1), lambda: Lead.objects.none(), lambda: Lead.objects.filter(pk__in=[])],
)
def test_insert_history_of_a_queryset_without_rows_writes_nothing(rows):
    LeadFactory()
    before = Lead.history.count()
    written = insert_history(rows(), history_type="-", user=None, reason="x", date=timezone.now())
    assert (written, Lead.history.count()) == (0, before)


# --- the history tables are bounded as the tables they copy --------------------------------------


@pytest.mark.parametrize("model", [Lead, Company, Contact, Opportunity])
def test_each_history_table_bounds_the_tracked_text_columns_and_its_own(model):
    history = model.history.model
    (constraint,) = [c for c in history._meta.constraints if c.name.endswith("_text_lengths")]
    assert constraint.name == f"{history._meta.db_table}_text_lengths"
    bounded = {child.lhs.source_expressions[0].name: child.rhs for child in constraint.condition.children}
    assert bounded == {**text_max_lengths(model), **HISTORY_TEXT_LENGTHS}
    assert HISTORY_TEXT_LENGTHS == {"history_type": 1, "history_change_reason": 100}


def test_a_history_row_over_a_tracked_maximum_is_refused_by_the_database():
    lead = LeadFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_history(
            Lead.objects.filter(pk=lead.pk),
            history_type="~",
            user=None,
            reason="too long",
            date=timezone.now(),
            values={"notes": Value("x" * (NOTES_MAX_LENGTH + 1), output_field=CharField())},
        )


def test_a_change_reason_over_100_characters_is_refused_by_the_database():
    lead = attribute(LeadFactory(), None, "r" * 101)
    # PostgreSQL's varchar(100) refuses it first (DataError); on SQLite, only the check constraint.
    with pytest.raises((DataError, IntegrityError)), transaction.atomic():
        lead.save()
    lead.refresh_from_db()
    attribute(lead, None, "r" * 100).save()
    assert last_change(lead).history_change_reason == "r" * 100

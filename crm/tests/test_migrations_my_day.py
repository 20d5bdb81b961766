"""Migration 0023: the open tasks of prospects converted before `hand_over_open_tasks` existed move
to their opportunity and contact, as a conversion now does."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("crm", "0022_sales_person_list_indexes")]
AFTER = [("crm", "0023_my_day_indexes")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def latest_schema_after(transactional_db):
    """The latest schema again after the test, whatever happened in it (the next tests need it)."""
    yield
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def test_a_converted_prospects_open_task_moves_to_its_opportunity_and_its_done_ones_stay(latest_schema_after):
    apps = migrate(BEFORE)
    model = apps.get_model
    due = dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)
    company = model("crm", "Company").objects.create(name="Acme", brand_key="acme")
    contact = model("crm", "Contact").objects.create(email="a@x.com", email_key="a@x.com", company=company)
    # An open stage of its own: an earlier transactional test may have flushed the seeded ones.
    stage = model("crm", "OpportunityStage").objects.create(name="Migration test stage", order=99)
    deal = model("crm", "Opportunity").objects.create(
        name="Acme", company=company, contact=contact, stage=stage, stage_entered_at=due
    )
    lead = model("crm", "Lead").objects.create(
        email="a@x.com",
        email_key="a@x.com",
        brand_name="Acme",
        brand_key="acme",
        stage="CONVERTED",
        converted_at=due,
        contact=contact,
        opportunity=deal,
        next_action="Send the proposal",
        next_action_at=due,
    )
    activity = model("crm", "Activity").objects
    open_task = activity.create(kind="task", subject="Send the proposal", due_at=due, lead=lead)
    done_task = activity.create(kind="task", subject="Called", due_at=due, done_at=due, lead=lead)

    apps = migrate(AFTER)

    moved = apps.get_model("crm", "Activity").objects.get(pk=open_task.pk)
    assert (moved.lead_id, moved.opportunity_id, moved.contact_id) == (None, deal.pk, contact.pk)
    assert apps.get_model("crm", "Activity").objects.get(pk=done_task.pk).lead_id == lead.pk
    lead = apps.get_model("crm", "Lead").objects.get(pk=lead.pk)
    assert (lead.next_action, lead.next_action_at) == ("", None)
    deal = apps.get_model("crm", "Opportunity").objects.get(pk=deal.pk)
    assert (deal.next_step, deal.next_step_at) == ("Send the proposal", due)

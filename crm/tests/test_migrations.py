"""Data migrations of the CRM."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from crm.imports.fields import simple_key
from crm.models import Lead

from .factories import ContactFactory, LeadFactory, UserFactory

pytestmark = pytest.mark.slow  # each test migrates the database back and forth: collected first (conftest.py)

BEFORE_TOKENS = [("crm", "0016_legacy_sync_state_text_length")]
AFTER_TOKENS = [("crm", "0017_api_tokens")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def drf_token_table(transactional_db):
    """DRF's `authtoken_token` as a database that used it has it; the latest schema afterwards."""
    migrate(BEFORE_TOKENS)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created timestamp, user_id integer)"
        )
    yield
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE authtoken_token")
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def test_the_tokens_of_drf_keep_working_as_full_access_tokens_with_their_age(drf_token_table):
    user = UserFactory()
    created = dt.datetime(2026, 11, 1, 8, 30, tzinfo=dt.UTC)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO authtoken_token (key, created, user_id) VALUES (%s, %s, %s)",
            ["a" * 40, connection.ops.adapt_datetimefield_value(created), user.pk],
        )

    apps = migrate(AFTER_TOKENS)

    token = apps.get_model("crm", "ApiToken").objects.get()
    assert (token.key, token.user_id, token.read_only, token.created_at) == (
        "a" * 40,
        user.pk,
        False,
        created,
    )


def test_a_contact_s_single_name_becomes_first_and_last_name_and_back(transactional_db):
    migrate([("crm", "0017_api_tokens")])
    apps = MigrationExecutor(connection).loader.project_state([("crm", "0017_api_tokens")]).apps
    contact = apps.get_model("crm", "Contact")
    contact.objects.create(email="a@x.com", email_key="a@x.com", name="Marie de La Tour")
    contact.objects.create(email="b@x.com", email_key="b@x.com", name="Yael")
    contact.objects.create(email="c@x.com", email_key="c@x.com", name="")
    long_name = "A" * 120 + " " + "B" * 79  # the old field's 200 characters: none is cut
    contact.objects.create(email="d@x.com", email_key="d@x.com", name=long_name)

    apps = migrate([("crm", "0018_person_names")])

    names = dict(apps.get_model("crm", "Contact").objects.values_list("email", "first_name"))
    last = dict(apps.get_model("crm", "Contact").objects.values_list("email", "last_name"))
    assert (names["a@x.com"], last["a@x.com"]) == ("Marie", "de La Tour")
    assert (names["b@x.com"], last["b@x.com"]) == ("Yael", "")
    assert (names["c@x.com"], last["c@x.com"]) == ("", "")
    assert (names["d@x.com"], last["d@x.com"]) == ("A" * 120, "B" * 79)

    apps = migrate([("crm", "0017_api_tokens")])
    assert dict(apps.get_model("crm", "Contact").objects.values_list("email", "name")) == {
        "a@x.com": "Marie de La Tour",
        "b@x.com": "Yael",
        "c@x.com": "",
        "d@x.com": long_name,
    }
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


BEFORE_LIFECYCLE = [("crm", "0028_profile_and_import_run_text_lengths")]
AFTER_LIFECYCLE = [("crm", "0030_import_mappings_and_lifecycle_stages")]


def test_the_lifecycle_table_is_seeded_with_other_tools_labels_in_three_languages(transactional_db):
    migrate(BEFORE_LIFECYCLE)

    apps = migrate(AFTER_LIFECYCLE)

    rows = apps.get_model("crm", "LifecycleStageMapping").objects.select_related("disqualification_reason")
    seeded = {
        row.label: (row.key, row.stage, getattr(row.disqualification_reason, "name", None)) for row in rows
    }
    assert seeded["Working - Contacted"] == ("working contacted", "ATTEMPTING", None)
    assert seeded["Sales Qualified Lead"] == ("sales qualified lead", "QUALIFIED", None)
    assert seeded["Unqualified"] == ("unqualified", "DISQUALIFIED", "Not a fit")
    assert seeded["Closed - Not Converted"] == ("closed not converted", "DISQUALIFIED", "Not interested")
    assert seeded["Non qualifié"] == ("non qualifie", "DISQUALIFIED", "Not a fit")
    assert seeded["לקוח"] == ("לקוח", "QUALIFIED", None)
    assert len(seeded) == 53 and all(key == simple_key(label) for label, (key, *_rest) in seeded.items())
    sales = apps.get_model("auth", "Group").objects.get(name="Sales")
    assert {"view_importmapping", "view_lifecyclestagemapping"} <= set(
        sales.permissions.values_list("codename", flat=True)
    )
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


BEFORE_LEAD_OWNER = [("crm", "0038_activity_subject_trigram_index")]
AFTER_LEAD_OWNER = [("crm", "0039_activity_lead_owner")]


def test_a_databases_activities_take_their_leads_owner_and_the_triggers_go_when_migrated_back(
    transactional_db,
):
    """crm 0039 copies each existing activity's lead owner, then the triggers keep it; going back
    drops them with the column, so a reassignment still writes (no trigger left on a lost column)."""
    migrate(BEFORE_LEAD_OWNER)
    activity = (
        MigrationExecutor(connection)
        .loader.project_state(BEFORE_LEAD_OWNER)
        .apps.get_model("crm", "Activity")
    )
    seller, other = UserFactory(), UserFactory()
    theirs, pool = LeadFactory(assigned_to=seller), LeadFactory(assigned_to=None)
    now = dt.datetime(2026, 12, 5, 9, tzinfo=dt.UTC)
    for subject, lead in [("theirs", theirs), ("pool", pool)]:
        activity.objects.create(kind="call", subject=subject, lead_id=lead.pk, done_at=now)
    activity.objects.create(kind="note", subject="contact", contact_id=ContactFactory().pk, done_at=now)

    apps = migrate(AFTER_LEAD_OWNER)

    copies = apps.get_model("crm", "Activity").objects.values_list("subject", "lead_owner_id")
    assert dict(copies.all()) == {"theirs": seller.pk, "pool": None, "contact": None}
    Lead.objects.filter(pk=pool.pk).update(assigned_to=other)
    assert dict(copies.all())["pool"] == other.pk

    migrate(BEFORE_LEAD_OWNER)
    assert Lead.objects.filter(pk__in=[theirs.pk, pool.pk]).update(assigned_to=None) == 2
    activity.objects.create(kind="call", subject="after", lead_id=theirs.pk, done_at=now)
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

"""The data migrations that key the rows written before the keys were guarded."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.slow  # each test migrates the database back and forth: collected first (conftest.py)

BEFORE = [("mini_analysis", "0001_initial"), ("crm", "0002_sales_group")]
AFTER = [("mini_analysis", "0002_identity_keys"), ("crm", "0003_identity_keys")]
DAY = dt.datetime(2024, 5, 1, 10, tzinfo=dt.UTC)


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def old_schema(transactional_db):
    """The tables as an older version left them; the latest schema again afterwards."""
    apps = migrate(BEFORE)
    yield apps
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def test_the_migration_keys_old_rows_then_each_is_its_own_person(old_schema):
    MiniAnalysis = old_schema.get_model("mini_analysis", "MiniAnalysis")
    Lead = old_schema.get_model("crm", "Lead")
    old = [
        MiniAnalysis(email="Ana@X.com", brand_name=" Maison ", created_at=DAY),
        MiniAnalysis(email="bob@y.com", brand_name="Bob's", created_at=DAY),
        MiniAnalysis(email="eve@z.com", brand_name=" \t ", created_at=DAY),
    ]
    MiniAnalysis.objects.bulk_create(old)  # the historical model: keys stay ''
    Lead.objects.create(email="Ana@x.com", brand_name="maison")
    assert set(MiniAnalysis.objects.values_list("email_key", "brand_key")) == {("", "")}

    apps = migrate(AFTER)

    keys = set(apps.get_model("mini_analysis", "MiniAnalysis").objects.values_list("email_key", "brand_key"))
    assert keys == {("ana@x.com", "maison"), ("bob@y.com", "bob's"), ("eve@z.com", "")}
    assert apps.get_model("mini_analysis", "MiniAnalysis").objects.get(email="eve@z.com").brand_name == ""
    assert list(apps.get_model("crm", "Lead").objects.values_list("email_key", "brand_key")) == [
        ("ana@x.com", "maison")
    ]


def test_the_migration_stops_on_two_leads_of_one_person_and_names_them(old_schema):
    Lead = old_schema.get_model("crm", "Lead")
    keyed = Lead.objects.create(
        email="ana@x.com", brand_name="Maison", email_key="ana@x.com", brand_key="maison"
    )
    unkeyed = Lead.objects.create(email="Ana@X.com", brand_name="MAISON")

    with pytest.raises(RuntimeError, match=f"crm.Lead {unkeyed.pk} .* as crm.Lead {keyed.pk}: merge them"):
        migrate(AFTER)
    migrate(BEFORE)
    Lead.objects.filter(pk=unkeyed.pk).delete()


LONG_KEYS_BEFORE = [("mini_analysis", "0003_generation_state"), ("crm", "0007_lead_contact_protect")]
LONG_KEYS_AFTER = [
    ("mini_analysis", "0004_generation_db_defaults_and_long_keys"),
    ("crm", "0008_long_identity_keys"),
]


def test_keys_longer_than_their_column_are_bounded_by_the_migration(transactional_db):
    """Only SQLite, which does not enforce a column's length, could store the unbounded keys."""
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL refused keys longer than their column: no such row can exist there")
    from mini_analysis.keys import KEY_MAX_LENGTH, normalize_key

    apps = migrate(LONG_KEYS_BEFORE)
    brand = "ß" * 200
    unbounded = brand.casefold()  # what the old rule stored: 400 characters
    MiniAnalysis, Lead = apps.get_model("mini_analysis", "MiniAnalysis"), apps.get_model("crm", "Lead")
    MiniAnalysis.objects.bulk_create(
        [MiniAnalysis(email="ana@x.com", brand_name=brand, email_key="ana@x.com", brand_key=unbounded)]
    )
    Lead.objects.bulk_create(
        [Lead(email="ana@x.com", brand_name=brand, email_key="ana@x.com", brand_key=unbounded)]
    )
    try:
        apps = migrate(LONG_KEYS_AFTER)
        for model in (apps.get_model("mini_analysis", "MiniAnalysis"), apps.get_model("crm", "Lead")):
            [key] = model.objects.values_list("brand_key", flat=True)
            assert key == normalize_key(brand) and len(key) <= KEY_MAX_LENGTH
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def test_the_first_contact_of_each_old_lead_is_filled_from_its_activities(transactional_db):
    """crm 0011: leads contacted before the column existed get their earliest call, email or meeting."""
    apps = migrate([("crm", "0010_search_trigram_indexes")])
    Lead, Activity = apps.get_model("crm", "Lead"), apps.get_model("crm", "Activity")
    called = Lead.objects.create(
        email="ana@x.com", brand_name="Maison", email_key="ana@x.com", brand_key="maison"
    )
    noted = Lead.objects.create(email="bob@y.com", brand_name="Bob", email_key="bob@y.com", brand_key="bob")
    for kind, days in [("note", 0), ("meeting", 3), ("call", 5), ("email", 4)]:
        Activity.objects.create(kind=kind, subject=kind, lead=called, done_at=DAY + dt.timedelta(days=days))
    Activity.objects.create(kind="note", subject="note", lead=noted, done_at=DAY)
    Activity.objects.create(kind="task", subject="call back", lead=noted, due_at=DAY, done_at=DAY)
    try:
        apps = migrate([("crm", "0011_lead_first_contacted")])
        first = dict(apps.get_model("crm", "Lead").objects.values_list("email", "first_contacted_at"))
        assert first == {"ana@x.com": DAY + dt.timedelta(days=3), "bob@y.com": None}
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


TEXT_LENGTHS_BEFORE = [
    ("mini_analysis", "0004_generation_db_defaults_and_long_keys"),
    ("crm", "0012_lead_dashboard_index"),
]
TEXT_LENGTHS_AFTER = [
    ("mini_analysis", "0005_text_length_constraints"),
    ("crm", "0014_text_length_constraints"),
]


def test_free_text_longer_than_its_new_maximum_is_cut_and_counted_by_the_migration(transactional_db, capsys):
    """mini_analysis 0005, crm 0013: text columns get a maximum; longer free text is cut to it."""
    apps = migrate(TEXT_LENGTHS_BEFORE)
    keys = {"email": "ana@x.com", "brand_name": "Maison", "email_key": "ana@x.com", "brand_key": "maison"}
    apps.get_model("mini_analysis", "MiniAnalysis").objects.create(**keys, analysis_text="a" * 60_000)
    lead = apps.get_model("crm", "Lead").objects.create(**keys, notes="n" * 12_000, analysis_text="p" * 600)
    apps.get_model("crm", "HistoricalLead").objects.create(
        **keys, id=lead.pk, notes="n" * 12_000, history_date=DAY, history_type="~"
    )
    try:
        apps = migrate(TEXT_LENGTHS_AFTER)

        assert [
            len(text)
            for text in apps.get_model("mini_analysis", "MiniAnalysis").objects.values_list(
                "analysis_text", flat=True
            )
        ] == [50_000]
        assert [
            (len(notes), len(preview))
            for notes, preview in apps.get_model("crm", "Lead").objects.values_list("notes", "analysis_text")
        ] == [(10_000, 500)]
        assert [
            len(notes)
            for notes in apps.get_model("crm", "HistoricalLead").objects.values_list("notes", flat=True)
        ] == [10_000]
        printed = capsys.readouterr().out
        assert "mini_analyses.analysis_text: 1 values cut to 50000 characters" in printed
        assert "leads.notes: 1 values cut to 10000 characters" in printed
        assert "leads_history.notes: 1 values cut to 10000 characters" in printed
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def test_a_declared_length_exceeded_on_sqlite_stops_the_migration_and_names_the_rows(transactional_db):
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL's varchar(n) refused such a row: none can exist there")
    apps = migrate(TEXT_LENGTHS_BEFORE)
    Lead = apps.get_model("crm", "Lead")
    lead = Lead.objects.create(email="ana@x.com", brand_name="B" * 201, email_key="ana@x.com", brand_key="b")
    try:
        with pytest.raises(
            RuntimeError, match=rf"leads.brand_name: rows longer than 200 characters \(ids \[{lead.pk}\]\)"
        ):
            migrate(TEXT_LENGTHS_AFTER)
        apps = migrate(TEXT_LENGTHS_BEFORE)
        apps.get_model("crm", "Lead").objects.filter(pk=lead.pk).delete()
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

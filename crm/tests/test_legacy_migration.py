"""The seed's audit, migration and rollback on a real MongoDB server (`crm.legacy_migration`,
`check_mini_analyses --mongo-uri`, `migrate_mini_analyses --mongo-uri`)."""

import datetime as dt
import io
import json

import pytest
from bson import ObjectId, json_util
from django.core.management import CommandError, call_command

from crm import legacy_migration

OIDS = [ObjectId(f"65a1b2c3d4e5f60718293a{number:02x}") for number in range(64)]


def exported(number: int, fields: str) -> str:
    """A document as mongoexport writes it (Extended JSON), with `OIDS[number]` as its `_id`."""
    return '{"_id": {"$oid": "' + str(OIDS[number]) + '"}, ' + fields


# The same documents as mongoexport writes them: relaxed and canonical Extended JSON.
REQUESTS = [
    # French field names, relaxed Extended JSON.
    exported(
        0,
        '"email": "ana@example.com", "nom_de_marque": "Ma Marque", "secteur": "Food",'
        ' "language": "fr", "status": "GENERATED", "analysis_text": "Premier aperçu",'
        ' "pdf_url": "/media/a.pdf",'
        ' "created_at": {"$date": "2025-01-02T03:04:05.678Z"}}',
    ),
    # The same person and brand again, later, in other case and spacing: no second lead.
    exported(
        1,
        '"email": " ANA@Example.com", "nom_de_marque": "ma   MARQUE ", "secteur": "Food",'
        ' "language": "fr", "status": "NEW", "created_at": {"$date": "2025-02-01T00:00:00Z"}}',
    ),
    # English field names, canonical Extended JSON.
    exported(
        2,
        '"email": "bob@example.com", "brand_name": "Bob Shop", "sector": "Retail",'
        ' "phone": "+33612345678", "language": "en", "status": "GENERATED",'
        ' "created_at": {"$date": {"$numberLong": "1735787045678"}}}',
    ),
    # Hebrew, and a lead already exists for it in another case.
    exported(
        3,
        '"email": "dana@example.co.il", "brand_name": "חנות דנה", "sector": "מזון",'
        ' "language": "he", "status": "GENERATED", "created_at": {"$date": "2025-01-05T00:00:00Z"}}',
    ),
]
LEADS = [
    exported(
        40,
        '"email": "DANA@example.co.il ", "brand_name": " חנות  דנה", "status": "NEW",'
        ' "source": "mini-analysis", "created_at": {"$date": "2025-01-05T00:00:01Z"}}',
    ),
]


def load(collection, lines: list[str]) -> None:
    collection.insert_many([json_util.loads(line) for line in lines])


@pytest.fixture
def legacy(mongo_db):
    load(mongo_db["mini_analyses"], REQUESTS)
    load(mongo_db["leads"], LEADS)
    return mongo_db


def run(command: str, database, *args: str) -> tuple[str, int]:
    out = io.StringIO()
    uri = f"mongodb://{database.client.address[0]}:{database.client.address[1]}/{database.name}"
    try:
        call_command(command, "--mongo-uri", uri, *args, stdout=out)
    except CommandError as error:
        return out.getvalue() + str(error), error.returncode
    return out.getvalue(), 0


def test_the_audit_counts_requests_leads_and_requests_without_lead(legacy):
    output, status = run("check_mini_analyses", legacy)

    assert status == 0
    assert "Mini-analyses: 4\nLeads: 1\nMini-analyses without lead: 3\n" in output
    # Oldest first (Ana and Bob wrote at the same millisecond: by _id), Ana's second request last.
    listed = [line for line in output.splitlines() if line.startswith("  ")]
    assert [line.split(" | ")[1] for line in listed] == ["Ma Marque", "Bob Shop", "ma   MARQUE "]


def test_the_audit_as_json_says_the_same(legacy):
    output, _ = run("check_mini_analyses", legacy, "--json", "--limit", "1")
    facts = json.loads(output)
    assert (facts["mini_analyses"], facts["leads"], facts["without_lead"], facts["more_to_migrate"]) == (
        4,
        1,
        3,
        2,
    )


def test_the_largest_limit_lists_everything_and_a_larger_one_is_a_usage_error(legacy):
    output, status = run("check_mini_analyses", legacy, "--limit", "1000000")
    assert status == 0
    assert len([line for line in output.splitlines() if line.startswith("  ")]) == 3

    output, status = run("check_mini_analyses", legacy, "--limit", "99999999999999999999")
    assert status != 0
    assert "--limit" in output


def test_the_migration_writes_the_seeds_lead_documents_and_log_lines(legacy):
    output, status = run("migrate_mini_analyses", legacy)

    assert status == 0, output
    assert output.splitlines() == [
        "[BEFORE MIGRATION]",
        "Mini-analyses: 4",
        "Leads: 1",
        "[MIGRATED] Ma Marque | ana@example.com",
        "[MIGRATED] Bob Shop | bob@example.com",
        "[AFTER MIGRATION]",
        "Leads created: 2",
        "Skipped (already exist): 2",
        "Errors: 0",
        "Total leads now: 3",
    ]
    lead = legacy["leads"].find_one({"_id": OIDS[0]})
    migrated_at = lead.pop("migrated_at")
    assert lead == {
        "_id": OIDS[0],
        "email": "ana@example.com",
        "phone": "",
        "brand_name": "Ma Marque",
        "sector": "Food",
        "language": "fr",
        "status": "GENERATED",
        "source": "mini-analysis-migration",
        "assigned_to": None,
        "created_at": dt.datetime(2025, 1, 2, 3, 4, 5, 678000, tzinfo=dt.UTC),
        "updated_at": migrated_at,
        "mini_analysis_id": OIDS[0],
        "pdf_url": "/media/a.pdf",
        "analysis_text": "Premier aperçu",
        "notes": legacy_migration.migration_note(migrated_at),
    }
    assert lead["notes"].startswith("Migrated from mini-analysis collection on 20")
    assert dt.timedelta(0) <= dt.datetime.now(dt.UTC) - migrated_at < dt.timedelta(minutes=1)
    assert legacy["leads"].find_one({"_id": OIDS[2]})["phone"] == "+33612345678"


def test_a_server_older_than_mongodb_5_2_sorts_instead_and_creates_the_same_leads(legacy, monkeypatch):
    monkeypatch.setattr(legacy_migration, "has_top", lambda database: False)
    output, status = run("migrate_mini_analyses", legacy)
    assert status == 0
    assert "[MIGRATED] Ma Marque | ana@example.com\n[MIGRATED] Bob Shop | bob@example.com\n" in output
    assert legacy["leads"].find_one({"_id": OIDS[0]})["created_at"] == dt.datetime(
        2025, 1, 2, 3, 4, 5, 678000, tzinfo=dt.UTC
    )


def test_a_second_migration_creates_nothing(legacy):
    run("migrate_mini_analyses", legacy)
    before = list(legacy["leads"].find().sort("_id"))

    output, status = run("migrate_mini_analyses", legacy)

    assert status == 0
    assert "Leads created: 0\nSkipped (already exist): 4\nErrors: 0\nTotal leads now: 3" in output
    assert list(legacy["leads"].find().sort("_id")) == before


def test_the_audit_finds_nothing_left_after_the_migration(legacy):
    run("migrate_mini_analyses", legacy)
    output, _ = run("check_mini_analyses", legacy)
    assert "Mini-analyses without lead: 0" in output


def test_the_analysis_preview_is_the_first_500_characters(legacy):
    legacy["mini_analyses"].update_one({"_id": OIDS[2]}, {"$set": {"analysis_text": "é" * 600}})
    run("migrate_mini_analyses", legacy)
    assert legacy["leads"].find_one({"_id": OIDS[2]})["analysis_text"] == "é" * 500


def test_a_dry_run_lists_the_leads_and_writes_nothing(legacy):
    output, status = run("migrate_mini_analyses", legacy, "--dry-run")

    assert status == 0
    assert "[DRY RUN] would migrate Bob Shop | bob@example.com" in output
    assert "Leads that would be created: 2" in output
    assert legacy["leads"].count_documents({}) == 1
    assert sorted(legacy.list_collection_names()) == ["leads", "mini_analyses"]  # no scratch left


def test_a_request_without_email_or_brand_is_an_error_and_the_others_migrate(legacy):
    legacy["mini_analyses"].insert_many(
        [
            {"_id": OIDS[10], "email": "  ", "brand_name": "X", "created_at": dt.datetime(2025, 3, 1)},
            {"_id": OIDS[11], "email": "x@example.com", "brand_name": {"a": 1}},
        ]
    )

    output, status = run("migrate_mini_analyses", legacy)

    assert status == 1
    assert f"[ERROR] mini-analysis {OIDS[10]} (X |   ): email '  ' is empty once trimmed" in output
    assert f"[ERROR] mini-analysis {OIDS[11]}" in output
    assert "brand_name: expected a string, not dict" in output
    assert "Leads created: 2\nSkipped (already exist): 2\nErrors: 2" in output


def test_a_lead_the_old_backend_writes_during_the_migration_is_not_doubled(legacy, monkeypatch):
    """The old backend's form creates Bob's lead between the run's snapshot and its merge."""
    pipeline = legacy_migration.migration_pipeline

    def old_backend_writes_meanwhile(*args, **kwargs):
        legacy["leads"].insert_one(
            {"email": "BOB@example.com", "brand_name": "bob shop", "status": "NEW", "source": "mini-analysis",
             "created_at": dt.datetime.now(dt.UTC)}
        )  # fmt: skip
        return pipeline(*args, **kwargs)

    monkeypatch.setattr(legacy_migration, "migration_pipeline", old_backend_writes_meanwhile)

    output, status = run("migrate_mini_analyses", legacy)

    assert status == 0
    assert "Leads created: 1\nSkipped (already exist): 3" in output
    bobs = list(legacy["leads"].find({"email": {"$in": ["bob@example.com", "BOB@example.com"]}}))
    assert [lead["source"] for lead in bobs] == ["mini-analysis"]


def test_two_migrations_at_once_write_each_lead_once(legacy):
    first = legacy_migration.KeyedSnapshot(legacy).__enter__()
    second = legacy_migration.KeyedSnapshot(legacy).__enter__()
    try:
        moment = dt.datetime.now(dt.UTC)
        for snapshot in (first, second):
            snapshot.keys.aggregate(legacy_migration.migration_pipeline(snapshot, moment, dry_run=False))
    finally:
        first.drop()
        second.drop()
    assert legacy["leads"].count_documents({}) == 3


# --- Rollback -------------------------------------------------------------------------------------


def test_the_rollback_backs_up_then_deletes_only_untouched_migrated_leads(legacy, tmp_path):
    run("migrate_mini_analyses", legacy)
    legacy["leads"].update_one({"_id": OIDS[2]}, {"$set": {"assigned_to": "dana"}})  # worked on
    before = legacy["leads"].find_one({"_id": OIDS[0]})
    backup = tmp_path / "backup.jsonl"

    output, status = run("migrate_mini_analyses", legacy, "--rollback", "--backup", str(backup))

    assert status == 0, output
    assert f"Backup of 1 leads written to {backup}" in output
    assert "[KEPT] Bob Shop | bob@example.com (assigned)" in output
    assert "Leads deleted: 1\nKept (modified since migration): 1" in output
    assert legacy["leads"].find_one({"_id": OIDS[0]}) is None
    assert {lead["_id"] for lead in legacy["leads"].find()} == {OIDS[2], OIDS[40]}
    (line,) = backup.read_text().splitlines()
    assert json_util.loads(line, json_options=json_util.JSONOptions(tz_aware=True)) == before


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"status": "QUALIFIED"}, "status changed"),
        ({"notes": "Rappeler lundi"}, "notes edited"),
        ({"updated_at": dt.datetime(2030, 1, 1, tzinfo=dt.UTC)}, "updated after the migration"),
    ],
)
def test_a_lead_worked_on_in_the_old_crm_is_kept(legacy, tmp_path, change, reason):
    run("migrate_mini_analyses", legacy)
    legacy["leads"].update_many({"source": "mini-analysis-migration"}, {"$set": change})

    output, _ = run("migrate_mini_analyses", legacy, "--rollback", "--backup", str(tmp_path / "b.jsonl"))

    assert f"[KEPT] Ma Marque | ana@example.com ({reason})" in output
    assert "Leads deleted: 0" in output
    assert legacy["leads"].count_documents({}) == 3


def test_the_rollback_rechecks_a_lead_edited_after_the_backup(legacy, tmp_path, monkeypatch):
    run("migrate_mini_analyses", legacy)
    real_dumps = json_util.dumps

    def sales_person_edits_while_backing_up(document, **kwargs):
        legacy["leads"].update_one({"_id": OIDS[0]}, {"$set": {"assigned_to": "dana"}})
        return real_dumps(document, **kwargs)

    monkeypatch.setattr(json_util, "dumps", sales_person_edits_while_backing_up)
    output, _ = run("migrate_mini_analyses", legacy, "--rollback", "--backup", str(tmp_path / "b.jsonl"))

    assert "Leads deleted: 1" in output
    assert legacy["leads"].find_one({"_id": OIDS[0]})["assigned_to"] == "dana"


def test_the_rollback_leaves_the_seeds_own_migrated_leads(legacy, tmp_path):
    legacy["leads"].insert_one(
        {"email": "old@example.com", "brand_name": "Old", "source": "mini-analysis-migration"}
    )
    output, _ = run("migrate_mini_analyses", legacy, "--rollback", "--backup", str(tmp_path / "b.jsonl"))
    assert "[KEPT] Old | old@example.com (not created by this migration)" in output


# --- Bad arguments and servers --------------------------------------------------------------------


def test_a_database_without_the_collections_is_a_clear_error(mongo_db):
    output, status = run("check_mini_analyses", mongo_db)
    assert status == 1
    assert f"database '{mongo_db.name}' has no collection 'mini_analyses', 'leads'" in output


def test_a_server_that_does_not_answer_is_a_clear_error(settings, monkeypatch):
    monkeypatch.setattr("crm.legacy_server.SERVER_TIMEOUT_MS", 200)
    with pytest.raises(CommandError, match=r"^MongoDB: 127\.0\.0\.1:9"):
        call_command(
            "migrate_mini_analyses", "--mongo-uri", "mongodb://127.0.0.1:9/igv", stdout=io.StringIO()
        )

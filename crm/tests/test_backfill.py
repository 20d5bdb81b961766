"""The backfill (`crm.backfill`, `migrate_mini_analyses`): exact, safe to re-run and to interrupt."""

import datetime as dt
import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Case, F, When
from django.utils import timezone

from crm import backfill, backfill_rollback, services
from crm.models import Activity, ActivityKind, Lead, LeadStage, Source
from crm.tests.factories import LeadFactory, UserFactory
from mini_analysis.keys import identity_key
from mini_analysis.models import MiniAnalysis, Status
from mini_analysis.tests.factories import MiniAnalysisFactory

pytestmark = pytest.mark.django_db

DAY = dt.datetime(2025, 1, 15, 9, 30, tzinfo=dt.UTC)


def make_history(*specs: dict) -> list[MiniAnalysis]:
    """Mini-analyses stored without their automatic lead, as the legacy history is."""
    rows = [MiniAnalysisFactory.build(**spec) for spec in specs]
    for row in rows:
        row.email_key, row.brand_key = identity_key(row.email, row.brand_name)
    return MiniAnalysis.objects.bulk_create(rows)


def migrate(*args: str) -> tuple[str, int]:
    out = io.StringIO()
    try:
        call_command("migrate_mini_analyses", *args, stdout=out, stderr=io.StringIO())
    except CommandError as error:
        return out.getvalue(), error.returncode
    return out.getvalue(), 0


def final_state() -> list[tuple]:
    return sorted(
        Lead.objects.values_list(
            "email_key", "brand_key", "mini_analysis_id", "status", "source", "created_at"
        )
    )


def test_migrated_lead_takes_every_field_from_its_mini_analysis():
    [request] = make_history(
        {
            "email": "ana@example.com",
            "phone": "+33612345678",
            "brand_name": "Ma Marque",
            "sector": "Restauration / Food",
            "language": "he",
            "status": Status.GENERATED,
            "pdf_url": "/media/ma-marque.pdf",
            "analysis_text": "x" * 800,
            "created_at": DAY,
        }
    )
    before = timezone.now()

    _, status = migrate()

    lead = Lead.objects.get()
    assert status == 0
    assert (lead.email, str(lead.phone), lead.brand_name) == ("ana@example.com", "+33612345678", "Ma Marque")
    assert (lead.sector, lead.language, lead.status) == ("Restauration / Food", "he", Status.GENERATED)
    assert lead.source == Source.MIGRATION
    assert lead.mini_analysis_id == request.pk
    assert lead.created_at == DAY
    assert before <= lead.updated_at == lead.migrated_at <= timezone.now()
    assert lead.pdf_url == "/media/ma-marque.pdf"
    assert lead.analysis_text == "x" * 500
    assert lead.notes == f"Migrated from mini-analysis collection on {timezone.localdate(lead.migrated_at)}"
    assert (lead.email_key, lead.brand_key) == ("ana@example.com", "ma marque")
    assert lead.assigned_to is None


def test_output_follows_the_seed_contract():
    make_history({"email": "a@x.com", "brand_name": "One"}, {"email": "b@x.com", "brand_name": "Two"})
    LeadFactory(email="b@x.com", brand_name="two")

    output, _ = migrate()

    assert output.splitlines() == [
        "[BEFORE MIGRATION]",
        "Mini-analyses: 2",
        "Leads: 1",
        "[MIGRATED] One | a@x.com",
        "[AFTER MIGRATION]",
        "Leads created: 1",
        "Skipped (already exist): 1",
        "Errors: 0",
        "Total leads now: 2",
    ]


def test_verbosity_zero_prints_no_migrated_lines():
    make_history({"brand_name": "One"})
    output, _ = migrate("-v", "0")
    assert "[MIGRATED]" not in output
    assert "Leads created: 1" in output


@pytest.mark.parametrize(
    ("recorded", "analysis_text", "expected"),
    [
        (Status.GENERATED, "text", Status.GENERATED),
        (Status.NEW, "text", Status.GENERATED),
        (Status.NEW, "", Status.NEW),
        (Status.QUOTA_BLOCKED, "", Status.QUOTA_BLOCKED),
        (Status.ERROR, "", Status.ERROR),
    ],
)
def test_status_is_generated_when_the_analysis_exists_else_the_recorded_one(
    recorded, analysis_text, expected
):
    make_history({"status": recorded, "analysis_text": analysis_text})
    migrate()
    assert Lead.objects.get().status == expected


def test_case_and_whitespace_variants_give_one_lead_linked_to_the_oldest():
    oldest, *_ = make_history(
        {"email": "Ana@X.com", "brand_name": " My  Brand", "created_at": DAY},
        {"email": "ana@x.com", "brand_name": "my brand", "created_at": DAY + dt.timedelta(days=3)},
        {"email": " ANA@x.COM ", "brand_name": "MY BRAND ", "created_at": DAY + dt.timedelta(days=1)},
    )

    output, _ = migrate()

    lead = Lead.objects.get()
    assert lead.mini_analysis_id == oldest.pk
    assert lead.created_at == DAY
    assert "Leads created: 1" in output
    assert "Skipped (already exist): 2" in output


def test_existing_leads_are_never_modified():
    make_history({"email": "ana@x.com", "brand_name": "Brand", "status": Status.GENERATED})
    existing = LeadFactory(email="ANA@x.com", brand_name="brand ", status=Status.NEW, notes="called her")
    snapshot = Lead.objects.filter(pk=existing.pk).values().get()

    migrate()

    assert Lead.objects.filter(pk=existing.pk).values().get() == snapshot
    assert Lead.objects.count() == 1


def test_second_run_creates_nothing():
    make_history({"brand_name": "One"}, {"brand_name": "Two"})
    migrate()
    state = final_state()

    output, status = migrate()

    assert status == 0
    assert "Leads created: 0" in output
    assert "Skipped (already exist): 2" in output
    assert final_state() == state


def test_dry_run_writes_nothing():
    make_history({"email": "a@x.com", "brand_name": "One"})

    output, status = migrate("--dry-run")

    assert status == 0
    assert Lead.objects.count() == 0
    assert "[DRY RUN] would migrate One | a@x.com" in output
    assert "Leads that would be created: 1" in output
    assert "Total leads now: 0" in output


def test_a_row_that_fails_is_an_error_and_the_rest_still_migrate():
    good, bad, other = make_history({"brand_name": "Good"}, {"brand_name": "Bad"}, {"brand_name": "Other"})
    MiniAnalysis.objects.filter(pk=bad.pk).update(language="xx")  # a value the form never allows

    output, status = migrate("--batch-size", "2")

    assert status == 1
    assert f"[ERROR] mini-analysis {bad.pk} (Bad | {bad.email}): language 'xx'" in output
    assert "Errors: 1" in output
    assert "Leads created: 2" in output
    assert set(Lead.objects.values_list("mini_analysis_id", flat=True)) == {good.pk, other.pk}


def test_a_row_the_database_refuses_is_an_error_and_the_rest_still_migrate(monkeypatch):
    good, bad, other = make_history({"brand_name": "Good"}, {"brand_name": "Bad"}, {"brand_name": "Other"})
    expressions = backfill.migrated_lead_expressions

    def refused_by_the_database(migrated_at):
        # NOT NULL: no check before the insert catches it, the database refuses the whole batch.
        created_at = Case(When(pk=bad.pk, then=None), default=F("created_at"))
        return {**expressions(migrated_at), "created_at": created_at}

    monkeypatch.setattr(backfill, "migrated_lead_expressions", refused_by_the_database)

    output, status = migrate()

    assert status == 1
    assert f"[ERROR] mini-analysis {bad.pk} (Bad | {bad.email}):" in output
    assert "Errors: 1" in output
    assert "Leads created: 2" in output
    assert set(Lead.objects.values_list("mini_analysis_id", flat=True)) == {good.pk, other.pk}


def test_interrupted_after_the_first_batch_then_rerun_gives_the_same_state():
    make_history(*({"brand_name": f"Brand {i}", "created_at": DAY + dt.timedelta(hours=i)} for i in range(7)))
    batches = backfill.migrate_mini_analyses(batch_size=3)
    next(batches)  # the first batch is committed ...
    batches.close()  # ... then the run stops
    assert Lead.objects.count() == 3

    output, _ = migrate("--batch-size", "3")
    assert "Leads created: 4" in output
    interrupted = final_state()

    Lead.objects.all().delete()
    migrate("--batch-size", "3")
    assert final_state() == interrupted


def test_a_lead_written_meanwhile_counts_as_skipped(monkeypatch):
    make_history({"email": "a@x.com", "brand_name": "One"})
    insert = backfill._insert_select

    def form_wins_the_race(mini_analyses, expressions):
        LeadFactory(email="A@x.com", brand_name="one")  # between the backfill's read and its insert
        return insert(mini_analyses, expressions)

    monkeypatch.setattr(backfill, "_insert_select", form_wins_the_race)

    output, status = migrate()

    assert status == 0
    assert "Leads created: 0" in output
    assert "Skipped (already exist): 1" in output
    assert Lead.objects.get().source == Source.MINI_ANALYSIS


# --- Rollback -------------------------------------------------------------------------------------


def rollback(tmp_path: Path, *args: str) -> tuple[str, Path]:
    backup = tmp_path / "backup.jsonl"
    output, status = migrate("--rollback", "--backup", str(backup), *args)
    assert status == 0
    return output, backup


def test_rollback_deletes_untouched_leads_and_keeps_worked_ones(tmp_path):
    make_history(*({"brand_name": name} for name in ["Untouched", "Assigned", "Noted", "Promoted", "Edited"]))
    manual = LeadFactory(source=Source.MANUAL)
    migrate()
    Lead.objects.filter(brand_name="Assigned").update(assigned_to=UserFactory())
    Lead.objects.filter(brand_name="Noted").update(notes="Called on Monday")
    Lead.objects.filter(brand_name="Promoted").update(status=Status.ERROR)
    edited = Lead.objects.get(brand_name="Edited")
    edited.sector = "Retail"
    edited.save()

    output, backup = rollback(tmp_path)

    assert set(Lead.objects.values_list("brand_name", flat=True)) == {
        "Assigned",
        "Noted",
        "Promoted",
        "Edited",
        manual.brand_name,
    }
    assert "Leads deleted: 1" in output
    assert "Kept (modified since migration): 4" in output
    assert "(assigned)" in output
    assert "(notes edited)" in output
    assert "(status changed)" in output
    assert "(updated after the migration)" in output
    assert [json.loads(line)["brand_name"] for line in backup.read_text().splitlines()] == ["Untouched"]


def test_rollback_keeps_leads_whose_stage_changed_with_activities_or_converted(tmp_path):
    make_history(*({"brand_name": name} for name in ["Untouched", "Called", "Attempted", "Converted"]))
    migrate()
    Activity.objects.create(
        kind=ActivityKind.CALL, subject="Called", lead=Lead.objects.get(brand_name="Called"), done_at=DAY
    )
    Lead.objects.filter(brand_name="Attempted").update(stage=LeadStage.ATTEMPTING)
    services.convert_lead(Lead.objects.get(brand_name="Converted"), user=None)
    # Only the pipeline's marks count: the conversion and the others leave `updated_at` alone here.
    Lead.objects.update(updated_at=F("migrated_at"))

    output, backup = rollback(tmp_path)

    assert set(Lead.objects.values_list("brand_name", flat=True)) == {"Called", "Attempted", "Converted"}
    assert "(activities logged)" in output
    assert "(stage changed)" in output
    assert "(stage changed, converted)" in output
    assert [json.loads(line)["brand_name"] for line in backup.read_text().splitlines()] == ["Untouched"]


def test_rollback_rechecks_activities_in_sql_before_deleting(tmp_path, monkeypatch):
    """A call logged between the backup and the deletion keeps the lead (and its call)."""
    make_history({"brand_name": "Called meanwhile"})
    migrate()
    lead = Lead.objects.get()
    monkeypatch.setattr(backfill_rollback, "worked_on", lambda lead: [])  # the backup saw it untouched
    Activity.objects.create(kind=ActivityKind.CALL, subject="Called", lead=lead, done_at=DAY)

    output, _ = rollback(tmp_path)

    assert Lead.objects.filter(pk=lead.pk).exists()
    assert "Leads deleted: 0" in output


def test_backfill_and_rollback_are_in_the_history_by_the_backfill_account(tmp_path):
    make_history({"brand_name": "First"}, {"brand_name": "Second"})
    migrate()
    created = Lead.history.filter(history_type="+")
    assert created.count() == 2
    assert set(created.values_list("history_user__username", "history_change_reason")) == {
        ("backfill", "backfill")
    }
    first = Lead.objects.get(brand_name="First")
    assert first.history.get().brand_name == "First"

    rollback(tmp_path)

    deleted = Lead.history.filter(history_type="-")
    assert set(deleted.values_list("brand_name", "history_user__username")) == {
        ("First", "backfill"),
        ("Second", "backfill"),
    }


def test_rollback_with_force_deletes_worked_leads_too(tmp_path):
    make_history({"brand_name": "Assigned"})
    migrate()
    assignee = UserFactory()
    Lead.objects.update(assigned_to=assignee)

    output, backup = rollback(tmp_path, "--force")

    assert Lead.objects.count() == 0
    assert "Leads deleted: 1" in output
    assert "Kept (modified since migration): 0" in output
    assert json.loads(backup.read_text())["assigned_to"] == assignee.username


def test_rollback_backup_restores_with_import_legacy(tmp_path):
    make_history(
        {"email": "a@x.com", "phone": "+972502345678", "brand_name": "One", "created_at": DAY},
        {"email": "b@x.com", "phone": "", "brand_name": "Two", "status": Status.QUOTA_BLOCKED},
    )
    migrate()
    fields = ["email", "phone", "brand_name", "sector", "language", "status", "source", "mini_analysis_id"]
    fields += ["pdf_url", "analysis_text", "notes", "created_at", "updated_at", "migrated_at", "email_key"]
    before = sorted(Lead.objects.values_list(*fields))

    rollback(tmp_path)
    assert Lead.objects.count() == 0
    out = io.StringIO()
    call_command("import_legacy", str(tmp_path / "backup.jsonl"), "--collection", "leads", stdout=out)
    assert "Imported: 2" in out.getvalue()

    assert sorted(Lead.objects.values_list(*fields)) == before
    assert "Leads created: 0" in migrate()[0]
    again = io.StringIO()
    call_command("import_legacy", str(tmp_path / "backup.jsonl"), "--collection", "leads", stdout=again)
    assert "Unchanged (already imported): 2" in again.getvalue()
    assert sorted(Lead.objects.values_list(*fields)) == before


def test_rollback_default_backup_goes_under_backup_dir(tmp_path, settings):
    settings.BACKUP_DIR = tmp_path / "backups"
    make_history({"brand_name": "One"})
    migrate()

    output, _ = migrate("--rollback")

    [backup] = (tmp_path / "backups").iterdir()
    assert f"written to {backup}" in output
    assert backup.suffix == ".jsonl"


def test_rollback_refuses_to_overwrite_a_backup(tmp_path):
    (tmp_path / "backup.jsonl").write_text("precious")
    with pytest.raises(CommandError, match="exists"):
        call_command("migrate_mini_analyses", "--rollback", "--backup", str(tmp_path / "backup.jsonl"))
    assert (tmp_path / "backup.jsonl").read_text() == "precious"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal(capsys):
    make_history({"brand_name": "One"})
    call_command("migrate_mini_analyses", stdout=io.StringIO(), stderr=io.StringIO())
    assert capsys.readouterr().err == ""

    make_history({"brand_name": "Two"})
    call_command("migrate_mini_analyses", stdout=io.StringIO(), stderr=Terminal())
    assert "1/1" in capsys.readouterr().err


# --- Identity keys, whatever wrote the row --------------------------------------------------------


def test_requests_written_by_bulk_create_get_their_own_lead_not_skipped():
    Lead.objects.bulk_create([LeadFactory.build(email="ana@x.com", brand_name="Maison")])
    MiniAnalysis.objects.bulk_create(
        [
            MiniAnalysisFactory.build(email="Ana@X.com", brand_name="maison"),
            MiniAnalysisFactory.build(email="bob@y.com", brand_name="Shop"),
        ]
    )

    output, status = migrate()

    assert status == 0
    assert "[MIGRATED] Shop | bob@y.com" in output
    assert "Leads created: 1" in output
    assert "Skipped (already exist): 1" in output
    assert Lead.objects.filter_identity("bob@y.com", "shop").exists()


@pytest.mark.parametrize("args", [(), ("--dry-run",)])
def test_skipped_counts_the_rows_whose_person_and_brand_has_or_gets_a_lead(args):
    make_history(
        {"email": "a@x.com", "brand_name": "One", "created_at": DAY},
        {"email": "A@x.com", "brand_name": "one", "created_at": DAY + dt.timedelta(days=1)},
        {"email": "b@x.com", "brand_name": "Two"},
    )
    LeadFactory(email="b@x.com", brand_name="Two")

    output, status = migrate(*args)

    assert status == 0
    assert "Skipped (already exist): 2" in output
    assert "Errors: 0" in output


def test_newer_requests_of_a_refused_person_are_not_counted_as_existing():
    refused, _newer = make_history(
        {"email": "a@x.com", "brand_name": "One", "created_at": DAY},
        {"email": "a@x.com", "brand_name": "One", "created_at": DAY + dt.timedelta(days=1)},
    )
    MiniAnalysis.objects.filter(pk=refused.pk).update(language="xx")

    output, status = migrate()

    assert status == 1
    assert "Skipped (already exist): 0" in output
    assert "Errors: 1" in output
    assert "Not migrated (an older request of the same person and brand was refused): 1" in output


def test_a_request_without_brand_is_an_error_naming_the_field_and_value():
    [empty, other] = make_history(
        {"email": "a@x.com", "brand_name": ""}, {"email": "a@x.com", "brand_name": ""}
    )

    output, status = migrate()

    assert status == 1
    assert f"[ERROR] mini-analysis {empty.pk} ( | a@x.com): brand_name '' is empty once trimmed" in output
    assert f"[ERROR] mini-analysis {other.pk} ( | a@x.com): brand_name '' is empty once trimmed" in output
    assert "Skipped (already exist): 0" in output
    assert Lead.objects.count() == 0

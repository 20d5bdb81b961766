"""The backfill: one lead for every person and brand of the history that has none, and its rollback.

Writes go through `bulk_create`, one transaction per batch, so an interruption loses at most
the batch in flight and a re-run finishes the work (the candidates are re-read from the database).
The lead's fields come from `crm.services.lead_fields_from` and its key from `identity_key`,
like the automatic lead's; `bulk_create` bypasses `Lead.save()`, so the key is computed here.
The unique constraint on (email_key, brand_key) is the last guard against a concurrent writer
(another backfill, or the form): a row it refuses counts as skipped.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from bson import json_util
from django.db import DatabaseError, transaction
from django.db.models import CharField, F
from django.utils import timezone

from mini_analysis.keys import identity_key
from mini_analysis.models import Language, MiniAnalysis, Status

from .models import Lead, Source
from .selectors import migration_candidates
from .services import lead_fields_from

MIGRATION_NOTE = "Migrated from mini-analysis collection on {date}"
DEFAULT_BATCH_SIZE = 1000
# Statuses a request records about itself that its migrated lead keeps; any other becomes GENERATED
# when the analysis exists (text or PDF), else stays NEW.
KEPT_STATUSES = {Status.QUOTA_BLOCKED, Status.ERROR, Status.GENERATED}
MINI_ANALYSIS_FIELDS = [
    "pk",
    "email",
    "phone",
    "brand_name",
    "sector",
    "language",
    "status",
    "pdf_url",
    "analysis_text",
    "created_at",
]
_CHAR_LIMITS = {
    f.name: f.max_length for f in Lead._meta.concrete_fields if isinstance(f, CharField) and f.max_length
}


def migration_note(migrated_at: datetime) -> str:
    return MIGRATION_NOTE.format(date=timezone.localdate(migrated_at).isoformat())


def migrated_status(mini_analysis: MiniAnalysis) -> str:
    """GENERATED when the analysis exists; QUOTA_BLOCKED and ERROR are kept as the request recorded them."""
    if mini_analysis.status in KEPT_STATUSES:
        return mini_analysis.status
    return Status.GENERATED if (mini_analysis.analysis_text or mini_analysis.pdf_url) else Status.NEW


def migrated_lead(mini_analysis: MiniAnalysis, migrated_at: datetime) -> Lead:
    """The lead the backfill creates for a mini-analysis (not saved)."""
    lead = Lead(
        **lead_fields_from(mini_analysis),
        source=Source.MIGRATION,
        notes=migration_note(migrated_at),
        created_at=mini_analysis.created_at,
        updated_at=migrated_at,
        migrated_at=migrated_at,
    )
    lead.status = migrated_status(mini_analysis)
    lead.email_key, lead.brand_key = identity_key(lead.email, lead.brand_name)
    return lead


def lead_problem(lead: Lead) -> str | None:
    """Why the database would refuse this lead, said before it does (cheap checks, no query)."""
    if not lead.email_key:
        return "email is empty"
    if not lead.brand_key:
        return "brand name is empty"
    if lead.language not in Language.values:
        return f"language {lead.language!r} is not one of {', '.join(Language.values)}"
    if lead.status not in Status.values:
        return f"status {lead.status!r} is not one of {', '.join(Status.values)}"
    for name, limit in _CHAR_LIMITS.items():
        value = getattr(lead, name)
        if isinstance(value, str) and len(value) > limit:
            return f"{name} is longer than {limit} characters"
    return None


@dataclass
class BatchResult:
    """What one batch did; `created` leads are committed when the batch is yielded (unless a dry run)."""

    created: list[Lead] = field(default_factory=list)
    errors: list[tuple[MiniAnalysis, str]] = field(default_factory=list)
    skipped: int = 0


def migrate_mini_analyses(
    *, batch_size: int = DEFAULT_BATCH_SIZE, dry_run: bool = False, migrated_at: datetime | None = None
) -> Iterator[BatchResult]:
    """Create the missing leads, one committed batch at a time (keyset on the mini-analysis id).

    Only the oldest mini-analysis of each person and brand without a lead is a candidate, so
    memory stays one batch whatever the history's size; a dry run reads the same batches and writes nothing.
    """
    migrated_at = migrated_at or timezone.now()
    candidates = migration_candidates().only(*MINI_ANALYSIS_FIELDS).order_by("pk")
    last_pk = 0
    while True:
        batch = list(candidates.filter(pk__gt=last_pk)[:batch_size])
        if not batch:
            return
        last_pk = batch[-1].pk
        yield _migrate_batch(batch, migrated_at, dry_run)


def _migrate_batch(batch: list[MiniAnalysis], migrated_at: datetime, dry_run: bool) -> BatchResult:
    result = BatchResult()
    leads: list[Lead] = []
    for mini_analysis in batch:
        lead = migrated_lead(mini_analysis, migrated_at)
        if problem := lead_problem(lead):
            result.errors.append((mini_analysis, problem))
        else:
            leads.append(lead)
    if dry_run:
        result.created = leads
        return result
    try:
        with transaction.atomic():
            # ON CONFLICT DO NOTHING: a lead written meanwhile by the form or another backfill wins.
            Lead.objects.bulk_create(leads, ignore_conflicts=True)
    except DatabaseError:
        leads = _insert_one_by_one(leads, result)
    return _sort_out(leads, result, migrated_at)


def _insert_one_by_one(leads: list[Lead], result: BatchResult) -> list[Lead]:
    """The batch failed as a whole: insert its rows one by one to find the guilty ones."""
    inserted = []
    for lead in leads:
        try:
            with transaction.atomic():
                Lead.objects.bulk_create([lead], ignore_conflicts=True)
        except DatabaseError as error:
            result.errors.append((lead.mini_analysis, str(error).strip()))
        else:
            inserted.append(lead)
    return inserted


def _sort_out(leads: list[Lead], result: BatchResult, migrated_at: datetime) -> BatchResult:
    """Tell created from skipped: ours are the leads linked to these requests with this run's stamp.

    A lead not written is skipped when its person and brand has a lead now (a concurrent writer
    won the race), an error otherwise (SQLite's INSERT OR IGNORE also drops rows it refuses).
    """
    created = set(
        Lead.objects.filter(
            mini_analysis__in=[lead.mini_analysis_id for lead in leads], migrated_at=migrated_at
        ).values_list("mini_analysis_id", flat=True)
    )
    result.created = [lead for lead in leads if lead.mini_analysis_id in created]
    not_written = [lead for lead in leads if lead.mini_analysis_id not in created]
    if not_written:
        existing = set(
            Lead.objects.filter(email_key__in={lead.email_key for lead in not_written}).values_list(
                "email_key", "brand_key"
            )
        )
        for lead in not_written:
            if (lead.email_key, lead.brand_key) in existing:
                result.skipped += 1
            else:
                result.errors.append((lead.mini_analysis, "the database did not write the lead"))
    return result


# --- Rollback -------------------------------------------------------------------------------------


def backup_document(lead: Lead) -> dict:
    """A lead as `import_legacy --collection leads` reads it back (relaxed Extended JSON)."""
    mini_analysis = lead.mini_analysis
    return {
        "_id": lead.legacy_id or f"igv-crm-lead-{lead.pk}",
        "email": lead.email,
        "phone": str(lead.phone) if lead.phone else "",
        "brand_name": lead.brand_name,
        "sector": lead.sector,
        "language": lead.language,
        "status": lead.status,
        "source": lead.source,
        "assigned_to": lead.assigned_to.get_username() if lead.assigned_to else None,
        "mini_analysis_id": mini_analysis.legacy_id if mini_analysis else None,
        "mini_analysis_pk": lead.mini_analysis_id,
        "pdf_url": lead.pdf_url,
        "analysis_text": lead.analysis_text,
        "notes": lead.notes,
        "created_at": _extended_json_date(lead.created_at),
        "updated_at": _extended_json_date(lead.updated_at),
        "migrated_at": _extended_json_date(lead.migrated_at),
    }


def _extended_json_date(moment: datetime | None) -> dict | None:
    """`{"$date": "…Z"}` with microseconds: BSON dates (and `json_util.dumps`) keep milliseconds only,
    and a restore must give back the exact values."""
    if moment is None:
        return None
    return {"$date": moment.astimezone(UTC).isoformat().replace("+00:00", "Z")}


def worked_on(lead: Lead) -> list[str]:
    """Why a sales person (or a newer request) has touched this migrated lead; empty if untouched."""
    if lead.migrated_at is None:
        return ["not created by this backfill"]
    reasons = []
    if lead.assigned_to_id is not None:
        reasons.append("assigned")
    if lead.notes != migration_note(lead.migrated_at):
        reasons.append("notes edited")
    if lead.mini_analysis is not None and lead.status != migrated_status(lead.mini_analysis):
        reasons.append("status changed")
    if lead.updated_at > lead.migrated_at:
        reasons.append("updated after the migration")
    return reasons


@dataclass
class RollbackResult:
    backup_path: Path
    backed_up: int = 0
    deleted: int = 0
    kept: list[tuple[Lead, list[str]]] = field(default_factory=list)


def rollback_migration(
    backup: IO[str], *, force: bool = False, batch_size: int = DEFAULT_BATCH_SIZE
) -> RollbackResult:
    """Delete the migrated leads nobody worked on, after writing each one to `backup` (JSON lines).

    The backup is complete and flushed before anything is deleted; the deletion is one
    transaction and re-checks "untouched" in SQL, so a lead assigned in between is kept.
    """
    result = RollbackResult(backup_path=Path(getattr(backup, "name", "")))
    to_delete: list[int] = []
    migrated = (
        Lead.objects.filter(source=Source.MIGRATION)
        .select_related("assigned_to", "mini_analysis")
        .order_by("pk")
    )
    last_pk = 0
    while batch := list(migrated.filter(pk__gt=last_pk)[:batch_size]):
        last_pk = batch[-1].pk
        for lead in batch:
            reasons = [] if force else worked_on(lead)
            if reasons:
                result.kept.append((lead, reasons))
                continue
            backup.write(json_util.dumps(backup_document(lead), json_options=json_util.RELAXED_JSON_OPTIONS))
            backup.write("\n")
            to_delete.append(lead.pk)
    backup.flush()
    result.backed_up = len(to_delete)
    with transaction.atomic():
        for start in range(0, len(to_delete), batch_size):
            doomed = Lead.objects.filter(
                source=Source.MIGRATION, pk__in=to_delete[start : start + batch_size]
            )
            if not force:
                doomed = doomed.filter(assigned_to__isnull=True, updated_at__lte=F("migrated_at"))
            result.deleted += doomed.delete()[1].get(Lead._meta.label, 0)
    return result

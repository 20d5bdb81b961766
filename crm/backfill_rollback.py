"""The backfill's rollback: a backup of every lead it created, then the deletion of those nobody
worked on since. Each reason a lead was worked on is one SQL condition (`worked_on_conditions`):
the listing reads them as columns (`with_worked_on`, `worked_on`), the deleting query filters on
the same ones again under the lock (`untouched`), so the two can never disagree."""

import contextlib
import io
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO

from bson import json_util
from django.db import transaction
from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
)

from .backfill import DEFAULT_BATCH_SIZE, migrated_status_expression, migration_note_expression
from .history import BACKFILL_ACTOR, acting_as, service_account
from .models import Activity, Lead, LeadStage, Source


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


NOT_MIGRATED = "not created by this backfill"


def worked_on_conditions() -> dict[str, Q]:
    """Why a sales person (or a newer request) has touched a migrated lead: each reason is a
    condition over the lead row, in SQL. The one definition of "worked on": the rollback reads
    them as columns (`with_worked_on`, `worked_on`) and re-checks them in its deletion."""
    return {
        "assigned": Q(assigned_to__isnull=False),
        "notes edited": ~Q(notes=migration_note_expression()),
        "status changed": Q(mini_analysis__isnull=False)
        & ~Q(status=migrated_status_expression("mini_analysis__")),
        "updated after the migration": Q(updated_at__gt=F("migrated_at")),
        "stage changed": ~Q(stage=LeadStage.NEW),
        "converted": Q(converted_at__isnull=False),
        "activities logged": Q(Exists(Activity.objects.filter(lead=OuterRef("pk")))),
    }


def _flag(reason: str) -> str:
    return "worked_on_" + reason.replace(" ", "_")


def with_worked_on(leads: QuerySet[Lead]) -> QuerySet[Lead]:
    """The leads, each with one boolean column per reason of `worked_on_conditions`."""
    return leads.annotate(
        **{
            _flag(reason): ExpressionWrapper(condition, output_field=BooleanField())
            for reason, condition in worked_on_conditions().items()
        }
    )


def worked_on(lead: Lead) -> list[str]:
    """Why this migrated lead counts as worked on; empty if untouched. Read from the columns of
    `with_worked_on` (a lead read without them is read again with them)."""
    if lead.migrated_at is None:
        return [NOT_MIGRATED]
    if not hasattr(lead, _flag("assigned")):
        lead = with_worked_on(Lead.objects.filter(pk=lead.pk)).get()
    return [reason for reason in worked_on_conditions() if getattr(lead, _flag(reason))]


def untouched(leads: QuerySet[Lead]) -> QuerySet[Lead]:
    """The leads `worked_on` finds nothing on, in SQL: the deletion re-checks it in its own
    transaction with the same conditions."""
    return with_worked_on(leads).filter(
        migrated_at__isnull=False, **{_flag(reason): False for reason in worked_on_conditions()}
    )


@dataclass
class RollbackResult:
    backed_up: int = 0
    deleted: int = 0
    kept: list[tuple[Lead, list[str]]] = field(default_factory=list)


def rollback_migration(
    backup: IO[str], *, force: bool = False, batch_size: int = DEFAULT_BATCH_SIZE
) -> RollbackResult:
    """Delete the migrated leads nobody worked on, after writing each one to `backup` (JSON lines).

    The backup is complete and flushed before anything is deleted; the deletion is one
    transaction and re-checks "untouched" in SQL, so a lead assigned in between is kept. Each
    deletion is in the leads' history, by the "backfill" service account.
    """
    result = RollbackResult()
    to_delete: list[int] = []
    migrated = with_worked_on(
        Lead.objects.filter(source=Source.MIGRATION).select_related("assigned_to", "mini_analysis")
    ).order_by("pk")
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
    with contextlib.suppress(AttributeError, io.UnsupportedOperation):
        os.fsync(backup.fileno())  # on disk before anything is deleted
    result.backed_up = len(to_delete)
    with transaction.atomic(), acting_as(service_account(BACKFILL_ACTOR)):
        for start in range(0, len(to_delete), batch_size):
            doomed = Lead.objects.filter(
                source=Source.MIGRATION, pk__in=to_delete[start : start + batch_size]
            )
            if not force:
                doomed = untouched(doomed)
            result.deleted += doomed.delete()[1].get(Lead._meta.label, 0)
    return result

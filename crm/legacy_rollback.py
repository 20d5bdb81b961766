"""The rollback of the seed's migration on the live MongoDB: a backup of every migrated lead first,
then the deletion of those the old CRM has not worked on since (status, assignee, notes or
`updated_at` changed), checked again in the deleting query."""

import contextlib
import io
import os
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO

from bson import json_util
from bson.json_util import CANONICAL_JSON_OPTIONS
from pymongo.database import Database

from .backfill import migration_note
from .legacy_migration import DEFAULT_BATCH_SIZE, MIGRATED_STATUS
from .legacy_server import LEADS
from .models import Source

# --- The rollback ---------------------------------------------------------------------------------


@dataclass
class RollbackResult:
    backed_up: int = 0
    deleted: int = 0
    kept: list[tuple[dict, list[str]]] = field(default_factory=list)


def untouched_filter(database: Database) -> dict:
    """The leads a run of this command created that nobody touched since, as a MongoDB filter."""
    runs = database[LEADS].distinct(
        "migrated_at", {"source": Source.MIGRATION, "migrated_at": {"$type": "date"}}
    )
    if not runs:
        return {"_id": {"$in": []}}
    return {
        "source": Source.MIGRATION,
        "status": MIGRATED_STATUS,
        "assigned_to": None,
        "$or": [{"migrated_at": run, "updated_at": run, "notes": migration_note(run)} for run in runs],
    }


def worked_on(lead: dict) -> list[str]:
    """Why a migrated lead counts as worked on in the old CRM; empty when untouched."""
    migrated_at = lead.get("migrated_at")
    if not isinstance(migrated_at, datetime):
        return ["not created by this migration"]
    reasons = []
    if lead.get("status") != MIGRATED_STATUS:
        reasons.append("status changed")
    if lead.get("assigned_to") is not None:
        reasons.append("assigned")
    if lead.get("notes") != migration_note(migrated_at):
        reasons.append("notes edited")
    if lead.get("updated_at") != migrated_at:
        reasons.append("updated after the migration")
    return reasons


def rollback(
    database: Database, backup: IO[str], *, force: bool = False, batch_size: int = DEFAULT_BATCH_SIZE
) -> RollbackResult:
    """Back up, then delete, the migrated leads nobody worked on (all of them with `force`)."""
    leads = database[LEADS]
    result = RollbackResult()
    doomed_filter = {"source": Source.MIGRATION} if force else untouched_filter(database)
    ids = []
    for lead in leads.find({"source": Source.MIGRATION}).sort("_id", 1).batch_size(batch_size):
        reasons = [] if force else worked_on(lead)
        if reasons:
            result.kept.append((lead, reasons))
            continue
        backup.write(json_util.dumps(lead, json_options=CANONICAL_JSON_OPTIONS))
        backup.write("\n")
        ids.append(lead["_id"])
    backup.flush()
    with contextlib.suppress(AttributeError, io.UnsupportedOperation):
        os.fsync(backup.fileno())  # on disk before anything is deleted
    result.backed_up = len(ids)
    for start in range(0, len(ids), batch_size):
        deleted = leads.delete_many({**doomed_filter, "_id": {"$in": ids[start : start + batch_size]}})
        result.deleted += deleted.deleted_count
    return result

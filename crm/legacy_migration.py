"""The seed's audit, migration and rollback, run on the legacy MongoDB collections themselves.

`check_mini_analyses --mongo-uri` and `migrate_mini_analyses --mongo-uri` do what the seed's
`backend/check_mini_analyses.py` and `backend/migrate_mini_analyses.py` did, with the CRM's rules:

- **Identity.** "Same email and brand" is the CRM's key (`mini_analysis.keys.identity_key`: NFKC,
  case-folded, trimmed, spaces collapsed), read under the French or English field names. MongoDB
  cannot compute it (`$toLower` folds ASCII only), so one streamed pass reads `_id`, email and brand
  of both collections, computes the keys in Python and writes them, in bulk, into a scratch
  collection of this run (`igv_keys_<run>`), dropped at the end.
- **Set-based on the server.** Everything else is one aggregation pipeline: one `$group` by
  identity says whether a lead has it and which request is its oldest (`$top`), the request itself
  comes by `$lookup` on `_id`, the lead's fields by `$project` (dotted paths), and `$merge` writes
  them into `leads`. A migrated lead's `_id` is its request's `_id`, and `$merge` keeps an
  existing document: two runs at once cannot write the same lead twice.
- **The old backend writing meanwhile.** After the merge, the leads created since the run started
  by anyone else are keyed; a lead of this run whose identity one of them has is deleted again (the
  old backend's lead stays, and the request counts as skipped).
- **Rollback.** Deletes the leads a run of this command created (`migrated_at`) that nobody has
  worked on in the old CRM since (status, assignee, notes and `updated_at` as the run wrote them),
  after writing each one, as it is, to a backup file (canonical Extended JSON, `mongoimport`'s
  format). The deletion re-checks those conditions, so a lead edited after the backup is kept.
"""

import contextlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone
from pymongo.database import Database

from mini_analysis.models import Status

from .backfill import migration_note
from .legacy_server import LEADS, REQUESTS, created_at_of, identity_of, to_millisecond
from .models import ANALYSIS_PREVIEW_LENGTH, Source

DEFAULT_BATCH_SIZE = 10_000
# The seed's status of a migrated lead: its analysis was generated already.
MIGRATED_STATUS = Status.GENERATED
# Leads written by someone else this long before the run started are checked for a clash too
# (clocks of the old backend's machines and this one's may differ a little).
CLOCK_MARGIN = timedelta(minutes=1)
KEY_FIELDS = {"email": 1, "brand_name": 1, "nom_de_marque": 1, "created_at": 1}


@dataclass
class RequestRow:
    """A request as the audit and the log lines show it."""

    id: object
    created_at: datetime | None
    brand_name: str
    email: str
    status: str


@dataclass
class Audit:
    mini_analyses: int = 0
    leads: int = 0
    without_lead: int = 0
    to_migrate: list[RequestRow] = field(default_factory=list)

    @property
    def more_to_migrate(self) -> int:
        return self.without_lead - len(self.to_migrate)


@dataclass
class MigrationResult:
    mini_analyses: int = 0
    leads_before: int = 0
    created: list[tuple[str, str]] = field(default_factory=list)  # (brand name, email), oldest first
    errors: list[tuple[RequestRow, str]] = field(default_factory=list)
    leads_after: int = 0

    @property
    def skipped(self) -> int:
        """Requests whose person and brand had a lead, or got one from an older request."""
        return self.mini_analyses - len(self.created) - len(self.errors)


class KeyedSnapshot:
    """The CRM's identity of every request and lead, in one scratch collection of this run: a
    document `{ref, lead, identity, created_at}` per request (`lead: false`) and per lead."""

    def __init__(self, database: Database, *, batch_size: int = DEFAULT_BATCH_SIZE) -> None:
        self.database = database
        self.batch_size = batch_size
        self.keys = database[f"igv_keys_{uuid.uuid4().hex[:12]}"]
        self.started_at = to_millisecond(timezone.now())
        self.request_count = self.lead_count = 0
        self.unkeyed: list[tuple[RequestRow, str]] = []
        self.has_top = has_top(database)

    def __enter__(self) -> "KeyedSnapshot":
        try:
            self.lead_count = self._key(LEADS, lead=True)
            self.request_count = self._key(REQUESTS, lead=False)
        except BaseException:
            self.drop()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self.drop()

    def drop(self) -> None:
        with contextlib.suppress(Exception):  # the run's outcome, not the clean-up's, is reported
            self.keys.drop()

    def _key(self, source: str, *, lead: bool) -> int:
        """Stream `source` (the identity's fields only) and write each document's key, in bulk."""
        fields = KEY_FIELDS if lead else {**KEY_FIELDS, "status": 1}
        count, batch = 0, []
        for document in self.database[source].find({}, fields).batch_size(self.batch_size):
            count += 1
            identity, reason = identity_of(document)
            if identity is None:
                if not lead:
                    self.unkeyed.append((request_row(document), reason))
                continue
            batch.append(
                {
                    "ref": document["_id"],
                    "lead": lead,
                    "identity": identity,
                    "created_at": created_at_of(document),
                }
            )
            if len(batch) >= self.batch_size:
                self.keys.insert_many(batch, ordered=False)
                batch = []
        if batch:
            self.keys.insert_many(batch, ordered=False)
        return count

    def oldest_request_by_identity(self) -> list[dict]:
        """Stages: one document per identity, `{_id: identity, led, request, created_at}`, where
        `led` says a lead has it and `request` is its oldest request (earliest date, then `_id`)."""
        order = {"lead": 1, "created_at": 1, "ref": 1}  # a request before a lead
        if self.has_top:
            return [
                {"$group": {"_id": "$identity", "led": {"$max": "$lead"},
                            "request": {"$top": {"sortBy": order, "output": "$ref"}},
                            "created_at": {"$top": {"sortBy": order, "output": "$created_at"}}}},
            ]  # fmt: skip
        return [
            {"$sort": {"identity": 1, **order}},
            {"$group": {"_id": "$identity", "led": {"$max": "$lead"}, "request": {"$first": "$ref"},
                        "created_at": {"$first": "$created_at"}}},
        ]  # fmt: skip

    def identities_of(self, documents: Iterator[dict]) -> set[str]:
        return {identity for document in documents if (identity := identity_of(document)[0])}


def has_top(database: Database) -> bool:
    """`$top` (MongoDB 5.2+) picks the oldest request while grouping; older servers sort first."""
    return database.client.server_info().get("versionArray", [0]) >= [5, 2]


def request_row(document: dict) -> RequestRow:
    def text(*names: str) -> str:
        return next((str(document[name]) for name in names if document.get(name) is not None), "")

    return RequestRow(
        id=document.get("_id"),
        created_at=created_at_of(document),
        brand_name=text("brand_name", "nom_de_marque"),
        email=text("email"),
        status=text("status"),
    )


# --- The audit ------------------------------------------------------------------------------------


def audit(database: Database, limit: int = 50, *, batch_size: int = DEFAULT_BATCH_SIZE) -> Audit:
    """The seed's `check_mini_analyses` figures: requests, leads, requests without a lead (the
    oldest `limit` listed). A request without an email or brand has no lead."""
    with KeyedSnapshot(database, batch_size=batch_size) as snapshot:
        members = {"$push": {"$cond": ["$lead", None, {"ref": "$ref", "created_at": "$created_at"}]}}
        without = [
            {"$group": {"_id": "$identity", "led": {"$max": "$lead"}, "requests": members}},
            {"$match": {"led": False}},
            {"$unwind": "$requests"},
        ]
        counted = list(snapshot.keys.aggregate([*without, {"$count": "n"}]))
        keyed_without = counted[0]["n"] if counted else 0
        oldest = snapshot.keys.aggregate(
            [
                *without,
                {"$sort": {"requests.created_at": 1, "requests.ref": 1}},
                {"$limit": max(min(limit, snapshot.request_count), 1)},  # a BSON integer, whatever --limit
                {
                    "$lookup": {
                        "from": REQUESTS,
                        "localField": "requests.ref",
                        "foreignField": "_id",
                        "as": "request",
                    }
                },
                {"$unwind": "$request"},
                {"$replaceWith": "$request"},
            ]
        )
        rows = [request_row(document) for document in oldest] if limit else []
        unkeyed = [row for row, _ in snapshot.unkeyed]
        rows = sorted([*rows, *unkeyed], key=_oldest_first)[:limit]
        return Audit(
            mini_analyses=snapshot.request_count,
            leads=snapshot.lead_count,
            without_lead=keyed_without + len(unkeyed),
            to_migrate=rows,
        )


def _oldest_first(row: RequestRow) -> tuple:
    return (row.created_at is not None, row.created_at or 0, str(row.id))


# --- The migration --------------------------------------------------------------------------------


def _string(*paths: str) -> dict:
    """The first of these fields that holds a string, else '' (a stray object must not fail the
    whole pipeline, nor land in the lead)."""
    expression: object = ""
    for path in reversed(paths):
        expression = {"$cond": [{"$eq": [{"$type": f"${path}"}, "string"]}, f"${path}", expression]}
    return expression


def lead_projection(migrated_at: datetime) -> dict:
    """The seed's lead document, from the request joined as `request` (dotted paths only: a nested
    object in `$project` is a literal for some servers)."""
    return {
        "_id": "$request._id",
        "email": _string("request.email"),
        "phone": _string("request.phone", "request.telephone"),
        "brand_name": _string("request.brand_name", "request.nom_de_marque"),
        "sector": _string("request.sector", "request.secteur"),
        "language": _string("request.language", "request.langue"),
        "status": {"$literal": MIGRATED_STATUS},
        "source": {"$literal": Source.MIGRATION},
        "assigned_to": None,
        "created_at": "$created_at",
        "updated_at": {"$literal": migrated_at},
        "migrated_at": {"$literal": migrated_at},
        "mini_analysis_id": "$request._id",
        "pdf_url": _string("request.pdf_url"),
        "analysis_text": {
            "$substrCP": [_string("request.analysis_text", "request.analysis"), 0, ANALYSIS_PREVIEW_LENGTH]
        },
        "notes": {"$literal": migration_note(migrated_at)},
    }


def migration_pipeline(snapshot: KeyedSnapshot, migrated_at: datetime, *, dry_run: bool) -> list[dict]:
    """The oldest request of each identity without a lead, as the seed's lead document, merged."""
    pipeline = [
        *snapshot.oldest_request_by_identity(),
        {"$match": {"led": False}},
        {"$lookup": {"from": REQUESTS, "localField": "request", "foreignField": "_id", "as": "request"}},
        {"$unwind": "$request"},
        {"$project": lead_projection(migrated_at)},
    ]
    if dry_run:
        return [
            *pipeline,
            {"$sort": {"created_at": 1, "_id": 1}},
            {"$project": {"brand_name": 1, "email": 1}},
        ]
    return [*pipeline, {"$merge": {"into": LEADS, "on": "_id", "whenMatched": "keepExisting",
                                   "whenNotMatched": "insert"}}]  # fmt: skip


def migrate(
    database: Database,
    *,
    dry_run: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    migrated_at: datetime | None = None,
) -> MigrationResult:
    """Create the missing leads in `leads` (or, in a dry run, say which)."""
    migrated_at = to_millisecond(migrated_at or timezone.now())
    with KeyedSnapshot(database, batch_size=batch_size) as snapshot:
        result = MigrationResult(
            mini_analyses=snapshot.request_count, leads_before=snapshot.lead_count, errors=snapshot.unkeyed
        )
        pipeline = migration_pipeline(snapshot, migrated_at, dry_run=dry_run)
        if dry_run:
            result.created = [
                (lead["brand_name"], lead["email"]) for lead in snapshot.keys.aggregate(pipeline)
            ]
        else:
            snapshot.keys.aggregate(pipeline)
            _give_way_to_concurrent_leads(snapshot, migrated_at)
            mine = database[LEADS].find(
                {"migrated_at": migrated_at, "source": Source.MIGRATION}, {"brand_name": 1, "email": 1}
            )
            result.created = [
                (lead["brand_name"], lead["email"]) for lead in mine.sort([("created_at", 1), ("_id", 1)])
            ]
    result.leads_after = database[LEADS].count_documents({})
    return result


def _give_way_to_concurrent_leads(snapshot: KeyedSnapshot, migrated_at: datetime) -> int:
    """Delete the leads of this run whose person and brand got a lead from someone else meanwhile
    (the old backend's form); returns how many. Theirs is the live one."""
    since = snapshot.started_at - CLOCK_MARGIN
    newcomers = snapshot.database[LEADS].find(
        {
            "migrated_at": {"$ne": migrated_at},
            "$or": [{"created_at": {"$gte": since}}, {"updated_at": {"$gte": since}}],
        },
        KEY_FIELDS,
    )
    identities = snapshot.identities_of(newcomers)
    if not identities:
        return 0
    clashing = [
        key["ref"]
        for key in snapshot.keys.find({"identity": {"$in": sorted(identities)}, "lead": False}, {"ref": 1})
    ]
    deleted = snapshot.database[LEADS].delete_many(
        {"_id": {"$in": clashing}, "migrated_at": migrated_at, "source": Source.MIGRATION}
    )
    return deleted.deleted_count

"""The backfill: one lead for every person and brand of the history that has none, and its rollback.

The leads are written set-based, one `INSERT … SELECT` per batch of mini-analysis ids (a keyset
range), each batch in its own transaction: memory stays constant, an interruption loses at most
the batch in flight, and a re-run finishes the work (the candidates are re-read from the database).
The lead's fields come from `crm.services.lead_expressions_from`, the SQL twin of the
`lead_fields_from` the automatic lead uses (`COPIED_FIELDS` is their one list), and the identity
key is the one `identity_key` stored on the mini-analysis. The unique constraint on
(email_key, brand_key) is the last guard against a concurrent writer (another backfill, or the
form): `ON CONFLICT DO NOTHING` leaves their lead alone, and the row counts as skipped.
"""

import contextlib
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO

from bson import json_util
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import DatabaseError, connections, transaction
from django.db.models import (
    Case,
    CharField,
    DateTimeField,
    Exists,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Length
from django.utils import timezone

from mini_analysis.keys import KEYED
from mini_analysis.models import Language, MiniAnalysis, Status

from .history import BACKFILL_ACTOR, acting_as, insert_history, service_account
from .models import Activity, Lead, LeadStage, Source
from .selectors import lead_of_same_identity, migration_candidates
from .services import COPIED_FIELDS, lead_expressions_from, lead_fields_from

MIGRATION_NOTE = "Migrated from mini-analysis collection on {date}"
DEFAULT_BATCH_SIZE = 10_000
# Statuses a request records about itself that its migrated lead keeps; any other becomes GENERATED
# when the analysis exists (text or PDF), else stays NEW.
KEPT_STATUSES = [Status.GENERATED, Status.QUOTA_BLOCKED, Status.ERROR]
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


def migrated_status_expression() -> Case:
    """`migrated_status` in SQL."""
    return Case(
        When(status__in=KEPT_STATUSES, then=F("status")),
        When(~Q(analysis_text="") | ~Q(pdf_url=""), then=Value(Status.GENERATED)),
        default=Value(Status.NEW),
        output_field=CharField(),
    )


def migrated_lead(mini_analysis: MiniAnalysis, migrated_at: datetime) -> Lead:
    """The lead the backfill creates for a mini-analysis, in Python (not saved)."""
    lead = Lead(
        **lead_fields_from(mini_analysis),
        source=Source.MIGRATION,
        notes=migration_note(migrated_at),
        created_at=mini_analysis.created_at,
        updated_at=migrated_at,
        migrated_at=migrated_at,
    )
    lead.status = migrated_status(mini_analysis)
    # The stored keys, as the SQL twin copies them (`migrated_lead_expressions`).
    lead.email_key, lead.brand_key = mini_analysis.email_key, mini_analysis.brand_key
    return lead


def migrated_lead_expressions(migrated_at: datetime) -> dict:
    """`migrated_lead` in SQL: each lead column as an expression over the mini-analysis row."""
    moment = Value(migrated_at, output_field=DateTimeField())
    return {
        **lead_expressions_from(),
        "status": migrated_status_expression(),
        "source": Value(Source.MIGRATION),
        "notes": Value(migration_note(migrated_at)),
        "email_key": F("email_key"),
        "brand_key": F("brand_key"),
        "created_at": F("created_at"),
        "updated_at": moment,
        "migrated_at": moment,
    }


def lead_problem(lead: Lead) -> str | None:
    """Why the database would refuse this lead, or why it would be wrong (cheap checks, no query):
    the field and the value refused."""
    if not lead.email_key:
        return f"email {lead.email!r} is empty once trimmed"
    if not lead.brand_key:
        return f"brand_name {lead.brand_name!r} is empty once trimmed"
    if lead.language not in Language.values:
        return f"language {lead.language!r} is not one of {', '.join(Language.values)}"
    if lead.status not in Status.values:
        return f"status {lead.status!r} is not one of {', '.join(Status.values)}"
    for name, limit in _CHAR_LIMITS.items():
        value = getattr(lead, name)
        if isinstance(value, str) and len(value) > limit:
            return f"{name} {value[:40]!r}… is longer than {limit} characters ({len(value)})"
    return None


def refused_values(mini_analysis: MiniAnalysis) -> str:
    """The values of a row the database refused without a check naming its field."""
    values = ", ".join(
        f"{name} {getattr(mini_analysis, name)!r}" for name in ["email", "brand_name", "language", "status"]
    )
    return f"refused: {values}"


def _split_by_validity(mini_analyses: QuerySet[MiniAnalysis]) -> tuple[QuerySet, QuerySet]:
    """`lead_problem` in SQL: (the mini-analyses whose lead the checks accept, those they refuse)."""
    lengths = {f"{name}_length": Length(name) for name in COPIED_FIELDS if name in _CHAR_LIMITS}
    invalid = (
        ~Q(language__in=Language.values) | ~Q(status__in=Status.values) | Q(email_key="") | Q(brand_key="")
    )
    for alias in lengths:
        invalid |= Q(**{f"{alias}__gt": _CHAR_LIMITS[alias.removesuffix("_length")]})
    mini_analyses = mini_analyses.alias(**lengths)
    return mini_analyses.exclude(invalid), mini_analyses.filter(invalid)


def already_led(last_pk: int, *, dry_run: bool = False) -> int:
    """How many mini-analyses up to `last_pk` have a lead of their real person and brand (in a dry
    run: have one, or would have one from a candidate the checks accept). An empty key has none."""
    rows = MiniAnalysis.objects.filter(KEYED, pk__lte=last_pk).order_by()
    led = Q(lead_of_same_identity())
    if dry_run:
        valid, _ = _split_by_validity(MiniAnalysis.objects.order_by())
        same = {"email_key": OuterRef("email_key"), "brand_key": OuterRef("brand_key")}
        led |= Q(Exists(migration_candidates(valid).filter(**same)))
    return rows.filter(led).count()


@dataclass
class BatchResult:
    """What one batch did; its leads are committed when it is yielded (unless a dry run)."""

    created: int = 0
    leads: list[tuple[str, str]] = field(default_factory=list)  # (brand name, email) of each lead
    errors: list[tuple[MiniAnalysis, str]] = field(default_factory=list)


def id_ranges(batch_size: int) -> Iterator[tuple[int, int]]:
    """(after, up_to) ranges of mini-analysis ids covering the table: the keyset batches."""
    bounds = MiniAnalysis.objects.aggregate(first=Min("pk"), last=Max("pk"))
    if bounds["first"] is None:
        return
    for after in range(bounds["first"] - 1, bounds["last"], batch_size):
        yield after, min(after + batch_size, bounds["last"])


def migrate_mini_analyses(
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    dry_run: bool = False,
    list_leads: bool = True,
    migrated_at: datetime | None = None,
) -> Iterator[BatchResult]:
    """Create the missing leads, one committed batch of mini-analysis ids at a time.

    Only the oldest mini-analysis of each person and brand without a lead is a candidate. With
    `list_leads`, each result names the leads it created; a dry run names those it would create.
    Each created lead has its first history row, written by the "backfill" service account in the
    same transaction and the same set-based way (`crm.history.insert_history`).
    """
    migrated_at = migrated_at or timezone.now()
    actor = None if dry_run else service_account(BACKFILL_ACTOR)
    for ids in id_ranges(batch_size):
        yield _migrate_batch(ids, migrated_at, dry_run=dry_run, list_leads=list_leads, actor=actor)


def _migrate_batch(
    ids: tuple[int, int],
    migrated_at: datetime,
    *,
    dry_run: bool,
    list_leads: bool,
    actor: AbstractBaseUser | None = None,
) -> BatchResult:
    after, up_to = ids
    in_range = MiniAnalysis.objects.filter(pk__gt=after, pk__lte=up_to).order_by()
    result = BatchResult()
    if not migration_candidates(in_range).exists():  # a re-run: one indexed pass, no more
        return result
    valid, invalid = (migration_candidates(rows) for rows in _split_by_validity(in_range))
    for mini_analysis in invalid.order_by("pk"):
        problem = lead_problem(migrated_lead(mini_analysis, migrated_at)) or refused_values(mini_analysis)
        result.errors.append((mini_analysis, problem))
    if dry_run:
        result.leads = list(valid.order_by("pk").values_list("brand_name", "email"))
        result.created = len(result.leads)
        return result
    expressions = migrated_lead_expressions(migrated_at)
    try:
        with transaction.atomic():
            result.created = _insert_select(valid, expressions)
            _record_history(Q(mini_analysis_id__gt=after, mini_analysis_id__lte=up_to), migrated_at, actor)
    except DatabaseError:
        result.created = _insert_one_by_one(valid, expressions, result, migrated_at, actor)
    if list_leads and result.created:
        created = Lead.objects.filter(
            migrated_at=migrated_at, mini_analysis_id__gt=after, mini_analysis_id__lte=up_to
        )
        result.leads = list(created.order_by("mini_analysis_id").values_list("brand_name", "email"))
    return result


def _insert_select(mini_analyses: QuerySet[MiniAnalysis], expressions: dict) -> int:
    """`INSERT INTO leads (…) SELECT …` of these mini-analyses; returns how many leads were written."""
    select = mini_analyses.order_by().values(**{f"lead_{name}": value for name, value in expressions.items()})
    sql, params = select.query.sql_with_params()
    connection = connections[mini_analyses.db]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(Lead._meta.get_field(name).column) for name in expressions)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(Lead._meta.db_table)} ({columns}) {sql} ON CONFLICT DO NOTHING",
            params,
        )
        return cursor.rowcount


def _record_history(where: Q, migrated_at: datetime, actor: AbstractBaseUser | None) -> None:
    """The "created" history row of the leads this run just inserted (`where` narrows to a batch)."""
    created = Lead.objects.filter(where, migrated_at=migrated_at)
    insert_history(created, history_type="+", user=actor, reason="backfill", date=migrated_at)


def _insert_one_by_one(
    mini_analyses: QuerySet[MiniAnalysis],
    expressions: dict,
    result: BatchResult,
    migrated_at: datetime,
    actor: AbstractBaseUser | None,
) -> int:
    """The batch failed as a whole: insert its rows one by one to find the guilty ones."""
    created = 0
    for mini_analysis in mini_analyses.order_by("pk"):
        try:
            with transaction.atomic():
                created += _insert_select(MiniAnalysis.objects.filter(pk=mini_analysis.pk), expressions)
                _record_history(Q(mini_analysis_id=mini_analysis.pk), migrated_at, actor)
        except DatabaseError as error:
            result.errors.append((mini_analysis, str(error).strip().splitlines()[0]))
    return created


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
    if lead.stage != LeadStage.NEW:
        reasons.append("stage changed")
    if lead.converted_at is not None:
        reasons.append("converted")
    has_activities = getattr(lead, "has_activities", None)
    if has_activities or (has_activities is None and lead.activities.exists()):
        reasons.append("activities logged")
    return reasons


def _untouched_in_sql() -> Q:
    """`worked_on` is empty, in SQL: the deletion re-checks it in its own transaction."""
    return Q(
        assigned_to__isnull=True,
        updated_at__lte=F("migrated_at"),
        stage=LeadStage.NEW,
        converted_at__isnull=True,
    ) & ~Exists(Activity.objects.filter(lead=OuterRef("pk")))


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
    migrated = (
        Lead.objects.filter(source=Source.MIGRATION)
        .select_related("assigned_to", "mini_analysis")
        .annotate(has_activities=Exists(Activity.objects.filter(lead=OuterRef("pk"))))
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
    with contextlib.suppress(AttributeError, io.UnsupportedOperation):
        os.fsync(backup.fileno())  # on disk before anything is deleted
    result.backed_up = len(to_delete)
    with transaction.atomic(), acting_as(service_account(BACKFILL_ACTOR)):
        for start in range(0, len(to_delete), batch_size):
            doomed = Lead.objects.filter(
                source=Source.MIGRATION, pk__in=to_delete[start : start + batch_size]
            )
            if not force:
                doomed = doomed.filter(_untouched_in_sql())
            result.deleted += doomed.delete()[1].get(Lead._meta.label, 0)
    return result

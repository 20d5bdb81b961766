"""The backfill: one lead for every person and brand of the history that has none, and its rollback.

The leads are written set-based, one `INSERT … SELECT` per batch of mini-analysis ids (a keyset
range), each batch in its own transaction: memory stays constant, an interruption loses at most
the batch in flight, and a re-run finishes the work (the candidates are re-read from the database).
The lead's fields come from `crm.services.lead_expressions_from`, the SQL twin of the
`lead_fields_from` the automatic lead uses (`COPIED_FIELDS` is their one list, a property test
proves them equal), and the identity key is the one `identity_key` stored on the mini-analysis.
Every other rule here (the migrated status, the checks that refuse a request, "worked on") is
written once, as SQL over the rows; the Python side reads the database's answer. The unique constraint on
(email_key, brand_key) is the last guard against a concurrent writer (another backfill, or the
form): `ON CONFLICT DO NOTHING` leaves their lead alone, and the row counts as skipped.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import DatabaseError, connections, transaction
from django.db.models import (
    Case,
    CharField,
    DateTimeField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Cast, Concat, Length, TruncDate
from django.db.models.lookups import GreaterThan
from django.utils import timezone

from mini_analysis.keys import KEYED
from mini_analysis.models import Language, MiniAnalysis, Status

from .history import BACKFILL_ACTOR, insert_history, service_account
from .models import Lead, Source
from .selectors import lead_of_same_identity, migration_candidates
from .services import COPIED_FIELDS, lead_expressions_from

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


def migrated_status_expression(prefix: str = "") -> Case:
    """The status of a migrated lead, over the mini-analysis row (`prefix`: its path from the
    queried model, e.g. `mini_analysis__` from a lead): GENERATED when the analysis exists (text or
    PDF); QUOTA_BLOCKED and ERROR are kept as the request recorded them. The one definition: the
    backfill writes it, the rollback compares a lead's status with it."""
    return Case(
        When(**{f"{prefix}status__in": KEPT_STATUSES}, then=F(f"{prefix}status")),
        When(
            ~Q(**{f"{prefix}analysis_text": ""}) | ~Q(**{f"{prefix}pdf_url": ""}),
            then=Value(Status.GENERATED),
        ),
        default=Value(Status.NEW),
        output_field=CharField(),
    )


def migration_note_expression() -> Concat:
    """`migration_note(migrated_at)` over a lead row: the note of the run that wrote it."""
    before, after = MIGRATION_NOTE.split("{date}")
    local_date = Cast(TruncDate("migrated_at"), CharField())  # ISO, in the current time zone
    return Concat(Value(before), local_date, Value(after), output_field=CharField())


def migrated_lead_expressions(migrated_at: datetime) -> dict:
    """The lead the backfill creates, as an expression over the mini-analysis row for each column
    (the automatic lead's `lead_expressions_from`, with the migration's own columns)."""
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


def lead_checks() -> list[tuple[Q, Callable[[MiniAnalysis], str]]]:
    """Why the database would refuse the lead of a mini-analysis, or why it would be wrong.

    Each check is a condition over the mini-analysis row (SQL, the one definition) and the message
    naming the field and the refused value. `_split_by_validity` refuses the rows any check
    matches; `_problems` names, for each, the first one that does.
    """
    checks: list[tuple[Q, Callable[[MiniAnalysis], str]]] = [
        (Q(email_key=""), lambda row: f"email {row.email!r} is empty once trimmed"),
        (Q(brand_key=""), lambda row: f"brand_name {row.brand_name!r} is empty once trimmed"),
        (
            ~Q(language__in=Language.values),
            lambda row: f"language {row.language!r} is not one of {', '.join(Language.values)}",
        ),
        (
            ~Q(status__in=Status.values),
            lambda row: f"status {row.status!r} is not one of {', '.join(Status.values)}",
        ),
    ]
    for name in COPIED_FIELDS:
        if limit := _CHAR_LIMITS.get(name):
            checks.append((Q(GreaterThan(Length(name), limit)), _too_long(name, limit)))
    return checks


def _too_long(name: str, limit: int) -> Callable[[MiniAnalysis], str]:
    def message(row: MiniAnalysis) -> str:
        value = str(getattr(row, name))
        return f"{name} {value[:40]!r}… is longer than {limit} characters ({len(value)})"

    return message


def _first_problem() -> Case:
    """The index in `lead_checks` of the first check a mini-analysis row fails; NULL if none."""
    return Case(
        *(When(condition, then=Value(i)) for i, (condition, _) in enumerate(lead_checks())),
        default=None,
        output_field=IntegerField(),
    )


def _split_by_validity(mini_analyses: QuerySet[MiniAnalysis]) -> tuple[QuerySet, QuerySet]:
    """(the mini-analyses whose lead the checks accept, those they refuse)."""
    mini_analyses = mini_analyses.alias(problem=_first_problem())
    return mini_analyses.filter(problem__isnull=True), mini_analyses.filter(problem__isnull=False)


def _problems(invalid: QuerySet[MiniAnalysis]) -> list[tuple[MiniAnalysis, str]]:
    """Each refused mini-analysis (from `_split_by_validity`) with the message of its first problem."""
    checks = lead_checks()
    rows = invalid.annotate(problem=_first_problem()).order_by("pk")
    return [(row, checks[row.problem][1](row)) for row in rows]


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
    ids = MiniAnalysis.objects.order_by("pk").values_list("pk", flat=True)
    first, last = ids.first(), ids.last()  # two index lookups (MIN and MAX together scan in SQLite)
    if first is None:
        return
    for after in range(first - 1, last, batch_size):
        yield after, min(after + batch_size, last)


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
    result.errors.extend(_problems(invalid))
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

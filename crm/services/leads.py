"""The prospect of each request: created or brought up to date by the `post_save` receiver
(`sync_lead`), assigned (`assign_leads`), and written by the thousand by an import
(`write_leads_in_bulk`).

A lead is one person and one brand (`mini_analysis.keys`, guarded by a unique constraint). It
follows the newest request of its person and brand: status, PDF and analysis preview come from
it. A request is anonymous (anyone can type anyone's email and brand), so it never replaces what
the lead already holds: contact fields are only filled when blank, and what a sales person set
(`assigned_to`, `notes`, `source`, the sales stage) is never touched. The newer values stay on
the request, which the lead's admin page lists (`selectors.mini_analyses_of_lead`).
"""

import logging
from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import DatabaseError, IntegrityError, connections, transaction
from django.db.models import BigIntegerField, DateTimeField, F, QuerySet, Value
from django.db.models.functions import Substr
from django.utils import timezone

from mini_analysis.keys import set_identity_keys
from mini_analysis.lengths import ERROR_MAX_LENGTH
from mini_analysis.models import MiniAnalysis

from ..assignment import auto_assign
from ..history import insert_history
from ..models import (
    ANALYSIS_PREVIEW_LENGTH,
    Lead,
    LeadSyncFailure,
    Source,
)

logger = logging.getLogger(__name__)


# Fields a newer mini-analysis brings to an existing lead; everything else is the lead's own.
FOLLOWED_FIELDS = ["mini_analysis", "status", "pdf_url", "analysis_text"]
# Fields a newer mini-analysis may fill when the lead's is blank, and never replace: an anonymous
# request must not overwrite what a sales person typed or confirmed. (`language` is never blank.)
CONTACT_FIELDS = ["phone", "sector", "language"]
# Leads a statement of `write_leads_in_bulk` writes at most.
BULK_BATCH_SIZE = 1000


# The fields a lead copies from its mini-analysis, the same name on both models. The one mapping:
# `lead_fields_from` applies it in Python (the signal), `lead_expressions_from` in SQL (the backfill).
COPIED_FIELDS = ["email", "phone", "brand_name", "sector", "language", "status", "pdf_url"]


def lead_fields_from(mini_analysis: MiniAnalysis) -> dict:
    """The values a new lead takes from its mini-analysis."""
    return {
        **{name: getattr(mini_analysis, name) for name in COPIED_FIELDS},
        "mini_analysis": mini_analysis,
        "analysis_text": mini_analysis.analysis_text[:ANALYSIS_PREVIEW_LENGTH],
    }


def lead_expressions_from() -> dict:
    """`lead_fields_from` as SQL expressions over a `MiniAnalysis` queryset (for INSERT … SELECT)."""
    return {
        **{name: F(name) for name in COPIED_FIELDS},
        "mini_analysis_id": F("pk"),
        "analysis_text": Substr("analysis_text", 1, ANALYSIS_PREVIEW_LENGTH),
    }


def sync_lead(mini_analysis: MiniAnalysis) -> Lead:
    """Create the lead of a mini-analysis, or bring the existing one up to date.

    Safe under concurrency: two saves of the same person and brand race on the unique
    constraint, the loser catches the IntegrityError and updates the winner's lead.
    """
    with transaction.atomic():
        lead = _locked_lead(mini_analysis)
        if lead is None:
            try:
                with transaction.atomic():
                    lead = Lead.objects.create(**lead_fields_from(mini_analysis), source=Source.MINI_ANALYSIS)
                    auto_assign(lead)
                    return lead
            except IntegrityError:
                lead = _locked_lead(mini_analysis)
                if lead is None:
                    raise
        _follow(lead, mini_analysis)
        return lead


def sync_lead_after_save(mini_analysis: MiniAnalysis) -> Lead | None:
    """What the `post_save` receiver runs. It never raises: the request is stored whatever happens.

    A failure is logged with the mini-analysis id and recorded as a `LeadSyncFailure`, which
    `check_mini_analyses` reports; `migrate_mini_analyses` later creates the missing lead.
    """
    try:
        return sync_lead(mini_analysis)
    except Exception as error:
        logger.exception("[ERROR] Lead write failed for mini-analysis %s", mini_analysis.pk)
        try:
            with transaction.atomic():
                LeadSyncFailure.objects.create(
                    mini_analysis=mini_analysis, error=repr(error)[:ERROR_MAX_LENGTH]
                )
        except DatabaseError:
            logger.exception("[ERROR] Could not record the failure of mini-analysis %s", mini_analysis.pk)
        return None


def assign_leads(
    leads: QuerySet[Lead],
    assignee: AbstractBaseUser | None,
    *,
    actor: AbstractBaseUser | None = None,
    now: datetime | None = None,
) -> int:
    """Assign the leads to a sales person (or unassign them with None); returns how many.

    Set-based: the history rows (by `actor`) are written from the same queryset just before the
    update, in one transaction.
    """
    now = now or timezone.now()
    with transaction.atomic():
        insert_history(
            leads,
            history_type="~",
            user=actor,
            reason="assigned",
            date=now,
            values={
                "assigned_to_id": Value(assignee.pk if assignee else None, output_field=BigIntegerField()),
                "updated_at": Value(now, output_field=DateTimeField()),
            },
        )
        return leads.update(assigned_to=assignee, updated_at=now)


def _locked_lead(mini_analysis: MiniAnalysis) -> Lead | None:
    # No select_related: after waiting for the lock, PostgreSQL re-reads the locked lead row but
    # keeps the joined row it read before, so the linked request would be stale. `_follow` reads
    # it after the lock is held.
    return (
        Lead.objects.select_for_update()
        .filter_identity(mini_analysis.email, mini_analysis.brand_name)
        .first()
    )


def _follow(lead: Lead, mini_analysis: MiniAnalysis) -> None:
    """Let the lead follow this mini-analysis, unless it already follows a newer one.

    Status, PDF and analysis follow the newest request (the seed's contract); a contact field
    is only filled when the lead's is blank, never replaced.
    """
    linked = lead.mini_analysis
    if linked is not None and linked.pk != mini_analysis.pk and linked.created_at > mini_analysis.created_at:
        return
    new_values = lead_fields_from(mini_analysis)
    changed = [name for name in FOLLOWED_FIELDS if getattr(lead, name) != new_values[name]]
    changed += [name for name in CONTACT_FIELDS if new_values[name] and not getattr(lead, name)]
    if not changed:
        return
    for name in changed:
        setattr(lead, name, new_values[name])
    lead.save(update_fields=changed)


def write_leads_in_bulk(
    new: list[Lead], changed: list[Lead], fields: list[str], *, user: AbstractBaseUser, reason: str
) -> None:
    """Insert `new` and write `fields` of `changed` (a chunk of an import, in its transaction),
    each with its history row by `user` for `reason`, set-based: the new leads by `_insert_leads`,
    the changed ones by `_update_leads` (`bulk_update`'s CASE expressions cost milliseconds of
    Python a row), and one `INSERT … SELECT` of the history rows of each. `fields` may not be the
    email or the brand: their keys would change."""
    if set(fields) & set(Lead.KEY_SOURCES.values()):
        raise ValueError("an email or a brand changes the lead's keys: save it")
    now = timezone.now()
    for lead in [*new, *changed]:
        lead.updated_at = now
    _insert_leads(new)
    if changed:
        _update_leads(changed, [*fields, "updated_at"])
    for history_type, leads in [("+", new), ("~", changed)]:
        for start in range(0, len(leads), BULK_BATCH_SIZE):
            written = Lead.objects.filter(pk__in=[lead.pk for lead in leads[start : start + BULK_BATCH_SIZE]])
            insert_history(written, history_type=history_type, user=user, reason=reason, date=now)


def _insert_leads(leads: list[Lead]) -> None:
    """The new leads, each given its id. On PostgreSQL by `COPY … FROM STDIN`, a thousand a
    statement, their ids drawn from the table's sequence first: `bulk_create`'s `INSERT` of 30
    columns built and quoted each value in Python and cost the server more (90 000 leads at
    1 000 000: 19 s against 11). Each lead is prepared as `bulk_create` prepares it (its keys,
    its related ids, each field's `pre_save` and database value); elsewhere, `bulk_create`."""
    connection = connections[Lead.objects.db]
    if connection.vendor != "postgresql":
        Lead.objects.bulk_create(leads, batch_size=BULK_BATCH_SIZE)
        return
    quote = connection.ops.quote_name
    fields = [field for field in Lead._meta.concrete_fields if not field.generated]
    columns = ", ".join(quote(field.column) for field in fields)
    copy_sql = f"COPY {quote(Lead._meta.db_table)} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, connection.wrap_database_errors:
        for start in range(0, len(leads), BULK_BATCH_SIZE):
            batch = leads[start : start + BULK_BATCH_SIZE]
            unnumbered = [lead for lead in batch if lead.pk is None]  # a given id is kept, as by bulk_create
            if unnumbered:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                    [Lead._meta.db_table, Lead._meta.pk.column, len(unnumbered)],
                )
                for lead, (pk,) in zip(unnumbered, cursor.fetchall(), strict=True):
                    lead.pk = pk
            rows = []
            for lead in batch:
                set_identity_keys(lead)
                lead._prepare_related_fields_for_save(operation_name="bulk_create")
                rows.append(
                    [field.get_db_prep_save(field.pre_save(lead, True), connection) for field in fields]
                )
            with cursor.cursor.copy(copy_sql) as copy:
                for row in rows:
                    copy.write_row(row)
            for lead in batch:
                lead._state.adding, lead._state.db = False, connection.alias


def _update_leads(leads: list[Lead], fields: list[str]) -> None:
    """Each lead's `fields`, its own values. On PostgreSQL one `UPDATE … FROM (VALUES …)` per
    thousand leads: a statement per lead was planned again each time (0.58 against 0.39 s for a
    thousand leads at 1 000 000). SQLite, in process, runs one statement a lead."""
    connection = connections[Lead.objects.db]
    quote = connection.ops.quote_name
    columns = [Lead._meta.get_field(name) for name in fields]
    table, pk = quote(Lead._meta.db_table), quote(Lead._meta.pk.column)
    rows = [
        [*(column.get_db_prep_save(getattr(lead, column.attname), connection) for column in columns), lead.pk]
        for lead in leads
    ]
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            assignments = ", ".join(f"{quote(column.column)} = %s" for column in columns)
            cursor.executemany(f"UPDATE {table} SET {assignments} WHERE {pk} = %s", rows)  # noqa: S608
            return
        # Each value cast to its column's type: a VALUES list types a column by its first rows.
        row = ", ".join(f"%s::{column.cast_db_type(connection)}" for column in [*columns, Lead._meta.pk])
        names = ", ".join(f"value_{index}" for index in range(len(columns)))
        assignments = ", ".join(
            f"{quote(column.column)} = value_{index}" for index, column in enumerate(columns)
        )
        for start in range(0, len(rows), BULK_BATCH_SIZE):
            batch = rows[start : start + BULK_BATCH_SIZE]
            values = ", ".join([f"({row})"] * len(batch))
            cursor.execute(
                f"UPDATE {table} SET {assignments} FROM (VALUES {values}) AS updated ({names}, updated_pk) "  # noqa: S608
                f"WHERE {table}.{pk} = updated.updated_pk",
                [value for values_of_one in batch for value in values_of_one],
            )

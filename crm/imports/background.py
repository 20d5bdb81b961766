"""Big files, run by the worker from their upload: read, previewed and imported in chunks of
`CHUNK_ROWS` rows, so memory stays flat and the progress page of the run (`ImportRun.rows_done`)
sees each chunk as it is planned, then written. The preview and the import are the same
`import_table` as a small file's (the preview with `dry_run`), chunk by chunk; each chunk of the
import is its own transaction. `import_prospects` imports this way too.

Rows of one person and brand are merged within a chunk; across chunks the later row updates the
prospect the earlier one wrote (the same outcome, without the warning; its preview counts it new).
The state changes of a run are functions here, called by the admin's pages and the worker's jobs
(`crm.imports.jobs`).
"""

import csv
import gc
import io
from contextlib import contextmanager
from dataclasses import replace

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from ..exports import BOM
from ..models import ImportRun
from ..pending_imports import (
    PendingImportGone,
    discard_pending_import,
    keep_pending_import,
    pending_import_content,
    take_pending_import,
)
from ..uploads import Table, TooManyRows, UploadLimits, UploadRefused, read_table
from .fields import guess_mapping
from .plan import ImportPlan, check_mapping, refused_rows
from .writes import import_table

CHUNK_ROWS = 1000
SHOWN_ROWS = 200  # refused rows and warnings kept for the preview's page; all are in the file


def import_in_chunks(
    table: Table, mapping: list[str], user, on_chunk=None, *, dry_run: bool = False
) -> ImportPlan:
    """Import `table` `CHUNK_ROWS` rows a transaction (with `dry_run`, plan it only), memory flat
    whatever its length; `on_chunk` is called with the rows done so far and the outcome so far
    after each chunk."""
    total = ImportPlan(headers=table.headers, mapping=mapping)
    with cyclic_collection_paused():
        for start in range(0, len(table.rows), CHUNK_ROWS):
            end = start + CHUNK_ROWS
            chunk = Table(table.headers, table.rows[start:end], table.lines[start:end])
            total.absorb(import_table(chunk, mapping, user, dry_run=dry_run))
            if on_chunk is not None:
                on_chunk(min(end, len(table.rows)), total)
    return total


@contextmanager
def cyclic_collection_paused():
    """Python's cyclic collector paused (`gc.disable`) for an import, then as it was: a file's rows
    (700 000 cells for 100 000 rows), the phones parsed and the outcome so far live for the whole
    import, and each full collection walked them all again: 16 % of a big preview's time (15.9
    against 19.0 s for 100 000 rows, docs/load.md). Freezing what existed on entry (`gc.freeze`)
    gave back half of it, as the phones and the outcome grow during the import. An import makes
    few reference cycles (a chunk's querysets), freed by reference counting or by the first
    collection after it; the peak memory of the benchmark's import did not grow."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def needs_worker(content: bytes) -> bool:
    """Whether an uploaded file has more than `IMPORT_BACKGROUND_ROWS` rows, read no further than
    that in the web request; `UploadRefused` for what is refused in those rows (the worker reads
    the rest within the same limits)."""
    limits = UploadLimits.from_settings()
    if limits.max_rows <= settings.IMPORT_BACKGROUND_ROWS:
        read_table(content, limits=limits)
        return False
    try:
        read_table(content, limits=replace(limits, max_rows=settings.IMPORT_BACKGROUND_ROWS))
    except TooManyRows:
        return True
    return False


# --- A run's steps, as the admin's pages ask for them ---------------------------------------------


def requeue(run: ImportRun, mapping: list[str]) -> None:
    """Back to the worker (to preview again, or to import) with `mapping`: the last outcome goes."""
    _discard_refused_file(run)
    _set(run, state=ImportRun.State.QUEUED, rows_done=0, counts={}, mapping=mapping, error="")
    _set(run, refused_shown=[], warnings=[], refused_file=None)


def cancel_run(run: ImportRun) -> None:
    """Cancelled before its import: the file, its refused rows and the run are deleted."""
    _discard_file(run)
    _discard_refused_file(run)
    ImportRun.objects.filter(pk=run.pk).delete()


def _discard_file(run: ImportRun) -> None:
    if run.pending_file:
        discard_pending_import(str(run.pending_file))
        _set(run, pending_file=None)


# --- The worker's jobs ---------------------------------------------------------------------------


def run_preview(run_id: str, saved_columns: dict[str, str] | None = None) -> ImportRun:
    """Read the run's file and plan it chunk by chunk (nothing written); the run keeps the counts,
    the first refused rows and warnings, and every refused row as a file to download. The columns
    are the run's own once chosen, else `saved_columns` (a saved mapping) and the headers' guess."""
    run = ImportRun.objects.get(pk=run_id)
    _set(run, state=ImportRun.State.READING, rows_done=0)
    try:
        table = read_table(pending_import_content(str(run.pending_file)))
    except UploadRefused as refusal:  # past the rows the upload read: said on the page
        _discard_file(run)
        _set(run, state=ImportRun.State.FAILED, error=refusal.message[:2000])
        return _fresh(run)
    except PendingImportGone:  # expired while it waited for the worker
        gone = _(
            "This file is no longer waiting for confirmation (imported, cancelled or expired): "
            "upload it again."
        )
        _set(run, state=ImportRun.State.FAILED, error=gone)
        return _fresh(run)
    mapping = run.mapping or guess_mapping(table.headers, saved_columns)
    _set(run, rows_total=len(table), headers=table.headers, mapping=mapping)
    try:
        check_mapping(mapping)
    except UploadRefused as refusal:  # the columns to choose again, on the page
        _set(run, state=ImportRun.State.PREVIEW, error=refusal.message[:2000])
        return _fresh(run)

    def progress(done: int, total: ImportPlan) -> None:
        _set(run, rows_done=done, counts=total.counts)

    try:
        total = import_in_chunks(table, mapping, _importing_user(run), progress, dry_run=True)
    except Exception:
        _set(run, state=ImportRun.State.FAILED)
        raise
    _set(
        run,
        state=ImportRun.State.PREVIEW,
        refused_shown=[{"line": row.line, "reasons": row.reasons} for row in total.refused[:SHOWN_ROWS]],
        warnings=total.warnings[:SHOWN_ROWS],
        refused_file=keep_pending_import(refused_csv(total)).pk if total.refused else None,
    )
    return _fresh(run)


def run_import(run_id: str, pending_name: str, mapping: list[str]) -> ImportRun:
    run = ImportRun.objects.get(pk=run_id)
    _set(run, state=ImportRun.State.RUNNING, rows_done=0)

    def progress(done: int, total: ImportPlan) -> None:
        _set(run, rows_done=done, counts=total.counts)

    try:
        table = read_table(take_pending_import(pending_name))
        _set(run, rows_total=len(table), pending_file=None)
        total = import_in_chunks(table, mapping, _importing_user(run), progress)
    except Exception:
        _set(run, state=ImportRun.State.FAILED)
        raise
    refused = keep_pending_import(refused_csv(total)).pk if total.refused else None
    _set(run, state=ImportRun.State.DONE, refused_file=refused)
    return _fresh(run)


def refused_csv(plan: ImportPlan) -> bytes:
    """The refused rows as a CSV file with a byte-order mark, their reason in the last column."""
    header, rows = refused_rows(plan)
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(header)
    writer.writerows(rows)
    return (BOM + text.getvalue()).encode()


def _importing_user(run: ImportRun):
    user = get_user_model().objects.filter(pk=run.user_id, is_active=True).first()
    if user is None:
        raise PermissionError("the importing user is gone")
    return user


def _discard_refused_file(run: ImportRun) -> None:
    if run.refused_file:
        discard_pending_import(str(run.refused_file))


def _set(run: ImportRun, **values) -> None:
    ImportRun.objects.filter(pk=run.pk).update(**values)


def _fresh(run: ImportRun) -> ImportRun:
    run.refresh_from_db()
    return run

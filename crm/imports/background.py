"""Big imports, in chunks of `CHUNK_ROWS` rows, each in its own transaction: memory stays flat,
and the progress page of an import run by the worker (`crm.tasks.import_in_background`, the file
taken from its `PendingImport`) sees each chunk's rows (`ImportRun.rows_done`) as they are written;
`import_prospects` imports this way too. Rows of one
person and brand are merged within a chunk; across chunks the later row updates the prospect the
earlier one wrote (the same outcome, without the warning).
"""

import csv
import io

from django.contrib.auth import get_user_model

from ..exports import BOM
from ..models import ImportRun
from ..pending_imports import keep_pending_import, take_pending_import
from ..uploads import Table, read_table
from .plan import ImportPlan, refused_rows
from .writes import import_table

CHUNK_ROWS = 1000


def import_in_chunks(table: Table, mapping: list[str], user, on_chunk=None) -> ImportPlan:
    """Import `table` `CHUNK_ROWS` rows a transaction, memory flat whatever its length; `on_chunk`
    is called with the rows done so far and the outcome so far after each one."""
    total = ImportPlan(headers=table.headers, mapping=mapping)
    for start in range(0, len(table.rows), CHUNK_ROWS):
        end = start + CHUNK_ROWS
        total.absorb(
            import_table(Table(table.headers, table.rows[start:end], table.lines[start:end]), mapping, user)
        )
        if on_chunk is not None:
            on_chunk(min(end, len(table.rows)), total)
    return total


def run_import(run_id: str, pending_name: str, mapping: list[str]) -> ImportRun:
    run = ImportRun.objects.get(pk=run_id)
    user = get_user_model().objects.filter(pk=run.user_id, is_active=True).first()
    ImportRun.objects.filter(pk=run.pk).update(state=ImportRun.State.RUNNING)

    def progress(done: int, total: ImportPlan) -> None:
        ImportRun.objects.filter(pk=run.pk).update(rows_done=done, counts=total.counts)

    try:
        table = read_table(take_pending_import(pending_name))
        if user is None:
            raise PermissionError("the importing user is gone")
        total = import_in_chunks(table, mapping, user, progress)
    except Exception:
        ImportRun.objects.filter(pk=run.pk).update(state=ImportRun.State.FAILED)
        raise
    refused = keep_pending_import(refused_csv(total)).pk if total.refused else None
    ImportRun.objects.filter(pk=run.pk).update(state=ImportRun.State.DONE, refused_file=refused)
    run.refresh_from_db()
    return run


def refused_csv(plan: ImportPlan) -> bytes:
    """The refused rows as a CSV file with a byte-order mark, their reason in the last column."""
    header, rows = refused_rows(plan)
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(header)
    writer.writerows(rows)
    return (BOM + text.getvalue()).encode()

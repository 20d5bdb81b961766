"""An import run by the worker (`crm.tasks.import_in_background`): the file is taken from its
`PendingImport` and imported in chunks of `CHUNK_ROWS` rows, each in its own transaction, so the
progress page sees each chunk's rows (`ImportRun.rows_done`) as they are written. Rows of one
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


def run_import(run_id: str, pending_name: str, mapping: list[str]) -> ImportRun:
    run = ImportRun.objects.get(pk=run_id)
    user = get_user_model().objects.filter(pk=run.user_id, is_active=True).first()
    ImportRun.objects.filter(pk=run.pk).update(state=ImportRun.State.RUNNING)
    try:
        table = read_table(take_pending_import(pending_name))
        if user is None:
            raise PermissionError("the importing user is gone")
        total = ImportPlan(headers=table.headers, mapping=mapping)
        for start in range(0, len(table.rows), CHUNK_ROWS):
            chunk = Table(
                table.headers, table.rows[start : start + CHUNK_ROWS], table.lines[start : start + CHUNK_ROWS]
            )
            plan = import_table(chunk, mapping, user)
            total.new += plan.new
            total.updated += plan.updated
            total.unchanged += plan.unchanged
            total.refused += plan.refused
            total.warnings += plan.warnings
            ImportRun.objects.filter(pk=run.pk).update(rows_done=start + len(chunk.rows), counts=total.counts)
            total.new, total.updated = [None] * len(total.new), [None] * len(total.updated)  # memory
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

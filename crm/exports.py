"""Prospects exported for a spreadsheet: CSV (UTF-8 with a byte-order mark, so that Excel reads
Hebrew and accents) or .xlsx, streamed from the database in chunks, constant memory.

The header is the field names, untranslated: the file is read by spreadsheets and scripts alike,
and imports back as it is (`crm.imports` maps these names first, and ignores the computed ones).
Rows are read as tuples (`values_list`), never as `Lead` objects: a million of them is a file to
write, not a million models to build.
"""

import csv
import re
import tempfile
from collections.abc import Callable, Iterator
from typing import IO

import openpyxl
from django.db.models import CharField, ExpressionWrapper, F, QuerySet
from openpyxl.cell import WriteOnlyCell

from .models import Lead
from .names import person_name

CSV_COLUMNS = [
    "id",
    "email",
    "first_name",
    "last_name",
    "phone",
    "brand_name",
    "sector",
    "language",
    "status",
    "source",
    "stage",
    "disqualification_reason",
    "next_action",
    "next_action_at",
    "assigned_to",
    "assigned_to_name",
    "contact",
    "created_at",
    "updated_at",
    "pdf_url",
    "notes",
]
# What is read of each lead, in this order (`_cells` turns it into `CSV_COLUMNS`). The phone is
# read as the stored text (E.164): parsing a million numbers back would cost more than the file.
READ = {
    "id": "id",
    "email": "email",
    "first_name": "first_name",
    "last_name": "last_name",
    "phone_text": ExpressionWrapper(F("phone"), output_field=CharField()),
    "brand_name": "brand_name",
    "sector": "sector",
    "language": "language",
    "status": "status",
    "source": "source",
    "stage": "stage",
    "reason": "disqualification_reason__name",
    "next_action": "next_action",
    "next_action_at": "next_action_at",
    "owner": "assigned_to__username",
    "owner_first": "assigned_to__first_name",
    "owner_last": "assigned_to__last_name",
    "contact_first": "contact__first_name",
    "contact_last": "contact__last_name",
    "created_at": "created_at",
    "updated_at": "updated_at",
    "pdf_url": "pdf_url",
    "notes": "notes",
}
# A cell starting with one of these is a formula to a spreadsheet (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
GUARDED_STARTS = frozenset(FORMULA_PREFIXES)
# "+972502345678" or "-3" is a number to a spreadsheet, not a formula: written as it is.
PLAIN_NUMBER = re.compile(r"[+-]\d+(\.\d+)?")
BOM = "\ufeff"
CHUNK_SIZE = 2000
# Rows between two calls of a writer's `on_progress`.
PROGRESS_ROWS = 10_000
# Rows of an Excel sheet, its header included.
XLSX_MAX_ROWS = 1_048_576


class _Echo:
    def write(self, value: str) -> str:
        return value


def spreadsheet_safe(value) -> str:
    """The cell's text, quoted with a leading `'` when a spreadsheet would run it as a formula:
    it starts with = @ tab or CR, or with + or - when it is not a plain number.

    The one guard for every CSV this project writes (the admin export, the GDPR export); the
    import takes the `'` off again (`crm.imports.values.cell_text`).
    """
    text = "" if value is None else str(value)
    if not text.startswith(FORMULA_PREFIXES) or PLAIN_NUMBER.fullmatch(text):
        return text
    return f"'{text}"


def lead_rows(leads: QuerySet[Lead]) -> Iterator[list[str]]:
    """Each lead's cells in `CSV_COLUMNS` order, as text (dates in ISO 8601), read in chunks of
    `CHUNK_SIZE` (a server-side cursor on PostgreSQL), with its owner, reason and contact."""
    rows = leads.annotate(phone_text=READ["phone_text"]).values_list(
        *(name if name == "phone_text" else path for name, path in READ.items())
    )
    for row in rows.iterator(chunk_size=CHUNK_SIZE):
        yield _cells(row)


def _cells(row: tuple) -> list[str]:
    (
        id_, email, first_name, last_name, phone, brand_name, sector, language, status, source, stage,
        reason, next_action, next_action_at, owner, owner_first, owner_last, contact_first,
        contact_last, created_at, updated_at, pdf_url, notes,
    ) = row  # fmt: skip
    return [
        str(id_),
        email,
        first_name,
        last_name,
        phone or "",
        brand_name,
        sector,
        language,
        status,
        source,
        stage,
        reason or "",
        next_action,
        next_action_at.isoformat() if next_action_at else "",
        owner or "",
        (person_name(owner_first, owner_last) or owner) if owner else "",
        person_name(contact_first or "", contact_last or ""),
        created_at.isoformat(),
        updated_at.isoformat(),
        pdf_url,
        notes,
    ]


def lead_csv_lines(leads: QuerySet[Lead], *, bom: bool = True) -> Iterator[str]:
    """The byte-order mark and the header, then one CSV line per lead, read in chunks."""
    writer = csv.writer(_Echo())
    yield (BOM if bom else "") + writer.writerow(CSV_COLUMNS)
    for row in lead_rows(leads):
        # Most cells start with a letter or a digit: only the others go through the guard.
        yield writer.writerow(
            [spreadsheet_safe(value) if value[:1] in GUARDED_STARTS else value for value in row]
        )


def write_lead_csv(
    leads: QuerySet[Lead], target: IO[str], on_progress: Callable[[int], None] | None = None
) -> int:
    """Write the CSV export to a text file opened with `newline=""`; how many leads. `on_progress`
    is called with the rows written so far every `PROGRESS_ROWS` rows."""
    return _write(lead_csv_lines(leads), target.write, on_progress, header_rows=1)


def write_lead_xlsx(
    leads: QuerySet[Lead], target: IO[bytes], on_progress: Callable[[int], None] | None = None
) -> int:
    """Write an .xlsx workbook of the leads to a binary file, row by row (openpyxl's write-only
    mode keeps the rows in a temporary file, not in memory); how many leads. Every cell is text,
    so no formula runs and no phone loses its “+”: no guard is needed."""
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("prospects")

    def as_text(row: list[str]) -> list[WriteOnlyCell]:
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"
            cells.append(cell)
        return cells

    lines = (as_text(row) for row in _with_header(lead_rows(leads)))
    count = _write(lines, sheet.append, on_progress, header_rows=1)
    workbook.save(target)
    return count


def lead_xlsx_file(leads: QuerySet[Lead]) -> tempfile.SpooledTemporaryFile:
    """`write_lead_xlsx` into a file spooled to disk past 8 MB, ready to be read."""
    output = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 (the caller closes it)
    write_lead_xlsx(leads, output)
    output.seek(0)
    return output


def _with_header(rows: Iterator[list[str]]) -> Iterator[list[str]]:
    yield CSV_COLUMNS
    yield from rows


def _write(lines, write: Callable, on_progress: Callable[[int], None] | None, *, header_rows: int) -> int:
    written = -header_rows
    for line in lines:
        write(line)
        written += 1
        if on_progress is not None and written > 0 and written % PROGRESS_ROWS == 0:
            on_progress(written)
    if on_progress is not None:
        on_progress(written)
    return written

"""Prospects exported for a spreadsheet: CSV (UTF-8 with a byte-order mark, so that Excel reads
Hebrew and accents) or .xlsx, streamed from the database in chunks, constant memory.

The header is the field names, untranslated: the file is read by spreadsheets and scripts alike,
and imports back as it is (`crm.imports` maps these names first, and ignores the computed ones).
"""

import csv
import re
import tempfile
from collections.abc import Iterator

import openpyxl
from django.db.models import QuerySet
from openpyxl.cell import WriteOnlyCell

from .models import Lead

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
# A cell starting with one of these is a formula to a spreadsheet (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# "+972502345678" or "-3" is a number to a spreadsheet, not a formula: written as it is.
PLAIN_NUMBER = re.compile(r"[+-]\d+(\.\d+)?")
BOM = "\ufeff"
CHUNK_SIZE = 2000


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


def lead_values(lead: Lead) -> list:
    """The lead's cells in `CSV_COLUMNS` order, dates as ISO text."""
    owner = lead.assigned_to
    values = {
        "stage": lead.stage,
        "disqualification_reason": lead.disqualification_reason.name if lead.disqualification_reason else "",
        "next_action_at": lead.next_action_at.isoformat() if lead.next_action_at else "",
        "assigned_to": owner.get_username() if owner else "",
        "assigned_to_name": (owner.get_full_name() or owner.get_username()) if owner else "",
        "contact": lead.contact.full_name if lead.contact else "",
        "created_at": lead.created_at.isoformat(),
        "updated_at": lead.updated_at.isoformat(),
        "phone": str(lead.phone or ""),
    }
    return [values[column] if column in values else getattr(lead, column) for column in CSV_COLUMNS]


def _leads(leads: QuerySet[Lead]) -> Iterator[Lead]:
    related = leads.select_related("assigned_to", "disqualification_reason", "contact")
    return related.iterator(chunk_size=CHUNK_SIZE)


def lead_csv_lines(leads: QuerySet[Lead], *, bom: bool = True) -> Iterator[str]:
    """The byte-order mark and the header, then one CSV line per lead, read in chunks."""
    writer = csv.writer(_Echo())
    yield (BOM if bom else "") + writer.writerow(CSV_COLUMNS)
    for lead in _leads(leads):
        yield writer.writerow([spreadsheet_safe(value) for value in lead_values(lead)])


def lead_xlsx_file(leads: QuerySet[Lead]) -> tempfile.SpooledTemporaryFile:
    """An .xlsx workbook of the leads, written row by row (openpyxl's write-only mode) to a file
    spooled to disk past 8 MB; every cell is text, so no formula runs and no phone loses its “+”."""
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("prospects")
    sheet.append(CSV_COLUMNS)
    for lead in _leads(leads):
        row = []
        for value in lead_values(lead):
            cell = WriteOnlyCell(sheet, value="" if value is None else str(value))
            cell.data_type = "s"
            row.append(cell)
        sheet.append(row)
    output = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 (the caller closes it)
    workbook.save(output)
    output.seek(0)
    return output

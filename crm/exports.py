"""CSV export of leads, streamed so that a large selection never sits in memory.

The header is the field names, untranslated: the file is read by spreadsheets and scripts alike.
"""

import csv
from collections.abc import Iterable, Iterator

from django.db.models import QuerySet

from .models import Lead

CSV_COLUMNS = [
    "id",
    "email",
    "phone",
    "brand_name",
    "sector",
    "language",
    "status",
    "source",
    "assigned_to",
    "created_at",
    "updated_at",
    "pdf_url",
    "notes",
]
# A cell starting with one of these is a formula to a spreadsheet (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    def write(self, value: str) -> str:
        return value


def spreadsheet_safe(value) -> str:
    """The cell's text, quoted with a leading `'` when a spreadsheet would run it as a formula.

    The one guard for every CSV this project writes (the admin export, the GDPR export).
    """
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text


def _row(lead: Lead) -> list[str]:
    assignee = lead.assigned_to.get_username() if lead.assigned_to else ""
    values = {
        "assigned_to": assignee,
        "created_at": lead.created_at.isoformat(),
        "updated_at": lead.updated_at.isoformat(),
    }
    return [spreadsheet_safe(values.get(column, getattr(lead, column))) for column in CSV_COLUMNS]


def lead_csv_lines(leads: QuerySet[Lead]) -> Iterator[str]:
    """The header, then one CSV line per lead, read from the database in chunks."""
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    rows: Iterable[Lead] = leads.select_related("assigned_to").iterator(chunk_size=2000)
    for lead in rows:
        yield writer.writerow(_row(lead))

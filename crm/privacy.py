"""Personal data requests (GDPR): export everything kept about one email address, or erase it.

A person is found by the same normalized email as the dedupe key (`mini_analysis.keys`), so
`Ana@X.com ` and `ana@x.com` are one person. The CSV export guards its cells against spreadsheet
formulas with `crm.exports.spreadsheet_safe`, the same guard as the admin's export.

Erasure reaches every place the project keeps the person (`crm.erasure` lists them and says what
happens in each): their rows and what they became in the pipeline, the history of those rows,
everybody else's text that mentions them, the admin log, job results, the upload of an import
waiting for its confirmation (`crm.pending_imports.discard_pending_imports_of`) and the generated PDFs.
It is all or nothing (one transaction); the files are deleted once it has committed. The plan is
computed once, then written or, with `dry_run`, only reported: the dry run's counts are the run's.
"""

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TextIO

from django.db import transaction
from django.db.models import QuerySet

from mini_analysis.keys import normalize_key
from mini_analysis.models import MiniAnalysis

from .erasure import plan_erasure
from .erasure_files import delete_file, storage_name_of
from .exports import spreadsheet_safe
from .models import Contact, EmailOptOut, Lead
from .pending_imports import discard_pending_imports_of

__all__ = ["Erasure", "erase_personal_data", "storage_name_of", "write_personal_data_csv"]

EXPORT_COLUMNS = [
    "record",
    "id",
    "email",
    "phone",
    "brand_name",
    "sector",
    "language",
    "status",
    "source",
    "consent_at",
    "created_at",
    "updated_at",
    "pdf_url",
    "analysis_text",
    "notes",
]


@dataclass(frozen=True)
class Erasure:
    """What an erasure did (or, in a dry run, would do): one count per kind of record."""

    anonymise: bool
    mini_analyses: int
    leads: int
    files: int
    contacts: int
    companies: int
    opportunities: int
    activities_deleted: int
    activities_anonymised: int
    history_rows: int
    job_results: int
    pending_imports: int
    sync_failures: int
    admin_log_entries: int
    sessions: int
    other_records: int

    def summary(self) -> dict[str, dict[str, int]]:
        """The counts by what happened to the records: "delete", "anonymise", "redact"."""
        own = {"mini-analyses": self.mini_analyses, "leads": self.leads}
        deleted = {
            "files": self.files,
            "activities": self.activities_deleted,
            "history rows": self.history_rows,
            "job results": self.job_results,
            "pending imports": self.pending_imports,
            "sync failures": self.sync_failures,
        }
        anonymised = {
            "contacts": self.contacts,
            "companies": self.companies,
            "opportunities": self.opportunities,
            "activities": self.activities_anonymised,
        }
        if self.anonymise:
            anonymised = {**own, **anonymised}
            del deleted["activities"]
        else:
            deleted = {**own, **deleted}
        redacted = {
            "admin log entries": self.admin_log_entries,
            "sessions": self.sessions,
            "other records": self.other_records,
        }
        return {"delete": deleted, "anonymise": anonymised, "redact": redacted}


def mini_analyses_of(email: str) -> QuerySet[MiniAnalysis]:
    return MiniAnalysis.objects.filter(email_key=normalize_key(email)).order_by("created_at", "id")


def leads_of(email: str) -> QuerySet[Lead]:
    return Lead.objects.filter(email_key=normalize_key(email)).order_by("created_at", "id")


def contacts_of(email: str) -> QuerySet[Contact]:
    return Contact.objects.filter(email_key=normalize_key(email)).order_by("created_at", "id")


def write_personal_data_csv(email: str, output: TextIO) -> int:
    """Every request and lead of this person as CSV rows; returns the number of rows."""
    writer = csv.DictWriter(output, fieldnames=EXPORT_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    count = 0
    for row in _personal_rows(email):
        writer.writerow(row)
        count += 1
    return count


def erase_personal_data(email: str, *, anonymise: bool = False, dry_run: bool = False) -> Erasure:
    """Delete the person's requests and leads, or with `anonymise` keep them without personal data;
    everywhere else, remove or anonymise them (`crm.erasure`). `dry_run` writes nothing.

    Anonymised rows keep sector, language, status, stage and dates (the business history) and lose
    email, phone, analysis, PDF, notes, and the brand when it is the person's alone.
    """
    with transaction.atomic():
        plan = plan_erasure(email, anonymise=anonymise)
        if not dry_run:
            plan.apply()
        # Inside the transaction: the upload is discarded only if the rows are erased too.
        pending_imports = discard_pending_imports_of(plan.values.search_terms(), dry_run=dry_run)
        if not dry_run:  # an erased address is refused anyway: its withdrawal need not outlive it
            EmailOptOut.objects.filter(email_key=normalize_key(email)).delete()
    files = len(plan.files) if dry_run else sum(delete_file(name) for name in plan.files)
    return Erasure(
        anonymise=anonymise,
        mini_analyses=len(plan.requests),
        leads=len(plan.leads),
        files=files,
        contacts=len(plan.contacts),
        companies=len(plan.companies),
        opportunities=len(plan.opportunities),
        activities_deleted=0 if anonymise else len(plan.lead_activities),
        activities_anonymised=len(plan.other_activities) + (len(plan.lead_activities) if anonymise else 0),
        history_rows=plan.history_rows,
        job_results=len(plan.job_results),
        pending_imports=pending_imports,
        sync_failures=len(plan.sync_failures),
        admin_log_entries=plan.log_entries,
        sessions=plan.sessions,
        other_records=plan.other_records,
    )


def _personal_rows(email: str) -> Iterator[dict]:
    for mini_analysis in mini_analyses_of(email).iterator():
        yield {"record": "mini_analysis", **_values(mini_analysis)}
    for lead in leads_of(email).iterator():
        yield {"record": "lead", **_values(lead)}
    for contact in contacts_of(email).iterator():
        yield {"record": "contact", **_values(contact)}


def _values(record: MiniAnalysis | Lead | Contact) -> dict:
    values = {column: getattr(record, column, "") for column in EXPORT_COLUMNS[1:]}
    values["phone"] = str(record.phone or "")
    return {column: spreadsheet_safe(value) for column, value in values.items()}

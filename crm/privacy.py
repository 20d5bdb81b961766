"""Personal data requests (GDPR): export everything kept about one email address, or erase it.

A person is found by the same normalized email as the dedupe key (`mini_analysis.keys`), so
`Ana@X.com ` and `ana@x.com` are one person. Erasure is all or nothing (one transaction), and the
generated PDFs go with the rows: every request's own file (`pdf_storage_name`, whatever its
`pdf_url` says), the files the public PDF URLs (`/<lang>/mini-analysis/<uuid>/pdf/`) of its
requests and leads name, and legacy `/media/…` files. The count printed is the files really deleted.
The CSV export guards its cells against spreadsheet formulas with `crm.exports.spreadsheet_safe`,
the same guard as the admin's export.

The pipeline keeps the person too: their contact (anonymised in both modes: the opportunities and
activities of the business stay, without the person) and the change history of their leads and
contact, whose old versions hold the email, phone and notes (deleted in both modes).
"""

import csv
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TextIO
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import QuerySet
from django.urls import Resolver404, resolve
from django.utils import translation

from mini_analysis.keys import normalize_key
from mini_analysis.models import MiniAnalysis
from mini_analysis.pdf import pdf_storage_name

from .exports import spreadsheet_safe
from .models import Contact, Lead, LeadSyncFailure

logger = logging.getLogger(__name__)

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
    mini_analyses: int
    leads: int
    files: int
    contacts: int = 0


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


def erase_personal_data(email: str, *, anonymise: bool = False) -> Erasure:
    """Delete the person's requests and leads, or with `anonymise` keep them without personal data.

    Anonymised rows keep brand, sector, language, status and dates (the business history) and lose
    email, phone, analysis, PDF and notes.
    """
    mini_analyses, leads = mini_analyses_of(email), leads_of(email)
    with transaction.atomic():
        file_names = _stored_files(mini_analyses, leads)
        counts = (mini_analyses.count(), leads.count())
        lead_ids = list(leads.values_list("pk", flat=True))
        contacts = list(contacts_of(email))
        for contact in contacts:
            _anonymise_contact(contact)
        if anonymise:
            LeadSyncFailure.objects.filter(mini_analysis__in=mini_analyses).delete()
            for record in [*mini_analyses, *leads]:
                _anonymise(record)
        else:
            leads.delete()
            mini_analyses.delete()
        # Last: deleting the leads has just written their "deleted" versions.
        Lead.history.filter(id__in=lead_ids).delete()
        Contact.history.filter(id__in=[contact.pk for contact in contacts]).delete()
    files = sum(_delete_file(name) for name in sorted(file_names))
    return Erasure(mini_analyses=counts[0], leads=counts[1], files=files, contacts=len(contacts))


def _anonymise_contact(contact: Contact) -> None:
    email = f"erased-contact-{contact.pk}@erased.invalid"
    Contact.objects.filter(pk=contact.pk).update(
        email=email, email_key=normalize_key(email), name="", phone="", last_contacted_at=None
    )


def _anonymise(record: MiniAnalysis | Lead) -> None:
    # update(), not save(): saving a request would make the CRM's receiver write a lead again.
    email = f"erased-{type(record).__name__.lower()}-{record.pk}@erased.invalid"
    erased = {
        "email": email,
        "email_key": normalize_key(email),
        "phone": "",
        "analysis_text": "",
        "pdf_url": "",
    }
    if isinstance(record, Lead):
        erased["notes"] = ""
    type(record).objects.filter(pk=record.pk).update(**erased)


def _stored_files(mini_analyses: QuerySet[MiniAnalysis], leads: QuerySet[Lead]) -> set[str]:
    """The storage names of every file these rows point to or own (existing or not)."""
    names = {
        pdf_storage_name(MiniAnalysis(request_id=request_id))
        for request_id in mini_analyses.values_list("request_id", flat=True).iterator()
    }
    urls = [*mini_analyses.values_list("pdf_url", flat=True), *leads.values_list("pdf_url", flat=True)]
    names.update(name for url in urls if (name := storage_name_of(url)))
    return names


def storage_name_of(url: str) -> str | None:
    """The storage name of the file a stored `pdf_url` serves, or None for a URL outside this site.

    Two forms exist: the public PDF view (`/<lang>/mini-analysis/<uuid>/pdf/`, any language) and a
    legacy media URL (`/media/…`).
    """
    path = urlsplit(url or "").path
    if not path.startswith("/") or urlsplit(url).netloc:
        return None
    media_url = "/" + settings.MEDIA_URL.strip("/") + "/"
    if path.startswith(media_url):
        return path.removeprefix(media_url) or None
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            try:
                match = resolve(path)
            except Resolver404:
                continue
        if match.view_name == "mini_analysis:pdf":
            return pdf_storage_name(MiniAnalysis(request_id=match.kwargs["request_id"]))
    return None


def _delete_file(name: str) -> bool:
    """Delete one stored file; True only when it existed. A name outside the storage is refused."""
    try:
        if not default_storage.exists(name):
            return False
    except SuspiciousFileOperation:
        return False
    default_storage.delete(name)
    return True


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

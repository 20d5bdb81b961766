"""Prospects imported from a spreadsheet (CSV or Excel) in the admin, through django-import-export.

The library gives the flow: upload, a dry-run preview (in a rolled-back transaction: nothing is
written) listing each row's changes and errors with its row number, then a confirmation that
imports for real. This module says how a file is read and how a row becomes a lead:

- the file is read within the limits of `crm.uploads` (size, unpacked size, rows, cell length),
  and its header must name the `email` and `brand_name` columns, once each (`read_lead_table`);
- a row matches a lead by the identity of person and brand (`mini_analysis.keys`, through
  `Lead.objects.filter_identity`): case and spacing variants update the lead, never duplicate it;
- a row matching a lead the importing user may not see (`crm.visibility`) is an error
  that says only that this user cannot import the row, not whose prospect it is;
- values are checked by the model's own fields (`full_clean`): email, phone, language, status and
  source choices, lengths, and the duplicate check of `Lead.clean`;
- cells are trimmed; an empty or missing cell changes nothing: a new lead keeps the model's
  default (source `manual`, status `NEW`, language `fr`), an existing one keeps its value;
- an update keeps the lead's own spelling of its email and brand (the row matched them);
- only the columns below are read: an import never sets `legacy_id`, `migrated_at`, the identity
  keys, the owner or the dates. The header is the one `crm.exports` writes, so an export can be
  edited and imported back (its extra columns are ignored).

Between the preview and the confirmation the file waits in the database (`PendingImport`), for
`IMPORT_CONFIRMATION_TIMEOUT` seconds at most; it is deleted once the import is confirmed or
cancelled, or when its preview found errors.
"""

import logging
import uuid
from collections.abc import Iterable, Iterator
from datetime import timedelta

import tablib
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from import_export import resources
from import_export.formats.base_formats import CSV, XLSX
from import_export.tmp_storages import BaseStorage

from mini_analysis.services import enqueue_task

from . import visibility
from .models import Lead, PendingImport
from .uploads import ZIP_MAGIC, UploadRefused, read_table, workbook_texts

logger = logging.getLogger(__name__)

IMPORT_COLUMNS = ["email", "phone", "brand_name", "sector", "language", "status", "source", "notes"]
# The identity of a row (see `LeadResource.get_instance`): a file without them cannot be imported.
REQUIRED_COLUMNS = ["email", "brand_name"]


class LeadResource(resources.ModelResource):
    class Meta:
        model = Lead
        fields = IMPORT_COLUMNS
        import_order = IMPORT_COLUMNS
        # The identity is computed from these two (see `get_instance`); the library also requires
        # them in the file's header.
        import_id_fields = REQUIRED_COLUMNS
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True
        use_transactions = True

    def __init__(self, user=None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.user = user

    def get_instance(self, instance_loader, row: dict) -> Lead | None:
        """The lead of this person and brand, if the importing user may see it."""
        email, brand_name = _text(row.get("email")), _text(row.get("brand_name"))
        if not email or not brand_name:
            return None
        lead = Lead.objects.filter_identity(email, brand_name).first()
        if lead is not None and self.user is not None and not _visible(lead, self.user):
            # Nothing about whose prospect it is: that alone would tell who works with this person.
            raise ValidationError({NON_FIELD_ERRORS: [_("You cannot import this row.")]})
        return lead

    def before_import_row(self, row: dict, **kwargs) -> None:
        for column, value in row.items():
            if isinstance(value, str):
                row[column] = value.strip()

    def import_field(self, field, instance: Lead, row: dict, is_m2m: bool = False, **kwargs) -> None:
        """An empty cell keeps the lead's value (or the model's default for a new lead)."""
        if _text(row.get(field.column_name)) == "":
            return
        if instance.pk is not None and field.column_name in self._meta.import_id_fields:
            return
        super().import_field(field, instance, row, is_m2m, **kwargs)


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _visible(lead: Lead, user) -> bool:
    return visibility.can_see(user, lead)


# --- Reading the file -----------------------------------------------------------------------------


def read_lead_table(data: bytes, kind: str) -> tablib.Dataset:
    """The file as a table of prospects, within the upload limits; `UploadRefused` says why not."""
    table = read_table(data, kind)
    headers = table.headers
    missing = [column for column in REQUIRED_COLUMNS if column not in headers]
    if missing:
        raise UploadRefused(
            _("The first line must name the columns %(required)s (missing: %(missing)s).")
            % {"required": ", ".join(REQUIRED_COLUMNS), "missing": ", ".join(missing)}
        )
    if twice := [column for column in IMPORT_COLUMNS if headers.count(column) > 1]:
        raise UploadRefused(
            _("The first line names the column %(column)s more than once.") % {"column": twice[0]}
        )
    return table


class LeadCSV(CSV):
    """django-import-export's CSV format, read by `read_lead_table`."""

    def create_dataset(self, in_stream: bytes | str, **kwargs) -> tablib.Dataset:
        return read_lead_table(_bytes(in_stream), "csv")


class LeadXLSX(XLSX):
    """django-import-export's XLSX format, read by `read_lead_table`."""

    def create_dataset(self, in_stream: bytes, **kwargs) -> tablib.Dataset:
        return read_lead_table(_bytes(in_stream), "xlsx")


def _bytes(data: bytes | str) -> bytes:
    return data.encode() if isinstance(data, str) else bytes(data)


# --- The file between its preview and its confirmation ---------------------------------------------


class PendingImportGone(Exception):
    """The upload is no longer waiting: imported, cancelled, expired, or never existed."""


def keep_pending_import(content: bytes) -> PendingImport:
    """Keep an uploaded file for its confirmation; the worker deletes it when it expires."""
    from .tasks import expire_pending_imports  # crm.tasks runs this module's cleanup

    discard_expired_pending_imports()
    expires_at = timezone.now() + timedelta(seconds=settings.IMPORT_CONFIRMATION_TIMEOUT)
    pending = PendingImport.objects.create(content=content, expires_at=expires_at)
    enqueue_task(expire_pending_imports, run_after=expires_at)
    return pending


def pending_import_content(name: str) -> bytes:
    """The file kept under `name`, if it has not expired."""
    content = _waiting(name).values_list("content", flat=True).first()
    if content is None:
        raise PendingImportGone(name)
    return bytes(content)


def take_pending_import(name: str) -> bytes:
    """The file kept under `name`, deleted as it is taken: a confirmation sent twice imports once."""
    with transaction.atomic():
        content = pending_import_content(name)
        if not discard_pending_import(name):
            raise PendingImportGone(name)
    return content


def discard_pending_import(name: str) -> int:
    """Delete the file kept under `name`; how many were deleted (0 or 1)."""
    try:
        key = uuid.UUID(name)
    except (TypeError, ValueError):
        return 0
    return PendingImport.objects.filter(pk=key).delete()[0]


def discard_expired_pending_imports() -> int:
    """Delete the files whose confirmation time is over; how many."""
    return PendingImport.objects.filter(expires_at__lte=timezone.now()).delete()[0]


def _waiting(name: str):
    try:
        key = uuid.UUID(name)
    except (TypeError, ValueError):
        return PendingImport.objects.none()
    return PendingImport.objects.filter(pk=key, expires_at__gt=timezone.now())


class PendingImportStorage(BaseStorage):
    """django-import-export's temporary storage (`IMPORT_EXPORT_TMP_STORAGE_CLASS`) on
    `PendingImport`: `name` is the row's id, carried by the confirmation form."""

    def save(self, data: bytes) -> None:
        self.name = keep_pending_import(_bytes(data)).pk.hex

    def read(self) -> bytes:
        return pending_import_content(self.name)

    def remove(self) -> None:
        discard_pending_import(self.name)


# --- Erasure -------------------------------------------------------------------------------------


def pending_imports_mentioning(values: Iterable[str]) -> list[uuid.UUID]:
    """The files waiting for confirmation in which any of `values` appears, case-insensitively:
    anywhere in a CSV file's text or cells, and in any text of a workbook (every sheet, its
    properties, its links). A workbook that cannot be searched counts as mentioning them: it can
    never be confirmed, and could hold anything."""
    needles = {value.casefold() for value in values if value and value.strip()}
    if not needles:
        return []
    return [
        pk
        for pk, content in PendingImport.objects.values_list("pk", "content").iterator(chunk_size=10)
        if _mentions(bytes(content), needles)
    ]


def discard_pending_imports_of(values: set[str], *, dry_run: bool = False) -> int:
    """Delete every file waiting for confirmation that mentions any of `values` (the erasure of
    a person: their email, phone, brand …); how many were deleted (with `dry_run`, would be)."""
    mentioning = pending_imports_mentioning(values)
    if dry_run:
        return len(mentioning)
    return PendingImport.objects.filter(pk__in=mentioning).delete()[0]


def _mentions(content: bytes, needles: set[str]) -> bool:
    try:
        texts = workbook_texts(content) if content.startswith(ZIP_MAGIC) else _csv_texts(content)
        return any(needle in text.casefold() for text in texts for needle in needles)
    except UploadRefused:
        return True


def _csv_texts(content: bytes) -> Iterator[str]:
    """The file as text, then its cells (a quoted cell is written differently in the text)."""
    yield content.decode("utf-8", "replace")
    try:
        table = read_table(content, "csv")
    except UploadRefused:
        return
    yield from table.headers
    for row in table:
        yield from (str(value) for value in row if value is not None)

"""An uploaded file between its import preview and its confirmation: kept in the database
(`PendingImport`) for `IMPORT_CONFIRMATION_TIMEOUT` seconds at most, deleted once the import is
confirmed or cancelled, or by the worker when it expires; and found by the values it mentions, for
an erasure. The refused rows of a confirmed import are kept the same way.
"""

import uuid
from collections.abc import Iterable, Iterator
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import PendingImport
from .uploads import ZIP_MAGIC, UploadRefused, read_table, workbook_texts


class PendingImportGone(Exception):
    """The upload is no longer waiting: imported, cancelled, expired, or never existed."""


def keep_pending_import(content: bytes) -> PendingImport:
    """Keep an uploaded file for its confirmation, until `IMPORT_CONFIRMATION_TIMEOUT` from now;
    the files that expired are deleted first. Whoever keeps one queues its deletion for when it
    expires (`crm.tasks.expire_pending_imports`)."""
    discard_expired_pending_imports()
    expires_at = timezone.now() + timedelta(seconds=settings.IMPORT_CONFIRMATION_TIMEOUT)
    return PendingImport.objects.create(content=content, expires_at=expires_at)


def pending_import_content(name: str) -> bytes:
    """The file kept under `name`, if it has not expired."""
    content = _waiting(name).values_list("content", flat=True).first()
    if content is None:
        raise PendingImportGone(name)
    return bytes(content)


def pending_import_waiting(name: str) -> bool:
    """Whether the file kept under `name` is still waiting (its content not read)."""
    return _waiting(name).exists()


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

"""The import of the legacy MongoDB collections (`mini_analyses`, `leads`) into Django rows.

Documents come from a `mongoexport` file (JSON lines or a JSON array, relaxed or canonical
Extended JSON, parsed by `bson.json_util`) or straight from a server through pymongo. The
document's `_id` is kept as `legacy_id` (unique), so importing the same documents again changes
nothing. Rows are written with `bulk_create`: importing mini-analyses fires no signal and so
creates no lead (the backfill does, and the audit shows the history as it was).
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bson import ObjectId
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Model
from django.utils.dateparse import parse_datetime

from mini_analysis.keys import identity_key
from mini_analysis.models import MiniAnalysis
from mini_analysis.pdf import is_linkable_pdf_url

from .legacy_input import DEFAULT_BATCH_SIZE, LegacyDocumentError, Unreadable
from .legacy_server import ALIASES, LEADS, REQUESTS
from .models import ANALYSIS_PREVIEW_LENGTH, Lead, Source

COLLECTIONS = (REQUESTS, LEADS)
# What the database may raise for one bad row: it is that row's rejection, not the batch's end.
WRITE_ERRORS = (DatabaseError, ValueError)


@dataclass
class ImportResult:
    imported: int = 0
    unchanged: int = 0
    rejected: list[tuple[int | str, str]] = field(default_factory=list)  # (line or _id, reason)


# --- Mapping --------------------------------------------------------------------------------------


def _text(document: dict, name: str) -> str:
    """A string field; a number is written as text (but a phone: digits without their `+country`
    are not a number anyone can call back), anything else (an object, an array, a date…) is refused
    with the field's name rather than stored as Python's repr."""
    for alias in ALIASES.get(name, (name,)):
        value = document.get(alias)
        if value is None:
            continue
        if isinstance(value, str):
            return _storable(alias, value)
        if isinstance(value, int | float) and not isinstance(value, bool):
            if name != "phone":
                return str(value)
            raise LegacyDocumentError(
                f"{alias}: expected a string, not a number (write it with its +country code)"
            )
        raise LegacyDocumentError(f"{alias}: expected a string, not {_kind(value)}")
    return ""


def _storable(name: str, value: str) -> str:
    """The text, unless a database would refuse it (and with it the whole batch): a lone surrogate
    cannot be encoded as UTF-8, and PostgreSQL refuses NUL in text."""
    if "\x00" in value:
        raise LegacyDocumentError(f"{name}: contains a NUL character (\\u0000)")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise LegacyDocumentError(
            f"{name}: contains a lone surrogate ({value[error.start]!r} at character {error.start + 1})"
        ) from None
    return value


def _kind(value) -> str:
    kinds = {
        dict: "an object",
        list: "an array",
        bool: "a boolean",
        datetime: "a date",
        int: "a number",
        float: "a number",
    }
    if isinstance(value, Unreadable):
        return str(value)
    return next((kind for type_, kind in kinds.items() if isinstance(value, type_)), type(value).__name__)


def _pdf_url(document: dict) -> str:
    """A link to the PDF: an http(s) URL or a path of this site (`javascript:`… is refused)."""
    url = _text(document, "pdf_url").strip()
    if url and not is_linkable_pdf_url(url):
        raise LegacyDocumentError(f"pdf_url: {url[:80]!r} is neither an http(s) URL nor a path of this site")
    return url


def _datetime(document: dict, name: str) -> datetime | None:
    value = document.get(name)
    if value is None:
        return None
    if isinstance(value, str) and (parsed := parse_datetime(value)):
        value = parsed
    if isinstance(value, datetime):
        # BSON dates are UTC; a driver not asked for aware datetimes returns them naive.
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    raise LegacyDocumentError(f"{name} is not a date: {value!r}")


def _legacy_id(document: dict) -> str:
    legacy_id = document.get("_id")
    if legacy_id in (None, ""):
        raise LegacyDocumentError("the document has no _id")
    if not isinstance(legacy_id, ObjectId | str | int) or isinstance(legacy_id, bool):
        raise LegacyDocumentError(f"_id: expected an ObjectId, a string or a number, not {_kind(legacy_id)}")
    return _storable("_id", str(legacy_id))


def _created_at(document: dict) -> datetime:
    """The document's date; an ObjectId `_id` carries its creation time when the field is missing."""
    created_at = _datetime(document, "created_at")
    if created_at is None and isinstance(document.get("_id"), ObjectId):
        created_at = document["_id"].generation_time
    if created_at is None:
        raise LegacyDocumentError("the document has no created_at")
    return created_at


def _validated(row: Model, exclude: Iterable[str]) -> Model:
    """The fields' own validation, but for the phone: a number today's metadata rejects is kept as
    written (the field stores it raw) rather than losing the request or lead."""
    try:
        exclude = [*exclude, "phone", "email_key", "brand_key"]
        row.clean_fields(exclude=exclude)  # not clean(): duplicates are the batch's to tell
    except ValidationError as error:
        raise LegacyDocumentError(
            "; ".join(f"{name}: {' '.join(messages)}" for name, messages in error.message_dict.items())
        ) from None
    row.email_key, row.brand_key = identity_key(row.email, row.brand_name)
    return row


def _request_fields(document: dict) -> dict:
    """The fields a request and its lead share, read the same way from either collection."""
    return {
        "email": _text(document, "email").strip(),
        "phone": _text(document, "phone"),
        "brand_name": _text(document, "brand_name").strip(),
        "sector": _text(document, "sector"),
        "language": _text(document, "language").lower() or "fr",
        "status": _text(document, "status").upper() or "NEW",
        "pdf_url": _pdf_url(document),
    }


def mini_analysis_from(document: dict) -> MiniAnalysis:
    """A legacy `mini_analyses` document as an unsaved, validated `MiniAnalysis`."""
    try:
        request_id = uuid.UUID(str(document.get("request_id")))
    except ValueError:
        request_id = uuid.uuid4()
    row = MiniAnalysis(
        legacy_id=_legacy_id(document),
        request_id=request_id,
        **_request_fields(document),
        analysis_text=_text(document, "analysis_text"),
        consent_at=_datetime(document, "consent_at"),
        created_at=_created_at(document),
    )
    return _validated(row, exclude=["updated_at"])


def lead_from(document: dict) -> Lead:
    """A legacy `leads` document, or a rollback backup's line, as an unsaved, validated `Lead`."""
    created_at = _created_at(document)
    row = Lead(
        legacy_id=_legacy_id(document),
        **_request_fields(document),
        source=_text(document, "source") or Source.MINI_ANALYSIS,
        assigned_to=_assignee(document.get("assigned_to")),
        mini_analysis_id=_mini_analysis_pk(document),
        analysis_text=_text(document, "analysis_text")[:ANALYSIS_PREVIEW_LENGTH],
        notes=_text(document, "notes"),
        created_at=created_at,
        updated_at=_datetime(document, "updated_at") or created_at,
        migrated_at=_datetime(document, "migrated_at"),
    )
    return _validated(row, exclude=["assigned_to", "mini_analysis"])


def _assignee(value):
    """The sales person a legacy lead was assigned to, by user name or email; they must exist."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise LegacyDocumentError(f"assigned_to: expected a user name or email, not {_kind(value)}")
    value = _storable("assigned_to", value)
    users = get_user_model().objects
    user = users.filter(username=value).first() or users.filter(email__iexact=value).first()
    if user is None:
        raise LegacyDocumentError(f"assigned_to: no user {value!r} (create the account, then import again)")
    return user


def _mini_analysis_pk(document: dict) -> int | None:
    """The linked request: by its legacy `_id` (`mini_analysis_id`), else by id (`mini_analysis_pk`)."""
    legacy = document.get("mini_analysis_id")
    if legacy not in (None, ""):
        pk = (
            MiniAnalysis.objects.filter(legacy_id=_storable("mini_analysis_id", str(legacy)))
            .values_list("pk", flat=True)
            .first()
        )
        if pk is not None:
            return pk
    pk = document.get("mini_analysis_pk")
    if isinstance(pk, int) and MiniAnalysis.objects.filter(pk=pk).exists():
        return pk
    return None


# --- Writing --------------------------------------------------------------------------------------


def import_documents(
    documents: Iterable[tuple[int | str, dict | Exception]],
    collection: str,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    result: ImportResult | None = None,
) -> ImportResult:
    """Write the documents of one legacy collection, one transaction per batch, counting into
    `result` (so that a caller whose reading fails midway knows what was committed)."""
    model, build = (MiniAnalysis, mini_analysis_from) if collection == REQUESTS else (Lead, lead_from)
    result = ImportResult() if result is None else result
    batch: list[tuple[int | str, Model]] = []
    for number, document in documents:
        if isinstance(document, Exception):
            result.rejected.append((number, str(document)))
            continue
        try:
            batch.append((number, build(document)))
        except LegacyDocumentError as error:
            result.rejected.append((number, str(error)))
        if len(batch) >= batch_size:
            _write_batch(model, batch, result)
            batch = []
    _write_batch(model, batch, result)
    return result


def _write_batch(model: type[Model], batch: list[tuple[int | str, Model]], result: ImportResult) -> None:
    """New legacy ids are inserted, known ones count as unchanged; a lead whose person and brand
    already has another lead is rejected (one lead per person and brand)."""
    if not batch:
        return
    with transaction.atomic():
        seen = set(
            model.objects.filter(legacy_id__in=[row.legacy_id for _, row in batch]).values_list(
                "legacy_id", flat=True
            )
        )
        one_per_identity = model is Lead
        taken = _identities_taken(batch) if one_per_identity else set()
        new = []
        for number, row in batch:
            identity = (row.email_key, row.brand_key)
            if row.legacy_id in seen:
                result.unchanged += 1
            elif one_per_identity and identity in taken:
                result.rejected.append((number, "a lead with this email and brand name already exists"))
            else:
                seen.add(row.legacy_id)
                taken.add(identity)
                new.append((number, row))
        try:
            with transaction.atomic():
                model.objects.bulk_create([row for _, row in new])
            result.imported += len(new)
        except WRITE_ERRORS:  # a concurrent import won a race, or a row the database refuses:
            for number, row in new:  # sort the rows out one by one
                _write_one(model, number, row, result)


def _identities_taken(batch: list[tuple[int | str, Model]]) -> set[tuple[str, str]]:
    email_keys = {row.email_key for _, row in batch}
    return set(Lead.objects.filter(email_key__in=email_keys).values_list("email_key", "brand_key"))


def _write_one(model: type[Model], number: int | str, row: Model, result: ImportResult) -> None:
    try:
        with transaction.atomic():
            model.objects.bulk_create([row])
    except WRITE_ERRORS as error:
        if isinstance(error, IntegrityError) and model.objects.filter(legacy_id=row.legacy_id).exists():
            result.unchanged += 1
        else:
            result.rejected.append((number, f"refused by the database: {str(error).strip()}"))
    else:
        result.imported += 1

"""The import of the legacy MongoDB collections (`mini_analyses`, `leads`) into Django rows.

Documents come from a `mongoexport` file (JSON lines or a JSON array, relaxed or canonical
Extended JSON, parsed by `bson.json_util`) or straight from a server through pymongo. The
document's `_id` is kept as `legacy_id` (unique), so importing the same documents again changes
nothing. Rows are written with `bulk_create`: importing mini-analyses fires no signal and so
creates no lead (the backfill does, and the audit shows the history as it was).
"""

import codecs
import json
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bson import ObjectId, json_util
from bson.errors import BSONError
from bson.json_util import JSONOptions
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Model
from django.utils.dateparse import parse_datetime

from mini_analysis.keys import identity_key
from mini_analysis.models import MiniAnalysis
from mini_analysis.pdf import is_linkable_pdf_url

from .legacy_server import ALIASES, LEADS, REQUESTS, client_for, open_database
from .models import ANALYSIS_PREVIEW_LENGTH, Lead, Source

COLLECTIONS = (REQUESTS, LEADS)
JSON_OPTIONS = JSONOptions(tz_aware=True, tzinfo=UTC)
DEFAULT_BATCH_SIZE = 1000
# What the database may raise for one bad row: it is that row's rejection, not the batch's end.
WRITE_ERRORS = (DatabaseError, ValueError)
# What bad input makes the JSON and Extended JSON parsers raise (an invalid `$oid`, a `$date` out of
# range, nesting too deep…): each is a rejected line, never a traceback.
PARSE_ERRORS = (ValueError, TypeError, KeyError, ArithmeticError, RecursionError, BSONError)


class LegacyDocumentError(ValueError):
    """A document that cannot become a row; the message says why."""


@dataclass
class ImportResult:
    imported: int = 0
    unchanged: int = 0
    rejected: list[tuple[int | str, str]] = field(default_factory=list)  # (line or _id, reason)


# --- Reading --------------------------------------------------------------------------------------


def read_file(path: Path) -> Iterator[tuple[int, dict | LegacyDocumentError]]:
    """(line number, document), or (line number, error) for a line that is not a JSON object.

    JSON lines are read as bytes one line at a time and decoded line by line, so a line that is
    not UTF-8 is one rejected line, not the end of the import. A JSON array (`mongoexport
    --jsonArray`) is parsed whole, its elements numbered from 1.
    """
    with path.open("rb") as file:
        head = file.read(len(codecs.BOM_UTF8))
        if head != codecs.BOM_UTF8:
            file.seek(0)
        start = file.tell()
        first = file.read(1)
        while first and first.isspace():
            first = file.read(1)
        if first == b"[":
            yield from _read_array(first + file.read())
            return
        file.seek(start)
        for number, raw in enumerate(file, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                yield number, LegacyDocumentError(f"not valid UTF-8 (byte {error.start + 1} of the line)")
                continue
            if line.strip():
                yield number, _parse(line)


def _read_array(data: bytes) -> Iterator[tuple[int, dict | LegacyDocumentError]]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        yield line, LegacyDocumentError(f"not valid UTF-8 (line {line} of the JSON array): nothing imported")
        return
    try:
        documents = _loads(text)
    except PARSE_ERRORS as error:
        yield 1, LegacyDocumentError(f"the JSON array is malformed: {error}")
        return
    for number, document in enumerate(documents, start=1):
        yield number, document if isinstance(document, dict) else LegacyDocumentError("not a JSON object")


def _parse(line: str) -> dict | LegacyDocumentError:
    try:
        document = _loads(line)
    except PARSE_ERRORS as error:
        return LegacyDocumentError(f"malformed JSON: {error}")
    return document if isinstance(document, dict) else LegacyDocumentError("not a JSON object")


def _loads(text: str):
    """`json_util.loads`, but a `{"$date": "…"}` string keeps its exact microseconds.

    bson reads the fraction through a float and truncates: `.520434` comes back as 520433 µs, so a
    rollback backup (`crm.backfill`) would not restore the very dates it saved.
    """
    return json.loads(text, object_pairs_hook=_object_pairs)


def _object_pairs(pairs: list[tuple[str, object]]):
    if len(pairs) == 1 and pairs[0][0] == "$date" and isinstance(pairs[0][1], str):
        try:
            moment = parse_datetime(pairs[0][1])
        except ValueError:
            moment = None
        if moment is not None:
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    try:
        return json_util.object_pairs_hook(pairs, JSON_OPTIONS)
    except PARSE_ERRORS as error:
        # `{"$numberDecimal": "1e999999"}` and the like: the field that holds it is refused by
        # name if the row needs it (`_kind`), instead of the whole line, or the whole batch.
        return Unreadable(pairs[0][0] if pairs else "{}", error)


@dataclass(frozen=True)
class Unreadable:
    """An Extended JSON value (`$numberDecimal`, `$oid`…) that cannot be read."""

    kind: str
    error: Exception

    def __str__(self) -> str:
        return f"an unreadable {self.kind} ({type(self.error).__name__})"


def read_mongo(
    uri: str, database: str | None, collection: str, *, batch_size: int = DEFAULT_BATCH_SIZE
) -> Iterator[tuple[str, dict]]:
    """The collection's documents from a MongoDB server, each with its `_id`, in `_id` order, fetched
    `batch_size` at a time (a server lost mid-read fails the next fetch: `import_legacy` then says
    what was imported). Raises `LegacyServerError` for a wrong database."""
    client = client_for(uri)
    try:
        documents = open_database(client, database, collection)[collection].find().sort("_id", 1)
        for document in documents.batch_size(batch_size):
            yield str(document.get("_id")), document
    finally:
        client.close()


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

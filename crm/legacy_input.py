"""Reading the old backend's documents for `import_legacy`: a mongoexport file (JSON lines, or one
JSON array), or a collection on a MongoDB server; each document as it was read, or the error that
names its line and why it could not be read."""

import codecs
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path

from bson import json_util
from bson.errors import BSONError
from bson.json_util import JSONOptions
from django.utils.dateparse import parse_datetime

from .legacy_server import client_for, open_database

JSON_OPTIONS = JSONOptions(tz_aware=True, tzinfo=UTC)
DEFAULT_BATCH_SIZE = 1000
# What bad input makes the JSON and Extended JSON parsers raise (an invalid `$oid`, a `$date` out of
# range, nesting too deep…): each is a rejected line, never a traceback.
PARSE_ERRORS = (ValueError, TypeError, KeyError, ArithmeticError, RecursionError, BSONError)


class LegacyDocumentError(ValueError):
    """A document that cannot become a row; the message says why."""


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

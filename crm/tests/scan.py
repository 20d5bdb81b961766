"""Where some values are stored: every column of every table of the database, and every file.

The tables come from the database's own catalogue (`connection.introspection`), not from the
models, and each is read whole (`SELECT *`), so a table or column nobody thought of (history,
admin log, cache, job results, sessions …) is read too. Values are compared case-insensitively,
in what each column really holds once decoded: the database cache's base64 pickles, the
sessions' signed payloads, JSON with its `\\uXXXX` escapes, and an uploaded spreadsheet (a zip of
XML). Files under `MEDIA_ROOT` are read raw, then as PDFs (pages and metadata, with pypdf) and as
zips.
"""

import base64
import contextlib
import html
import io
import json
import pickle
import zipfile
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.core.cache.backends.db import DatabaseCache
from django.db import connection
from pypdf import PdfReader


def places_of(values: Iterable[str], media_root: Path) -> dict[str, set[str]]:
    """{value: {"table.column", "file:name", …}} for each value found somewhere."""
    needles = {value: value.casefold() for value in values}
    found: dict[str, set[str]] = {}

    def look(place: str, texts: Iterable[str]) -> None:
        for text in texts:
            folded = text.casefold()
            for value, needle in needles.items():
                if needle in folded:
                    found.setdefault(value, set()).add(place)

    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            columns = [column[0] for column in cursor.description]
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    look(f"{table}.{column}", _texts(table, column, value))
    for path in sorted(media_root.rglob("*")) if media_root.exists() else []:
        if path.is_file():
            look(f"file:{path.relative_to(media_root)}", _file_texts(path.read_bytes()))
    return found


def _texts(table: str, column: str, value) -> list[str]:
    if value is None:
        return []
    if table in _cache_tables() and column == "value":
        return _object_texts(pickle.loads(base64.b64decode(value)))  # noqa: S301
    if table == "django_session" and column == "session_data":
        return [value, json.dumps(SessionStore().decode(value), ensure_ascii=False)]
    return _object_texts(value)


def _object_texts(value) -> list[str]:
    if isinstance(value, bytes | bytearray | memoryview):
        return _file_texts(bytes(value))
    if isinstance(value, dict | list | tuple):
        return [json.dumps(value, ensure_ascii=False, default=str)]
    text = str(value)
    texts = [text]
    if text[:1] in {"{", "[", '"'}:
        with contextlib.suppress(ValueError):
            texts.append(json.dumps(json.loads(text), ensure_ascii=False))
    return texts


def _file_texts(data: bytes) -> list[str]:
    texts = [data.decode("utf-8", "replace"), data.decode("latin-1")]
    if data.startswith(b"%PDF"):
        reader = PdfReader(io.BytesIO(data))
        texts += [page.extract_text() for page in reader.pages]
        texts += [str(value) for value in (reader.metadata or {}).values()]
    if zipfile.is_zipfile(io.BytesIO(data)):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            texts += [
                html.unescape(archive.read(name).decode("utf-8", "replace")) for name in archive.namelist()
            ]
    return texts


def _cache_tables() -> set[str]:
    return {
        options["LOCATION"]
        for options in settings.CACHES.values()
        if options["BACKEND"] == f"{DatabaseCache.__module__}.{DatabaseCache.__name__}"
    }

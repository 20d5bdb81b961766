"""The legacy MongoDB server, as every command that reads or writes it opens it.

`import_legacy --mongo-uri`, `check_mini_analyses --mongo-uri`, `migrate_mini_analyses --mongo-uri`
and `sync_legacy` open the database here, so that each says the same clear thing when the server
is down, refuses the credentials or is not the one meant (a database without the collections).
"""

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

import pymongo
from bson import ObjectId
from django.utils.dateparse import parse_datetime
from pymongo.database import Database
from pymongo.errors import OperationFailure, PyMongoError

from mini_analysis.keys import identity_key

# How long a command waits for the server before saying it is unreachable (pymongo's default: 30 s).
SERVER_TIMEOUT_MS = 10_000
REQUESTS, LEADS = "mini_analyses", "leads"

# Model field -> the names legacy documents use for it: the request's French names or the CRM's.
ALIASES = {
    "email": ("email",),
    "phone": ("phone", "telephone"),
    "brand_name": ("brand_name", "nom_de_marque"),
    "sector": ("sector", "secteur"),
    "language": ("language", "langue"),
    "status": ("status",),
    "analysis_text": ("analysis_text", "analysis"),
    "pdf_url": ("pdf_url",),
    "notes": ("notes",),
    "source": ("source",),
}


class LegacyServerError(Exception):
    """The server cannot be used: the message says why, without the URI's password."""


def safe_uri(uri: str) -> str:
    """The URI without its password, fit for a log line."""
    try:
        parts = urlsplit(uri)
        if parts.password is None:
            return uri
        netloc = parts.netloc.rsplit("@", 1)[1]
        return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{netloc}"))
    except ValueError:
        return "the MongoDB URI"


def client_for(uri: str, **options) -> pymongo.MongoClient:
    try:
        return pymongo.MongoClient(
            uri, tz_aware=True, tzinfo=UTC, serverSelectionTimeoutMS=SERVER_TIMEOUT_MS, **options
        )
    except (PyMongoError, ValueError) as error:  # a malformed URI
        raise LegacyServerError(f"MongoDB: {error}") from error


def open_database(client: pymongo.MongoClient, name: str | None, *collections: str) -> Database:
    """The database, once the server answered and the database holds `collections`.

    MongoDB answers any database name, even a misspelt one, with empty collections: a wrong name
    must be an error here, not "0 mini-analyses".
    """
    try:
        database = client[name] if name else client.get_default_database()
    except pymongo.errors.ConfigurationError as error:
        raise LegacyServerError(
            "MongoDB: name the database with --db NAME or in the URI (mongodb://host/NAME)."
        ) from error
    try:
        present = set(database.list_collection_names())
    except OperationFailure as error:
        raise LegacyServerError(f"MongoDB refused access to database {database.name!r}: {error}") from error
    except PyMongoError as error:
        raise LegacyServerError(f"MongoDB: {error}") from error
    missing = [collection for collection in collections if collection not in present]
    if missing:
        raise LegacyServerError(
            f"MongoDB: database {database.name!r} has no collection {', '.join(map(repr, missing))}; "
            f"is it the right database? (--db NAME; it has: {', '.join(sorted(present)) or 'nothing'})"
        )
    return database


@contextlib.contextmanager
def opened(uri: str, name: str | None, *collections: str) -> Iterator[Database]:
    """The database (see `open_database`); any server error inside becomes a `LegacyServerError`."""
    client = client_for(uri)
    try:
        yield open_database(client, name, *collections)
    except OperationFailure as error:
        raise LegacyServerError(
            f"MongoDB refused: {error.details.get('errmsg', error) if error.details else error}"
        ) from error
    except PyMongoError as error:
        raise LegacyServerError(f"MongoDB: {error}") from error
    finally:
        client.close()


# --- Reading a legacy document ----------------------------------------------------------------------


def text_field(document: dict, name: str) -> tuple[str | None, str | None]:
    """(value, None) for a string field read under its French or English name ('' when absent),
    or (None, reason) when it holds something else than a string."""
    for alias in ALIASES.get(name, (name,)):
        value = document.get(alias)
        if value is None:
            continue
        if isinstance(value, str):
            return value, None
        return None, f"{alias}: expected a string, not {type(value).__name__}"
    return "", None


def identity_of(document: dict) -> tuple[str | None, str | None]:
    """(identity, None), the CRM's key of the document's email and brand name as one string, or
    (None, reason) when it has none. The key cannot contain a newline (white space is collapsed to
    one space), so `email_key + "\\n" + brand_key` is one indexable value for MongoDB to join on."""
    email, reason = text_field(document, "email")
    brand_name, brand_reason = text_field(document, "brand_name")
    if reason or brand_reason:
        return None, reason or brand_reason
    email_key, brand_key = identity_key(email, brand_name)
    if not email_key:
        return None, f"email {email!r} is empty once trimmed"
    if not brand_key:
        return None, f"brand_name {brand_name!r} is empty once trimmed"
    return f"{email_key}\n{brand_key}", None


def created_at_of(document: dict) -> datetime | None:
    """The document's date; the creation time inside an ObjectId `_id` when it has none."""
    value = document.get("created_at")
    if isinstance(value, str):
        try:
            value = parse_datetime(value)
        except ValueError:  # a well-formed but impossible date
            value = None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(document.get("_id"), ObjectId):
        return document["_id"].generation_time
    return None


def to_millisecond(moment: datetime) -> datetime:
    """BSON dates keep milliseconds: a moment compared after a round trip must be one."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)

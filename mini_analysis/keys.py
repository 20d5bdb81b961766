"""The identity of a request: who asked, for which brand.

Two requests, or two leads, are the same person and brand when their keys are equal. The key is
stored in indexed columns on both tables, so that "same email and brand name" is one indexed join
in SQL (the audit and the backfill run on millions of rows) and a unique constraint on leads.
It is computed here, in Python, because SQL's LOWER() differs between SQLite (ASCII only) and
PostgreSQL; every writer of either table goes through `identity_key` (see below how), and the
database refuses a row that did not.
"""

import hashlib
import unicodedata
from collections.abc import Iterable
from typing import ClassVar

from django.db import connections, models
from django.db.models.functions import Length
from django.db.models.lookups import GreaterThan

# The longest key stored: it fits the narrowest key column (`brand_key`, 200 characters).
KEY_MAX_LENGTH = 200


def normalize_key(value: str | None) -> str:
    """Case-, width- and whitespace-insensitive form: `' My  BRAND '` -> `'my brand'`.

    NFKC and case folding can lengthen a text (`ß` -> `ss`, `ﷺ` -> 18 characters), so a valid
    200-character brand may fold to more than its column holds. Such a key keeps its beginning
    and ends with `#` and the SHA-256 of the whole folded text: still one key per identity,
    always the same for the same text, and never longer than `KEY_MAX_LENGTH`.
    """
    folded = " ".join(unicodedata.normalize("NFKC", value or "").casefold().split())
    if len(folded) <= KEY_MAX_LENGTH:
        return folded
    digest = hashlib.sha256(folded.encode()).hexdigest()
    return f"{folded[: KEY_MAX_LENGTH - len(digest) - 1]}#{digest}"


def identity_key(email: str | None, brand_name: str | None) -> tuple[str, str]:
    """The (email, brand) key that identifies one person's brand."""
    return normalize_key(email), normalize_key(brand_name)


# --- Keeping the stored keys true, whatever path writes the row ----------------------------------
#
# Four tables store keys: requests and leads the key of their `email` and `brand_name` (the
# person's brand), companies of their name (the brand), contacts of their email (the person).
# Each model is a `KeyedModel` that names its keys and their sources (`KEY_SOURCES`), and every
# ORM writer computes them here: `save()` and `loaddata` through the one `pre_save` receiver
# (`keys_before_save`, connected in `MiniAnalysisConfig.ready()`), `bulk_create`, `bulk_update` and
# `update` through `KeyedQuerySet`. Raw SQL cannot compute them (NFKC and case folding are not
# portable SQL), so the database refuses a row whose key is empty while its source is not
# (`identity_key_constraints`, or a key that may never be empty); a row whose source is empty has
# an empty key and is nobody: readers never match an empty key (`KEYED`).

# The keys of a person's brand, on requests and leads.
KEY_SOURCES = {"email_key": "email", "brand_key": "brand_name"}
# The rows whose identity is known: an empty key is "no identity", never equal to another's.
KEYED = ~models.Q(email_key="") & ~models.Q(brand_key="")


def overlong_keys() -> models.Q:
    """The rows whose stored key outgrew `KEY_MAX_LENGTH` (written before keys were bounded)."""
    return models.Q(GreaterThan(Length("email_key"), KEY_MAX_LENGTH)) | models.Q(
        GreaterThan(Length("brand_key"), KEY_MAX_LENGTH)
    )


def set_identity_keys(row) -> None:
    """Store the keys of the row's sources on the row (not saved)."""
    for key, source in row.KEY_SOURCES.items():
        setattr(row, key, normalize_key(getattr(row, source)))


def with_key_fields(model: type["KeyedModel"], fields: Iterable[str]) -> set[str]:
    """`fields`, plus the key columns when one of their sources is among them."""
    fields = set(fields)
    return fields | {key for key, source in model.KEY_SOURCES.items() if source in fields}


def keys_before_save(sender, instance, raw: bool = False, **kwargs) -> None:
    """`pre_save` receiver of every model: a keyed row gets its keys, also for `loaddata` (raw
    saves skip the model's `save()`)."""
    if isinstance(instance, KeyedModel):
        set_identity_keys(instance)


def identity_key_constraints(prefix: str) -> list[models.CheckConstraint]:
    """The database's guard on requests and leads: a non-empty email or brand name always has its key."""
    return [
        models.CheckConstraint(
            condition=~models.Q(**{key: ""}) | models.Q(**{source: ""}),
            name=f"{prefix}_{key}_set",
            violation_error_message=f"{key} must be set when {source} is not empty.",
        )
        for key, source in KEY_SOURCES.items()
    ]


class KeyedQuerySet(models.QuerySet):
    """The bulk writers, which skip `save()` and `pre_save`, compute the keys too."""

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for row in objs:
            set_identity_keys(row)
        if kwargs.get("update_fields"):
            kwargs["update_fields"] = with_key_fields(self.model, kwargs["update_fields"])
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs, keyed_fields = list(objs), with_key_fields(self.model, fields)
        if keyed_fields != set(fields):
            for row in objs:
                set_identity_keys(row)
        return super().bulk_update(objs, list(keyed_fields), *args, **kwargs)

    def update(self, **kwargs):
        """A new source value must be a plain string: its key is computed here, in Python.
        (`bulk_update` passes both the source and its key as expressions: they are kept.)"""
        for key, source in self.model.KEY_SOURCES.items():
            if source not in kwargs:
                continue
            if isinstance(kwargs[source], str):
                kwargs[key] = normalize_key(kwargs[source])
            elif key not in kwargs:
                raise TypeError(
                    f"update({source}=…) takes a string: {key} cannot be computed in SQL. "
                    "Save the rows, or use bulk_update()."
                )
        return super().update(**kwargs)


class KeyedModel(models.Model):
    """A row identified by the normalized keys of some of its text fields (see above): requests
    and leads by email and brand, companies by brand, contacts by email. A subclass declares its
    key fields and `KEY_SOURCES` (key field -> source field); keys are never typed by hand."""

    KEY_SOURCES: ClassVar[dict[str, str]] = {}

    objects = KeyedQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        """The keys are computed by the `pre_save` receiver; a save of a source alone
        (`update_fields`) writes its key too."""
        if (update_fields := kwargs.get("update_fields")) is not None:
            kwargs["update_fields"] = with_key_fields(type(self), update_fields)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        """The keys as they will be saved, so that `full_clean()` checks the real constraints."""
        super().clean()
        set_identity_keys(self)


def key_existing_rows(
    model: type[models.Model],
    *,
    unique: bool = False,
    batch_size: int = 2000,
    where: models.Q | None = None,
) -> int:
    """Give every stored row its true keys; returns how many rows changed. For the data migrations.

    Rows written before the keys were guarded (raw SQL, `bulk_create`, `loaddata`, an older app)
    may carry `''` or a stale key. Read by keyset batches of ids, so memory stays constant. An email
    or brand name of whitespace only has an empty key: it is stored empty, so the database's check
    (`identity_key_constraints`) holds. With `unique` (leads: one per person and brand), a row whose
    true key is another row's stops the migration with both ids, to be merged by hand. `where`
    narrows the rows read (a later migration re-keys only the rows an older rule got wrong).
    """
    rows = model._base_manager.order_by("pk").only("pk", "email", "brand_name", "email_key", "brand_key")
    if where is not None:
        rows = rows.filter(where)
    fields = ["email", "brand_name", "email_key", "brand_key"]
    changed, last_pk = 0, None
    while batch := list((rows if last_pk is None else rows.filter(pk__gt=last_pk))[:batch_size]):
        last_pk = batch[-1].pk
        stale = [row for row in batch if _rekeyed(row)]
        if unique:
            _refuse_duplicates(model, stale)
        _write_keys(model, stale, fields)
        changed += len(stale)
    return changed


def _write_keys(model: type[models.Model], rows: list, fields: list[str]) -> None:
    """One parameterized `UPDATE … WHERE id = %s`, executed for each row: `bulk_update`'s CASE
    expressions cost about 5 ms of Python per row, this a few microseconds."""
    if not rows:
        return
    connection = connections[model._base_manager.db]
    quote = connection.ops.quote_name
    columns = ", ".join(f"{quote(model._meta.get_field(name).column)} = %s" for name in fields)
    sql = f"UPDATE {quote(model._meta.db_table)} SET {columns} WHERE {quote(model._meta.pk.column)} = %s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.executemany(sql, [[*(getattr(row, name) for name in fields), row.pk] for row in rows])


def _rekeyed(row) -> bool:
    """Set the row's true keys (and blank a whitespace-only source); True when anything changed."""
    before = (row.email, row.brand_name, row.email_key, row.brand_key)
    # A migration's historical model has the fields, not `KEY_SOURCES`: the pair, spelt out.
    row.email_key, row.brand_key = identity_key(row.email, row.brand_name)
    row.email = row.email if row.email_key else ""
    row.brand_name = row.brand_name if row.brand_key else ""
    return before != (row.email, row.brand_name, row.email_key, row.brand_key)


def _refuse_duplicates(model: type[models.Model], rows: list) -> None:
    in_batch: dict[tuple[str, str], int] = {}
    for row in rows:
        if not (row.email_key and row.brand_key):
            continue
        other = in_batch.setdefault((row.email_key, row.brand_key), row.pk)
        if other == row.pk:
            other = (
                model._base_manager.filter(email_key=row.email_key, brand_key=row.brand_key)
                .exclude(pk=row.pk)
                .values_list("pk", flat=True)
                .first()
            )
        if other is not None:
            raise RuntimeError(
                f"{model._meta.label} {row.pk} ({row.email!r}, {row.brand_name!r}) is the same person and "
                f"brand as {model._meta.label} {other}: merge them, then migrate again."
            )

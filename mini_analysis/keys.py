"""The identity of a request: who asked, for which brand.

Two requests, or two leads, are the same person and brand when their keys are equal. The key is
stored in indexed columns on both tables, so that "same email and brand name" is one indexed join
in SQL (the audit and the backfill run on millions of rows) and a unique constraint on leads.
It is computed here, in Python, because SQL's LOWER() differs between SQLite (ASCII only) and
PostgreSQL; every writer of either table goes through `identity_key`.
"""

import unicodedata


def normalize_key(value: str | None) -> str:
    """Case-, width- and whitespace-insensitive form: `' My  BRAND '` -> `'my brand'`."""
    folded = unicodedata.normalize("NFKC", value or "").casefold()
    return " ".join(folded.split())


def identity_key(email: str | None, brand_name: str | None) -> tuple[str, str]:
    """The (email, brand) key that identifies one person's brand."""
    return normalize_key(email), normalize_key(brand_name)

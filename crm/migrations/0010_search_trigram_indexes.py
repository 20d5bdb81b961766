"""Trigram indexes for the admin's search boxes, on PostgreSQL only.

The admin searches with `icontains`, which PostgreSQL runs as `UPPER(col::text) LIKE UPPER('%x%')`:
no B-tree can answer a fragment in the middle of a value, so without these every search reads the
whole table. A GIN index over `upper(col)` with `gin_trgm_ops` (pg_trgm) answers the same
expression for fragments of 3 characters or more. SQLite has no such index and keeps scanning
(it is the embedded default, not the production database). Built CONCURRENTLY, so a deploy on a
large table does not block the form's writes while the index is built.
"""

from django.db import migrations

# (index name, table, column): the search_fields of the prospects and requests admins.
SEARCH_INDEXES = [
    ("lead_email_trgm", "leads", "email"),
    ("lead_brand_trgm", "leads", "brand_name"),
    ("lead_phone_trgm", "leads", "phone"),
    ("mini_analysis_email_trgm", "mini_analyses", "email"),
    ("mini_analysis_brand_trgm", "mini_analyses", "brand_name"),
    ("mini_analysis_phone_trgm", "mini_analyses", "phone"),
]


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # Not Django's TrigramExtension: its reverse reads `pg_extension` on any database, so
    # migrating back on SQLite failed. Left installed on the way back (other objects may use it).
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, column in SEARCH_INDEXES:
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} USING gin (upper({column}) gin_trgm_ops)"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in SEARCH_INDEXES:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [
        ("crm", "0009_sales_profile"),
        ("mini_analysis", "0004_generation_db_defaults_and_long_keys"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]

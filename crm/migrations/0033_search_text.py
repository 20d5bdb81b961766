"""The search's folded text as a stored, generated column (`crm/models/search_text.py`), with a
trigram index on PostgreSQL; the per-field `crm_fold(col)` indexes of 0025 it replaces are dropped.

`search_text` is `crm_fold` (0025) of the searched text fields joined by a line break, computed
by the database for the existing rows (the ADD COLUMN rewrites each table) and on every write,
whatever the path (forms, `update()`, the backfill's `INSERT … SELECT`, the imports). The
searches' condition `search_text LIKE '%fragment%'` reads the index, and checks the rows it finds
on the stored text, without calling `crm_fold` per row and field (bench/search.py: a search of
"lumiere" over 1 000 000 leads read 2 800 rows with three calls each). SQLite stores the column
too (its `crm_fold` is the Python function registered on every connection), with no index.
Indexes built CONCURRENTLY, so a deploy does not block the forms' writes while they are built.
"""

import django.db.models.functions.text
from django.db import migrations, models

# (index name, table) of the new trigram indexes on `search_text`.
SEARCH_TEXT_INDEXES = [
    ("lead_search_text_trgm", "leads"),
    ("contact_search_text_trgm", "crm_contact"),
    ("company_search_text_trgm", "crm_company"),
    ("opportunity_search_text_trgm", "crm_opportunity"),
]
# 0025's indexes on `crm_fold(col)`, which no query writes any more.
FOLD_INDEXES = [
    ("lead_brand_fold_trgm", "leads", "crm_fold(brand_name)"),
    ("lead_first_name_fold_trgm", "leads", "crm_fold(first_name)"),
    ("lead_last_name_fold_trgm", "leads", "crm_fold(last_name)"),
    ("contact_first_name_fold_trgm", "crm_contact", "crm_fold(first_name)"),
    ("contact_last_name_fold_trgm", "crm_contact", "crm_fold(last_name)"),
    ("company_name_fold_trgm", "crm_company", "crm_fold(name)"),
    ("opportunity_name_fold_trgm", "crm_opportunity", "crm_fold(name)"),
]


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table in SEARCH_TEXT_INDEXES:
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} USING gin (search_text gin_trgm_ops)"
        )
    for name, _table, _expression in FOLD_INDEXES:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table, expression in FOLD_INDEXES:
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} USING gin ({expression} gin_trgm_ops)"
        )
    for name, _table in SEARCH_TEXT_INDEXES:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


def folded(*parts):
    return models.GeneratedField(
        db_persist=True,
        expression=models.Func(*parts, function="crm_fold", output_field=models.TextField()),
        output_field=models.TextField(),
    )


def joined(*names):
    parts = [models.F(names[0])]
    for name in names[1:]:
        parts += [models.Value("\n"), models.F(name)]
    return django.db.models.functions.text.Concat(*parts, output_field=models.TextField())


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [("crm", "0032_lead_assigned_id_index")]

    operations = [
        migrations.AddField(model_name="company", name="search_text", field=folded(models.F("name"))),
        migrations.AddField(
            model_name="contact", name="search_text", field=folded(joined("first_name", "last_name"))
        ),
        migrations.AddField(
            model_name="lead",
            name="search_text",
            field=folded(joined("brand_name", "first_name", "last_name")),
        ),
        migrations.AddField(model_name="opportunity", name="search_text", field=folded(models.F("name"))),
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]

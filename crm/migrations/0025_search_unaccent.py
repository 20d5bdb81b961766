"""Search without regard to case or accents, in every script, on PostgreSQL (see `crm/search.py`).

`crm_fold(text)` is the SQL twin of `crm.search.fold`: NFKD, the combining marks dropped (the
ranges below: Python's `unicodedata.combining` over the Basic Multilingual Plane, Unicode 14),
lower case, the final sigma as a sigma. IMMUTABLE, so trigram indexes (pg_trgm, migration 0010)
are built on it: the searches' `crm_fold(col) LIKE '%fragment%'` reads them instead of the table.
PL/pgSQL with a declared cost, so the planner weighs a call per row. The contacts' email and
phone get the `upper(col)` trigram indexes the leads have had since 0010 (Django's `icontains`).
`crm/tests/test_search_postgres.py` checks that this function is still `fold_function_sql()`:
when Python's Unicode data change, a new migration replaces it (and REINDEXes).
SQLite has no such index: it calls the Python `fold`, registered on every connection.
Built CONCURRENTLY, so a deploy does not block the form's writes.
"""

from django.db import migrations

# The combining marks `crm.search.fold` drops, as PostgreSQL regular expression escapes.
COMBINING_MARKS = (
    r"\u0300-\u034e\u0350-\u036f\u0483-\u0487\u0591-\u05bd\u05bf-\u05bf\u05c1-\u05c2\u05c4-\u05c5"
    r"\u05c7-\u05c7\u0610-\u061a\u064b-\u065f\u0670-\u0670\u06d6-\u06dc\u06df-\u06e4\u06e7-\u06e8"
    r"\u06ea-\u06ed\u0711-\u0711\u0730-\u074a\u07eb-\u07f3\u07fd-\u07fd\u0816-\u0819\u081b-\u0823"
    r"\u0825-\u0827\u0829-\u082d\u0859-\u085b\u0898-\u089f\u08ca-\u08e1\u08e3-\u08ff\u093c-\u093c"
    r"\u094d-\u094d\u0951-\u0954\u09bc-\u09bc\u09cd-\u09cd\u09fe-\u09fe\u0a3c-\u0a3c\u0a4d-\u0a4d"
    r"\u0abc-\u0abc\u0acd-\u0acd\u0b3c-\u0b3c\u0b4d-\u0b4d\u0bcd-\u0bcd\u0c3c-\u0c3c\u0c4d-\u0c4d"
    r"\u0c55-\u0c56\u0cbc-\u0cbc\u0ccd-\u0ccd\u0d3b-\u0d3c\u0d4d-\u0d4d\u0dca-\u0dca\u0e38-\u0e3a"
    r"\u0e48-\u0e4b\u0eb8-\u0eba\u0ec8-\u0ecb\u0f18-\u0f19\u0f35-\u0f35\u0f37-\u0f37\u0f39-\u0f39"
    r"\u0f71-\u0f72\u0f74-\u0f74\u0f7a-\u0f7d\u0f80-\u0f80\u0f82-\u0f84\u0f86-\u0f87\u0fc6-\u0fc6"
    r"\u1037-\u1037\u1039-\u103a\u108d-\u108d\u135d-\u135f\u1714-\u1715\u1734-\u1734\u17d2-\u17d2"
    r"\u17dd-\u17dd\u18a9-\u18a9\u1939-\u193b\u1a17-\u1a18\u1a60-\u1a60\u1a75-\u1a7c\u1a7f-\u1a7f"
    r"\u1ab0-\u1abd\u1abf-\u1ace\u1b34-\u1b34\u1b44-\u1b44\u1b6b-\u1b73\u1baa-\u1bab\u1be6-\u1be6"
    r"\u1bf2-\u1bf3\u1c37-\u1c37\u1cd0-\u1cd2\u1cd4-\u1ce0\u1ce2-\u1ce8\u1ced-\u1ced\u1cf4-\u1cf4"
    r"\u1cf8-\u1cf9\u1dc0-\u1dff\u20d0-\u20dc\u20e1-\u20e1\u20e5-\u20f0\u2cef-\u2cf1\u2d7f-\u2d7f"
    r"\u2de0-\u2dff\u302a-\u302f\u3099-\u309a\ua66f-\ua66f\ua674-\ua67d\ua69e-\ua69f\ua6f0-\ua6f1"
    r"\ua806-\ua806\ua82c-\ua82c\ua8c4-\ua8c4\ua8e0-\ua8f1\ua92b-\ua92d\ua953-\ua953\ua9b3-\ua9b3"
    r"\ua9c0-\ua9c0\uaab0-\uaab0\uaab2-\uaab4\uaab7-\uaab8\uaabe-\uaabf\uaac1-\uaac1\uaaf6-\uaaf6"
    r"\uabed-\uabed\ufb1e-\ufb1e\ufe20-\ufe2f"
)
FOLD_FUNCTION = (
    "CREATE OR REPLACE FUNCTION crm_fold(value text) RETURNS text"
    " LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE COST 100 AS"
    " $$ BEGIN RETURN replace(lower(regexp_replace(normalize(value, NFKD),"
    f" '[{COMBINING_MARKS}]', '', 'g')), 'ς', 'σ'); END $$"
)

# (index name, table, indexed expression)
SEARCH_INDEXES = [
    ("lead_brand_fold_trgm", "leads", "crm_fold(brand_name)"),
    ("lead_first_name_fold_trgm", "leads", "crm_fold(first_name)"),
    ("lead_last_name_fold_trgm", "leads", "crm_fold(last_name)"),
    ("contact_first_name_fold_trgm", "crm_contact", "crm_fold(first_name)"),
    ("contact_last_name_fold_trgm", "crm_contact", "crm_fold(last_name)"),
    ("contact_email_trgm", "crm_contact", "upper(email)"),
    ("contact_phone_trgm", "crm_contact", "upper(phone)"),
    ("company_name_fold_trgm", "crm_company", "crm_fold(name)"),
    ("opportunity_name_fold_trgm", "crm_opportunity", "crm_fold(name)"),
]


def create_function_and_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(FOLD_FUNCTION)
    for name, table, expression in SEARCH_INDEXES:
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} USING gin ({expression} gin_trgm_ops)"
        )


def drop_function_and_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _expression in SEARCH_INDEXES:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
    schema_editor.execute("DROP FUNCTION IF EXISTS crm_fold(text)")


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [("crm", "0024_import_runs")]

    operations = [
        migrations.RunPython(create_function_and_indexes, drop_function_and_indexes, elidable=False)
    ]

"""The activities list's search by subject is answered by a trigram index, on PostgreSQL only.

The list searches its `subject` with Django's `icontains` (`UPPER(subject::text) LIKE UPPER('%x%')`),
which no B-tree answers: at 550 000 activities a word that no subject holds read the whole table
twice, for the count and for the page (390 ms for the manager, 320 for a sales person). A GIN
index over `upper(subject)` with `gin_trgm_ops` (pg_trgm, migration 0010) answers the expression
itself, and PostgreSQL keeps statistics of an indexed expression: the planner then knows how many
subjects hold a common word (100 000 of 550 000 for "deck" on the bench, where it assumed 0.3 %)
and stops a sales person's count at its bound in their leads' order instead of hashing all their
leads (24 ms, now 2). Built CONCURRENTLY, so a deploy does not block the activities' writes; then
`ANALYZE`, so the statistics count from the deploy on rather than from autovacuum's next pass.
"""

from django.db import migrations

INDEX = "activity_subject_trgm"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {INDEX} ON crm_activity USING gin (upper(subject) gin_trgm_ops)"
    )
    schema_editor.execute("ANALYZE crm_activity")


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [("crm", "0037_activity_kind_done_statistics")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]

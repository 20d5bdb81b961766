"""The planner learns that an open activity is a task, on PostgreSQL only.

An activity not done is a task (`activity_logged_has_date`: a logged call, email, meeting or note
has its date), so `kind = 'task' AND done_at IS NULL` holds for every open task, not for the
product of the two shares PostgreSQL assumes for independent columns. On the 1 M-lead bench (550 000
activities, 50 000 open tasks) it counted 4 500 open tasks and 270 overdue ones for 33 000: the
overdue list then joined each overdue task's lead, contact, deal and owner before keeping the
newest 50 (181 ms), where the walk of the list's own order finds them in 1 ms. Extended statistics
(`CREATE STATISTICS … (mcv)`, PostgreSQL's most common combinations of the two columns) give the
planner the open tasks' true share. Django has no operation for them (its `Meta` knows indexes and
constraints), hence SQL here, nothing on SQLite, and an `ANALYZE` so that they count from the
deploy on rather than from autovacuum's next pass (it reads a sample: a second on a large table).
"""

from django.db import migrations

STATISTICS = "activity_kind_done"


def create_statistics(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE STATISTICS IF NOT EXISTS {STATISTICS} (mcv) ON kind, done_at FROM crm_activity"
    )
    schema_editor.execute("ANALYZE crm_activity")


def drop_statistics(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP STATISTICS IF EXISTS {STATISTICS}")


class Migration(migrations.Migration):
    dependencies = [("crm", "0036_activity_count_indexes")]

    operations = [migrations.RunPython(create_statistics, drop_statistics, elidable=False)]

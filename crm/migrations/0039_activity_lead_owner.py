"""Each activity carries its lead's owner, kept in step by the database (issue 18).

A sales person sees an activity when its lead is theirs or unassigned (`crm.visibility`). Read
through the lead, their activities were counted by probing the activities' index once for each
lead they see: 4 000 probes (2 000 leads of their own, 2 000 unassigned) for 200 activities, 10 ms
where the manager's count is the table's estimate; their overdue tasks, hashed against every
overdue task of the table, 18 ms. `lead_owner` is the lead's `assigned_to` on the activity: NULL on
an unassigned lead or on none, which is exactly what a sales person sees besides their own. Their
activities become two ranges of one index (`activity_lead_owner`; open tasks by due date:
`activity_lead_owner_open_task`).

The copy is the database's to keep, whatever writes the lead or the activity (the admin, a
service, `QuerySet.update`, `bulk_create`, an import, `loaddata`, raw SQL, a user deleted and their
leads set free): triggers, not Django code that a bulk write skips.
- PostgreSQL: a `BEFORE` trigger sets an activity's copy from its lead on every insert and every
  update of its lead or copy (a stale value written back by `save()` is overwritten). It reads the
  lead `FOR SHARE`: a reassignment not yet committed is waited for, then read, and one that comes
  later waits for the activity, then sees it (a plain read would copy the old owner while the
  reassignment's trigger missed the new activity). Statement triggers on the leads copy a new
  owner to their activities in one join over the statement's rows (a reassignment of 100 000
  leads is one `UPDATE`, not 100 000), and an inserted lead's owner to activities written before
  it (`loaddata` writes the activities first, a restore may too).
- SQLite's triggers cannot change the row being written: theirs correct it just after, in the
  same statement. (SQLite has one writer at a time: nothing to wait for.)
Django has no operation for triggers (nor a well-kept library for both vendors: django-pgtrigger
is PostgreSQL's), hence SQL here.

On SQLite, a later migration that makes Django rebuild `crm_activity` or `leads` (most field and
constraint changes: it copies the table into a new one, drops the old one and renames the new)
fails while renaming ("error in trigger …: no such table"), each table's triggers naming the
other: it must run `DROP["sqlite"]` first and `TRIGGERS["sqlite"]` and `COPY` after.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

_OWNER_OF_NEW_LEAD = "(SELECT assigned_to_id FROM leads WHERE id = NEW.lead_id)"
COPY = (
    "UPDATE crm_activity SET lead_owner_id = "
    "(SELECT assigned_to_id FROM leads WHERE leads.id = crm_activity.lead_id) WHERE lead_id IS NOT NULL"
)

TRIGGERS = {
    "postgresql": [
        """
        CREATE FUNCTION crm_activity_lead_owner() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            NEW.lead_owner_id := NULL;
            IF NEW.lead_id IS NOT NULL THEN
                SELECT assigned_to_id INTO NEW.lead_owner_id FROM leads WHERE id = NEW.lead_id FOR SHARE;
            END IF;
            RETURN NEW;
        END
        $$
        """,
        """
        CREATE TRIGGER crm_activity_lead_owner BEFORE INSERT OR UPDATE OF lead_id, lead_owner_id
        ON crm_activity FOR EACH ROW EXECUTE FUNCTION crm_activity_lead_owner()
        """,
        """
        CREATE FUNCTION leads_owner_to_activities() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE crm_activity AS activity SET lead_owner_id = changed.assigned_to_id
            FROM new_leads AS changed JOIN old_leads AS was ON was.id = changed.id
            WHERE activity.lead_id = changed.id
                AND changed.assigned_to_id IS DISTINCT FROM was.assigned_to_id;
            RETURN NULL;
        END
        $$
        """,
        """
        CREATE TRIGGER leads_owner_to_activities AFTER UPDATE ON leads
        REFERENCING OLD TABLE AS old_leads NEW TABLE AS new_leads
        FOR EACH STATEMENT EXECUTE FUNCTION leads_owner_to_activities()
        """,
        """
        CREATE FUNCTION leads_owner_to_earlier_activities() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE crm_activity AS activity SET lead_owner_id = added.assigned_to_id
            FROM new_leads AS added
            WHERE activity.lead_id = added.id AND activity.lead_owner_id IS DISTINCT FROM added.assigned_to_id;
            RETURN NULL;
        END
        $$
        """,
        """
        CREATE TRIGGER leads_owner_to_earlier_activities AFTER INSERT ON leads
        REFERENCING NEW TABLE AS new_leads
        FOR EACH STATEMENT EXECUTE FUNCTION leads_owner_to_earlier_activities()
        """,
    ],
    "sqlite": [
        f"""
        CREATE TRIGGER crm_activity_lead_owner_insert AFTER INSERT ON crm_activity
        WHEN NEW.lead_owner_id IS NOT {_OWNER_OF_NEW_LEAD}
        BEGIN
            UPDATE crm_activity SET lead_owner_id = {_OWNER_OF_NEW_LEAD} WHERE id = NEW.id;
        END
        """,
        f"""
        CREATE TRIGGER crm_activity_lead_owner_update AFTER UPDATE OF lead_id, lead_owner_id ON crm_activity
        WHEN NEW.lead_owner_id IS NOT {_OWNER_OF_NEW_LEAD}
        BEGIN
            UPDATE crm_activity SET lead_owner_id = {_OWNER_OF_NEW_LEAD} WHERE id = NEW.id;
        END
        """,
        """
        CREATE TRIGGER leads_owner_to_activities AFTER UPDATE OF assigned_to_id ON leads
        WHEN OLD.assigned_to_id IS NOT NEW.assigned_to_id
        BEGIN
            UPDATE crm_activity SET lead_owner_id = NEW.assigned_to_id WHERE lead_id = NEW.id;
        END
        """,
        """
        CREATE TRIGGER leads_owner_to_earlier_activities AFTER INSERT ON leads
        BEGIN
            UPDATE crm_activity SET lead_owner_id = NEW.assigned_to_id
            WHERE lead_id = NEW.id AND lead_owner_id IS NOT NEW.assigned_to_id;
        END
        """,
    ],
}
DROP = {
    "postgresql": [
        "DROP TRIGGER IF EXISTS leads_owner_to_earlier_activities ON leads",
        "DROP FUNCTION IF EXISTS leads_owner_to_earlier_activities()",
        "DROP TRIGGER IF EXISTS leads_owner_to_activities ON leads",
        "DROP FUNCTION IF EXISTS leads_owner_to_activities()",
        "DROP TRIGGER IF EXISTS crm_activity_lead_owner ON crm_activity",
        "DROP FUNCTION IF EXISTS crm_activity_lead_owner()",
    ],
    "sqlite": [
        "DROP TRIGGER IF EXISTS leads_owner_to_earlier_activities",
        "DROP TRIGGER IF EXISTS leads_owner_to_activities",
        "DROP TRIGGER IF EXISTS crm_activity_lead_owner_update",
        "DROP TRIGGER IF EXISTS crm_activity_lead_owner_insert",
    ],
}


def create_triggers(apps, schema_editor):
    """The triggers, then the copy of every activity's lead owner (the same statement on both)."""
    vendor = schema_editor.connection.vendor
    for statement in TRIGGERS.get(vendor, []):
        schema_editor.execute(statement)
    schema_editor.execute(COPY)


def analyze(apps, schema_editor):
    """The new column's statistics from the deploy on, not from autovacuum's next pass (as crm 0037)."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ANALYZE crm_activity")


def drop_triggers(apps, schema_editor):
    for statement in DROP.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0038_activity_subject_trigram_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The indexes by lead keep the keys a lead's timeline and next action read; the columns they
        # carried for a sales person's counts move to the indexes by the lead's owner.
        migrations.RemoveIndex(model_name="activity", name="activity_lead"),
        migrations.RemoveIndex(model_name="activity", name="activity_lead_open_task"),
        migrations.RemoveIndex(model_name="activity", name="activity_owner_lead"),
        migrations.AddField(
            model_name="activity",
            name="lead_owner",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="assigned to",
            ),
        ),
        migrations.RunPython(create_triggers, drop_triggers, elidable=False),
        migrations.AddIndex(model_name="activity", index=models.Index(fields=["lead"], name="activity_lead")),
        migrations.AddIndex(
            model_name="activity",
            index=models.Index(
                condition=models.Q(("done_at__isnull", True), ("kind", "task")),
                fields=["lead", "due_at"],
                name="activity_lead_open_task",
            ),
        ),
        migrations.AddIndex(
            model_name="activity",
            index=models.Index(
                fields=["lead_owner"],
                include=("id", "contact", "opportunity", "kind", "done_at", "due_at", "owner"),
                name="activity_lead_owner",
            ),
        ),
        migrations.AddIndex(
            model_name="activity",
            index=models.Index(
                condition=models.Q(("done_at__isnull", True), ("kind", "task")),
                fields=["lead_owner", "due_at"],
                include=("id", "contact", "opportunity", "owner"),
                name="activity_lead_owner_open_task",
            ),
        ),
        migrations.AddIndex(
            model_name="activity",
            index=models.Index(
                fields=["owner", "lead_owner"],
                include=("id", "contact", "opportunity", "kind", "done_at", "due_at"),
                name="activity_owner_lead_owner",
            ),
        ),
        migrations.RunPython(analyze, migrations.RunPython.noop, elidable=False),
    ]

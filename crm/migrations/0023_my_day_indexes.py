"""My day's indexes, and the open tasks of prospects converted before this change handed over.

- One person's open tasks by due date (`crm.my_day`, the dashboard's overdue count);
- one sales person's open prospects with no next action, newest first (My day's third group);
- `services.convert_lead` now moves a lead's open tasks to its opportunity and contact
  (`services.hand_over_open_tasks`); the leads converted earlier get the same, set-based: their
  open tasks move, the leads' next action empties and the receiving opportunities' next step is
  their earliest open task, as `services.refresh_next_action` would write. Not reversed: moving
  the tasks back would put them on a closed record again.
"""

from django.conf import settings
from django.db import migrations, models
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce


def hand_over_tasks_of_converted_leads(apps, schema_editor):
    Activity = apps.get_model("crm", "Activity")
    Lead = apps.get_model("crm", "Lead")
    Opportunity = apps.get_model("crm", "Opportunity")
    tasks = Activity.objects.filter(kind="task", done_at__isnull=True, lead__stage="CONVERTED")
    opportunity_ids = set(
        Lead.objects.filter(stage="CONVERTED", activities__in=tasks, opportunity__isnull=False).values_list(
            "opportunity_id", flat=True
        )
    )
    lead_of_task = Lead.objects.filter(pk=OuterRef("lead_id"))
    tasks.update(
        contact=Coalesce("contact", Subquery(lead_of_task.values("contact_id")[:1])),
        opportunity=Coalesce("opportunity", Subquery(lead_of_task.values("opportunity_id")[:1])),
        lead=None,
    )
    Lead.objects.filter(stage="CONVERTED", next_action_at__isnull=False).exclude(
        activities__kind="task", activities__done_at__isnull=True
    ).update(next_action="", next_action_at=None)
    earliest = Activity.objects.filter(
        opportunity=OuterRef("pk"), kind="task", done_at__isnull=True
    ).order_by("due_at", "pk")
    Opportunity.objects.filter(pk__in=opportunity_ids).update(
        next_step=Subquery(earliest.values("subject")[:1]),
        next_step_at=Subquery(earliest.values("due_at")[:1]),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0022_sales_person_list_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="activity",
            index=models.Index(
                condition=models.Q(("done_at__isnull", True), ("kind", "task")),
                fields=["owner", "due_at"],
                name="activity_owner_open_task_due",
            ),
        ),
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(
                condition=models.Q(
                    ("next_action_at__isnull", True),
                    ("stage__in", ["NEW", "ATTEMPTING", "CONNECTED", "QUALIFIED"]),
                ),
                fields=["assigned_to", "-created_at"],
                name="lead_open_no_next_action",
            ),
        ),
        migrations.RunPython(hand_over_tasks_of_converted_leads, migrations.RunPython.noop, elidable=True),
    ]

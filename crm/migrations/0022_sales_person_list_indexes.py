"""The sector filter of a sales person's prospects list, from two index ranges.

A sales person sees their leads and the unassigned ones (`crm.visibility`). The filter's choices
walk the sectors of each part along its own index (`visibility.visible_lead_parts`): with the OR
over the sector index, a sales person owning no lead in a large sector read and dropped each of
its leads, twice (528 ms at 1 000 000 leads against 29 ms for a superuser, `bench/prospects.py`).
"""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0021_activity_outcome"),
        ("mini_analysis", "0007_worker_heartbeats"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(fields=["assigned_to", "sector"], name="lead_assigned_sector"),
        ),
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(
                condition=models.Q(("assigned_to__isnull", True)),
                fields=["sector"],
                name="lead_unassigned_sector",
            ),
        ),
    ]

"""The keys of a sales person's leads from an index alone.

An activity is visible to a sales person when its lead is (`crm.visibility.visible_activities`):
the activities list, a prospect's timeline and My day read the keys of their leads and of the
unassigned ones, part by part (`UNION ALL`), each part one range of `(assigned_to, id)` read
without the table. With the `OR`, the keys came from the rows of every visible lead: 170 000 of
1 000 000 with ten sales persons, on each view (`bench/prospects.py`).
"""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0028_profile_and_import_run_text_lengths"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(fields=["assigned_to", "id"], name="lead_assigned_id"),
        ),
    ]

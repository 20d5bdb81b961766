"""The keys of a sales person's leads from an index alone.

An activity is visible to a sales person when its lead is (`crm.visibility.visible_activities`):
one `EXISTS` per part of their leads (theirs, the unassigned ones), each a probe of
`(assigned_to, id)` without the table, or, hashed for a long list, one range of it read alone.
With the `OR`, the keys came from the rows of every visible lead: 180 000 of 1 000 000 with ten
sales persons, on each view (`bench/prospects.py`).
"""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0031_import_run_preview"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(fields=["assigned_to", "id"], name="lead_assigned_id"),
        ),
    ]

"""Every request gets its true identity keys, then the database refuses a request without them.

Rows written by `bulk_create`, `loaddata`, raw SQL or an older version kept `''` keys, and were all
"the same person". They are keyed in constant memory (`keys.key_existing_rows`) before the checks
are added. See docs/decisions.md, "Identity keys, whatever wrote the row".
"""

from django.db import migrations, models

from mini_analysis.keys import key_existing_rows


def key_mini_analyses(apps, schema_editor):
    key_existing_rows(apps.get_model("mini_analysis", "MiniAnalysis"))


class Migration(migrations.Migration):
    dependencies = [
        ("mini_analysis", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(key_mini_analyses, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name="minianalysis",
            constraint=models.CheckConstraint(
                condition=models.Q(models.Q(("email_key", ""), _negated=True), ("email", ""), _connector="OR"),
                name="mini_analysis_email_key_set",
                violation_error_message="email_key must be set when email is not empty.",
            ),
        ),
        migrations.AddConstraint(
            model_name="minianalysis",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("brand_key", ""), _negated=True), ("brand_name", ""), _connector="OR"
                ),
                name="mini_analysis_brand_key_set",
                violation_error_message="brand_key must be set when brand_name is not empty.",
            ),
        ),
    ]

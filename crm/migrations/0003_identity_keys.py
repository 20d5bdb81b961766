"""Every lead gets its true identity keys, then the database refuses a lead without them.

As `mini_analysis.0002_identity_keys`; a lead whose true key is another lead's (at most the one
unkeyed lead the unique constraint allowed) stops the migration with both ids, to merge by hand.
"""

from django.db import migrations, models

from mini_analysis.keys import key_existing_rows


def key_leads(apps, schema_editor):
    key_existing_rows(apps.get_model("crm", "Lead"), unique=True)


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0002_sales_group"),
        ("mini_analysis", "0002_identity_keys"),
    ]

    operations = [
        migrations.RunPython(key_leads, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name="lead",
            constraint=models.CheckConstraint(
                condition=models.Q(models.Q(("email_key", ""), _negated=True), ("email", ""), _connector="OR"),
                name="lead_email_key_set",
                violation_error_message="email_key must be set when email is not empty.",
            ),
        ),
        migrations.AddConstraint(
            model_name="lead",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("brand_key", ""), _negated=True), ("brand_name", ""), _connector="OR"
                ),
                name="lead_brand_key_set",
                violation_error_message="brand_key must be set when brand_name is not empty.",
            ),
        ),
    ]

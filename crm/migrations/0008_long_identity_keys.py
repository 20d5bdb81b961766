"""Leads whose identity key outgrew its column get the bounded key (`mini_analysis.keys`).

As `mini_analysis.0004`: only SQLite can hold such rows; a lead whose new key is another lead's
stops the migration with both ids, to merge by hand.
"""

from django.db import migrations

from mini_analysis.keys import key_existing_rows, overlong_keys


def rekey_long_keys(apps, schema_editor):
    key_existing_rows(apps.get_model("crm", "Lead"), unique=True, where=overlong_keys())


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0007_lead_contact_protect"),
        ("mini_analysis", "0004_generation_db_defaults_and_long_keys"),
    ]

    operations = [
        migrations.RunPython(rekey_long_keys, migrations.RunPython.noop, elidable=True),
    ]

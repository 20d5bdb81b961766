"""Leads whose identity key outgrew its column get the bounded key (`mini_analysis.keys`).

As `mini_analysis.0004`: only SQLite can hold such rows; a lead whose new key is another lead's
stops the migration with both ids, to merge by hand.
"""

from django.db import migrations, models
from django.db.models.functions import Length
from django.db.models.lookups import GreaterThan

from mini_analysis.keys import KEY_MAX_LENGTH, key_existing_rows


def rekey_long_keys(apps, schema_editor):
    too_long = models.Q(GreaterThan(Length("email_key"), KEY_MAX_LENGTH)) | models.Q(
        GreaterThan(Length("brand_key"), KEY_MAX_LENGTH)
    )
    key_existing_rows(apps.get_model("crm", "Lead"), unique=True, where=too_long)


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0007_lead_contact_protect"),
        ("mini_analysis", "0004_generation_db_defaults_and_long_keys"),
    ]

    operations = [
        migrations.RunPython(rekey_long_keys, migrations.RunPython.noop, elidable=True),
    ]

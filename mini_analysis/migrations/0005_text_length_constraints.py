"""Every text column gets a maximum the database enforces (`mini_analysis.lengths`).

Existing rows are made to fit first: free text longer than its new maximum is cut (the counts are
printed); a longer value in a column that always had its length (only SQLite can hold one) stops
the migration with the ids, to fix by hand. Cut text is not restored by a rollback.
"""

import django.core.validators
import django.db.models.functions.text
import django.db.models.lookups
from django.db import migrations, models

from mini_analysis.lengths import fit_existing_rows as fit_rows


def fit_existing_rows(apps, schema_editor):
    fit_rows(apps, schema_editor, "mini_analysis")


class Migration(migrations.Migration):

    dependencies = [
        ('mini_analysis', '0004_generation_db_defaults_and_long_keys'),
    ]

    operations = [
        migrations.AlterField(
            model_name='minianalysis',
            name='analysis_text',
            field=models.TextField(blank=True, max_length=50000, validators=[django.core.validators.MaxLengthValidator(50000)], verbose_name='analysis'),
        ),
        migrations.AlterField(
            model_name='minianalysis',
            name='last_error',
            field=models.TextField(blank=True, db_default='', default='', editable=False, max_length=2000, verbose_name='last error'),
        ),
        migrations.RunPython(fit_existing_rows, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name='minianalysis',
            constraint=models.CheckConstraint(condition=models.Q(django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('email'), 254), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('phone'), 128), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('brand_name'), 200), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('sector'), 120), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('language'), 2), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('status'), 16), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('analysis_text'), 50000), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('pdf_url'), 500), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('legacy_id'), 64), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('email_key'), 254), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('brand_key'), 200), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('generation_state'), 8), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('last_error'), 2000)), name='mini_analyses_text_lengths'),
        ),
    ]

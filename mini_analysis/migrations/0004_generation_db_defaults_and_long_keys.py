"""Database defaults for the generation columns, and keys that fit their columns.

- A request written by raw SQL or an older app gets "not scheduled", no attempt, no error.
- `normalize_key` now bounds a key to `KEY_MAX_LENGTH` (a text NFKC and case folding lengthen
  past its column ends with its SHA-256). PostgreSQL refused such rows; SQLite, which does not
  enforce a column's length, may hold some: they are keyed again by the new rule.
"""

from django.db import migrations, models

from mini_analysis.keys import key_existing_rows, overlong_keys


def rekey_long_keys(apps, schema_editor):
    key_existing_rows(apps.get_model("mini_analysis", "MiniAnalysis"), where=overlong_keys())


class Migration(migrations.Migration):

    dependencies = [
        ('mini_analysis', '0003_generation_state'),
    ]

    operations = [
        migrations.RunPython(rekey_long_keys, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name='minianalysis',
            name='attempts',
            field=models.PositiveIntegerField(db_default=0, default=0, verbose_name='attempts'),
        ),
        migrations.AlterField(
            model_name='minianalysis',
            name='generation_state',
            field=models.CharField(choices=[('idle', 'Not scheduled'), ('queued', 'Queued'), ('running', 'Running'), ('retry', 'Retry scheduled'), ('done', 'Done'), ('failed', 'Gave up')], db_default='idle', default='idle', max_length=8, verbose_name='generation'),
        ),
        migrations.AlterField(
            model_name='minianalysis',
            name='last_error',
            field=models.TextField(blank=True, db_default='', default='', editable=False, verbose_name='last error'),
        ),
    ]

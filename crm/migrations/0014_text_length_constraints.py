"""Every text column gets a maximum the database enforces (`mini_analysis.lengths`).

Existing rows are made to fit first: free text longer than its new maximum is cut (the counts are
printed); a longer value in a column that always had its length (only SQLite can hold one) stops
the migration with the ids, to fix by hand. Cut text is not restored by a rollback.
"""

import django.core.validators
import django.db.models.functions.text
import django.db.models.lookups
from django.conf import settings
from django.db import migrations, models

from mini_analysis.lengths import fit_existing_rows as fit_rows


def fit_existing_rows(apps, schema_editor):
    fit_rows(apps, schema_editor, "crm")


class Migration(migrations.Migration):

    dependencies = [
        ('crm', '0013_legacy_sync_state'),
        ('mini_analysis', '0005_text_length_constraints'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='activity',
            name='body',
            field=models.TextField(blank=True, max_length=10000, validators=[django.core.validators.MaxLengthValidator(10000)], verbose_name='details'),
        ),
        migrations.AlterField(
            model_name='historicallead',
            name='analysis_text',
            field=models.TextField(blank=True, help_text='The first 500 characters of the analysis.', max_length=500, verbose_name='analysis preview'),
        ),
        migrations.AlterField(
            model_name='historicallead',
            name='notes',
            field=models.TextField(blank=True, max_length=10000, validators=[django.core.validators.MaxLengthValidator(10000)], verbose_name='notes'),
        ),
        migrations.AlterField(
            model_name='historicalopportunity',
            name='closing_reason',
            field=models.TextField(blank=True, max_length=10000, validators=[django.core.validators.MaxLengthValidator(10000)], verbose_name='closing reason'),
        ),
        migrations.AlterField(
            model_name='lead',
            name='analysis_text',
            field=models.TextField(blank=True, help_text='The first 500 characters of the analysis.', max_length=500, verbose_name='analysis preview'),
        ),
        migrations.AlterField(
            model_name='lead',
            name='notes',
            field=models.TextField(blank=True, max_length=10000, validators=[django.core.validators.MaxLengthValidator(10000)], verbose_name='notes'),
        ),
        migrations.AlterField(
            model_name='leadsyncfailure',
            name='error',
            field=models.TextField(max_length=2000, verbose_name='error'),
        ),
        migrations.AlterField(
            model_name='opportunity',
            name='closing_reason',
            field=models.TextField(blank=True, max_length=10000, validators=[django.core.validators.MaxLengthValidator(10000)], verbose_name='closing reason'),
        ),
        migrations.RunPython(fit_existing_rows, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name='activity',
            constraint=models.CheckConstraint(condition=models.Q(django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('kind'), 8), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('subject'), 200), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('body'), 10000)), name='crm_activity_text_lengths'),
        ),
        migrations.AddConstraint(
            model_name='company',
            constraint=models.CheckConstraint(condition=models.Q(django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('name'), 200), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('brand_key'), 200), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('sector'), 120), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('website'), 200), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('country'), 80)), name='crm_company_text_lengths'),
        ),
        migrations.AddConstraint(
            model_name='contact',
            constraint=models.CheckConstraint(condition=models.Q(django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('email'), 254), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('email_key'), 254), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('name'), 200), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('phone'), 128), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('language'), 2)), name='crm_contact_text_lengths'),
        ),
        migrations.AddConstraint(
            model_name='disqualificationreason',
            constraint=models.CheckConstraint(condition=models.Q(django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('name'), 100)), name='crm_disqualificationreason_text_lengths'),
        ),
        migrations.AddConstraint(
            model_name='historicalcompany',
            constraint=models.CheckConstraint(condition=models.Q(django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('name'), 200), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('brand_key'), 200), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('sector'), 120), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('website'), 200), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('country'), 80), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('history_type'), 1), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('history_change_reason'), 100)), name='crm_company_history_text_lengths'),
        ),
        migrations.AddConstraint(
            model_name='historicalcontact',
            constraint=models.CheckConstraint(condition=models.Q(django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('email'), 254), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('email_key'), 254), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('name'), 200), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('phone'), 128), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('language'), 2), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('history_type'), 1), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('history_change_reason'), 100)), name='crm_contact_history_text_lengths'),
        ),
        migrations.AddConstraint(
            model_name='historicallead',
            constraint=models.CheckConstraint(condition=models.Q(django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('email'), 254), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('phone'), 128), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('brand_name'), 200), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('sector'), 120), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('language'), 2), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('status'), 16), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('source'), 32), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('pdf_url'), 500), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('analysis_text'), 500), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('notes'), 10000), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('legacy_id'), 64), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('email_key'), 254), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('brand_key'), 200), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('stage'), 16), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('next_action'), 200), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('history_type'), 1), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('history_change_reason'), 100)), name='leads_history_text_lengths'),
        ),
        migrations.AddConstraint(
            model_name='historicalopportunity',
            constraint=models.CheckConstraint(condition=models.Q(django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('name'), 200), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('currency'), 3), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('next_step'), 200), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('closing_reason'), 10000), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('history_type'), 1), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('history_change_reason'), 100)), name='crm_opportunity_history_text_lengths'),
        ),
        migrations.AddConstraint(
            model_name='lead',
            constraint=models.CheckConstraint(condition=models.Q(django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('email'), 254), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('phone'), 128), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('brand_name'), 200), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('sector'), 120), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('language'), 2), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('status'), 16), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('source'), 32), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('pdf_url'), 500), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('analysis_text'), 500), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('notes'), 10000), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('legacy_id'), 64), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('email_key'), 254), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('brand_key'), 200), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('stage'), 16), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('next_action'), 200)), name='leads_text_lengths'),
        ),
        migrations.AddConstraint(
            model_name='leadsyncfailure',
            constraint=models.CheckConstraint(condition=models.Q(django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('error'), 2000)), name='crm_leadsyncfailure_text_lengths'),
        ),
        migrations.AddConstraint(
            model_name='opportunity',
            constraint=models.CheckConstraint(condition=models.Q(django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('name'), 200), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('currency'), 3), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('next_step'), 200), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('closing_reason'), 10000)), name='crm_opportunity_text_lengths'),
        ),
        migrations.AddConstraint(
            model_name='opportunitystage',
            constraint=models.CheckConstraint(condition=models.Q(django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('name'), 100)), name='crm_opportunitystage_text_lengths'),
        ),
    ]

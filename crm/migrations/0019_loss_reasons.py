"""Loss reasons: an editable list like the disqualification reasons, and the reason of each lost deal.

The reasons are part of the schema (English msgids, translated on display). Deals lost before
this migration get "Other" (their free-text closing reason stays as it was), so that the check
"a lost deal has a reason" holds for every row when it is added. Sales people may view the list.
"""

import django.db.models.deletion
import django.db.models.functions.text
import django.db.models.lookups
from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

LOSS_REASONS = ["Price", "Chose a competitor", "No budget", "No decision", "Timing", "Other"]
FORMER_LOSSES_REASON = "Other"
SALES_GROUP = "Sales"
SALES_PERMISSIONS = ["view_lossreason"]


def seed(apps, schema_editor):
    LossReason = apps.get_model("crm", "LossReason")
    for order, name in enumerate(LOSS_REASONS, start=1):
        LossReason.objects.get_or_create(name=name, defaults={"order": order * 10})
    former = LossReason.objects.get(name=FORMER_LOSSES_REASON)
    Opportunity = apps.get_model("crm", "Opportunity")
    Opportunity.objects.filter(lost_at__isnull=False, loss_reason__isnull=True).update(loss_reason=former)
    # Permissions are normally created after all migrations ran; create them now to use them.
    app_config = apps.get_app_config("crm")
    models_module, app_config.models_module = getattr(app_config, "models_module", None), True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = models_module
    group, _ = apps.get_model("auth", "Group").objects.get_or_create(name=SALES_GROUP)
    group.permissions.add(
        *apps.get_model("auth", "Permission").objects.filter(
            content_type__app_label="crm", codename__in=SALES_PERMISSIONS
        )
    )


def unseed(apps, schema_editor):
    apps.get_model("crm", "Opportunity").objects.update(loss_reason=None)
    apps.get_model("crm", "LossReason").objects.filter(name__in=LOSS_REASONS).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('crm', '0018_person_names'),
        ('auth', '0012_alter_user_first_name_max_length'),
        ('contenttypes', '0002_remove_content_type_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='LossReason',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=100, unique=True, verbose_name='name')),
                ('order', models.PositiveSmallIntegerField(default=0, verbose_name='order')),
                ('is_active', models.BooleanField(default=True, help_text='Offered when a deal is lost.', verbose_name='active')),
            ],
            options={
                'verbose_name': 'loss reason',
                'verbose_name_plural': 'loss reasons',
                'ordering': ['order', 'id'],
                'abstract': False,
                'constraints': [models.CheckConstraint(condition=models.Q(django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('name'), 100)), name='crm_lossreason_text_lengths')],
            },
        ),
        migrations.AddField(
            model_name='historicalopportunity',
            name='loss_reason',
            field=models.ForeignKey(blank=True, db_constraint=False, help_text='Required when the stage is lost.', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='crm.lossreason', verbose_name='loss reason'),
        ),
        migrations.AddField(
            model_name='opportunity',
            name='loss_reason',
            field=models.ForeignKey(blank=True, help_text='Required when the stage is lost.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='opportunities', to='crm.lossreason', verbose_name='loss reason'),
        ),
        migrations.RunPython(seed, unseed),
        migrations.AddConstraint(
            model_name='opportunity',
            constraint=models.CheckConstraint(condition=models.Q(('lost_at__isnull', True), ('loss_reason__isnull', False), _connector='OR'), name='opportunity_lost_has_a_reason'),
        ),
    ]

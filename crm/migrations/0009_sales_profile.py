"""Sales profiles (languages, away) for the fair automatic assignment.

The Sales group may view, add and change profiles: the admin shows a sales person only their own,
so they can say which languages they speak and mark themselves away.
"""

import django.db.models.deletion
from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

SALES_GROUP = "Sales"
PROFILE_PERMISSIONS = ["view_salesprofile", "add_salesprofile", "change_salesprofile"]


def grant_profile_permissions(apps, schema_editor):
    # Permissions are normally created after all migrations ran; create them now to use them.
    app_config = apps.get_app_config("crm")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=SALES_GROUP)
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="crm", codename__in=PROFILE_PERMISSIONS)
    )


def revoke_profile_permissions(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name=SALES_GROUP):
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="crm", codename__in=PROFILE_PERMISSIONS)
        )


class Migration(migrations.Migration):

    dependencies = [
        ('crm', '0008_long_identity_keys'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='SalesProfile',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('speaks_french', models.BooleanField(default=False, verbose_name='speaks French')),
                ('speaks_english', models.BooleanField(default=False, verbose_name='speaks English')),
                ('speaks_hebrew', models.BooleanField(default=False, verbose_name='speaks Hebrew')),
                ('is_away', models.BooleanField(default=False, help_text='Away people get no automatic prospects.', verbose_name='away')),
                ('last_turn', models.PositiveBigIntegerField(blank=True, editable=False, null=True, verbose_name='last turn')),
                ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='sales_profile', to=settings.AUTH_USER_MODEL, verbose_name='user')),
            ],
            options={
                'verbose_name': 'sales profile',
                'verbose_name_plural': 'sales profiles',
                'ordering': ['user__username'],
            },
        ),
        migrations.RunPython(grant_profile_permissions, revoke_profile_permissions),
    ]

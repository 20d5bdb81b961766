"""The "Sales" group: sales people view and work on prospects, and read the requests behind them."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

SALES_GROUP = "Sales"
SALES_PERMISSIONS = [
    ("crm", "view_lead"),
    ("crm", "change_lead"),
    ("mini_analysis", "view_minianalysis"),
]


def create_sales_group(apps, schema_editor):
    # Permissions are normally created after all migrations ran; create them now to use them.
    for app_label in {app_label for app_label, _ in SALES_PERMISSIONS}:
        app_config = apps.get_app_config(app_label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=SALES_GROUP)
    for app_label, codename in SALES_PERMISSIONS:
        group.permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )


def delete_sales_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=SALES_GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0001_initial"),
        ("mini_analysis", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_sales_group, delete_sales_group)]

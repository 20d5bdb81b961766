"""The pipeline's reference rows and the Sales group's new permissions.

Stages and disqualification reasons are part of the schema: every fresh database has them, and
they stay editable in the admin. Their names are English msgids, translated on display (see
`crm.models.pipeline.ReferenceRow`). Existing leads start at the sales stage NEW through the
default of the `stage` column added by 0010.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

# (name, order, win probability, won, lost)
STAGES = [
    ("Qualification", 10, 10, False, False),
    ("Meeting", 20, 20, False, False),
    ("Proposal", 30, 50, False, False),
    ("Negotiation", 40, 70, False, False),
    ("Won", 50, 100, True, False),
    ("Lost", 60, 0, False, True),
]
DISQUALIFICATION_REASONS = ["No budget", "Not interested", "Unreachable", "Not a fit", "Duplicate"]

SALES_GROUP = "Sales"
SALES_PERMISSIONS = [
    "convert_lead",
    "view_company",
    "add_company",
    "change_company",
    "view_contact",
    "add_contact",
    "change_contact",
    "view_opportunity",
    "add_opportunity",
    "change_opportunity",
    "view_activity",
    "add_activity",
    "change_activity",
    "view_opportunitystage",
    "view_disqualificationreason",
]


def seed(apps, schema_editor):
    OpportunityStage = apps.get_model("crm", "OpportunityStage")
    for name, order, probability, is_won, is_lost in STAGES:
        OpportunityStage.objects.get_or_create(
            name=name,
            defaults={"order": order, "probability": probability, "is_won": is_won, "is_lost": is_lost},
        )
    DisqualificationReason = apps.get_model("crm", "DisqualificationReason")
    for order, name in enumerate(DISQUALIFICATION_REASONS, start=1):
        DisqualificationReason.objects.get_or_create(name=name, defaults={"order": order * 10})

    # Permissions are normally created after all migrations ran; create them now to use them.
    app_config = apps.get_app_config("crm")
    models_module, app_config.models_module = getattr(app_config, "models_module", None), True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = models_module
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=SALES_GROUP)
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="crm", codename__in=SALES_PERMISSIONS)
    )


def unseed(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    group = apps.get_model("auth", "Group").objects.filter(name=SALES_GROUP).first()
    if group is not None:
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="crm", codename__in=SALES_PERMISSIONS)
        )
    apps.get_model("crm", "DisqualificationReason").objects.filter(name__in=DISQUALIFICATION_REASONS).delete()
    apps.get_model("crm", "OpportunityStage").objects.filter(name__in=[stage[0] for stage in STAGES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0004_pipeline"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(seed, unseed)]

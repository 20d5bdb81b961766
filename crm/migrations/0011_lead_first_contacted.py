"""A lead's first contact (its earliest call, email or meeting), kept like its last contact, so the
dashboard's time to first contact reads the period's leads only, never their activities."""

from django.db import migrations, models
from django.db.models import Min, OuterRef, Subquery

CONTACTING_KINDS = ["call", "email", "meeting"]


def fill_first_contacts(apps, schema_editor):
    """One UPDATE: each contacted lead's earliest contact activity (set-based, any size)."""
    Activity = apps.get_model("crm", "Activity")
    Lead = apps.get_model("crm", "Lead")
    contacts = Activity.objects.filter(kind__in=CONTACTING_KINDS, done_at__isnull=False)
    first = (
        contacts.filter(lead=OuterRef("pk"))
        .order_by()
        .values("lead")
        .annotate(first=Min("done_at"))
        .values("first")
    )
    Lead.objects.filter(pk__in=contacts.values("lead_id")).update(first_contacted_at=Subquery(first))


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0010_search_trigram_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="historicallead",
            name="first_contacted_at",
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name="first contacted"),
        ),
        migrations.AddField(
            model_name="lead",
            name="first_contacted_at",
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name="first contacted"),
        ),
        # Not elidable: a squash must keep filling the column from the activities.
        migrations.RunPython(fill_first_contacts, migrations.RunPython.noop, elidable=False),
    ]

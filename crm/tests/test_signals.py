"""The request -> lead receiver (`crm/signals.py`): a save of what the lead takes keeps the lead in
step; a save of anything else does nothing, so any code may `save()` a request."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm.models import Lead
from crm.services import lead_fields_from
from crm.signals import LEAD_FOLLOWS
from mini_analysis.models import MiniAnalysis, Status
from mini_analysis.tests.factories import MiniAnalysisFactory

pytestmark = pytest.mark.django_db


def lead_queries(save) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        save()
    return [query["sql"] for query in queries if Lead._meta.db_table in query["sql"]]


def test_every_field_the_receiver_watches_is_a_field_of_the_request():
    names = {field.attname for field in MiniAnalysis._meta.concrete_fields}
    assert names >= LEAD_FOLLOWS


def test_no_field_the_receiver_skips_changes_what_the_lead_takes():
    """The shortcut is safe: change any other field of a request, and `lead_fields_from` gives the
    same values, so a save of those fields alone has nothing to bring to the lead."""
    request = MiniAnalysisFactory(analysis_text="Texte", pdf_url="/media/a.pdf")
    before = lead_fields_from(request)
    skipped = [
        field
        for field in MiniAnalysis._meta.concrete_fields
        if field.attname not in LEAD_FOLLOWS and not field.primary_key
    ]
    assert skipped, "the receiver skips no field: nothing to prove"
    for field in skipped:
        changed = MiniAnalysis.objects.get(pk=request.pk)
        setattr(changed, field.attname, _another_value(field, getattr(changed, field.attname)))
        assert lead_fields_from(changed) == before, field.name


def _another_value(field, value):
    if field.get_internal_type() == "BooleanField":
        return not value
    if field.get_internal_type() in {"DateTimeField"}:
        return (value or timezone.now()) + timedelta(days=1)
    if field.get_internal_type() in {"IntegerField", "PositiveIntegerField", "PositiveSmallIntegerField"}:
        return (value or 0) + 1
    if field.choices:
        return next(choice for choice, _label in field.choices if choice != value)
    return f"{value}-other"


def test_a_save_of_fields_the_lead_does_not_take_does_not_touch_the_lead():
    request = MiniAnalysisFactory()
    request.emailed_at = timezone.now()
    assert lead_queries(lambda: request.save(update_fields=["emailed_at"])) == []


def test_a_save_of_a_field_the_lead_takes_brings_it_to_the_lead():
    request = MiniAnalysisFactory()
    request.status = Status.GENERATED
    request.save(update_fields=["status"])
    assert Lead.objects.get().status == Status.GENERATED


def test_a_plain_save_is_safe_it_changes_nothing_when_nothing_changed():
    request = MiniAnalysisFactory()
    lead = Lead.objects.get()
    history = lead.history.count()
    request.save()
    assert Lead.objects.count() == 1
    assert lead.history.count() == history
    assert Lead.objects.get().updated_at == lead.updated_at


def test_a_plain_save_after_a_change_brings_it_to_the_lead():
    request = MiniAnalysisFactory()
    request.pdf_url = "/media/new.pdf"
    request.save()
    assert Lead.objects.get().pdf_url == "/media/new.pdf"

"""One keyed model for the four identities (`mini_analysis.keys.KeyedModel`): requests and leads by
person and brand, companies by brand, contacts by person. Every ORM writer stores the true keys on
each of them: `save()`, a save of the source alone, `bulk_create`, `bulk_update`, `update()`,
`loaddata`, and `full_clean()` sees them before the row is written."""

import json

import pytest
from django.core.management import call_command
from django.db.models import F

from crm.models import Company, Contact, Lead
from mini_analysis.keys import KeyedModel
from mini_analysis.models import MiniAnalysis
from mini_analysis.tests.factories import MiniAnalysisFactory

from .factories import CompanyFactory, ContactFactory, LeadFactory

pytestmark = pytest.mark.django_db

# model, factory, a source field, a spelling of it and the key it must get
CASES = [
    (MiniAnalysis, MiniAnalysisFactory, "email", " Ana@Example.COM", "ana@example.com"),
    (MiniAnalysis, MiniAnalysisFactory, "brand_name", "Maison  LUMIÈRE ", "maison lumière"),
    (Lead, LeadFactory, "email", "Ana@Example.COM ", "ana@example.com"),
    (Lead, LeadFactory, "brand_name", " Maison  Lumière", "maison lumière"),
    (Company, CompanyFactory, "name", "Maison  LUMIÈRE", "maison lumière"),
    (Contact, ContactFactory, "email", "ANA@example.com", "ana@example.com"),
]
IDS = [f"{model.__name__}.{source}" for model, _factory, source, _value, _key in CASES]


def key_of(model, source: str) -> str:
    return next(key for key, name in model.KEY_SOURCES.items() if name == source)


def stored_key(model, pk, source: str) -> str:
    return model.objects.filter(pk=pk).values_list(key_of(model, source), flat=True).get()


def test_the_four_identities_are_keyed_models():
    for model in (MiniAnalysis, Lead, Company, Contact):
        assert issubclass(model, KeyedModel)
        for key, source in model.KEY_SOURCES.items():
            assert model._meta.get_field(key).editable is False
            model._meta.get_field(source)


@pytest.mark.parametrize(("model", "factory", "source", "value", "key"), CASES, ids=IDS)
def test_save_stores_the_key(model, factory, source, value, key):
    row = factory(**{source: value})
    assert stored_key(model, row.pk, source) == key


@pytest.mark.parametrize(("model", "factory", "source", "value", "key"), CASES, ids=IDS)
def test_a_save_of_the_source_alone_stores_its_key(model, factory, source, value, key):
    row = factory()
    setattr(row, source, value)
    row.save(update_fields=[source])
    assert stored_key(model, row.pk, source) == key


@pytest.mark.parametrize(("model", "factory", "source", "value", "key"), CASES, ids=IDS)
def test_bulk_create_stores_the_key(model, factory, source, value, key):
    built = factory.build(**{source: value})
    if model is Contact:
        built.company.save()
        built.company_id = built.company.pk
    [row] = model.objects.bulk_create([built])
    assert stored_key(model, row.pk, source) == key


@pytest.mark.parametrize(("model", "factory", "source", "value", "key"), CASES, ids=IDS)
def test_bulk_update_stores_the_key(model, factory, source, value, key):
    row = factory()
    setattr(row, source, value)
    model.objects.bulk_update([row], [source])
    assert stored_key(model, row.pk, source) == key


@pytest.mark.parametrize(("model", "factory", "source", "value", "key"), CASES, ids=IDS)
def test_update_stores_the_key_and_refuses_an_expression(model, factory, source, value, key):
    row = factory()
    model.objects.filter(pk=row.pk).update(**{source: value})
    assert stored_key(model, row.pk, source) == key
    with pytest.raises(TypeError, match="cannot be computed in SQL"):
        model.objects.filter(pk=row.pk).update(**{source: F("pk")})


@pytest.mark.parametrize(("model", "factory", "source", "value", "key"), CASES, ids=IDS)
def test_full_clean_sees_the_key_the_row_will_have(model, factory, source, value, key):
    row = factory.build(**{source: value})
    row.clean()
    assert getattr(row, key_of(model, source)) == key


@pytest.mark.parametrize(("model", "factory", "source", "value", "key"), CASES, ids=IDS)
def test_loaddata_stores_the_key(model, factory, source, value, key, tmp_path):
    row = factory()
    fixture = tmp_path / "rows.json"
    call_command("dumpdata", model._meta.label_lower, f"--pks={row.pk}", f"--output={fixture}", verbosity=0)
    rows = json.loads(fixture.read_text())
    rows[0]["fields"][source] = value
    rows[0]["fields"][key_of(model, source)] = ""
    fixture.write_text(json.dumps(rows))
    call_command("loaddata", str(fixture), verbosity=0)
    assert stored_key(model, row.pk, source) == key

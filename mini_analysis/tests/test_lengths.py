"""Every text column has a maximum the database enforces; forms say so before the database does."""

import pytest
from django.apps import apps
from django.db import DataError, IntegrityError, models, transaction
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.urls import reverse

from crm.models import Activity, Company, Lead, LeadSyncFailure, Opportunity
from crm.tests.factories import ActivityFactory, LeadFactory, OpportunityFactory, UserFactory
from mini_analysis.lengths import NOTES_MAX_LENGTH
from mini_analysis.models import MiniAnalysis

from .factories import MiniAnalysisFactory

pytestmark = pytest.mark.django_db

MODELS = [
    model
    for app in ("crm", "mini_analysis")
    for model in apps.get_app_config(app).get_models()
    if any(isinstance(field, models.CharField | models.TextField) for field in model._meta.concrete_fields)
]


def bounded_columns(model: type[models.Model]) -> dict[str, int]:
    """The columns that a check constraint of `model` bounds by `LENGTH(column) <= maximum`."""
    bounds = {}
    for constraint in model._meta.constraints:
        if not isinstance(constraint, models.CheckConstraint):
            continue
        for condition in _leaves(constraint.condition):
            if isinstance(condition, LessThanOrEqual) and isinstance(condition.lhs, Length):
                bounds[condition.lhs.source_expressions[0].name] = condition.rhs
    return bounds


def _leaves(q: models.Q):
    for child in q.children:
        yield from _leaves(child) if isinstance(child, models.Q) else [child]


def test_the_history_tables_are_among_the_models_checked():
    assert {Lead.history.model, Company.history.model, Opportunity.history.model} <= set(MODELS)


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model._meta.label)
def test_every_text_column_has_its_max_length_as_a_check_constraint(model):
    lengths = {
        field.name: field.max_length
        for field in model._meta.concrete_fields
        if isinstance(field, models.CharField | models.TextField)
    }

    assert None not in lengths.values()
    assert bounded_columns(model) == lengths


@pytest.mark.parametrize(
    ("make", "field", "maximum"),
    [
        (lambda: LeadFactory(), "notes", NOTES_MAX_LENGTH),
        (lambda: LeadFactory().history.first(), "notes", NOTES_MAX_LENGTH),
        (lambda: LeadFactory(), "analysis_text", 500),
        (lambda: ActivityFactory(lead=LeadFactory()), "body", NOTES_MAX_LENGTH),
        (lambda: OpportunityFactory(), "closing_reason", NOTES_MAX_LENGTH),
        (lambda: OpportunityFactory().history.first(), "closing_reason", NOTES_MAX_LENGTH),
        (lambda: MiniAnalysisFactory(), "analysis_text", 50_000),
        (lambda: MiniAnalysisFactory(), "last_error", 2_000),
        (
            lambda: LeadSyncFailure.objects.create(mini_analysis=MiniAnalysisFactory(), error="e"),
            "error",
            2_000,
        ),
        (lambda: OpportunityFactory().company, "name", 200),
        (lambda: LeadFactory(), "brand_name", 200),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_the_database_refuses_a_text_longer_than_its_column_and_takes_one_as_long(make, field, maximum):
    row = make()
    rows = type(row)._base_manager.filter(pk=row.pk)  # a plain UPDATE: no model validation

    with pytest.raises((IntegrityError, DataError)) as refused, transaction.atomic():
        rows.update(**{field: "x" * (maximum + 1)})
    # The length check, or PostgreSQL's varchar(n) for the columns that always had a length.
    assert "_text_lengths" in str(refused.value) or "value too long" in str(refused.value)
    if isinstance(type(row)._meta.get_field(field), models.TextField):
        rows.update(**{field: "x" * maximum})
        assert len(getattr(rows.get(), field)) == maximum


def test_notes_too_long_are_a_field_error_of_the_admin_form_not_a_database_error(client):
    client.force_login(UserFactory(is_superuser=True))
    lead = LeadFactory(notes="")
    url = reverse("admin:crm_lead_change", args=[lead.pk])
    form = client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name in form.fields}
    data.update({"notes": "n" * (NOTES_MAX_LENGTH + 1), "assigned_to": "", "disqualification_reason": ""})
    data.update(
        {"activities-TOTAL_FORMS": "0", "activities-INITIAL_FORMS": "0", "activities-MIN_NUM_FORMS": "0"}
    )

    response = client.post(url, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["notes"] == [
        "Assurez-vous que cette valeur comporte au plus 10000 caractères (actuellement 10001)."
    ]
    lead.refresh_from_db()
    assert lead.notes == ""


def test_full_clean_refuses_free_text_longer_than_its_column():
    activity = Activity(kind="note", subject="s", body="b" * (NOTES_MAX_LENGTH + 1))
    mini_analysis = MiniAnalysis(email="a@x.com", brand_name="B", analysis_text="a" * 50_001)

    for row, field in [(activity, "body"), (mini_analysis, "analysis_text")]:
        with pytest.raises(Exception) as refused:
            row.full_clean()
        assert field in refused.value.message_dict

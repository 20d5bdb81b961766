"""The staff JSON API's leads (`crm/api.py`): `GET /api/crm/leads`, the token command, the OpenAPI
schema, and what an anonymous submission (`mini_analysis/api.py`) tells about known prospects."""

import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from crm.models import ApiToken, Lead, Source
from mini_analysis.models import MiniAnalysis, Status
from mini_analysis.tests.conftest import SUBMIT, VALID, run_jobs, submit

from .factories import LeadFactory, SalesPersonFactory, UserFactory

pytestmark = pytest.mark.django_db

LEADS = "/api/crm/leads"


def bearer(client: APIClient, user) -> APIClient:
    token, _ = ApiToken.objects.get_or_create(user=user, read_only=False)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.key}")
    return client


@pytest.fixture
def admin_client(api_client) -> APIClient:
    return bearer(api_client, UserFactory(username="boss", is_superuser=True))


def ids(response) -> list[int]:
    return [lead["id"] for lead in response.json()["results"]]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


# --- what an anonymous submission tells about existing prospects: nothing --------------------


def worked_lead(**fields) -> Lead:
    """A prospect a sales person has worked on: assigned, with notes and a phone they typed."""
    return LeadFactory(
        email="ana@example.com",
        brand_name="Maison Lumière",
        phone="+972541234567",
        sector="retail",
        language="he",
        assigned_to=SalesPersonFactory(),
        notes="Called her, prefers Hebrew",
        **fields,
    )


def answer_shape(value):
    """The JSON answer with its values replaced by their types: what may not differ between callers."""
    if isinstance(value, dict):
        return {key: answer_shape(item) for key, item in value.items()}
    return type(value).__name__


def test_the_answer_has_the_same_shape_for_a_new_and_a_known_person(api_client):
    worked_lead()
    known = submit(api_client, {**VALID, "email": " ANA@example.COM", "brand_name": "maison  lumière"})
    new = submit(api_client, {**VALID, "email": "someone.else@example.com"})
    assert known.status_code == new.status_code == 202
    assert answer_shape(known.json()) == answer_shape(new.json())
    assert known.json()["status"] == new.json()["status"] == Status.NEW
    assert "lead_id" not in known.json()


def test_an_anonymous_submission_never_replaces_what_sales_typed_on_the_lead(api_client):
    lead = worked_lead()
    with run_jobs():
        response = submit(api_client, {**VALID, "email": "ANA@example.com ", "brand_name": " MAISON lumière"})
    lead.refresh_from_db()
    assert (str(lead.phone), lead.sector, lead.language) == ("+972541234567", "retail", "he")
    assert lead.notes == "Called her, prefers Hebrew"
    assert lead.assigned_to is not None
    assert lead.mini_analysis == MiniAnalysis.objects.get(request_id=response.json()["request_id"])
    assert lead.status == Status.GENERATED


def test_the_form_answers_a_known_person_exactly_as_a_new_one(client):
    worked_lead()
    form = {**VALID, "consent": "on"}
    known = client.post("/en/mini-analysis/", {**form, "email": "Ana@Example.com"})
    new = client.post("/en/mini-analysis/", {**form, "email": "someone.else@example.com"})
    assert known.status_code == new.status_code == 302
    known_page, new_page = client.get(known["Location"]), client.get(new["Location"])
    assert known_page.status_code == new_page.status_code == 200
    assert known_page.content.decode().replace(known["Location"], "") == new_page.content.decode().replace(
        new["Location"], ""
    )


# --- authentication and permissions ----------------------------------------------------------


def test_leads_without_a_token_answer_401(api_client):
    response = api_client.get(LEADS)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


def test_leads_with_an_unknown_token_answer_401(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-real-token")
    assert api_client.get(LEADS).status_code == 401


def test_leads_with_a_non_staff_token_answer_403(api_client):
    user = UserFactory(is_staff=False)
    user.user_permissions.add(Permission.objects.get(codename="view_lead"))
    assert bearer(api_client, user).get(LEADS).status_code == 403


def test_leads_with_a_staff_token_without_view_permission_answer_403(api_client):
    assert bearer(api_client, UserFactory(is_staff=True)).get(LEADS).status_code == 403


def test_leads_with_an_admin_token_answer_200_with_the_lead_fields(admin_client):
    lead = LeadFactory(email="ana@example.com", brand_name="Maison", status=Status.GENERATED)
    response = admin_client.get(LEADS)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    (row,) = body["results"]
    assert row["id"] == lead.pk
    assert row["email"] == "ana@example.com"
    assert row["phone"] == "+972502345678"
    assert row["brand_name"] == "Maison"
    assert row["status"] == "GENERATED"
    assert row["source"] == "mini-analysis"
    assert row["assigned_to"] is None
    assert set(row) >= {"sector", "language", "mini_analysis_id", "pdf_url", "analysis_text", "created_at"}


def test_leads_with_a_session_login_answer_200_too(api_client):
    api_client.force_login(UserFactory(is_superuser=True))
    assert api_client.get(LEADS).status_code == 200


def test_leads_path_answers_without_a_trailing_slash_redirect(admin_client):
    assert admin_client.get(LEADS).status_code == 200


def test_sales_person_sees_only_their_own_and_unassigned_leads(api_client):
    sales_person = SalesPersonFactory()
    colleague = SalesPersonFactory()
    own = LeadFactory(assigned_to=sales_person)
    unassigned = LeadFactory()
    LeadFactory(assigned_to=colleague)
    response = bearer(api_client, sales_person).get(LEADS)
    assert response.status_code == 200
    assert set(ids(response)) == {own.pk, unassigned.pk}
    assert response.json()["count"] == 2


# --- pagination, order, filters --------------------------------------------------------------


def test_leads_are_newest_first(admin_client):
    now = timezone.now()
    old = LeadFactory(created_at=now - timedelta(days=2))
    new = LeadFactory(created_at=now)
    middle = LeadFactory(created_at=now - timedelta(days=1))
    assert ids(admin_client.get(LEADS)) == [new.pk, middle.pk, old.pk]


def test_limit_and_offset_page_through_the_leads(admin_client):
    now = timezone.now()
    leads = [LeadFactory(created_at=now - timedelta(minutes=minute)) for minute in range(5)]
    response = admin_client.get(LEADS, {"limit": 2, "offset": 2})
    body = response.json()
    assert body["count"] == 5
    assert ids(response) == [leads[2].pk, leads[3].pk]
    assert "offset=4" in body["next"]
    assert body["previous"] is not None


def test_default_page_is_fifty_leads(admin_client):
    LeadFactory.create_batch(51)
    assert len(ids(admin_client.get(LEADS))) == 50


def test_limit_is_capped_at_two_hundred(admin_client):
    LeadFactory.create_batch(201)
    assert len(ids(admin_client.get(LEADS, {"limit": 1000}))) == 200


def test_status_and_source_filters_combine(admin_client):
    wanted = LeadFactory(status=Status.GENERATED, source=Source.MIGRATION)
    LeadFactory(status=Status.GENERATED, source=Source.MINI_ANALYSIS)
    LeadFactory(status=Status.ERROR, source=Source.MIGRATION)
    response = admin_client.get(LEADS, {"status": "GENERATED", "source": "mini-analysis-migration"})
    assert response.status_code == 200
    assert ids(response) == [wanted.pk]


@pytest.mark.parametrize(("name", "value"), [("status", "DONE"), ("status", "generated"), ("source", "web")])
def test_an_unknown_filter_value_answers_400(admin_client, name, value):
    LeadFactory()
    response = admin_client.get(LEADS, {name: value})
    assert response.status_code == 400
    assert name in response.json()


def test_listing_leads_costs_the_same_queries_for_one_or_fifty(admin_client):
    sales_person = SalesPersonFactory()
    LeadFactory(assigned_to=sales_person)
    with CaptureQueriesContext(connection) as one:
        admin_client.get(LEADS)
    LeadFactory.create_batch(49, assigned_to=sales_person)
    with CaptureQueriesContext(connection) as fifty:
        response = admin_client.get(LEADS)
    assert {lead["assigned_to"] for lead in response.json()["results"]} == {sales_person.username}
    assert len(fifty) == len(one)


# --- create_api_token ------------------------------------------------------------------------


def test_create_api_token_prints_a_token_that_opens_the_api(api_client):
    UserFactory(username="boss", is_superuser=True)
    out = io.StringIO()
    call_command("create_api_token", "boss", stdout=out)
    key = out.getvalue().strip()
    assert key == ApiToken.objects.get(user__username="boss").key
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert api_client.get(LEADS).status_code == 200


def test_create_api_token_twice_prints_the_same_token():
    UserFactory(username="boss")
    first, second = io.StringIO(), io.StringIO()
    call_command("create_api_token", "boss", stdout=first)
    call_command("create_api_token", "boss", stdout=second)
    assert first.getvalue() == second.getvalue()


def test_create_api_token_reset_replaces_the_token():
    user = UserFactory(username="boss")
    old = ApiToken.objects.create(user=user).key
    out = io.StringIO()
    call_command("create_api_token", "boss", "--reset", stdout=out)
    assert out.getvalue().strip() != old
    assert not ApiToken.objects.filter(key=old).exists()


def test_create_api_token_warns_for_a_non_staff_user():
    UserFactory(username="visitor", is_staff=False)
    err = io.StringIO()
    call_command("create_api_token", "visitor", stdout=io.StringIO(), stderr=err)
    assert "403" in err.getvalue()


def test_create_api_token_for_an_unknown_user_is_a_command_error():
    with pytest.raises(CommandError, match="nobody"):
        call_command("create_api_token", "nobody", stdout=io.StringIO())
    assert not ApiToken.objects.exists()


def test_create_api_token_refuses_an_inactive_user():
    UserFactory(username="gone", is_active=False)
    with pytest.raises(CommandError, match="inactive"):
        call_command("create_api_token", "gone", stdout=io.StringIO())


# --- the OpenAPI schema ----------------------------------------------------------------------


def test_schema_generates_without_warnings():
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=io.StringIO())


def test_schema_lists_both_paths(api_client):
    response = api_client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/crm/leads" in paths
    assert "/api/mini-analysis" in paths
    leads_parameters = {parameter["name"] for parameter in paths["/api/crm/leads"]["get"]["parameters"]}
    assert leads_parameters >= {"limit", "offset", "status", "source"}


# --- the schema says what the API does ---------------------------------------------------------


@pytest.fixture
def schema(api_client) -> dict:
    return api_client.get("/api/schema/", {"format": "json"}).json()


def test_schema_marks_the_fields_the_form_requires_as_required(schema):
    body = schema["paths"][SUBMIT]["post"]["requestBody"]
    assert body["required"] is True
    submission = schema["components"]["schemas"]["MiniAnalysisRequest"]
    assert submission["required"] == ["email", "brand_name", "sector", "consent"]


def test_schema_says_assigned_to_may_be_null(schema):
    assert schema["components"]["schemas"]["Lead"]["properties"]["assigned_to"]["nullable"] is True


def test_schema_declares_the_error_answers_of_the_leads_list(schema):
    assert set(schema["paths"][LEADS]["get"]["responses"]) == {"200", "400", "401", "403"}


@pytest.mark.parametrize(
    ("field", "value"),
    [("brand_name", 12), ("email", 1.5), ("consent", "yes"), ("consent", 1), ("consent", "true")],
)
def test_a_json_value_of_another_type_than_the_schema_says_answers_400(api_client, field, value):
    response = submit(api_client, {**VALID, field: value})
    assert response.status_code == 400
    assert field in response.json()


def test_an_empty_filter_means_no_filter_as_the_schema_says(admin_client, schema):
    lead = LeadFactory(status=Status.GENERATED)
    response = admin_client.get(LEADS, {"status": "", "source": ""})
    assert response.status_code == 200
    assert ids(response) == [lead.pk]
    parameters = {parameter["name"]: parameter for parameter in schema["paths"][LEADS]["get"]["parameters"]}
    assert "" in parameters["status"]["schema"]["enum"]


def test_a_repeated_query_parameter_answers_400_naming_it(admin_client):
    response = admin_client.get(f"{LEADS}?status=NEW&status=ERROR")
    assert response.status_code == 400
    assert response.json() == {"status": ["Donnez ce paramètre une seule fois."]}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("limit", "abc"),
        ("limit", "0"),
        ("offset", "-1"),
        ("limit", ""),
        ("offset", ""),
        ("offset", "0.0"),
        ("limit", "2."),
    ],
)
def test_a_bad_limit_or_offset_answers_400_instead_of_being_ignored(admin_client, name, value):
    response = admin_client.get(LEADS, {name: value})
    assert response.status_code == 400
    assert set(response.json()) == {name}

"""The JSON API (`crm/api.py`): `POST /api/mini-analysis`, `GET /api/crm/leads`, the token command
and the OpenAPI schema."""

import io
import json
from datetime import timedelta
from unittest import mock
from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from crm.models import ApiToken, Lead, Source
from mini_analysis.models import MiniAnalysis, Status
from mini_analysis.tests.conftest import run_jobs

from .factories import LeadFactory, SalesPersonFactory, UserFactory

pytestmark = pytest.mark.django_db

LEADS = "/api/crm/leads"
SUBMIT = "/api/mini-analysis"
VALID = {
    "email": "ana@example.com",
    "phone": "050-234-5678",
    "brand_name": "Maison Lumière",
    "sector": "food",
    "consent": True,
}


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


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


def multipart(boundary: str, fields: dict) -> str:
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields.items()
    ]
    return "".join(parts) + f"--{boundary}--\r\n"


def submit(client: APIClient, payload: dict, **extra):
    """POST, then run the generation job enqueued at the commit, as a worker would."""
    with run_jobs():
        return client.post(SUBMIT, payload, format="json", **extra)


# --- POST /api/mini-analysis -----------------------------------------------------------------


def test_valid_submission_answers_202_with_a_status_url_at_once(api_client):
    with run_jobs() as jobs:
        response = api_client.post(SUBMIT, VALID, format="json")
        # Answered before the generation runs: the job waits for the commit.
        assert MiniAnalysis.objects.get().status == Status.NEW
    assert len(jobs) == 2  # the generation, then the email it queued
    assert response.status_code == 202
    body = response.json()
    assert set(body) == {"request_id", "status", "status_url"}
    mini_analysis = MiniAnalysis.objects.get()
    assert body["request_id"] == str(mini_analysis.request_id)
    assert body["status"] == Status.NEW
    assert body["status_url"] == f"http://testserver/api/mini-analysis/{mini_analysis.request_id}"
    assert response["Location"] == f"/api/mini-analysis/{mini_analysis.request_id}"
    assert str(mini_analysis.phone) == "+972502345678"
    assert mini_analysis.consent_at is not None
    assert Lead.objects.get().source == Source.MINI_ANALYSIS


def test_status_url_shows_the_analysis_once_generated(api_client):
    body = submit(api_client, VALID).json()
    status = api_client.get(body["status_url"])
    assert status.status_code == 200
    assert status["Cache-Control"] == "no-store"
    mini_analysis = MiniAnalysis.objects.get()
    assert status.json() == {
        "request_id": str(mini_analysis.request_id),
        "status": Status.GENERATED,
        "generation_state": "done",
        "pending": False,
        "analysis_text": mini_analysis.analysis_text,
        "pdf_url": mini_analysis.pdf_url,
        "email_withheld": False,
    }
    assert mini_analysis.analysis_text and mini_analysis.pdf_url
    assert Lead.objects.get().status == Status.GENERATED


def test_status_url_says_pending_while_the_job_waits(api_client):
    body = api_client.post(SUBMIT, VALID, format="json").json()
    status = api_client.get(body["status_url"]).json()
    assert (status["status"], status["generation_state"], status["pending"]) == (Status.NEW, "queued", True)
    assert status["analysis_text"] == status["pdf_url"] == ""


@pytest.mark.parametrize("stored", ["javascript:alert(1)", "//evil.example/x.pdf", "data:text/html,x"])
def test_status_never_gives_out_a_stored_pdf_url_that_is_no_safe_link(api_client, stored):
    body = submit(api_client, VALID).json()
    MiniAnalysis.objects.update(pdf_url=stored)
    assert api_client.get(body["status_url"]).json()["pdf_url"] == ""


def test_status_of_an_unknown_request_is_404(api_client):
    assert api_client.get("/api/mini-analysis/7c4e1b8e-0000-4000-8000-000000000000").status_code == 404


def test_same_person_and_brand_twice_gives_two_requests_and_one_lead_and_the_same_answer_shape(api_client):
    first = submit(api_client, VALID).json()
    second = submit(
        api_client, {**VALID, "email": " ANA@Example.com", "brand_name": "maison  LUMIÈRE"}
    ).json()
    assert first["request_id"] != second["request_id"]
    assert set(first) == set(second)
    assert MiniAnalysis.objects.count() == 2
    assert Lead.objects.get().mini_analysis == MiniAnalysis.objects.get(request_id=second["request_id"])


def test_submission_path_answers_without_a_trailing_slash_redirect(api_client):
    assert submit(api_client, VALID).status_code == 202
    assert api_client.get(SUBMIT).status_code == 405


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/x-www-form-urlencoded", urlencode({**VALID, "consent": "true"})),
        ("multipart/form-data; boundary=BoUnDaRy", multipart("BoUnDaRy", {**VALID, "consent": "true"})),
        ("text/plain", json.dumps(VALID)),
    ],
)
def test_a_body_that_a_cross_site_form_can_send_answers_415_in_json_and_stores_nothing(
    api_client, content_type, body
):
    """The three content types a web page may post to another site without a CORS preflight."""
    response = api_client.post(SUBMIT, body, content_type=content_type, HTTP_ORIGIN="https://evil.example")
    assert response.status_code == 415
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()
    assert "Access-Control-Allow-Origin" not in response
    assert not MiniAnalysis.objects.exists()


def test_the_cors_preflight_of_a_cross_site_json_post_is_refused(api_client):
    """A page of another site must ask before posting JSON; the API allows no origin, method or
    header, so the browser never sends the POST."""
    response = api_client.options(
        SUBMIT,
        HTTP_ORIGIN="https://evil.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type",
    )
    assert not [name for name in response.headers if name.lower().startswith("access-control-allow-")]
    assert not MiniAnalysis.objects.exists()


def test_the_html_form_keeps_its_csrf_protection():
    client = Client(enforce_csrf_checks=True)
    response = client.post("/en/mini-analysis/", {**VALID, "consent": "on"})
    assert response.status_code == 403
    assert not MiniAnalysis.objects.exists()


@pytest.mark.parametrize(
    ("extra", "headers", "language"),
    [
        ({"language": "he"}, {}, "he"),
        ({}, {"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.8"}, "en"),
        ({}, {"HTTP_ACCEPT_LANGUAGE": "de"}, "fr"),
        ({"language": "fr"}, {"HTTP_ACCEPT_LANGUAGE": "he"}, "fr"),
    ],
)
def test_language_comes_from_the_payload_then_the_request_then_french(api_client, extra, headers, language):
    response = submit(api_client, {**VALID, **extra}, **headers)
    assert response.status_code == 202
    assert MiniAnalysis.objects.get().language == language
    assert Lead.objects.get().language == language


def test_missing_fields_answer_400_with_each_field_error_and_store_nothing(api_client):
    response = submit(api_client, {})
    assert response.status_code == 400
    assert set(response.json()) == {"email", "brand_name", "sector", "consent"}
    assert not MiniAnalysis.objects.exists()
    assert not Lead.objects.exists()


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("fr", "Ce champ est obligatoire."),
        ("en", "This field is required."),
        ("he", "יש להזין תוכן בשדה זה."),
    ],
)
def test_field_errors_are_in_the_submission_language(api_client, language, message):
    response = submit(api_client, {**VALID, "brand_name": "", "language": language})
    assert response.json() == {"brand_name": [message]}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "not-an-email"),
        ("phone", "12"),
        ("brand_name", "x" * 10_000),
        ("brand_name", "   "),
        ("brand_name", "Maison\nLumière"),
        ("brand_name", "\u202emoc.elgoog"),
        ("brand_name", "\u200b\u2060"),
        ("sector", "astrology"),
        ("consent", False),
        ("language", "de"),
        ("email", ["ana@example.com"]),
        ("brand_name", {"name": "Maison"}),
        ("consent", "maybe"),
    ],
)
def test_an_invalid_field_answers_400_naming_it_and_stores_nothing(api_client, field, value):
    response = submit(api_client, {**VALID, field: value})
    assert response.status_code == 400
    assert field in response.json()
    assert not MiniAnalysis.objects.exists()


@pytest.mark.parametrize("body", ["{not json", "[1, 2]", '"a string"', "null"])
def test_a_body_that_is_not_a_json_object_answers_400(api_client, body):
    response = api_client.post(SUBMIT, body, content_type="application/json")
    assert response.status_code == 400
    assert not MiniAnalysis.objects.exists()


def test_filled_honeypot_answers_400_and_stores_nothing(api_client):
    response = submit(api_client, {**VALID, "website": "http://spam.example"})
    assert response.status_code == 400
    assert set(response.json()) == {"website"}
    assert not MiniAnalysis.objects.exists()


def test_over_the_rate_limit_answers_429_and_stores_nothing_more(api_client, settings):
    settings.MINI_ANALYSIS_RATE_LIMIT = "2/m"
    assert [submit(api_client, VALID).status_code for _ in range(3)] == [202, 202, 429]
    assert MiniAnalysis.objects.count() == 2


@pytest.mark.parametrize(
    ("accept_language", "message"),
    [
        ("fr", "Vous avez envoyé plusieurs demandes"),
        ("en", "You have sent several requests in a short time."),
    ],
)
def test_rate_limit_answer_is_in_the_request_language(api_client, settings, accept_language, message):
    settings.MINI_ANALYSIS_RATE_LIMIT = "0/m"
    response = submit(api_client, VALID, HTTP_ACCEPT_LANGUAGE=accept_language)
    assert response.status_code == 429
    assert response.json()["detail"].startswith(message)


def test_an_address_gets_a_few_analysis_emails_a_day_whatever_the_client_address(
    api_client, settings, mailoutbox
):
    """The rate limit counts per client; this bound counts per recipient mailbox, so many
    clients cannot make the site mail one person (`MINI_ANALYSIS_EMAILS_PER_RECIPIENT`)."""
    settings.MINI_ANALYSIS_EMAILS_PER_RECIPIENT = 3
    spellings = [
        "ana@example.com",
        "ANA@example.com",
        " ana+news@example.com",
        "Ana+x@Example.COM",
        "ana@example.com",
    ]
    answers = [
        submit(api_client, {**VALID, "email": email}, REMOTE_ADDR=f"203.0.113.{number}")
        for number, email in enumerate(spellings)
    ]
    assert [answer.status_code for answer in answers] == [202] * 5
    assert len(mailoutbox) == 3
    statuses = [api_client.get(answer.json()["status_url"]).json() for answer in answers]
    assert [status["email_withheld"] for status in statuses] == [False, False, False, True, True]
    assert {status["status"] for status in statuses} == {Status.GENERATED}  # stored and generated


def test_five_invalid_submissions_then_a_valid_one_is_accepted(api_client, settings):
    settings.MINI_ANALYSIS_RATE_LIMIT = "5/10m"
    typos = [{"email": "ana@"}, {"phone": "12"}, {"brand_name": ""}, {"sector": "x"}, {"consent": False}]
    assert [submit(api_client, {**VALID, **typo}).status_code for typo in typos] == [400] * 5
    assert submit(api_client, VALID).status_code == 202


def test_rate_limit_is_per_client_address(api_client, settings):
    settings.MINI_ANALYSIS_RATE_LIMIT = "1/m"
    assert submit(api_client, VALID, REMOTE_ADDR="10.0.0.1").status_code == 202
    assert submit(api_client, VALID, REMOTE_ADDR="10.0.0.1").status_code == 429
    assert submit(api_client, VALID, REMOTE_ADDR="10.0.0.2").status_code == 202


def test_form_and_api_share_one_rate_limit(api_client, client, settings):
    settings.MINI_ANALYSIS_RATE_LIMIT = "1/m"
    client.post("/fr/mini-analysis/", {**VALID, "consent": "on"})
    assert submit(api_client, VALID).status_code == 429


def test_a_logged_in_browser_needs_no_csrf_token():
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(UserFactory(is_superuser=True))
    assert submit(client, VALID).status_code == 202


def test_a_failing_generator_still_answers_202_and_the_status_says_error(api_client):
    with mock.patch(
        "mini_analysis.generators.offline.OfflineGenerator.generate", side_effect=RuntimeError("down")
    ):
        response = submit(api_client, VALID)
    assert response.status_code == 202
    status = api_client.get(response.json()["status_url"]).json()
    assert (status["status"], status["generation_state"], status["pending"]) == (Status.ERROR, "retry", False)
    assert Lead.objects.get().status == Status.ERROR


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
    ("name", "value"), [("limit", "abc"), ("limit", "0"), ("offset", "-1"), ("limit", ""), ("offset", "")]
)
def test_a_bad_limit_or_offset_answers_400_instead_of_being_ignored(admin_client, name, value):
    response = admin_client.get(LEADS, {name: value})
    assert response.status_code == 400
    assert set(response.json()) == {name}

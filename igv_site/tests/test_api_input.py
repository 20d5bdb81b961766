"""Input out of bounds gets a JSON 4xx on every API route, public and staff (`igv_site/api_input.py`):
never Django's HTML 400 page, nor a 500."""

import json
from urllib.parse import urlencode

import pytest
from rest_framework.test import APIClient

from crm.models import Lead
from crm.tests.factories import LeadFactory, UserFactory
from crm.tests.test_api import bearer
from mini_analysis.models import MiniAnalysis
from mini_analysis.tests.conftest import VALID

pytestmark = pytest.mark.django_db

DEEP = 50_000


@pytest.fixture
def client() -> APIClient:
    """A superuser's token: the staff routes answer, and the public ones ignore it."""
    return bearer(APIClient(), UserFactory(username="boss", is_superuser=True))


@pytest.fixture
def lead() -> Lead:
    return LeadFactory()


def post_routes(lead: Lead) -> list[str]:
    return ["/api/mini-analysis", f"/api/crm/leads/{lead.pk}/convert"]


def get_routes(lead: Lead) -> list[str]:
    request = MiniAnalysis.objects.create(email="ana@example.com", brand_name="Maison", sector="food")
    return [
        f"/api/mini-analysis/{request.request_id}",
        "/api/crm/leads",
        "/api/crm/contacts",
        "/api/crm/opportunities",
    ]


def assert_json_error(response, status: int) -> None:
    assert response.status_code == status, response.content[:200]
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"]


def test_a_brand_nested_fifty_thousand_arrays_deep_answers_400_in_json(client, lead):
    body = '{"brand_name": ' + "[" * DEEP + "]" * DEEP + "}"
    for route in post_routes(lead):
        assert_json_error(client.post(route, body, content_type="application/json"), 400)
    assert not MiniAnalysis.objects.exists()


def test_a_body_of_three_megabytes_answers_413_in_json(client, lead):
    body = json.dumps({**VALID, "brand_name": "x" * 3_000_000, "opportunity_name": "x" * 3_000_000})
    for route in post_routes(lead):
        assert_json_error(client.post(route, body, content_type="application/json"), 413)
    assert not MiniAnalysis.objects.exists()


def test_more_than_a_thousand_form_fields_answer_415_in_json(client, lead):
    body = urlencode({f"field{number}": "x" for number in range(1_001)})
    for route in post_routes(lead):
        response = client.post(route, body, content_type="application/x-www-form-urlencoded")
        assert_json_error(response, 415)


def test_more_than_a_thousand_query_parameters_answer_400_in_json(client, lead):
    query = urlencode({f"field{number}": "x" for number in range(1_001)})
    for route in get_routes(lead):
        assert_json_error(client.get(f"{route}?{query}"), 400)
    for route in post_routes(lead):
        assert_json_error(client.post(f"{route}?{query}", VALID, format="json"), 400)


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("fr", "Le corps de la requête est trop volumineux"),
        ("en", "The request body is too large"),
        ("he", "גוף הבקשה גדול מדי"),
    ],
)
def test_the_answer_is_in_the_requests_language(client, lead, language, message):
    body = json.dumps({"brand_name": "x" * 3_000_000})
    response = client.post(
        "/api/mini-analysis", body, content_type="application/json", HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.json()["detail"].startswith(message)


def test_an_unknown_format_parameter_is_ignored_not_a_404(client, lead):
    for route in get_routes(lead):
        response = client.get(route, {"format": "xml"})
        assert response.status_code == 200, route
        assert response["Content-Type"] == "application/json"


def test_the_schema_still_comes_as_json_on_request():
    response = APIClient().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")

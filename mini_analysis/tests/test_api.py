"""The form's public JSON API (`mini_analysis/api.py`): `POST /api/mini-analysis` and the status
of a submission."""

import json
from unittest import mock
from urllib.parse import urlencode

import pytest
from django.test import Client
from rest_framework.test import APIClient

from crm.models import Lead, Source
from crm.tests.factories import UserFactory
from mini_analysis.models import MiniAnalysis, Status

from .conftest import SUBMIT, VALID, run_jobs, submit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def multipart(boundary: str, fields: dict) -> str:
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields.items()
    ]
    return "".join(parts) + f"--{boundary}--\r\n"


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

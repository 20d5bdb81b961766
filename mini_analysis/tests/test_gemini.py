import json

import httpx2
import pytest
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from google.genai import errors

from crm.models import Lead
from mini_analysis.generators import AnalysisRequest, QuotaExceeded, get_generator
from mini_analysis.generators.gemini import GeminiGenerator, daily_quota_key
from mini_analysis.models import Status
from mini_analysis.services import submit_mini_analysis

from .conftest import gemini_answer, gemini_error, run_jobs

REQUEST = AnalysisRequest(brand_name="Maison Lumière", sector="food", language="he")


def test_success_returns_the_model_text_and_sends_the_prompt_in_the_requested_language(gemini_with):
    sent = []

    def handler(request):
        sent.append(request)
        return httpx2.Response(200, json=gemini_answer("  ניתוח קצר  "))

    assert gemini_with(handler).generate(REQUEST) == "ניתוח קצר"
    (request,) = sent
    assert request.url.path.endswith("/models/gemini-test:generateContent")
    assert request.headers["x-goog-api-key"] == "test-key"
    prompt = json.loads(request.content)["contents"][0]["parts"][0]["text"]
    assert "in Hebrew" in prompt and "Maison Lumière" in prompt and "food" in prompt


def test_timeout_setting_reaches_the_http_call(gemini_with):
    timeouts = []

    def handler(request):
        timeouts.append(request.extensions["timeout"]["read"])
        return httpx2.Response(200, json=gemini_answer("ok"))

    gemini_with(handler, timeout_seconds=7).generate(REQUEST)
    assert timeouts == [7.0]


@pytest.mark.parametrize(("code", "status"), [(429, "RESOURCE_EXHAUSTED"), (429, "TOO_MANY_REQUESTS")])
def test_quota_answer_raises_quota_exceeded(gemini_with, code, status):
    generator = gemini_with(lambda request: httpx2.Response(code, json=gemini_error(code, status)))
    with pytest.raises(QuotaExceeded):
        generator.generate(REQUEST)


@pytest.mark.parametrize(
    ("code", "status"), [(500, "INTERNAL"), (400, "INVALID_ARGUMENT"), (403, "PERMISSION_DENIED")]
)
def test_other_api_errors_propagate(gemini_with, code, status):
    generator = gemini_with(lambda request: httpx2.Response(code, json=gemini_error(code, status)))
    with pytest.raises(errors.APIError):
        generator.generate(REQUEST)


def test_timeout_propagates(gemini_with):
    def slow(request):
        raise httpx2.ReadTimeout("timed out", request=request)

    with pytest.raises(httpx2.TimeoutException):
        gemini_with(slow).generate(REQUEST)


def test_empty_answer_is_a_failure(gemini_with):
    with pytest.raises(ValueError, match="no text"):
        gemini_with(lambda request: httpx2.Response(200, json=gemini_answer(""))).generate(REQUEST)


@pytest.mark.django_db
def test_daily_quota_stops_calling_gemini_after_n_calls(gemini_with):
    calls = []

    def handler(request):
        calls.append(request)
        return httpx2.Response(200, json=gemini_answer("ok"))

    generator = gemini_with(handler, daily_quota=2)
    generator.generate(REQUEST)
    generator.generate(REQUEST)
    with pytest.raises(QuotaExceeded, match="MINI_ANALYSIS_DAILY_QUOTA"):
        generator.generate(REQUEST)
    assert len(calls) == 2
    assert cache.get(daily_quota_key()) == 3


@pytest.mark.django_db
def test_daily_quota_counter_is_shared_by_every_generator_instance(gemini_with):
    handler = lambda request: httpx2.Response(200, json=gemini_answer("ok"))  # noqa: E731
    gemini_with(handler, daily_quota=1).generate(REQUEST)
    with pytest.raises(QuotaExceeded):
        gemini_with(handler, daily_quota=1).generate(REQUEST)


@pytest.mark.django_db
def test_no_daily_quota_means_no_counting(gemini_with):
    gemini_with(lambda request: httpx2.Response(200, json=gemini_answer("ok"))).generate(REQUEST)
    assert cache.get(daily_quota_key()) is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("handler", "status"),
    [
        (lambda request: httpx2.Response(200, json=gemini_answer("Analyse.")), Status.GENERATED),
        (
            lambda request: httpx2.Response(429, json=gemini_error(429, "RESOURCE_EXHAUSTED")),
            Status.QUOTA_BLOCKED,
        ),
        (lambda request: httpx2.Response(503, json=gemini_error(503, "UNAVAILABLE")), Status.ERROR),
    ],
)
def test_each_gemini_outcome_sets_the_request_and_lead_status(use_generator, gemini_with, handler, status):
    use_generator(gemini_with(handler))
    with run_jobs():
        mini_analysis = submit_mini_analysis(
            email="a@example.com", phone="", brand_name="Acme", sector="tech", language="fr"
        )
    mini_analysis.refresh_from_db()
    assert mini_analysis.status == status
    assert Lead.objects.get().status == status


def test_setting_chooses_the_generator(settings):
    settings.MINI_ANALYSIS_GENERATOR = "offline"
    assert type(get_generator()).__name__ == "OfflineGenerator"
    settings.MINI_ANALYSIS_GENERATOR = "gemini"
    settings.GEMINI_API_KEY = "key"
    assert isinstance(get_generator(), GeminiGenerator)
    settings.MINI_ANALYSIS_GENERATOR = "chatbot"
    with pytest.raises(ImproperlyConfigured):
        get_generator()


def test_gemini_without_a_key_is_a_configuration_error(settings):
    settings.MINI_ANALYSIS_GENERATOR = "gemini"
    settings.GEMINI_API_KEY = ""
    with pytest.raises(ImproperlyConfigured, match="GEMINI_API_KEY"):
        get_generator()

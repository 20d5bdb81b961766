"""Fixtures of the request side's tests: PDFs go to a temporary folder, generators can be faked."""

import httpx2
import pytest
from django.test import TestCase

from mini_analysis.generators import AnalysisRequest, QuotaExceeded
from mini_analysis.generators.gemini import GeminiGenerator


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


class FakeGenerator:
    """Answers `text`, or raises `error`; records the requests it was given."""

    def __init__(self, text: str = "A fake analysis.", error: Exception | None = None) -> None:
        self.text = text
        self.error = error
        self.requests: list[AnalysisRequest] = []

    def generate(self, request: AnalysisRequest) -> str:
        self.requests.append(request)
        if self.error is not None:
            raise self.error
        return self.text


@pytest.fixture
def use_generator(monkeypatch):
    """Make every generation use the given generator: `use_generator(FakeGenerator(...))`."""

    def use(generator):
        monkeypatch.setattr("mini_analysis.generation.get_generator", lambda: generator)
        return generator

    return use


@pytest.fixture
def quota_generator():
    return FakeGenerator(error=QuotaExceeded("quota"))


def gemini_answer(text: str) -> dict:
    return {"candidates": [{"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": "STOP"}]}


def gemini_error(code: int, status: str) -> dict:
    return {"error": {"code": code, "message": f"{status} (fake)", "status": status}}


@pytest.fixture
def gemini_with():
    """A real `GeminiGenerator` whose HTTP calls go to `handler(request) -> httpx2.Response` (no network)."""

    def build(handler, **options) -> GeminiGenerator:
        options = {"api_key": "test-key", "model": "gemini-test", "timeout_seconds": 2, **options}
        return GeminiGenerator(http_transport=httpx2.MockTransport(handler), **options)

    return build


def run_jobs(execute: bool = True):
    """`with run_jobs() as callbacks: …`: at the block's end, run what it left for the commit (the
    jobs it enqueues, on the immediate backend), as a worker would once the request is committed.
    The test's own transaction never commits, so without this no job runs. `execute=False` drops
    them: a web process that died right after its commit."""
    return TestCase.captureOnCommitCallbacks(execute=execute)


# The JSON API's submission (`mini_analysis/api.py`), as the tests of both apps post it.
SUBMIT = "/api/mini-analysis"
VALID = {
    "email": "ana@example.com",
    "phone": "050-234-5678",
    "brand_name": "Maison Lumière",
    "sector": "food",
    "consent": True,
}


def submit(client, payload: dict, **extra):
    """POST to the JSON API, then run the generation job enqueued at the commit, as a worker would."""
    with run_jobs():
        return client.post(SUBMIT, payload, format="json", **extra)

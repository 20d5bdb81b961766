"""One submission, whoever sends it (`mini_analysis/submission.py`): the honeypot first, the form's
rules next, the rate limit only for what would be stored, the submission last. The form's page and
the JSON API turn these outcomes into their answers (`test_views.py`, `test_api.py`)."""

import pytest
from django.core.cache import cache
from django.test import RequestFactory

from mini_analysis.models import MiniAnalysis, Status
from mini_analysis.submission import Outcome, handle_submission

pytestmark = pytest.mark.django_db

VALID = {
    "email": "ana@example.com",
    "phone": "050-234-5678",
    "brand_name": "Maison Lumière",
    "sector": "food",
    "consent": "on",
}


@pytest.fixture(autouse=True)
def _two_a_while(settings):
    settings.MINI_ANALYSIS_RATE_LIMIT = "2/10m"
    cache.clear()


def submit(data: dict, address: str = "203.0.113.7"):
    request = RequestFactory().post("/", REMOTE_ADDR=address)
    return handle_submission(request, data, language="he")


def test_a_valid_submission_is_stored_in_its_language_and_returned():
    submission = submit(VALID)
    assert submission.outcome == Outcome.ACCEPTED
    assert submission.mini_analysis == MiniAnalysis.objects.get()
    assert (submission.mini_analysis.language, submission.mini_analysis.status) == ("he", Status.NEW)


def test_an_invalid_submission_gives_the_forms_errors_and_stores_nothing():
    submission = submit({**VALID, "email": "ana@"})
    assert submission.outcome == Outcome.INVALID
    assert list(submission.form.errors) == ["email"]
    assert submission.mini_analysis is None
    assert not MiniAnalysis.objects.exists()


def test_typos_never_use_up_the_allowance():
    for _ in range(5):
        assert submit({**VALID, "consent": ""}).outcome == Outcome.INVALID
    assert submit(VALID).outcome == Outcome.ACCEPTED


def test_over_the_allowance_a_valid_submission_is_refused_and_keeps_what_was_typed():
    submit(VALID)
    submit(VALID)
    submission = submit({**VALID, "brand_name": "Third"})
    assert submission.outcome == Outcome.RATE_LIMITED
    assert submission.form.cleaned_data["brand_name"] == "Third"
    assert MiniAnalysis.objects.count() == 2


def test_the_allowance_is_per_client_address():
    submit(VALID)
    submit(VALID)
    assert submit(VALID, address="198.51.100.9").outcome == Outcome.ACCEPTED


def test_a_filled_honeypot_stores_nothing_even_when_the_rest_is_invalid():
    assert submit({**VALID, "website": "http://spam.example"}).outcome == Outcome.SPAM
    assert submit({"website": "http://spam.example"}).outcome == Outcome.SPAM
    assert not MiniAnalysis.objects.exists()


def test_a_bot_counts_against_the_allowance_as_a_submission_would():
    submit({"website": "http://spam.example"})
    submit({"website": "http://spam.example"})
    assert submit({"website": "http://spam.example"}).outcome == Outcome.RATE_LIMITED
    assert submit(VALID).outcome == Outcome.RATE_LIMITED

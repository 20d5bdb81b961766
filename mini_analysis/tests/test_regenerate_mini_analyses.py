import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from crm.models import Lead
from mini_analysis.models import GenerationState, MiniAnalysis, Status

from .conftest import FakeGenerator, run_jobs
from .factories import MiniAnalysisFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def generator(monkeypatch):
    generator = FakeGenerator("Regenerated.")
    monkeypatch.setattr("mini_analysis.generation.get_generator", lambda: generator)
    return generator


def run(*args) -> str:
    """The command, then the jobs it queued, run as a worker would."""
    out = io.StringIO()
    with run_jobs():
        call_command("regenerate_mini_analyses", *args, stdout=out)
    return out.getvalue()


def test_blocked_and_failed_requests_are_generated_and_their_leads_follow(generator):
    blocked = MiniAnalysisFactory(status=Status.QUOTA_BLOCKED)
    failed = MiniAnalysisFactory(status=Status.ERROR)
    done = MiniAnalysisFactory(status=Status.GENERATED, analysis_text="Old.")
    output = run()
    for mini_analysis in (blocked, failed):
        mini_analysis.refresh_from_db()
        assert mini_analysis.status == Status.GENERATED
        assert mini_analysis.analysis_text == "Regenerated."
        assert mini_analysis.pdf_url
        lead = Lead.objects.get(mini_analysis=mini_analysis)
        assert (lead.status, lead.pdf_url) == (Status.GENERATED, mini_analysis.pdf_url)
    assert MiniAnalysis.objects.get(pk=done.pk).analysis_text == "Old."
    assert "Queued 2 mini-analyses for generation." in output


def test_status_option_selects_only_that_status(generator):
    blocked = MiniAnalysisFactory(status=Status.QUOTA_BLOCKED)
    failed = MiniAnalysisFactory(status=Status.ERROR)
    run("--status", "QUOTA_BLOCKED")
    assert MiniAnalysis.objects.get(pk=blocked.pk).status == Status.GENERATED
    assert MiniAnalysis.objects.get(pk=failed.pk).status == Status.ERROR


def test_limit_takes_the_oldest_first(generator):
    requests = [MiniAnalysisFactory(status=Status.QUOTA_BLOCKED) for _ in range(3)]
    run("--limit", "2")
    statuses = [MiniAnalysis.objects.get(pk=request.pk).status for request in requests]
    assert sorted(statuses) == [Status.GENERATED, Status.GENERATED, Status.QUOTA_BLOCKED]
    oldest_two = sorted(requests, key=lambda request: (request.created_at, request.pk))[:2]
    assert {MiniAnalysis.objects.get(pk=request.pk).status for request in oldest_two} == {Status.GENERATED}


def test_nothing_to_do_succeeds(generator):
    assert "Queued 0 mini-analyses" in run()
    assert generator.requests == []


def test_the_command_only_queues_a_worker_generates(generator):
    mini_analysis = MiniAnalysisFactory(status=Status.ERROR)
    out = io.StringIO()
    with run_jobs() as jobs:
        call_command("regenerate_mini_analyses", stdout=out)
        assert generator.requests == []
        assert MiniAnalysis.objects.get().generation_state == GenerationState.QUEUED
    assert len(jobs) == 2  # the generation, then the email it queued
    assert MiniAnalysis.objects.get(pk=mini_analysis.pk).status == Status.GENERATED


def test_still_failing_requests_get_a_retry_with_backoff(generator):
    generator.error = RuntimeError("still down")
    mini_analysis = MiniAnalysisFactory(status=Status.ERROR)
    run()
    mini_analysis.refresh_from_db()
    assert (mini_analysis.status, mini_analysis.generation_state) == (Status.ERROR, GenerationState.RETRY)
    assert mini_analysis.attempts == 1
    assert mini_analysis.next_attempt_at > timezone.now()
    assert Lead.objects.get(mini_analysis=mini_analysis).status == Status.ERROR


@pytest.mark.parametrize("args", [["--limit", "0"], ["--status", "GENERATED"]])
def test_bad_options_are_refused(generator, args):
    with pytest.raises(CommandError):
        run(*args)


def test_new_status_retries_only_requests_left_new_for_a_while(generator):
    stale = MiniAnalysisFactory(status=Status.NEW, created_at=timezone.now() - timedelta(hours=1))
    recent = MiniAnalysisFactory(status=Status.NEW)
    failed = MiniAnalysisFactory(status=Status.ERROR)
    run("--status", "NEW")
    assert MiniAnalysis.objects.get(pk=stale.pk).status == Status.GENERATED
    assert MiniAnalysis.objects.get(pk=recent.pk).status == Status.NEW
    assert MiniAnalysis.objects.get(pk=failed.pk).status == Status.ERROR


def test_new_requests_are_not_retried_by_default(generator):
    MiniAnalysisFactory(status=Status.NEW, created_at=timezone.now() - timedelta(hours=1))
    run()
    assert generator.requests == []


@pytest.mark.parametrize("language", ["fr", "en", "he"])
def test_a_request_whose_brand_broke_the_pdf_is_generated_on_retry(language, settings):
    """A brand with a code point newer than Python's Unicode failed the PDF in ERROR, for good."""
    settings.MINI_ANALYSIS_GENERATOR = "offline"
    failed = MiniAnalysisFactory(status=Status.ERROR, brand_name="שוקו \U0001fae8", language=language)
    run()
    failed.refresh_from_db()
    assert failed.status == Status.GENERATED
    assert failed.pdf_url

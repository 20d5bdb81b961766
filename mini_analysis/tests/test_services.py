from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm.models import Lead
from mini_analysis.generation import claim_generation, generate_analysis
from mini_analysis.generators import DailyQuotaExceeded, QuotaExceeded
from mini_analysis.generators.offline import OfflineGenerator
from mini_analysis.lengths import ANALYSIS_MAX_LENGTH
from mini_analysis.models import GenerationState, MiniAnalysis, Status
from mini_analysis.services import requeue_generations, requeue_lost_generations, submit_mini_analysis
from mini_analysis.tasks import run_generation

from .conftest import FakeGenerator, run_jobs
from .factories import MiniAnalysisFactory
from .strategies import valid_text

pytestmark = pytest.mark.django_db

SUBMISSION = {
    "email": "visitor@example.com",
    "phone": "+972525551234",
    "brand_name": "Maison Lumière",
    "sector": "retail",
    "language": "fr",
}


class RecordingGenerator(FakeGenerator):
    """Looks at the database while the slow call would be running."""

    def __init__(self, open_blocks: int) -> None:
        super().__init__(text="Recorded analysis.")
        self.open_blocks = open_blocks
        self.seen: dict = {}

    def generate(self, request):
        stored = MiniAnalysis.objects.get()
        self.seen = {
            "status": stored.status,
            "consent_at": stored.consent_at,
            "lead_status": Lead.objects.get().status,
            "new_transactions": len(connection.atomic_blocks) - self.open_blocks,
        }
        return super().generate(request)


def test_request_is_stored_as_new_before_the_generator_runs_and_no_transaction_is_held(use_generator):
    # The test itself runs inside pytest-django's transaction: count only the blocks opened since.
    generator = use_generator(RecordingGenerator(open_blocks=len(connection.atomic_blocks)))
    with run_jobs():
        submit_mini_analysis(**SUBMISSION)
    assert generator.seen["status"] == Status.NEW
    assert generator.seen["consent_at"] is not None
    assert generator.seen["lead_status"] == Status.NEW
    assert generator.seen["new_transactions"] == 0


def test_generated_analysis_is_stored_with_its_pdf_and_the_lead_follows(use_generator):
    use_generator(FakeGenerator("Une analyse."))
    with run_jobs():
        mini_analysis = submit_mini_analysis(**SUBMISSION)
    mini_analysis.refresh_from_db()
    assert mini_analysis.status == Status.GENERATED
    assert mini_analysis.analysis_text == "Une analyse."
    assert mini_analysis.pdf_url == f"/fr/mini-analysis/{mini_analysis.request_id}/pdf/"
    lead = Lead.objects.get()
    assert (lead.status, lead.pdf_url, lead.analysis_text) == (
        Status.GENERATED,
        mini_analysis.pdf_url,
        "Une analyse.",
    )


def test_generator_is_asked_in_the_request_language_and_sector(use_generator):
    generator = use_generator(FakeGenerator())
    with run_jobs():
        submit_mini_analysis(**{**SUBMISSION, "language": "he", "sector": "food"})
    (request,) = generator.requests
    assert (request.brand_name, request.sector, request.language) == ("Maison Lumière", "food", "he")


def test_quota_answer_sets_quota_blocked_on_request_and_lead(use_generator):
    use_generator(FakeGenerator(error=QuotaExceeded("429")))
    with run_jobs():
        mini_analysis = submit_mini_analysis(**SUBMISSION)
    assert MiniAnalysis.objects.get().status == Status.QUOTA_BLOCKED
    assert Lead.objects.get().status == Status.QUOTA_BLOCKED
    assert mini_analysis.pdf_url == ""


@pytest.mark.parametrize("error", [RuntimeError("boom"), TimeoutError("slow"), ValueError("no text")])
def test_any_other_failure_sets_error_and_keeps_the_request(use_generator, error, caplog):
    use_generator(FakeGenerator(error=error))
    with run_jobs():
        mini_analysis = submit_mini_analysis(**SUBMISSION)
    assert MiniAnalysis.objects.get().status == Status.ERROR
    assert Lead.objects.get().status == Status.ERROR
    assert f"[ERROR] Generation failed for mini-analysis {mini_analysis.pk}" in caplog.text


def test_an_analysis_longer_than_its_column_is_an_error_not_a_database_failure(use_generator):
    use_generator(FakeGenerator("a" * (ANALYSIS_MAX_LENGTH + 1)))
    with run_jobs():
        submit_mini_analysis(**SUBMISSION)
    stored = MiniAnalysis.objects.get()
    assert (stored.status, stored.analysis_text) == (Status.ERROR, "")
    assert stored.last_error == "ValueError: the generator wrote 50001 characters, more than 50000"


def test_pdf_failure_keeps_the_text_and_sets_error(use_generator, monkeypatch):
    use_generator(FakeGenerator("Text kept."))

    def broken_pdf(mini_analysis):
        raise OSError("disk full")

    monkeypatch.setattr("mini_analysis.generation.save_pdf", broken_pdf)
    with run_jobs():
        submit_mini_analysis(**SUBMISSION)
    stored = MiniAnalysis.objects.get()
    assert (stored.status, stored.analysis_text, stored.pdf_url) == (Status.ERROR, "Text kept.", "")


def test_generating_again_moves_a_blocked_request_and_its_lead_to_generated():
    mini_analysis = MiniAnalysisFactory(status=Status.QUOTA_BLOCKED)
    assert Lead.objects.get().status == Status.QUOTA_BLOCKED
    generate_analysis(mini_analysis, FakeGenerator("Later."))
    assert MiniAnalysis.objects.get().status == Status.GENERATED
    assert Lead.objects.get().status == Status.GENERATED


def test_same_person_and_brand_twice_gives_two_requests_and_one_lead(use_generator):
    use_generator(FakeGenerator())
    with run_jobs():
        first = submit_mini_analysis(**SUBMISSION)
    with run_jobs():
        second = submit_mini_analysis(**{**SUBMISSION, "brand_name": "  MAISON lumière"})
    assert first.pk != second.pk
    assert Lead.objects.get().mini_analysis_id == second.pk


def test_misconfigured_generator_sets_error_instead_of_failing_the_request(settings):
    settings.MINI_ANALYSIS_GENERATOR = "gemini"
    settings.GEMINI_API_KEY = ""
    with run_jobs():
        mini_analysis = submit_mini_analysis(**SUBMISSION)
    mini_analysis.refresh_from_db()
    assert mini_analysis.status == Status.ERROR
    assert Lead.objects.get().status == Status.ERROR


@given(language=st.sampled_from(["fr", "en", "he"]), brand=valid_text.filter(str.strip))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_offline_generation_succeeds_for_any_valid_brand_in_every_language(language, brand):
    """A brand with a code point newer than Python's Unicode (U+1FAE8) or a Hebrew letter used to
    end in ERROR, and `regenerate_mini_analyses` failed on it forever."""
    brand = brand.replace("\x00", "")[:200] or "x"  # the form refuses NUL; the column holds 200
    mini_analysis = MiniAnalysisFactory(brand_name=brand, language=language, sector="food")
    generate_analysis(mini_analysis, OfflineGenerator())
    mini_analysis.refresh_from_db()
    assert mini_analysis.status == Status.GENERATED
    assert mini_analysis.pdf_url


@pytest.mark.parametrize("language", ["fr", "en", "he"])
def test_brand_with_a_newer_emoji_and_hebrew_is_generated(language):
    mini_analysis = MiniAnalysisFactory(brand_name="שוקו \U0001fae8", language=language, sector="food")
    generate_analysis(mini_analysis, OfflineGenerator())
    assert mini_analysis.status == Status.GENERATED


# --- the queue: on commit, claimed once, retried, recovered -----------------------------------


def test_submission_returns_before_the_generator_runs_and_queues_one_job_for_the_commit(use_generator):
    generator = use_generator(FakeGenerator())
    with run_jobs() as jobs:
        mini_analysis = submit_mini_analysis(**SUBMISSION)
        assert generator.requests == []
        assert (mini_analysis.status, mini_analysis.generation_state) == (Status.NEW, GenerationState.QUEUED)
    assert len(generator.requests) == 1
    # The submission left one job for the commit, the generation; the job, once run, queued the
    # next one itself (the email of the generated analysis).
    assert [job.__qualname__.split(".")[0] for job in jobs] == ["enqueue_generation", "_enqueue_what_follows"]


def test_no_job_runs_for_a_submission_that_was_rolled_back(use_generator):
    generator = use_generator(FakeGenerator())
    with run_jobs() as jobs, pytest.raises(RuntimeError), transaction.atomic():
        submit_mini_analysis(**SUBMISSION)
        raise RuntimeError("the caller's transaction fails")
    assert jobs == []
    assert generator.requests == []
    assert not MiniAnalysis.objects.exists()


def test_a_job_delivered_twice_generates_once(use_generator):
    generator = use_generator(FakeGenerator())
    mini_analysis = MiniAnalysisFactory(generation_state=GenerationState.QUEUED)
    with run_jobs():
        assert run_generation(mini_analysis.pk) == Status.GENERATED
        assert run_generation(mini_analysis.pk) is None
    assert len(generator.requests) == 1
    assert MiniAnalysis.objects.get().attempts == 1


def test_a_request_claimed_by_a_live_worker_is_not_claimed_again():
    mini_analysis = MiniAnalysisFactory(generation_state=GenerationState.QUEUED)
    assert claim_generation(mini_analysis.pk) is not None
    assert claim_generation(mini_analysis.pk) is None


def test_a_dead_workers_claim_becomes_claimable_after_the_timeout(settings):
    settings.GENERATION_CLAIM_TIMEOUT = 300
    claimed_at = timezone.now() - timedelta(seconds=301)
    stale = MiniAnalysisFactory(generation_state=GenerationState.RUNNING, claimed_at=claimed_at, attempts=1)
    fresh = MiniAnalysisFactory(generation_state=GenerationState.RUNNING, claimed_at=timezone.now())
    assert claim_generation(fresh.pk) is None
    assert claim_generation(stale.pk).attempts == 2


def test_a_retry_is_not_claimed_before_its_time():
    later = MiniAnalysisFactory(
        generation_state=GenerationState.RETRY, next_attempt_at=timezone.now() + timedelta(minutes=5)
    )
    due = MiniAnalysisFactory(
        generation_state=GenerationState.RETRY, next_attempt_at=timezone.now() - timedelta(seconds=1)
    )
    assert claim_generation(later.pk) is None
    assert claim_generation(due.pk) is not None


def test_the_database_refuses_a_running_request_without_claim_time():
    with pytest.raises(IntegrityError), transaction.atomic():
        MiniAnalysisFactory(generation_state=GenerationState.RUNNING, claimed_at=None)


def test_a_job_lost_after_the_commit_is_queued_again_by_the_sweep(use_generator, settings):
    """The web process died between the commit and the enqueue: the row still says QUEUED."""
    settings.GENERATION_REQUEUE_AFTER = 600
    generator = use_generator(FakeGenerator())
    with run_jobs(execute=False) as lost:
        submit_mini_analysis(**SUBMISSION)
    assert len(lost) == 1 and generator.requests == []
    with run_jobs():
        assert requeue_lost_generations() == 0  # too young: its job may still be waiting
    MiniAnalysis.objects.update(queued_at=timezone.now() - timedelta(seconds=601))
    with run_jobs():
        assert requeue_lost_generations() == 1
    assert MiniAnalysis.objects.get().status == Status.GENERATED
    assert len(generator.requests) == 1
    with run_jobs():
        assert requeue_lost_generations() == 0


def test_provider_quota_is_retried_with_backoff_and_daily_quota_the_next_day(use_generator):
    use_generator(FakeGenerator(error=QuotaExceeded("429")))
    with run_jobs():
        provider = submit_mini_analysis(**SUBMISSION)
    provider.refresh_from_db()
    assert provider.generation_state == GenerationState.RETRY
    assert timedelta(seconds=50) < provider.next_attempt_at - timezone.now() <= timedelta(minutes=1)
    use_generator(FakeGenerator(error=DailyQuotaExceeded("today's quota")))
    with run_jobs():
        daily = submit_mini_analysis(**{**SUBMISSION, "brand_name": "Other"})
    daily.refresh_from_db()
    tomorrow = timezone.localdate() + timedelta(days=1)
    assert timezone.localtime(daily.next_attempt_at).date() == tomorrow
    assert daily.last_error == "DailyQuotaExceeded: today's quota"


def test_errors_are_retried_a_bounded_number_of_times_with_growing_waits(use_generator, settings):
    settings.GENERATION_MAX_ATTEMPTS = 3
    use_generator(FakeGenerator(error=RuntimeError("down")))
    mini_analysis = MiniAnalysisFactory(generation_state=GenerationState.QUEUED)
    waits = []
    for _ in range(3):
        with run_jobs():
            run_generation(mini_analysis.pk)
        mini_analysis.refresh_from_db()
        if mini_analysis.next_attempt_at:
            waits.append(mini_analysis.next_attempt_at - timezone.now())
            MiniAnalysis.objects.update(next_attempt_at=timezone.now())
    assert (mini_analysis.status, mini_analysis.generation_state) == (Status.ERROR, GenerationState.FAILED)
    assert mini_analysis.attempts == 3
    assert waits[0] < waits[1]
    assert run_generation(mini_analysis.pk) is None  # given up: only a person re-queues it


def test_requeue_resets_attempts_and_leaves_a_live_claim_alone(use_generator):
    use_generator(FakeGenerator())
    failed = MiniAnalysisFactory(status=Status.ERROR, generation_state=GenerationState.FAILED, attempts=5)
    running = MiniAnalysisFactory(generation_state=GenerationState.RUNNING, claimed_at=timezone.now())
    with run_jobs():
        assert requeue_generations(MiniAnalysis.objects.all()) == 1
    failed.refresh_from_db()
    assert (failed.status, failed.generation_state, failed.attempts) == (
        Status.GENERATED,
        GenerationState.DONE,
        1,
    )
    assert MiniAnalysis.objects.get(pk=running.pk).generation_state == GenerationState.RUNNING


def test_the_lead_stays_new_until_the_analysis_is_generated(use_generator):
    use_generator(FakeGenerator())
    with run_jobs(execute=False):
        submit_mini_analysis(**SUBMISSION)
    assert Lead.objects.get().status == Status.NEW
    with run_jobs():
        run_generation(MiniAnalysis.objects.get().pk)
    assert Lead.objects.get().status == Status.GENERATED

import pytest
from django.db import connection

from crm.models import Lead
from mini_analysis.generators import QuotaExceeded
from mini_analysis.models import MiniAnalysis, Status
from mini_analysis.services import generate_analysis, submit_mini_analysis

from .conftest import FakeGenerator, run_jobs
from .factories import MiniAnalysisFactory

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


def test_pdf_failure_keeps_the_text_and_sets_error(use_generator, monkeypatch):
    use_generator(FakeGenerator("Text kept."))

    def broken_pdf(mini_analysis):
        raise OSError("disk full")

    monkeypatch.setattr("mini_analysis.services.save_pdf", broken_pdf)
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

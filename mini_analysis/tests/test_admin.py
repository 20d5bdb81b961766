import pytest
from django.urls import reverse

from mini_analysis.models import GenerationState, Status

from .conftest import run_jobs
from .factories import MiniAnalysisFactory

pytestmark = pytest.mark.django_db


def test_list_shows_the_sector_label_in_the_admin_language_not_its_code(admin_client):
    MiniAnalysisFactory(sector="food")
    page = admin_client.get("/admin/mini_analysis/minianalysis/").content.decode()
    assert "Restauration / Alimentation" in page


def test_list_shows_a_legacy_free_text_sector_as_it_is(admin_client):
    MiniAnalysisFactory(sector="Restauration / Food")
    assert "Restauration / Food" in admin_client.get("/admin/mini_analysis/minianalysis/").content.decode()


def test_admin_shows_the_generation_state_and_requeues_selected_requests(admin_client):

    from .factories import MiniAnalysisFactory

    failed = MiniAnalysisFactory(
        status=Status.ERROR, generation_state=GenerationState.FAILED, attempts=5, last_error="RuntimeError: x"
    )
    url = reverse("admin:mini_analysis_minianalysis_changelist")
    page = admin_client.get(url).content.decode()
    assert "Gave up" in page or "Abandonnée" in page
    change = admin_client.get(reverse("admin:mini_analysis_minianalysis_change", args=[failed.pk]))
    assert "RuntimeError: x" in change.content.decode()
    with run_jobs():
        response = admin_client.post(
            url, {"action": "requeue_generation", "_selected_action": [failed.pk]}, follow=True
        )
    assert response.status_code == 200
    failed.refresh_from_db()
    assert (failed.status, failed.generation_state, failed.attempts) == (
        Status.GENERATED,
        GenerationState.DONE,
        1,
    )

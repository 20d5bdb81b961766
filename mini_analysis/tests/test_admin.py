import re

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


def test_change_form_types_phone_and_email_left_to_right_and_free_text_in_its_own_direction(admin_client):
    mini_analysis = MiniAnalysisFactory(analysis_text="ניתוח קצר", brand_name="שוקולד")
    page = admin_client.get(f"/admin/mini_analysis/minianalysis/{mini_analysis.pk}/change/").content.decode()
    assert re.search(r'<textarea name="analysis_text"[^>]* dir="auto"', page)
    assert re.search(r'<input type="text" name="brand_name"[^>]* dir="auto"', page)
    assert re.search(r'<input type="email" name="email"[^>]* dir="ltr"', page)
    assert re.search(r'<input type="text" name="phone"[^>]* dir="ltr"', page)


def test_list_shows_the_status_as_a_coloured_badge_and_the_email_isolated(admin_client):
    MiniAnalysisFactory(email="ana@example.com", status="GENERATED")
    page = admin_client.get("/admin/mini_analysis/minianalysis/").content.decode()
    assert '<span class="badge badge-green">Générée</span>' in page
    assert '<bdi dir="ltr">ana@example.com</bdi>' in page


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

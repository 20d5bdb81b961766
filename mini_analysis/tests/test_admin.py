import pytest

from .factories import MiniAnalysisFactory

pytestmark = pytest.mark.django_db


def test_list_shows_the_sector_label_in_the_admin_language_not_its_code(admin_client):
    MiniAnalysisFactory(sector="food")
    page = admin_client.get("/admin/mini_analysis/minianalysis/").content.decode()
    assert "Restauration / Alimentation" in page


def test_list_shows_a_legacy_free_text_sector_as_it_is(admin_client):
    MiniAnalysisFactory(sector="Restauration / Food")
    assert "Restauration / Food" in admin_client.get("/admin/mini_analysis/minianalysis/").content.decode()

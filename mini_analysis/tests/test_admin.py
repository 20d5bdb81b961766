import re

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

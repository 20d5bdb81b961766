"""The admin site: the IGV CRM brand, the CRM first, the theme's stylesheet."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_admin_pages_say_igv_crm_not_django_administration(client, signed_in_boss):
    page = client.get(reverse("admin:index")).content.decode()
    assert "<title>Tableau de bord | IGV CRM</title>" in page
    assert "IGV CRM</span></a></div>" in page
    assert "Django" not in page


def test_crm_comes_first_with_the_prospects_first_then_the_requests(client, signed_in_boss):
    app_list = client.get(reverse("admin:index")).context["app_list"]
    assert [app["app_label"] for app in app_list][:2] == ["crm", "mini_analysis"]
    assert app_list[0]["models"][0]["object_name"] == "Lead"


def test_login_page_loads_the_theme_stylesheet_and_no_inline_style_or_script(client):
    page = client.get(reverse("admin:login")).content.decode()
    assert "/static/css/admin.css" in page
    assert "<style" not in page
    assert "<script>" not in page

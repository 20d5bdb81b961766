"""The project's middleware: NUL characters are refused before any view reads them."""

import pytest
from django.urls import reverse

from crm.tests.factories import LeadFactory, SalesPersonFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["sales person", "manager"])
def staff_client(request, client):
    user = SalesPersonFactory() if request.param == "sales person" else UserFactory(is_superuser=True)
    client.force_login(user)
    LeadFactory(assigned_to=user)
    return client


# The parameters that answered 500 "cannot contain NUL" on PostgreSQL.
@pytest.mark.parametrize(
    "url",
    [
        "/admin/crm/lead/?sector=%00",
        "/admin/crm/lead/?status__exact=%00",
        "/admin/crm/lead/?email=%00",
        "/admin/crm/lead/?q=%00",
        "/admin/crm/lead/?q=brand%00",
        "/admin/crm/contact/?q=%00",
        "/admin/mini_analysis/minianalysis/?language__exact=%00",
        "/admin/autocomplete/?app_label=crm&model_name=activity&field_name=lead&term=%00",
        "/admin/crm/lead/?%00=1",
    ],
)
def test_a_nul_in_an_admin_parameter_is_a_400(staff_client, url):
    response = staff_client.get(url)
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "null character" in response.content.decode() or "caractère nul" in response.content.decode()


def test_the_api_answers_its_own_parameters(staff_client):
    """Its schema takes any string as a filter: a NUL matches nothing (crm/tests/test_api_pipeline.py)."""
    response = staff_client.get("/api/crm/opportunities?owner=no%00body")
    assert response.status_code == 200
    assert response.json()["results"] == []


def test_a_nul_in_an_admin_form_body_is_a_400(staff_client):
    response = staff_client.post(
        reverse("admin:crm_lead_changelist"),
        "action=delete_selected&_selected_action=%00",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400


def test_an_encoded_percent_sign_is_not_a_nul(staff_client):
    assert staff_client.get("/admin/crm/lead/?q=%2500").status_code == 200


def test_the_public_form_still_answers_a_nul_with_its_field_error(client):
    """The middleware reads query strings everywhere, but only the admin's bodies: the visitor's
    form keeps its own translated error."""
    response = client.post(
        "/fr/mini-analysis/",
        {"email": "ana@example.com", "brand_name": "a\x00b", "sector": "retail", "consent": "on"},
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/admin/crm/activity/?owner=9999999999999999999999999999999999999999",
        "/admin/crm/opportunity/?owner=-9223372036854775809",
        "/admin/crm/lead/?created_at__year=9223372036854775808",
        "/admin/axes/accessattempt/?attempt_time__year=9223372036854775807",
        "/admin/crm/lead/?created_at__year=2026&created_at__month=2147483648",
        "/admin/crm/lead/?p=" + "9" * 10_000,
    ],
)
def test_a_whole_number_beyond_64_bits_in_an_admin_parameter_is_a_400(staff_client, url):
    """SQLite's driver and `datetime` raise OverflowError on it, which the admin does not catch."""
    assert staff_client.get(url).status_code == 400


def test_the_largest_64_bit_number_is_an_ordinary_value(staff_client):
    assert staff_client.get("/admin/crm/activity/?owner=9223372036854775807").status_code == 200


def test_a_whole_number_beyond_64_bits_in_an_admin_form_is_a_400(staff_client):
    response = staff_client.post(
        reverse("admin:crm_lead_changelist"),
        "action=delete_selected&_selected_action=99999999999999999999",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400


def test_an_unknown_api_path_is_a_json_404(client):
    response = client.get("/api/mini-analysis/not-a-uuid", headers={"accept-language": "en"})
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    assert client.get("/fr/no-such-page/").status_code == 404


def test_a_filter_on_an_ip_address_column_with_no_ip_address_is_the_admins_invalid_filter(client):
    """PostgreSQL's inet type refuses other text (a 500 before `igv_site.lookups`)."""
    client.force_login(UserFactory(is_superuser=True))
    for value in ["%C0%80", "x", "1.2.3.4.5"]:
        response = client.get(f"/admin/axes/accessattempt/?ip_address={value}")
        assert response.status_code == 302
        assert response["Location"].endswith("?e=1")
    assert client.get("/admin/axes/accessattempt/?ip_address=203.0.113.9").status_code == 200

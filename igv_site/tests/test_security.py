"""Security by default: headers, admin login throttling, permissions on admin paths."""

import pytest
from django.urls import reverse

from crm.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_security_headers_are_sent(client):
    response = client.get(reverse("admin:login"))
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in response["Content-Security-Policy"]


def test_hsts_is_sent_over_https(client):
    response = client.get(reverse("admin:login"), secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


def test_admin_login_is_locked_after_repeated_failures(client):
    UserFactory(username="seller", password="the-right-password-123")
    url = reverse("admin:login")
    for _ in range(5):
        client.post(url, {"username": "seller", "password": "wrong"})
    response = client.post(url, {"username": "seller", "password": "the-right-password-123"})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    "url_name",
    ["admin:crm_lead_changelist", "admin:mini_analysis_minianalysis_changelist", "admin:crm_lead_add"],
)
def test_admin_pages_need_a_staff_login(client, url_name):
    url = reverse(url_name)
    assert client.get(url).status_code == 302
    client.force_login(UserFactory(is_staff=False))
    assert client.get(url).status_code == 302


def test_a_staff_member_without_permission_cannot_see_prospects(client):
    client.force_login(UserFactory(is_staff=True))
    assert client.get(reverse("admin:crm_lead_changelist")).status_code == 403

"""Security by default: headers, admin login throttling, permissions on admin paths."""

import pytest
from axes.helpers import get_client_ip_address
from django.urls import reverse

from crm.tests.factories import UserFactory
from mini_analysis.throttling import client_ip

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


@pytest.fixture
def behind_one_proxy(settings):
    """Render's layout: the connection comes from the proxy, which appends the client's address."""
    settings.TRUSTED_PROXY_COUNT = 1
    return {"REMOTE_ADDR": "10.0.0.1"}


def log_in(client, proxy: dict, client_address: str, password: str):
    return client.post(
        reverse("admin:login"),
        {"username": "admin", "password": password},
        HTTP_X_FORWARDED_FOR=f"203.0.113.66, {client_address}",  # the left part is the client's to forge
        **proxy,
    )


def test_bad_passwords_behind_the_proxy_lock_their_client_but_not_another(client, behind_one_proxy):
    UserFactory(username="admin", password="the-right-password-123", is_staff=True, is_superuser=True)
    for _ in range(5):
        log_in(client, behind_one_proxy, "198.51.100.1", "wrong")

    locked = log_in(client, behind_one_proxy, "198.51.100.1", "the-right-password-123")
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session

    other = log_in(client, behind_one_proxy, "198.51.100.2", "the-right-password-123")
    assert other.status_code == 302
    assert "_auth_user_id" in client.session


def test_the_lock_out_reads_the_client_address_as_the_rate_limit_does(rf, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    request = rf.post("/admin/login/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.7")
    assert get_client_ip_address(request) == client_ip(request) == "198.51.100.7"


def test_bad_passwords_for_one_user_do_not_lock_another_user_from_the_same_client(client, behind_one_proxy):
    UserFactory(username="admin", password="the-right-password-123", is_staff=True, is_superuser=True)
    UserFactory(username="other", password="the-other-password-456", is_staff=True)
    for _ in range(5):
        log_in(client, behind_one_proxy, "198.51.100.1", "wrong")
    response = client.post(
        reverse("admin:login"),
        {"username": "other", "password": "the-other-password-456"},
        HTTP_X_FORWARDED_FOR="198.51.100.1",
        **behind_one_proxy,
    )
    assert response.status_code == 302

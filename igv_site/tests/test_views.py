from unittest import mock

import pytest
from django.db import OperationalError

pytestmark = pytest.mark.django_db


def test_healthz_answers_200_with_json_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "queue": {"oldest_pending_seconds": None, "state": "ok"},
    }


def test_healthz_answers_503_when_the_database_does_not(client):
    with mock.patch("igv_site.views.connection.cursor", side_effect=OperationalError("connection refused")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "unavailable"}
    assert "refused" not in response.content.decode()


def test_healthz_answers_over_plain_http_when_https_is_enforced(client, settings):
    """The host's checker calls the service directly: a 301 would hide an outage."""
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200
    with mock.patch("igv_site.views.connection.cursor", side_effect=OperationalError("down")):
        assert client.get("/healthz").status_code == 503
    assert client.get("/fr/mini-analysis/").status_code == 301

from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.staticfiles import finders
from django.db import OperationalError
from django.utils import timezone
from django_tasks_db import DatabaseBackend
from django_tasks_db.models import DBTaskResult, get_date_max

from crm.models import LegacySyncState
from mini_analysis.models import WorkerHeartbeat
from mini_analysis.worker import beat

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


@pytest.mark.parametrize(
    ("accept_language", "location"),
    [
        ("fr-FR,fr;q=0.9", "/fr/mini-analysis/"),
        ("en-GB,en;q=0.9", "/en/mini-analysis/"),
        ("he-IL,he;q=0.9,en;q=0.5", "/he/mini-analysis/"),
        ("de-DE", "/fr/mini-analysis/"),  # a language the site does not have: the default one
    ],
)
def test_root_redirects_to_the_form_in_the_visitor_s_language(client, accept_language, location):
    response = client.get("/", headers={"accept-language": accept_language})
    assert response.status_code == 302
    assert response["Location"] == location


def test_favicon_ico_is_served_from_the_static_files(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == "/static/img/favicon.ico"
    assert finders.find("img/favicon.ico")


@pytest.mark.django_db
def test_healthz_reports_the_oldest_pending_job_and_503_when_it_waited_too_long(client, settings):
    settings.QUEUE_MAX_AGE = 300
    beat("worker-1")  # a worker runs: only the queue's age is in question
    with mock.patch("igv_site.views.task_backends", {"default": DatabaseBackend("default", {})}):
        job = DBTaskResult.objects.create(
            args_kwargs={"args": [], "kwargs": {}},
            task_path="x.y",
            backend_name="default",
            run_after=get_date_max(),
        )
        DBTaskResult.objects.filter(pk=job.pk).update(enqueued_at=timezone.now() - timedelta(seconds=100))
        fresh = client.get("/healthz")
        DBTaskResult.objects.filter(pk=job.pk).update(enqueued_at=timezone.now() - timedelta(seconds=400))
        stalled = client.get("/healthz")
    assert fresh.status_code == 200
    assert 100 <= fresh.json()["queue"]["oldest_pending_seconds"] < 110
    assert stalled.status_code == 503
    assert stalled.json()["queue"]["state"] == "stalled"


def test_healthz_reports_the_legacy_bridges_lag_when_a_legacy_mongodb_is_configured(client, settings):
    settings.LEGACY_MONGO_URI = "mongodb://legacy.example/igv"
    assert client.get("/healthz").json()["legacy_sync"] == {"lag_seconds": None}  # never ran

    LegacySyncState.objects.create(database="igv", in_step_at=timezone.now() - timedelta(seconds=42))
    response = client.get("/healthz")

    assert response.status_code == 200  # the bridge's lag is information, not the web's health
    assert 42 <= response.json()["legacy_sync"]["lag_seconds"] < 60


def test_healthz_says_nothing_of_a_bridge_without_a_legacy_mongodb(client, settings):
    settings.LEGACY_MONGO_URI = ""
    assert "legacy_sync" not in client.get("/healthz").json()


@pytest.fixture
def jobs_in_the_database():
    with mock.patch("igv_site.views.task_backends", {"default": DatabaseBackend("default", {})}):
        yield


def test_healthz_answers_503_when_no_worker_was_ever_seen(client, jobs_in_the_database):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["worker"] == {"last_seen_seconds": None, "state": "missing"}
    assert response.json()["database"] == "ok"


def test_healthz_answers_by_the_age_of_the_last_heartbeat(client, settings, jobs_in_the_database):
    settings.WORKER_HEARTBEAT_MAX_AGE = 120
    beat("worker-1")
    WorkerHeartbeat.objects.update(seen_at=timezone.now() - timedelta(seconds=100))
    fresh = client.get("/healthz")
    WorkerHeartbeat.objects.update(seen_at=timezone.now() - timedelta(seconds=130))
    stale = client.get("/healthz")
    beat("worker-2")  # another worker still runs
    second = client.get("/healthz")

    assert fresh.status_code == 200
    assert fresh.json()["worker"]["state"] == "ok"
    assert 100 <= fresh.json()["worker"]["last_seen_seconds"] < 110
    assert stale.status_code == 503
    assert stale.json()["worker"]["state"] == "missing"
    assert second.status_code == 200

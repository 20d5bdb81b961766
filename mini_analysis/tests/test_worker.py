"""The worker's loop outlives a database error (on the suite's database, SQLite or PostgreSQL),
and its heartbeat. The real process, and a lock held by another one: `test_run_worker.py`."""

from datetime import timedelta
from unittest import mock

import pytest
from django.db import OperationalError
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult, DBTaskResultQuerySet

from mini_analysis.models import WorkerHeartbeat
from mini_analysis.worker import MAX_BACKOFF, ResilientWorker, beat

# The worker closes its connections after an error: no test transaction may wrap it.
pytestmark = pytest.mark.django_db(transaction=True)


@task()
def add(left: int, right: int) -> int:
    return left + right


@pytest.fixture
def jobs_in_the_database(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": []}}


def worker() -> ResilientWorker:
    return ResilientWorker(
        queue_names=["*"],
        excluded_queue_names=[],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="worker-under-test",
    )


def failing(times: int, error: Exception):
    """`get_locked` (the loop's claim) raising `error` on its first `times` calls."""
    original = DBTaskResultQuerySet.get_locked
    calls = []

    def get_locked(queryset):
        calls.append(1)
        if len(calls) <= times:
            raise error
        return original(queryset)

    return mock.patch.object(DBTaskResultQuerySet, "get_locked", get_locked)


def test_the_loop_logs_a_database_error_waits_and_runs_the_job_after_it(jobs_in_the_database, caplog):
    result = add.enqueue(2, 3)
    with (
        failing(1, OperationalError("server closed the connection unexpectedly")),
        mock.patch("mini_analysis.worker.time.sleep") as sleep,
    ):
        worker().run()

    job = DBTaskResult.objects.get(id=result.id)
    assert job.status == "SUCCESSFUL"
    assert job.return_value == 5
    sleep.assert_called_once_with(1.0)
    assert "database error in its loop (1 in a row); retrying in 1 s" in caplog.text
    assert "server closed the connection unexpectedly" in caplog.text


def test_repeated_errors_wait_longer_each_time_up_to_a_bound(jobs_in_the_database):
    result = add.enqueue(1, 1)
    with (
        failing(8, OperationalError("disk I/O error")),
        mock.patch("mini_analysis.worker.time.sleep") as sleep,
    ):
        worker().run()

    assert [call.args[0] for call in sleep.call_args_list] == [1, 2, 4, 8, 16, 32, MAX_BACKOFF, MAX_BACKOFF]
    assert DBTaskResult.objects.get(id=result.id).status == "SUCCESSFUL"


def test_an_error_that_is_not_the_databases_still_ends_the_loop(jobs_in_the_database):
    """Only the database's errors are waited out: a bug is not retried for ever."""
    with failing(1, RuntimeError("a bug")), pytest.raises(RuntimeError):
        worker().run()


def test_the_loop_says_it_runs_only_while_it_runs(jobs_in_the_database):
    looping_during_the_claim = []
    original = DBTaskResultQuerySet.get_locked
    under_test = worker()

    def get_locked(queryset):
        looping_during_the_claim.append(under_test.looping.is_set())
        return original(queryset)

    with mock.patch.object(DBTaskResultQuerySet, "get_locked", get_locked):
        under_test.run()

    assert looping_during_the_claim == [True]
    assert not under_test.looping.is_set()


def test_a_beat_records_the_worker_and_forgets_workers_gone_for_a_day():
    beat("gone")
    WorkerHeartbeat.objects.update(seen_at=timezone.now() - timedelta(days=2))
    beat("running")
    beat("running")
    assert list(WorkerHeartbeat.objects.values_list("worker_id", flat=True)) == ["running"]

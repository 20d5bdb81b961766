"""The real thing: `manage.py run_worker` processes against the database backend, on a database
of their own of the kind the suite runs on (a SQLite file, or a PostgreSQL database on the same
server in the PostgreSQL pass). Submissions are committed by another process, as gunicorn would."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg
import pytest
from django.conf import settings

pytestmark = pytest.mark.slow  # each test starts worker processes: collected first (conftest.py)

REQUESTS = 6
WAIT_SECONDS = 90


class Database:
    def __init__(self, tmp_path: Path) -> None:
        server = settings.DATABASES["default"]
        self.postgres = server["ENGINE"].endswith("postgresql")
        if self.postgres:
            self.server = f"postgres://{server['USER']}@{server['HOST']}:{server['PORT'] or 5432}"
            self.name = f"igv_worker_{uuid.uuid4().hex[:12]}"
            self.url = f"{self.server}/{self.name}"
            self._admin(f'CREATE DATABASE "{self.name}"')
        else:
            self.path = tmp_path / "worker.sqlite3"
            self.url = f"sqlite:///{self.path}"

    def query(self, sql: str) -> list[tuple]:
        if self.postgres:
            with psycopg.connect(self.url) as connection:
                return connection.execute(sql).fetchall()
        with sqlite3.connect(self.path) as connection:
            return connection.execute(sql).fetchall()

    def drop(self) -> None:
        if self.postgres:
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def _admin(self, sql: str) -> None:
        with psycopg.connect(f"{self.server}/postgres", autocommit=True) as connection:
            connection.execute(sql)


@pytest.fixture
def database(tmp_path):
    database = Database(tmp_path)
    yield database
    database.drop()


@pytest.fixture
def manage(database, tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": database.url,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "DEBUG": "false",
        "DJANGO_SETTINGS_MODULE": "igv_site.settings",
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "EMAIL_URL": "consolemail://",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "PYTHONUNBUFFERED": "1",
    }

    def start(*args: str, **kwargs) -> subprocess.Popen:
        command = [sys.executable, str(settings.BASE_DIR / "manage.py"), *args]
        return subprocess.Popen(command, env=env, start_new_session=True, **kwargs)

    def run(*args: str) -> None:
        assert start(*args, stdout=subprocess.DEVNULL).wait(timeout=120) == 0

    run("migrate", "--noinput")
    run("createcachetable")
    return start, run


SUBMIT_AND_DELIVER_TWICE = f"""
from mini_analysis.services import submit_mini_analysis
from mini_analysis.tasks import generate_mini_analysis
for i in range({REQUESTS}):
    request = submit_mini_analysis(email=f"v{{i}}@example.com", phone="", brand_name=f"Brand {{i}}",
                                   sector="retail", language=["fr", "en", "he"][i % 3])
    generate_mini_analysis.enqueue(request.pk)  # a second delivery of the same job
"""


def wait_until_generated(database) -> list[tuple]:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        rows = database.query("SELECT status, attempts, emailed_at IS NOT NULL FROM mini_analyses")
        if len(rows) == REQUESTS and all(row[0] == "GENERATED" and row[2] for row in rows):
            return rows
        time.sleep(0.5)
    jobs = database.query("SELECT task_path, status, traceback FROM django_tasks_database_dbtaskresult")
    raise AssertionError(f"not generated and emailed within {WAIT_SECONDS} s: {rows} {jobs}")


def start_worker(start, directory: Path, *args: str) -> tuple[subprocess.Popen, Path]:
    """A worker printing into a file: the console emails, PDFs included, would fill a pipe."""
    log = directory / f"worker-{uuid.uuid4().hex[:8]}.log"
    with log.open("w") as output:
        worker = start("run_worker", "--interval", "0.2", "--no-reload", *args, stdout=output, stderr=output)
    return worker, log


def stop(worker: tuple[subprocess.Popen, Path]) -> str:
    process, log = worker
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=60)
    return log.read_text()


def test_two_workers_generate_each_request_exactly_once_and_email_it(database, manage, tmp_path):
    start, run = manage
    workers = [start_worker(start, tmp_path, "--queue-name", "*") for _ in range(2)]
    try:
        run("shell", "-c", SUBMIT_AND_DELIVER_TWICE)
        rows = wait_until_generated(database)
    finally:
        outputs = [stop(worker) for worker in workers]
    assert [attempts for _, attempts, _ in rows] == [1] * REQUESTS  # claimed once each
    log = "".join(outputs)
    assert log.count("[GENERATED] Mini-analysis") == REQUESTS
    assert log.count("Subject: ") == REQUESTS  # the console email, one per request
    assert "Subject: Your mini-analysis for Brand 1" in log
    jobs = database.query("SELECT status, COUNT(*) FROM django_tasks_database_dbtaskresult GROUP BY status")
    assert dict(jobs) == {"SUCCESSFUL": REQUESTS * 3}  # two deliveries and one email per request


def test_a_request_whose_job_was_lost_is_generated_by_the_next_worker_start(database, manage, tmp_path):
    start, run = manage
    run(
        "shell",
        "-c",
        "from datetime import timedelta\n"
        "from django.utils import timezone\n"
        "from mini_analysis.models import GenerationState, MiniAnalysis\n"
        "from mini_analysis.tests.factories import MiniAnalysisFactory\n"
        f"for i in range({REQUESTS}):\n"
        "    MiniAnalysisFactory(generation_state=GenerationState.QUEUED,\n"
        "                        queued_at=timezone.now() - timedelta(hours=1))\n",
    )
    assert database.query("SELECT COUNT(*) FROM django_tasks_database_dbtaskresult") == [(0,)]
    worker = start_worker(start, tmp_path)
    try:
        rows = wait_until_generated(database)
    finally:
        stop(worker)
    assert [attempts for _, attempts, _ in rows] == [1] * REQUESTS


HOLD_THE_WRITE_LOCK = """
import sqlite3, sys, time

database = sqlite3.connect(sys.argv[1], isolation_level=None)
database.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
database.execute("COMMIT")
"""
# Longer than Python's default busy timeout (5 s), shorter than SQLITE_TIMEOUT (20 s).
LOCK_SECONDS = 8


def submit(count: int, first: int = 0) -> str:
    return (
        "from mini_analysis.services import submit_mini_analysis\n"
        f"for i in range({first}, {first + count}):\n"
        "    submit_mini_analysis(email=f'v{i}@example.com', phone='', brand_name=f'Brand {i}',\n"
        "                         sector='retail', language='fr')\n"
    )


def test_a_prospect_is_saved_and_jobs_run_while_another_process_holds_the_write_lock(
    database, manage, tmp_path
):
    """`make run`'s setup: a web process and a worker on one SQLite file. Another process holds
    the write lock for LOCK_SECONDS: the save waits for it instead of failing "database is
    locked", and the worker, started meanwhile, runs every job once it is free."""
    if database.postgres:
        pytest.skip("SQLite's file lock")
    start, run = manage
    run("shell", "-c", submit(REQUESTS - 1))  # jobs waiting for a worker
    locker = subprocess.Popen(
        [sys.executable, "-c", HOLD_THE_WRITE_LOCK, str(database.path), str(LOCK_SECONDS)],
        stdout=subprocess.PIPE,
    )
    assert locker.stdout.readline() == b"locked\n"
    locked_at = time.monotonic()
    worker = start_worker(start, tmp_path, "--queue-name", "*")
    try:
        run("shell", "-c", submit(1, first=REQUESTS - 1))  # the prospect: run() asserts it exits 0
        saved_after = time.monotonic() - locked_at
        assert locker.wait(timeout=30) == 0
        wait_until_generated(database)
        heartbeats = database.query("SELECT worker_id FROM mini_analysis_worker_heartbeats")
    finally:
        log = stop(worker)
    assert saved_after >= LOCK_SECONDS - 1  # it did wait for the lock
    assert database.query("SELECT COUNT(*) FROM leads") == [(REQUESTS,)]
    assert "database is locked" not in log
    assert "Traceback" not in log
    assert len(heartbeats) == 1  # the worker said it was alive

"""A backfill killed with SIGKILL part-way, then run again, ends as an uninterrupted one.

Real processes on a database of their own, of the kind the suite runs on (a SQLite file, or a
PostgreSQL database on the same server in the PostgreSQL pass): `manage.py migrate_mini_analyses`
is killed after its first batch is committed (it prints a batch's `[MIGRATED]` lines once the
batch is committed, and blocks on the full pipe the test does not read, so it cannot finish
before the kill).
"""

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from django.conf import settings

REQUESTS = 2500  # ~100 kB of [MIGRATED] lines: more than a pipe holds
BATCH_SIZE = 50
START = datetime(2025, 1, 1, tzinfo=UTC)


class SQLiteFile:
    """A database file under the test's temporary directory (removed with it)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.url = f"sqlite:///{path}"

    def copy(self, name: str) -> "SQLiteFile":
        shutil.copyfile(self.path, self.path.with_name(f"{name}.sqlite3"))
        return SQLiteFile(self.path.with_name(f"{name}.sqlite3"))

    def query(self, sql: str) -> list[tuple]:
        with sqlite3.connect(self.path) as connection:
            return connection.execute(sql).fetchall()

    def drop(self) -> None:
        pass


class PostgreSQLDatabase:
    """A database of its own on the suite's PostgreSQL server; `drop` removes it and its copies."""

    def __init__(self, name: str, template: str | None = None) -> None:
        server = settings.DATABASES["default"]
        self.server = f"postgres://{server['USER']}@{server['HOST']}:{server['PORT'] or 5432}"
        self.name, self.url = name, f"{self.server}/{name}"
        self.copies: list[PostgreSQLDatabase] = []
        self._admin(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))

    def copy(self, name: str) -> "PostgreSQLDatabase":
        self.copies.append(PostgreSQLDatabase(f"{self.name}_{name}", template=self.name))
        return self.copies[-1]

    def query(self, sql: str) -> list[tuple]:
        with psycopg.connect(self.url) as connection:
            return connection.execute(sql).fetchall()

    def drop(self) -> None:
        for copy in self.copies:
            copy.drop()
        self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def _admin(self, sql: str) -> None:
        with psycopg.connect(f"{self.server}/postgres", autocommit=True) as connection:
            connection.execute(sql)


def manage(database, *args: str, **kwargs) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database.url,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "DEBUG": "false",
        "DJANGO_SETTINGS_MODULE": "igv_site.settings",
        "PYTHONUNBUFFERED": "1",
    }
    return subprocess.Popen([sys.executable, str(settings.BASE_DIR / "manage.py"), *args], env=env, **kwargs)


def run(database, *args: str) -> None:
    process = manage(database, *args, stdout=subprocess.DEVNULL)
    assert process.wait(timeout=120) == 0


def leads(database) -> list[tuple]:
    return database.query(
        "SELECT email_key, brand_key, mini_analysis_id, status, source, created_at, notes FROM leads"
        " ORDER BY email_key, brand_key"
    )


@pytest.fixture
def empty_database(tmp_path):
    """A database of the kind the suite runs on, removed afterwards with its copies."""
    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        database = PostgreSQLDatabase(f"igv_killed_{uuid.uuid4().hex[:12]}")
    else:
        database = SQLiteFile(tmp_path / "history.sqlite3")
    yield database
    database.drop()


@pytest.fixture
def history(empty_database, tmp_path):
    """A database holding REQUESTS mini-analyses without lead (one in ten a second request)."""
    database = empty_database
    run(database, "migrate", "--noinput")
    export = tmp_path / "mini_analyses.json"
    with export.open("w") as file:
        for i in range(REQUESTS):
            person = i - 1 if i % 10 == 9 else i
            document = {
                "_id": f"legacy-{i}",
                "email": f"Client{person}@Example.com" if person != i else f"client{i}@example.com",
                "nom_de_marque": f"Brand {person}",
                "secteur": "Retail",
                "status": "GENERATED",
                "created_at": {"$date": (START + timedelta(seconds=i)).isoformat()},
            }
            file.write(json.dumps(document) + "\n")
    run(database, "import_legacy", str(export), "--collection", "mini_analyses")
    return database


@pytest.mark.slow
def test_backfill_killed_after_its_first_batch_then_rerun_ends_as_an_uninterrupted_one(history):
    uninterrupted = history.copy("uninterrupted")

    process = manage(
        history, "migrate_mini_analyses", "--batch-size", str(BATCH_SIZE), stdout=subprocess.PIPE, text=True
    )
    try:
        for line in process.stdout:
            if line.startswith("[MIGRATED]"):  # the first batch is committed
                break
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        process.stdout.close()
    assert process.returncode == -signal.SIGKILL
    partial = len(leads(history))
    assert 0 < partial < REQUESTS * 0.9  # killed part-way

    run(history, "migrate_mini_analyses", "--batch-size", str(BATCH_SIZE))
    run(uninterrupted, "migrate_mini_analyses", "--batch-size", str(BATCH_SIZE))

    final = leads(history)
    assert final == leads(uninterrupted)
    assert len(final) == REQUESTS * 0.9  # one lead per person and brand, none twice

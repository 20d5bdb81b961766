"""A backfill killed with SIGKILL part-way, then run again, ends as an uninterrupted one.

Real processes on a file-based SQLite database: `manage.py migrate_mini_analyses` is killed after
its first batch is committed (it prints a batch's `[MIGRATED]` lines once the batch is committed,
and blocks on the full pipe the test does not read, so it cannot finish before the kill).
"""

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings

REQUESTS = 2500  # ~100 kB of [MIGRATED] lines: more than a pipe holds
BATCH_SIZE = 50
START = datetime(2025, 1, 1, tzinfo=UTC)


def manage(database: Path, *args: str, **kwargs) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "SECRET_KEY": "test-secret-key-not-for-production",
        "DEBUG": "false",
        "DJANGO_SETTINGS_MODULE": "igv_site.settings",
        "PYTHONUNBUFFERED": "1",
    }
    return subprocess.Popen([sys.executable, str(settings.BASE_DIR / "manage.py"), *args], env=env, **kwargs)


def run(database: Path, *args: str) -> None:
    process = manage(database, *args, stdout=subprocess.DEVNULL)
    assert process.wait(timeout=120) == 0


def leads(database: Path) -> list[tuple]:
    with sqlite3.connect(database) as connection:
        return connection.execute(
            "SELECT email_key, brand_key, mini_analysis_id, status, source, created_at, notes FROM leads"
            " ORDER BY email_key, brand_key"
        ).fetchall()


@pytest.fixture
def history(tmp_path) -> Path:
    """A database holding REQUESTS mini-analyses without lead (one in ten a second request)."""
    database = tmp_path / "history.sqlite3"
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


def test_backfill_killed_after_its_first_batch_then_rerun_ends_as_an_uninterrupted_one(history, tmp_path):
    uninterrupted = tmp_path / "uninterrupted.sqlite3"
    shutil.copyfile(history, uninterrupted)

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

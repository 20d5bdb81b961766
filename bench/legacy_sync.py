"""The bridge's lag: `sync_legacy --follow` between a real wire-protocol server (secantusd-py) and a
fresh CRM database, as in production (its own process).

1. Single inserts: one request inserted into `mini_analyses` at a time (`--singles`, default 20),
   each timed until it is a request with its prospect in the CRM; prints the median and the worst.
2. A burst: `--burst` requests (default 1 000) inserted at once (`insert_many`), timed until every
   one of them is a prospect in the CRM. Target: within 30 s.

    .venv/bin/python bench/legacy_sync.py [--singles 20] [--burst 1000] [--database-url postgres://…]

Without `--database-url`, the CRM database is a SQLite file in a temporary directory.
"""

import argparse
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bson import ObjectId  # noqa: E402

from crm.tests.mongo import MongoServer  # noqa: E402


def manage(database_url: str, *args: str, **kwargs) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "bench-legacy-sync-not-secret",
        "DEBUG": "false",
        "DJANGO_SETTINGS_MODULE": "igv_site.settings",
        "PYTHONUNBUFFERED": "1",
    }
    return subprocess.Popen([sys.executable, str(BASE_DIR / "manage.py"), *args], env=env, **kwargs)


class CRM:
    """Counts in the CRM's database, read from outside the bridge's process."""

    def __init__(self, url: str) -> None:
        self.url = url

    def count(self, sql: str) -> int:
        if self.url.startswith("sqlite:///"):
            with sqlite3.connect(self.url.removeprefix("sqlite:///"), timeout=30) as connection:
                return connection.execute(sql).fetchone()[0]
        import psycopg  # only for a PostgreSQL run

        with psycopg.connect(self.url) as connection:
            return connection.execute(sql).fetchone()[0]

    def prospects(self) -> int:
        return self.count("SELECT COUNT(*) FROM leads WHERE mini_analysis_id IS NOT NULL")

    def has_request(self, legacy_id: str) -> bool:
        return bool(
            self.count(
                "SELECT COUNT(*) FROM leads JOIN mini_analyses ON leads.mini_analysis_id = mini_analyses.id"
                f" WHERE mini_analyses.legacy_id = '{legacy_id}'"
            )
        )


def request(number: int) -> dict:
    return {
        "_id": ObjectId(),
        "email": f"visitor{number}@example.com",
        "nom_de_marque": f"Marque {number}",
        "secteur": "Retail",
        "language": "fr",
        "status": "NEW",
        "created_at": datetime.now(UTC),
    }


def wait_until(condition, timeout: float) -> float:
    started = time.perf_counter()
    while not condition():
        if time.perf_counter() - started > timeout:
            raise SystemExit(f"not within {timeout:.0f} s")
        time.sleep(0.01)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--singles", type=int, default=20)
    parser.add_argument("--burst", type=int, default=1000)
    parser.add_argument("--database-url", help="The CRM's database (default: a new SQLite file).")
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory() as directory:
        url = arguments.database_url or f"sqlite:///{directory}/crm.sqlite3"
        assert manage(url, "migrate", "--noinput", stdout=subprocess.DEVNULL).wait() == 0
        crm = CRM(url)
        server = MongoServer().start()
        legacy = server.client()["igv"]
        legacy.create_collection("mini_analyses")
        legacy.create_collection("leads")
        bridge = manage(
            url, "sync_legacy", "--mongo-uri", f"{server.uri}igv", "--follow", stdout=subprocess.DEVNULL
        )
        try:
            legacy["mini_analyses"].insert_one(request(0))
            start_up = wait_until(lambda: crm.prospects() == 1, timeout=120)
            print(f"bridge started and in step in {start_up:.1f} s")

            lags = []
            for number in range(1, arguments.singles + 1):
                document = request(number)
                legacy["mini_analyses"].insert_one(document)
                lags.append(
                    wait_until(lambda document=document: crm.has_request(str(document["_id"])), timeout=60)
                )
                time.sleep(0.2)
            print(
                f"single insert -> prospect, {len(lags)} times:"
                f" median {statistics.median(lags) * 1000:.0f} ms,"
                f" worst {max(lags) * 1000:.0f} ms"
            )

            before = crm.prospects()
            burst = [request(number) for number in range(10_000, 10_000 + arguments.burst)]
            started = time.perf_counter()
            legacy["mini_analyses"].insert_many(burst)
            inserted = time.perf_counter() - started
            took = wait_until(lambda: crm.prospects() == before + arguments.burst, timeout=300)
            print(
                f"{arguments.burst} requests inserted at once (insert_many: {inserted:.1f} s): all prospects"
                f" {took:.1f} s after the insert began (target: 30 s)"
            )
        finally:
            bridge.send_signal(signal.SIGTERM)
            bridge.wait(timeout=30)
            server.stop()


if __name__ == "__main__":
    main()

"""The seed's migration on MongoDB: `migrate_mini_analyses --mongo-uri` against the seed's per-document
algorithm, on the same data, in the same run, on a real wire-protocol server (secantusd-py).

Generates N mini-analyses and L leads (one request in ten is a second request of an earlier person
and brand; the leads are the first L people's, spelt as in their requests, so that the seed's exact
match and the CRM's identity agree and both must create the same leads), loads them into two
databases of one server, then measures:

(a) the seed's algorithm, as `backend/migrate_mini_analyses.py` ran it: for each mini-analysis,
    `leads.find_one({"email": …, "brand_name": …})`, then `insert_one` of the lead when there is
    none. Measured twice: (a1) as the seed had it, without an index on `leads` (each `find_one`
    reads the whole collection: run on the first `--seed-sample` requests and scaled to N, a lower
    bound since the collection grows), then (a2) given an index on (email, brand_name), on all N;
(b) `migrate_mini_analyses --mongo-uri … -v 0` (this project's: one keying pass, one aggregation
    pipeline with `$lookup` and `$merge`).

Checks that (a2) and (b) created the same leads (email and brand of each), prints the times and the
ratios. Target: (b) <= (a)/10.

    .venv/bin/python bench/legacy_migration.py [--n 100000] [--leads 20000] [--seed-sample 300]
        [--indexed-sample 0]

(a2) is linear (one indexed lookup per request), so `--indexed-sample K` runs it on the first K
requests and scales its time to N; the check that both created the same leads then needs a full run.
"""

import argparse
import io
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "igv_site.settings")
os.environ.setdefault("SECRET_KEY", "bench-legacy-migration-not-secret")
os.environ.setdefault("DATABASE_URL", "sqlite:///:memory:")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402

from crm.tests.mongo import MongoServer  # noqa: E402

SECTORS = ["Restauration / Food", "Retail", "Tech", "Santé", "Cosmétique"]
LANGUAGES = ["fr", "fr", "en", "he"]
START = datetime(2023, 1, 1, tzinfo=UTC)
ANALYSIS = "Analyse du marché israélien. " * 40  # about 1 200 characters, as a generated analysis


def generate(n: int, leads: int) -> tuple[list[dict], list[dict]]:
    rng = random.Random(20)
    requests, people = [], []
    for i in range(n):
        if i % 10 == 9 and people:
            email, brand = rng.choice(people)
        else:
            email, brand = f"client{i}@example.com", f"Marque {i}"
            people.append((email, brand))
        french = i % 2 == 0
        requests.append(
            {
                "email": email,
                "telephone" if french else "phone": f"+9725{i:08d}",
                "nom_de_marque" if french else "brand_name": brand,
                "secteur" if french else "sector": rng.choice(SECTORS),
                "language": rng.choice(LANGUAGES),
                "status": "GENERATED",
                "analysis_text": ANALYSIS,
                "pdf_url": f"/media/mini-analyses/{i}.pdf",
                "created_at": START + timedelta(minutes=i),
            }
        )
    existing = [
        {"email": email, "brand_name": brand, "status": "NEW", "source": "mini-analysis", "created_at": START}
        for email, brand in people[:leads]
    ]
    return requests, existing


def load(database, requests: list[dict], leads: list[dict]) -> None:
    for collection, documents in (("mini_analyses", requests), ("leads", leads)):
        for start in range(0, len(documents), 10_000):
            database[collection].insert_many(
                [dict(document) for document in documents[start : start + 10_000]]
            )


def seed_algorithm(database, limit: int | None = None) -> int:
    """`backend/migrate_mini_analyses.py`: one find_one and (when missing) one insert_one per request."""
    created = 0
    now = timezone.now()
    for request in _requests(database, limit):
        email, brand_name = request.get("email"), request.get("brand_name") or request.get("nom_de_marque")
        if database["leads"].find_one({"email": email, "brand_name": brand_name}):
            continue
        database["leads"].insert_one(
            {
                "email": email,
                "phone": request.get("phone") or request.get("telephone"),
                "brand_name": brand_name,
                "sector": request.get("sector") or request.get("secteur"),
                "language": request.get("language"),
                "status": "GENERATED",
                "source": "mini-analysis-migration",
                "created_at": request.get("created_at"),
                "updated_at": now,
                "mini_analysis_id": request["_id"],
                "pdf_url": request.get("pdf_url"),
                "analysis_text": (request.get("analysis_text") or "")[:500],
                "notes": f"Migrated from mini-analysis collection on {now.date().isoformat()}",
            }
        )
        created += 1
    return created


def _requests(database, limit: int | None):
    """Every request in `_id` order, by pages: a cursor held through the whole slow loop expires."""
    last, seen = None, 0
    while limit is None or seen < limit:
        page = list(
            database["mini_analyses"]
            .find({} if last is None else {"_id": {"$gt": last}})
            .sort("_id", 1)
            .limit(1000)
        )
        if not page:
            return
        for request in page[: None if limit is None else limit - seen]:
            seen += 1
            yield request
        last = page[-1]["_id"]


def migrated(database) -> set[tuple[str, str]]:
    leads = database["leads"].find({"source": "mini-analysis-migration"}, {"email": 1, "brand_name": 1})
    return {(lead["email"], lead["brand_name"]) for lead in leads}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--leads", type=int, default=20_000)
    parser.add_argument("--seed-sample", type=int, default=300)
    parser.add_argument(
        "--indexed-sample", type=int, default=0, help="(a2) on this many requests, scaled (0: all of them)"
    )
    arguments = parser.parse_args()

    server = MongoServer().start()
    try:
        client = server.client()
        requests, leads = generate(arguments.n, arguments.leads)
        started = time.perf_counter()
        for name in ("ours", "seed"):
            load(client[name], requests, leads)
        print(
            f"{arguments.n} mini-analyses and {arguments.leads} leads loaded twice"
            f" in {time.perf_counter() - started:.0f} s"
        )

        seed = client["seed"]
        sample = min(arguments.seed_sample, arguments.n)
        started = time.perf_counter()
        seed_algorithm(seed, sample)
        unindexed = (time.perf_counter() - started) * arguments.n / sample
        seed["leads"].delete_many({"source": "mini-analysis-migration"})
        print(
            f"(a1) seed, no index (as written), {sample} requests scaled to {arguments.n}:"
            f" {unindexed:.0f} s (lower bound)"
        )

        seed["leads"].create_index([("email", 1), ("brand_name", 1)])
        indexed_sample = arguments.indexed_sample or arguments.n
        started = time.perf_counter()
        seed_created = seed_algorithm(seed, indexed_sample)
        indexed = (time.perf_counter() - started) * arguments.n / indexed_sample
        scaled = (
            f"{indexed_sample} requests scaled to {arguments.n}" if indexed_sample < arguments.n else "all"
        )
        print(f"(a2) seed, given an index, {scaled}: {indexed:.1f} s, {seed_created} leads")

        started = time.perf_counter()
        call_command(
            "migrate_mini_analyses",
            "--mongo-uri",
            server.uri,
            "--db",
            "ours",
            verbosity=0,
            stdout=io.StringIO(),
        )
        ours = time.perf_counter() - started
        ours_created = len(migrated(client["ours"]))
        print(f"(b) migrate_mini_analyses --mongo-uri: {ours:.1f} s, {ours_created} leads")

        same = indexed_sample < arguments.n or migrated(client["ours"]) == migrated(seed)
        print(f"same leads created: {'yes' if same else 'NO'}" if indexed_sample >= arguments.n else "")
        print(f"(a1)/(b) = {unindexed / ours:.1f}   (a2)/(b) = {indexed / ours:.1f}   target: >= 10")
        if not same:
            sys.exit(1)
    finally:
        server.stop()


if __name__ == "__main__":
    main()

"""Backfill benchmark: `migrate_mini_analyses` against the seed's per-row algorithm and a raw SQL floor.

Generates N mini-analyses (one in ten a second request of an earlier person and brand, written
in another case; one person and brand in twenty already has a lead) in a fresh SQLite database,
then measures, each on its own copy of that database:
(a) the seed's algorithm: for each mini-analysis, look up a lead of the same person and brand
    (through the unique index, which the seed did not even have), insert one if there is none;
(b) `migrate_mini_analyses -v 0`, in its own process (timed from `call_command`, so the
    interpreter's and Django's start-up, about a second, are left out);
(c) the same command again, when every lead exists;
(d) one raw `INSERT … SELECT` of the same rows: the floor.
Prints wall times, the ratios (a)/(b), (b)/(d) and (c)/(b), and the peak resident memory of (b).
Targets: (a)/(b) >= 20; (b)/(d) <= 2; (c)/(b) < 10%; peak memory < 200 MB at 1 000 000 rows.

    .venv/bin/python bench/backfill.py [--n 100000] [--seed-sample 20000] [--repeat 1]

(a) is linear, so with `--seed-sample K` (K < N) it runs on the first K mini-analyses and its time
is scaled to N (said in the output); `--seed-sample 0` runs it on all N.
On a shared machine, `--repeat R` runs (b), (c) and (d) R times, in turn, each round on fresh copies,
prints each round and keeps the fastest time of each: a load that comes and goes slows one round of
one of them, not the ratios.
"""

import argparse
import io
import os
import random
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

# `identity_key` is a plain function, but its module holds the keyed models: Django is set up first
# (on a database this script never opens).
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "igv_site.settings")
os.environ.setdefault("SECRET_KEY", "bench-backfill-not-secret")
os.environ.setdefault("DATABASE_URL", "sqlite:///:memory:")
import django  # noqa: E402

django.setup()

from mini_analysis.keys import identity_key  # noqa: E402

SECTORS = ["Restauration / Food", "Retail", "Tech", "Santé", "Cosmétique"]
STATUSES = ["GENERATED"] * 8 + ["QUOTA_BLOCKED", "ERROR", "NEW"]
LANGUAGES = ["fr", "fr", "en", "he"]
START = datetime(2023, 1, 1, tzinfo=UTC)


def environment(database: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "SECRET_KEY": "bench-backfill-not-secret",
        "DEBUG": "false",
        "DJANGO_SETTINGS_MODULE": "igv_site.settings",
    }


def manage(database: Path, *args: str) -> None:
    subprocess.run(
        [sys.executable, str(BASE_DIR / "manage.py"), *args],
        env=environment(database),
        stdout=subprocess.DEVNULL,
        check=True,
    )


def child(database: Path, *args: str) -> tuple[float, int]:
    """Run this script as `--child DATABASE ARGS` in a fresh process; (the seconds and the peak
    memory in MB it reports). It times its own work, so Python's and Django's start-up are left out."""
    process = subprocess.Popen(
        [sys.executable, __file__, "--child", str(database), *args],
        env=environment(database),
        stdout=subprocess.PIPE,
        text=True,
    )
    output = process.stdout.read()
    if process.wait() != 0:
        raise SystemExit(f"{' '.join(args)} failed with status {process.returncode}")
    seconds, peak_kb = output.strip().splitlines()[-1].split()
    return float(seconds), int(peak_kb) // 1024


def peak_memory_kb() -> int:
    """This process's peak resident memory. Not `ru_maxrss`: on Linux it survives `exec`, so a
    child forked from a big parent would report the parent's size; `VmHWM` starts afresh."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def run_child(database: Path, task: str, argument: int) -> None:
    """In the child process: set Django up, then time one task and print the seconds last."""
    os.environ.update(environment(database))
    import django

    django.setup()
    started = time.perf_counter()
    if task == "seed":
        seed_algorithm(argument)
    else:
        from django.core.management import call_command

        summary = io.StringIO()
        call_command("migrate_mini_analyses", "-v", "0", "--batch-size", str(argument), stdout=summary)
    print(time.perf_counter() - started, peak_memory_kb())


def sql_datetime(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def generate(database: Path, n: int) -> None:
    """N mini-analyses written straight with sqlite3 (the fastest way; no lead is created)."""
    rng = random.Random(42)
    connection = sqlite3.connect(database)
    now = sql_datetime(datetime.now(UTC))
    people: list[tuple[str, str]] = []

    def rows():
        for i in range(n):
            if people and rng.random() < 0.1:  # a second request of an earlier person and brand
                email, brand = rng.choice(people)
                email, brand = email.upper(), f" {brand.lower()} "
            else:
                email, brand = f"client{i}@example.com", f"Brand {i}"
                people.append((email, brand))
            email_key, brand_key = identity_key(email, brand)
            created = sql_datetime(START + timedelta(minutes=7 * i + rng.randrange(5)))
            status = rng.choice(STATUSES)
            text = f"Analyse de {brand.strip()} : marché, concurrence, prochaines étapes. " * 4
            yield (
                uuid.UUID(int=rng.getrandbits(128)).hex,
                email,
                "+33612345678",
                brand,
                rng.choice(SECTORS),
                rng.choice(LANGUAGES),
                status,
                text if status == "GENERATED" else "",
                f"/media/analyses/{i}.pdf" if status == "GENERATED" else "",
                created,
                email_key,
                brand_key,
                created,
                now,
            )

    with connection:
        connection.executemany(
            "INSERT INTO mini_analyses (request_id, email, phone, brand_name, sector, language, status,"
            " analysis_text, pdf_url, consent_at, email_key, brand_key, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows(),
        )
        # One person and brand in twenty already has a lead (typed by a sales person).
        connection.execute(
            "INSERT INTO leads (email, phone, brand_name, sector, language, status, source, pdf_url,"
            " analysis_text, notes, email_key, brand_key, created_at, updated_at)"
            " SELECT email, phone, brand_name, sector, language, 'NEW', 'manual', '', '', '',"
            " email_key, brand_key, created_at, created_at FROM mini_analyses WHERE id % 20 = 0"
            " ON CONFLICT DO NOTHING"
        )
    connection.execute("ANALYZE")
    connection.close()


FLOOR_SQL = """
INSERT INTO leads (email, phone, brand_name, sector, language, status, source, mini_analysis_id,
                   pdf_url, analysis_text, notes, email_key, brand_key, created_at, updated_at, migrated_at)
SELECT m.email, m.phone, m.brand_name, m.sector, m.language,
       CASE WHEN m.status IN ('GENERATED', 'QUOTA_BLOCKED', 'ERROR') THEN m.status
            WHEN m.analysis_text != '' OR m.pdf_url != '' THEN 'GENERATED' ELSE 'NEW' END,
       'mini-analysis-migration', m.id, m.pdf_url, substr(m.analysis_text, 1, 500),
       'Migrated from mini-analysis collection on ' || date(:now), m.email_key, m.brand_key,
       m.created_at, :now, :now
FROM mini_analyses m
WHERE NOT EXISTS (SELECT 1 FROM leads l WHERE l.email_key = m.email_key AND l.brand_key = m.brand_key)
  AND NOT EXISTS (SELECT 1 FROM mini_analyses o WHERE o.email_key = m.email_key AND o.brand_key = m.brand_key
                  AND (o.created_at < m.created_at OR (o.created_at = m.created_at AND o.id < m.id)))
"""


def floor(database: Path) -> tuple[float, int]:
    """(d): the same rows in one raw INSERT … SELECT."""
    connection = sqlite3.connect(database)
    started = time.perf_counter()
    with connection:
        created = connection.execute(FLOOR_SQL, {"now": sql_datetime(datetime.now(UTC))}).rowcount
    seconds = time.perf_counter() - started
    connection.close()
    return seconds, created


def seed_algorithm(limit: int) -> None:
    """(a): the seed's loop, one lookup and one insert per mini-analysis."""
    from django.utils import timezone

    from crm.models import Lead, Source
    from crm.services import lead_fields_from
    from mini_analysis.models import MiniAnalysis

    now = timezone.now()
    for mini_analysis in MiniAnalysis.objects.order_by("pk")[:limit].iterator(chunk_size=2000):
        if Lead.objects.filter_identity(mini_analysis.email, mini_analysis.brand_name).exists():
            continue
        Lead.objects.create(
            **lead_fields_from(mini_analysis),
            source=Source.MIGRATION,
            notes=f"Migrated from mini-analysis collection on {now.date()}",
            created_at=mini_analysis.created_at,
            migrated_at=now,
        )


def count(database: Path, sql: str) -> int:
    connection = sqlite3.connect(database)
    try:
        return connection.execute(sql).fetchone()[0]
    finally:
        connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=100_000, help="Mini-analyses to generate (default 100 000).")
    parser.add_argument("--seed-sample", type=int, default=20_000, help="Rows (a) runs on; 0 = all.")
    parser.add_argument("--batch-size", type=int, default=10_000)
    parser.add_argument(
        "--repeat", type=int, default=1, help="Rounds of (b), (c), (d), each its fastest kept (default 1)."
    )
    parser.add_argument("--child", nargs=3, metavar=("DATABASE", "TASK", "ARGUMENT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        database, task, argument = args.child
        run_child(Path(database), task, int(argument))
        return

    with tempfile.TemporaryDirectory(prefix="bench-backfill-") as folder:
        base = Path(folder) / "base.sqlite3"
        print(f"Generating {args.n} mini-analyses in {base} ...", flush=True)
        manage(base, "migrate", "--noinput")
        generate(base, args.n)
        copies = {name: Path(folder) / f"{name}.sqlite3" for name in "abd"}
        for copy in copies.values():
            shutil.copyfile(base, copy)
        existing = count(base, "SELECT count(*) FROM leads")
        print(f"  {args.n} mini-analyses, {existing} leads already there", flush=True)

        sample = args.seed_sample if 0 < args.seed_sample < args.n else args.n
        seed_seconds, _ = child(copies["a"], "seed", str(sample))
        seed_seconds *= args.n / sample
        rounds = []
        for round_number in range(args.repeat):
            if round_number:  # each round on fresh copies
                for name in "bd":
                    shutil.copyfile(base, copies[name])
            migrate_seconds, peak_mb = child(copies["b"], "migrate", str(args.batch_size))
            rerun_seconds, rerun_peak_mb = child(copies["b"], "migrate", str(args.batch_size))
            floor_seconds, floor_created = floor(copies["d"])
            rounds.append((migrate_seconds, rerun_seconds, floor_seconds))
            if args.repeat > 1:
                print(
                    f"  round {round_number + 1}: (b) {migrate_seconds:.2f} s, (c) {rerun_seconds:.2f} s,"
                    f" (d) {floor_seconds:.2f} s, (b)/(d) {migrate_seconds / floor_seconds:.2f},"
                    f" (c)/(b) {rerun_seconds / migrate_seconds:.1%}",
                    flush=True,
                )
        migrate_seconds, rerun_seconds, floor_seconds = (min(times) for times in zip(*rounds, strict=True))

        created = count(copies["b"], "SELECT count(*) FROM leads WHERE source = 'mini-analysis-migration'")
        if created != floor_created:
            raise SystemExit(f"migrate_mini_analyses created {created} leads, the floor {floor_created}")

        scaled = f" (measured on {sample} rows, scaled to {args.n})" if sample < args.n else ""
        print(f"Leads created: {created}")
        print(f"(a) seed algorithm:            {seed_seconds:8.2f} s{scaled}")
        print(f"(b) migrate_mini_analyses:     {migrate_seconds:8.2f} s   peak memory {peak_mb} MB")
        print(f"(c) second run:                {rerun_seconds:8.2f} s   peak memory {rerun_peak_mb} MB")
        print(f"(d) INSERT … SELECT (floor):   {floor_seconds:8.2f} s")
        print(f"(a)/(b) = {seed_seconds / migrate_seconds:6.1f}   target >= 20")
        print(f"(b)/(d) = {migrate_seconds / floor_seconds:6.2f}   target <= 2")
        print(f"(c)/(b) = {rerun_seconds / migrate_seconds:6.1%}   target < 10%")
        print(f"peak memory of (b) = {peak_mb} MB   target < 200 MB at 1 000 000 rows")


if __name__ == "__main__":
    main()

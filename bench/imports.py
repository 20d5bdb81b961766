"""Import and export benchmark: `crm.imports.import_table` against a `bulk_create` floor, and the
CSV export streamed over every lead.

Against the database of DATABASE_URL (PostgreSQL for figures that mean something; the tables are
created by `migrate`), it writes `--existing` leads with `bulk_create`, builds a realistic file of
`--rows` rows (names, emails, phones in national form, brands, sectors, day/month/year dates; one
row in ten matching an existing lead in another case), then measures, each in a transaction rolled
back afterwards:
(a) the floor: the same rows as `Lead` objects written with `bulk_create`, no mapping, no check;
(b) the preview as the worker runs it from the upload: `read_table` on the file's bytes, then
    `import_in_chunks` with `dry_run` (1 000 rows planned at a time, nothing written);
(c) the import as the worker (and `import_prospects`) runs it once confirmed: `read_table`, then
    `import_in_chunks` (1 000 rows a transaction); (b) + (c) is the file's time from upload to done
    (each says how much of it was `read_table`);
and then (d) the export of every lead with `lead_csv_lines` (rows/s; `--no-export` skips it).
Peak memory is the process's peak resident set, read before and after each step (a peak only
grows). Targets (issue 19): (b) + (c), the file from upload to done, <= 60 s for 100 000 rows and
<= 3x (a); memory flat; the export's peak under 200 MB.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_imports \\
        .venv/bin/python bench/imports.py [--rows 100000] [--existing 1000000] [--no-export]
"""

import argparse
import csv
import io
import os
import random
import resource
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "igv_site.settings")
os.environ.setdefault("SECRET_KEY", "bench-imports-not-secret")

FIRST = ["Yael", "Noa", "Avi", "Marie", "Jean", "Anaïs", "David", "Sarah", "Lior", "Chloé"]
LAST = ["Cohen", "Levi", "Mizrahi", "Dupont", "Martin", "Lefèvre", "Peretz", "Ben David"]
SECTORS = ["Food", "Retail", "Tech", "Santé", "Cosmétique"]


class Rollback(Exception):
    pass


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def file_rows(count: int, existing: int, rng: random.Random) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(
        ["First Name", "Last Name", "Email", "Phone Number", "Company Name", "Industry", "Create Date"]
    )
    for index in range(count):
        if existing and index % 10 == 0:  # matches an existing lead, written in another case
            number = rng.randrange(existing)
            email, brand = f"LEAD{number}@Example.com", f"BRAND {number}"
        else:
            email, brand = f"new{index}@example.com", f"New brand {index}"
        phone = f"05{rng.choice('024')}-{rng.randrange(200, 999)}-{rng.randrange(1000, 9999)}"
        date = f"{rng.randrange(1, 28):02d}/{rng.randrange(1, 12):02d}/2024"
        writer.writerow([rng.choice(FIRST), rng.choice(LAST), email, phone, brand, rng.choice(SECTORS), date])
    return ("\ufeff" + text.getvalue()).encode()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--existing", type=int, default=1_000_000)
    parser.add_argument("--no-export", action="store_true")
    options = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection, transaction

    from crm.exports import lead_csv_lines
    from crm.imports import guess_mapping
    from crm.imports.background import import_in_chunks
    from crm.models import Lead
    from crm.uploads import read_table

    settings.IMPORT_MAX_ROWS = options.rows + 1
    settings.IMPORT_MAX_FILE_SIZE = 1 << 30
    call_command("migrate", verbosity=0)
    boss = get_user_model().objects.filter(
        username="bench-boss"
    ).first() or get_user_model().objects.create_superuser("bench-boss", "boss@example.com", "x")
    present = Lead.objects.filter(email__startswith="lead").count()
    if present < options.existing:
        start = time.perf_counter()
        for first in range(present, options.existing, 10_000):
            Lead.objects.bulk_create(
                Lead(email=f"lead{n}@example.com", brand_name=f"Brand {n}", phone="+972502345678")
                for n in range(first, min(first + 10_000, options.existing))
            )
        print(f"{options.existing - present} existing leads written in {time.perf_counter() - start:.0f} s")
    if connection.vendor == "postgresql":  # statistics, as autovacuum keeps them: else a 500-key
        with connection.cursor() as cursor:  # match of a freshly loaded table is a sequential scan
            cursor.execute(f"ANALYZE {Lead._meta.db_table}")
    rng = random.Random(19)
    content = file_rows(options.rows, options.existing, rng)
    print(
        f"file: {options.rows} rows, {len(content) / 1e6:.1f} MB; "
        f"{Lead.objects.count()} leads in {connection.vendor}"
    )

    before = peak_mb()
    start = time.perf_counter()
    try:
        with transaction.atomic():
            table = read_table(content)
            Lead.objects.bulk_create(
                (Lead(email=row[2], first_name=row[0], last_name=row[1], brand_name=row[4], sector=row[5])
                 for row in table.rows if row[2].startswith("new")),
                batch_size=1000,
            )  # fmt: skip
            raise Rollback
    except Rollback:
        pass
    floor = time.perf_counter() - start
    print(f"(a) floor, bulk_create of the new rows: {floor:.1f} s")

    upload_to_done = 0.0
    steps = [("(b) preview in chunks (the worker)", True), ("(c) import in chunks (the worker)", False)]
    for label, dry_run in steps:
        before = peak_mb()
        start = time.perf_counter()
        try:
            with transaction.atomic():
                table = read_table(content)
                parsed = time.perf_counter() - start
                plan = import_in_chunks(table, guess_mapping(table.headers), boss, dry_run=dry_run)
                raise Rollback
        except Rollback:
            pass
        imported = time.perf_counter() - start
        upload_to_done += imported
        peak = f"peak memory {before:.0f} -> {peak_mb():.0f} MB"
        print(f"{label}: {imported:.1f} s (the file read in {parsed:.1f} s), {options.rows / imported:.0f} "
              f"rows/s, {plan.counts}, {imported / floor:.1f}x the floor; {peak}")  # fmt: skip
    print(f"upload to done, (b) + (c): {upload_to_done:.1f} s, {upload_to_done / floor:.1f}x the floor")
    if options.no_export:
        return

    before = peak_mb()
    start = time.perf_counter()
    count = sum(1 for _ in lead_csv_lines(Lead.objects.order_by("pk"))) - 1
    exported = time.perf_counter() - start
    print(f"(d) export: {count} leads in {exported:.1f} s ({count / exported:.0f} rows/s); "
          f"peak memory {before:.0f} -> {peak_mb():.0f} MB")  # fmt: skip


if __name__ == "__main__":
    main()

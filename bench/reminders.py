"""The reminder round at scale (PostgreSQL): 200 sales people over 1 000 000 leads and 500 000
activities; the round's time and query count, then the same for 20 people (the count must not move).

Target (reach issue): a constant number of queries whatever the number of people, under 60 s.

    .venv/bin/python bench/reminders.py [--leads 1000000] [--activities 500000] [--people 200]

Writes a database of its own (`--database-url`, by default `bench_reminders` on the local server,
dropped and created).
"""

import argparse
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench.load import recreate_database  # noqa: E402

DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bench_reminders"
MONDAY_8_PARIS = datetime(2026, 12, 7, 7, 1, tzinfo=UTC)
ZONES = ["Europe/Paris", "Asia/Jerusalem", "Europe/Berlin", "Europe/Athens"]  # all past 08:00 then


def setup(database_url: str) -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="igv_site.settings",
        DEBUG="true",
        DATABASE_URL=database_url,
        EMAIL_URL="dummymail://",
        LOG_LEVEL="WARNING",
    )
    import django

    django.setup()


def fill(leads: int, activities: int, people: int) -> list[int]:
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import connection

    from crm.models import SalesProfile
    from crm.tests.factories import SalesPersonFactory

    call_command("migrate", verbosity=0)
    Group.objects.get_or_create(name="Sales")
    users = [SalesPersonFactory(username=f"seller{number}") for number in range(people)]
    SalesProfile.objects.bulk_create(
        [SalesProfile(user=user, time_zone=ZONES[number % len(ZONES)]) for number, user in enumerate(users)],
        ignore_conflicts=True,
    )
    ids = "(ARRAY[" + ",".join(str(user.pk) for user in users) + "])"
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO leads (email, email_key, brand_name, brand_key, first_name, last_name, phone, "
            "sector, language, status, source, pdf_url, analysis_text, notes, created_at, updated_at, stage, "
            "next_action, assigned_to_id) SELECT 'p' || g || '@example.com', 'p' || g || '@example.com', "
            "'Brand ' || g, 'brand ' || g, '', '', '', 'retail', 'fr', 'NEW', 'manual', '', '', '', "
            f"now() - (g % 1000) * interval '1 hour', now(), 'NEW', '', {ids}[1 + g % {people}] "
            f"FROM generate_series(1, {leads}) AS g"
        )
        cursor.execute(
            "INSERT INTO crm_activity (kind, subject, body, lead_id, due_at, done_at, owner_id, created_at) "
            "SELECT CASE WHEN g % 2 = 0 THEN 'task' ELSE 'call' END, 'Activity ' || g, '', l.id, "
            f"CASE WHEN g % 2 = 0 THEN '{MONDAY_8_PARIS.isoformat()}'::timestamptz "
            "+ ((g % 20) - 10) * interval '1 day' END, "
            "CASE WHEN g % 2 = 1 THEN now() END, l.assigned_to_id, now() "
            f"FROM generate_series(1, {activities}) AS g JOIN leads AS l ON l.id = g"
        )
        cursor.execute("VACUUM ANALYZE")
    return [user.pk for user in users]


def round_at(moment: datetime) -> tuple[float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from crm.reminders import send_reminders

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        result = send_reminders(now=moment)
        elapsed = time.perf_counter() - started
    print(f"  {result.digests} digests sent, {result.empty} empty, {len(result.failed)} failed")
    return elapsed, len(queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--activities", type=int, default=500_000)
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--database-url", default=DATABASE_URL, help="dropped and created")
    args = parser.parse_args()
    recreate_database(args.database_url)
    setup(args.database_url)
    started = time.perf_counter()
    fill(args.leads, args.activities, args.people)
    print(f"filled {args.leads} leads, {args.activities} activities in {time.perf_counter() - started:.0f} s")
    from crm.models import SalesProfile

    elapsed, queries = round_at(MONDAY_8_PARIS)
    print(f"{args.people} people: {elapsed:.2f} s, {queries} queries")
    again, again_queries = round_at(MONDAY_8_PARIS + timedelta(minutes=5))
    print(f"same morning again: {again:.2f} s, {again_queries} queries (nothing to send)")
    few = SalesProfile.objects.order_by("pk").values_list("pk", flat=True)[:20]
    SalesProfile.objects.exclude(pk__in=list(few)).update(daily_digest=False)
    few_elapsed, few_queries = round_at(MONDAY_8_PARIS + timedelta(days=1))
    print(f"20 people: {few_elapsed:.2f} s, {few_queries} queries")
    verdict = "PASS" if elapsed < 60 and queries == few_queries else "FAIL"
    print(f"{verdict}: under 60 s and the same number of queries for 20 and {args.people} people")


if __name__ == "__main__":
    main()

"""A prospect's record page against the page it replaces, on PostgreSQL at 100 000 leads.

The prospect has 200 activities (calls, emails, notes, 20 open tasks) and 5 requests; "before" is
the change form with every activity inline (`/bench/form-admin/`, see `bench/urls.py`), "record"
the record page (`/admin/crm/lead/<id>/change/`). Each is viewed `--repeat` times in one process
(Django's test Client, no HTTP, after 3 warm-up views): median, p95, and the queries of one view.
A second prospect with 10 activities shows that the record page's query count does not grow.

Target (sales-workspace issue 18): the record page's p95 at or under the page it replaces, and
the same number of queries for 10 and 200 activities.

    .venv/bin/python bench/record_page.py [--size 100000] [--repeat 30]
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench.load import environment, recreate_database  # noqa: E402
from bench.prospects import TEMPLATES, fill, percentile  # noqa: E402

RECORD = "/admin/crm/lead/{}/change/"
BEFORE = "/bench/form-admin/crm/lead/{}/change/"


def worked_prospect(activities: int, requests: int):
    """A prospect with `activities` activities (one in 10 an open task) and `requests` requests."""
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from crm import services
    from crm.models import Activity, ActivityKind, Lead
    from mini_analysis.models import MiniAnalysis, Status

    user = get_user_model().objects.get(username="bench")
    email, brand = f"worked{activities}@example.com", f"Worked prospect {activities}"
    for _ in range(requests):
        MiniAnalysis.objects.create(
            email=email, brand_name=brand, phone="+972502345678", status=Status.GENERATED
        )
    lead = Lead.objects.filter_identity(email, brand).get()
    Lead.objects.filter(pk=lead.pk).update(assigned_to=user)
    now = timezone.now()
    kinds = [
        ActivityKind.CALL,
        ActivityKind.EMAIL,
        ActivityKind.CALL,
        ActivityKind.NOTE,
        ActivityKind.MEETING,
    ]
    rows = []
    for number in range(activities):
        when = now - timedelta(hours=number * 7)
        if number % 10 == 9:
            rows.append(
                Activity(
                    kind=ActivityKind.TASK,
                    subject=f"Follow up {number}",
                    lead=lead,
                    owner=user,
                    created_by=user,
                    due_at=now + timedelta(days=number % 30 - 10),
                    created_at=when,
                )
            )
        else:
            rows.append(
                Activity(
                    kind=kinds[number % len(kinds)],
                    subject=f"Activity {number}",
                    body="Spoke about the offer.\nCall back next week." if number % 3 == 0 else "",
                    outcome="reached" if number % 2 else "",
                    lead=lead,
                    owner=user,
                    created_by=user,
                    done_at=when,
                    created_at=when,
                )
            )
    Activity.objects.bulk_create(rows)
    with transaction.atomic():
        services.activity_changed(Activity(lead_id=lead.pk), user=user)
    return lead


def measure(client, path: str, repeat: int) -> tuple[float, float, int]:
    """(median ms, p95 ms, queries of one view)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):
        client.get(path)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        status = client.get(path).status_code
        times.append((time.perf_counter() - started) * 1000)
        if status != 200:
            raise SystemExit(f"GET {path} answered {status}")
    with CaptureQueriesContext(connection) as queries:
        client.get(path)
    return statistics.median(times), percentile(times, 95), len(queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000, help="leads in the database")
    parser.add_argument("--repeat", type=int, default=30, help="views per page")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/igv_bench_record")
    options = parser.parse_args()
    if not TEMPLATES < options.size <= 5_000_000 or not 0 < options.repeat <= 1000:
        parser.error(f"--size in ({TEMPLATES}, 5000000], --repeat in (0, 1000]")

    with tempfile.TemporaryDirectory() as media_root:
        env = environment(options.database_url, "dbcache://django_cache", media_root, port=8094)
        os.environ.update(env)
        os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1"
        warnings.filterwarnings("ignore", message="No directory at")
        import django

        django.setup()
        from django.conf import settings
        from django.test import Client

        recreate_database(options.database_url)
        started = time.perf_counter()
        print(f"Filling {options.size:,} leads ...", flush=True)
        session_key, _ = fill(env, options.size)
        print(f"  filled in {time.perf_counter() - started:.0f} s", flush=True)
        worked, light = worked_prospect(200, 5), worked_prospect(10, 5)
        client = Client()
        client.cookies[settings.SESSION_COOKIE_NAME] = session_key
        rows = [
            ("record, 200 activities", measure(client, RECORD.format(worked.pk), options.repeat)),
            ("before, 200 activities", measure(client, BEFORE.format(worked.pk), options.repeat)),
            ("record, 10 activities", measure(client, RECORD.format(light.pk), options.repeat)),
            ("before, 10 activities", measure(client, BEFORE.format(light.pk), options.repeat)),
        ]
    print(f"\n{options.size:,} leads, PostgreSQL, in one process, {options.repeat} views each")
    print(f"{'page':<26}{'median ms':>10}{'p95 ms':>10}{'queries':>9}")
    for name, (median, p95, queries) in rows:
        print(f"{name:<26}{median:>10.1f}{p95:>10.1f}{queries:>9}")


if __name__ == "__main__":
    main()

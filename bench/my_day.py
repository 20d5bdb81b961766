"""My day for a sales person with 2 000 open tasks among 1 000 000 leads (PostgreSQL, in process).

The fill is set-based (INSERT ... SELECT over generate_series, as `bench/prospects.py`): 1 000 000
leads over 20 sales persons (50 000 each), a call on 2 leads in 5, an open task on 1 lead in 20
(the measured sales person's share made exactly 2 000: due from 30 days ago to 30 days ahead, so
about half overdue), a done task on 1 lead in 40, and the leads' stage and next action as
`crm.services` keeps them. Timed, `--repeat` times after 3 warm-up runs:

- `crm.my_day.my_day(seller)`: the selector alone (its four queries);
- `GET /admin/crm/my-day/` as the seller: the whole page (Django's test Client, no HTTP);
- the same page for the manager, everyone's day (no target, a fifth of the runs: for the record);

then again without the two indexes of migration 0019, to show what they buy.

Target (issue 18): the seller's page p95 <= 100 ms in process.

    .venv/bin/python bench/my_day.py [--leads 1000000] [--repeat 50] [--no-fill]
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench.load import environment, recreate_database  # noqa: E402

SELLERS = 20
SELLER_TASKS = 2_000
INDEXES = ["activity_owner_open_task_due", "lead_open_no_next_action"]

FILL_SCRIPT = """
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from crm.models import Lead

User = get_user_model()
boss = User.objects.create_superuser("boss", "boss@example.com", "unused-password-123")
sales = Group.objects.get(name="Sales")
sellers = [User.objects.create_user(f"seller{{n}}", f"seller{{n}}@example.com", "unused-password-123",
                                    is_staff=True) for n in range({sellers})]
for seller in sellers:
    seller.groups.add(sales)
template = Lead.objects.create(email="template@example.invalid", brand_name="Template", phone="+972502345678",
                               sector="retail")
first_id = sellers[0].pk
columns = [f.column for f in Lead._meta.concrete_fields if not f.primary_key and not f.generated]
generated = {{
    "email": "'client' || g || '@example.com'",
    "email_key": "'client' || g || '@example.com'",
    "brand_name": "'Brand ' || g",
    "brand_key": "'brand ' || g",
    "created_at": "now() - g * interval '1 minute'",
    "updated_at": "now() - g * interval '1 minute'",
    "assigned_to_id": f"{{first_id}} + g % {sellers}",
    "stage": "(ARRAY['NEW', 'ATTEMPTING', 'CONNECTED', 'QUALIFIED'])[1 + g % 4]",
    "legacy_id": "NULL",
}}
selected = ", ".join(generated.get(column, f"t.{{column}}") for column in columns)
with connection.cursor() as cursor:
    cursor.execute(f"INSERT INTO leads ({{', '.join(columns)}}) SELECT {{selected}} "
                   f"FROM generate_series(1, {leads} - 1) AS g CROSS JOIN leads AS t "
                   f"WHERE t.id = {{template.pk}}")
    cursor.execute(
        "INSERT INTO crm_activity (kind, subject, body, lead_id, done_at, owner_id, created_by_id, "
        "created_at) "
        "SELECT 'call', 'Called', '', id, created_at + interval '1 hour', assigned_to_id, assigned_to_id, "
        "created_at + interval '1 hour' FROM leads WHERE id % 5 IN (0, 1)"
    )
    cursor.execute(
        "INSERT INTO crm_activity (kind, subject, body, lead_id, due_at, done_at, owner_id, created_by_id, "
        "created_at) SELECT 'task', 'Sent the deck', '', id, created_at + interval '1 day', "
        "created_at + interval '1 day', assigned_to_id, assigned_to_id, created_at FROM leads "
        "WHERE id % 40 = 3"
    )
    # Open tasks: 1 lead in 20 of the other sellers, exactly {seller_tasks} of the measured one.
    cursor.execute(
        "INSERT INTO crm_activity (kind, subject, body, lead_id, due_at, owner_id, created_by_id, "
        "created_at) "
        "SELECT 'task', 'Call back', '', id, now() + ((id % 60) - 30) * interval '1 day' "
        "+ (id % 7) * interval '1 hour', assigned_to_id, assigned_to_id, created_at FROM leads "
        f"WHERE id % 20 = 0 AND assigned_to_id <> {{first_id}}"
    )
    cursor.execute(
        "INSERT INTO crm_activity (kind, subject, body, lead_id, due_at, owner_id, created_by_id, "
        "created_at) "
        "SELECT 'task', 'Call back', '', id, now() + ((n % 60) - 30) * interval '1 day' "
        "+ (n % 7) * interval '1 hour', assigned_to_id, assigned_to_id, created_at FROM ("
        f"SELECT id, assigned_to_id, created_at, row_number() OVER (ORDER BY id) AS n FROM leads "
        f"WHERE assigned_to_id = {{first_id}} AND stage IN ('NEW', 'ATTEMPTING', 'CONNECTED', 'QUALIFIED')"
        f") AS mine WHERE n <= {seller_tasks}"
    )
    cursor.execute(
        "UPDATE leads SET next_action = t.subject, next_action_at = t.due_at FROM crm_activity AS t "
        "WHERE t.lead_id = leads.id AND t.kind = 'task' AND t.done_at IS NULL"
    )
    cursor.execute("VACUUM ANALYZE")
print(first_id, boss.pk)
"""


def fill(env: dict[str, str], leads: int) -> tuple[int, int]:
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v", "0"], cwd=BASE_DIR, env=env, check=True)
    script = FILL_SCRIPT.format(leads=leads, sellers=SELLERS, seller_tasks=SELLER_TASKS)
    done = subprocess.run(
        [*manage, "shell", "-c", script], cwd=BASE_DIR, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"filling the database failed:\n{done.stderr}")
    seller, boss = done.stdout.strip().splitlines()[-1].split()
    return int(seller), int(boss)


def percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def timed(run, repeat: int) -> tuple[float, float, float]:
    """Median and p95 of the wall time, and the median CPU time of this process (the database's
    work excluded: on a busy machine the wall time waits for the CPU, this does not)."""
    for _ in range(3):  # warm up: templates, connections, the planner's caches
        run()
    times, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        run()
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return statistics.median(times), percentile(times, 95), statistics.median(cpu)


def measure(seller_id: int, boss_id: int, repeat: int) -> dict[str, tuple[float, float, float]]:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from crm.my_day import my_day

    users = get_user_model().objects
    seller, boss = users.get(pk=seller_id), users.get(pk=boss_id)
    day = my_day(seller)
    print(
        f"  the seller's day: {day.overdue_count} overdue, {day.due_today_count} due today, "
        f"{day.no_next_action_count} open prospects with no next action",
        flush=True,
    )
    seller_client, boss_client = Client(), Client()
    seller_client.force_login(seller)
    boss_client.force_login(boss)

    def page(client, query: str = "") -> None:
        response = client.get(f"/admin/crm/my-day/{query}")
        if response.status_code != 200:
            raise SystemExit(f"My day answered {response.status_code}")

    return {
        "selector, seller": timed(lambda: my_day(seller), repeat),
        "page, seller": timed(lambda: page(seller_client), repeat),
        # Everyone's day counts every open prospect without a next action: no target, fewer runs.
        "page, manager, everyone": timed(lambda: page(boss_client, "?owner=all"), max(2, repeat // 5)),
    }


def without_indexes(run):
    """`run()` with migration 0019's indexes dropped, then put back (the database stays reusable)."""
    from django.db import connection

    from crm.models import Activity, Lead

    indexes = [
        (model, index) for model in (Activity, Lead) for index in model._meta.indexes if index.name in INDEXES
    ]
    with connection.schema_editor() as editor:
        for model, index in indexes:
            editor.remove_index(model, index)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    try:
        return run()
    finally:
        with connection.schema_editor() as editor:
            for model, index in indexes:
                editor.add_index(model, index)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/igv_bench_my_day")
    parser.add_argument("--no-fill", action="store_true", help="reuse the database of an earlier run")
    options = parser.parse_args()
    if not 100_000 <= options.leads <= 5_000_000 or not 0 < options.repeat <= 1000:
        parser.error("--leads in [100000, 5000000], --repeat in (0, 1000]")

    with tempfile.TemporaryDirectory() as media_root:
        env = environment(options.database_url, "locmemcache://", media_root, port=0)
        os.environ.update(env)
        os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1"
        warnings.filterwarnings("ignore", message="No directory at")
        import django

        django.setup()
        if options.no_fill:
            from django.contrib.auth import get_user_model

            users = get_user_model().objects
            seller_id, boss_id = users.get(username="seller0").pk, users.get(username="boss").pk
        else:
            recreate_database(options.database_url)
            started = time.perf_counter()
            print(f"Filling {options.leads:,} leads ...", flush=True)
            seller_id, boss_id = fill(env, options.leads)
            print(f"  filled in {time.perf_counter() - started:.0f} s", flush=True)
        results = {"with the 0019 indexes": measure(seller_id, boss_id, options.repeat)}
        results["without them"] = without_indexes(lambda: measure(seller_id, boss_id, options.repeat))

    print(f"\nMy day, {options.leads:,} leads, {SELLER_TASKS:,} open tasks for the seller (ms, in process)")
    for variant, timings in results.items():
        print(f"{variant}:")
        for name, (median, p95, cpu) in timings.items():
            print(f"  {name:<26} median {median:7.1f}   p95 {p95:7.1f}   CPU (median) {cpu:6.1f}")
    p95 = results["with the 0019 indexes"]["page, seller"][1]
    print(f"\ntarget: the seller's page p95 <= 100 ms: {'met' if p95 <= 100 else 'MISSED'} ({p95:.1f} ms)")


if __name__ == "__main__":
    main()

"""The export of 1 000 000 prospects to CSV, streamed (PostgreSQL; issue 19's export benchmark).

The fill is set-based (INSERT ... SELECT over generate_series, as `bench/my_day.py`): `--leads`
leads over 20 sales persons, every stage, a disqualification reason on the disqualified ones, a
next action on 1 lead in 5, a contact on 1 in 10. Then, each in its own process so that its peak
memory is its own (the peak resident set of that process, from `os.wait4`), and timed by the
process itself after Django's setup:

(a) the worker's build of a big export, as the admin queues it for a manager (every lead, CSV):
    `crm.export_runs.build_export` (the list rebuilt from the run's filter string, the rows read
    through a server-side cursor, the file written chunk by chunk into the storage);
(b) the same as a sales person, to .xlsx (their 50 000 prospects: visibility and openpyxl's
    write-only mode);
(c) `manage.py export_prospects --output FILE` (every lead, CSV), the process timed whole.

Target: streamed, the peak resident memory of each process under 200 MB; rows/s reported.

    .venv/bin/python bench/exports.py [--leads 1000000] [--database-url URL] [--no-fill]
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench.load import environment, recreate_database  # noqa: E402

SELLERS = 20
PEAK_LIMIT_MB = 200

FILL_SCRIPT = """
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from crm.models import Contact, DisqualificationReason, Lead

User = get_user_model()
boss = User.objects.create_superuser("boss", "boss@example.com", "unused-password-123")
sales = Group.objects.get(name="Sales")
sellers = [User.objects.create_user(f"seller{{n}}", f"seller{{n}}@example.com", "unused-password-123",
                                    is_staff=True, first_name="Seller", last_name=f"Number {{n}}")
           for n in range({sellers})]
for seller in sellers:
    seller.groups.add(sales)
template = Lead.objects.create(email="template@example.invalid", brand_name="Template", phone="+972502345678",
                               sector="retail", first_name="Yaël", last_name="Cohen",
                               notes="Rappeler après 10h, \\"urgent\\", merci")
contact = Contact.objects.create(email="contact@example.com", first_name="Noa", last_name="Levi")
reason = DisqualificationReason.objects.order_by("pk").first()
first_id = sellers[0].pk
columns = [field.column for field in Lead._meta.concrete_fields if not field.primary_key]
generated = {{
    "email": "'client' || g || '@example.com'",
    "email_key": "'client' || g || '@example.com'",
    "brand_name": "(ARRAY['Maison ', '=Brand ', 'שוקו ', 'Atelier '])[1 + g % 4] || g",
    "brand_key": "'brand ' || g",
    "phone": "'+9725' || lpad((g % 100000000)::text, 8, '0')",
    "created_at": "now() - g * interval '1 minute'",
    "updated_at": "now() - g * interval '1 minute'",
    "assigned_to_id": f"{{first_id}} + g % {sellers}",
    "stage": "(ARRAY['NEW', 'ATTEMPTING', 'CONNECTED', 'QUALIFIED', 'DISQUALIFIED'])[1 + g % 5]",
    "disqualification_reason_id": f"CASE WHEN g % 5 = 4 THEN {{reason.pk}} END",
    "next_action": "CASE WHEN g % 5 = 1 THEN 'Call back' ELSE '' END",
    "next_action_at": "CASE WHEN g % 5 = 1 THEN now() + (g % 30) * interval '1 day' END",
    "contact_id": f"CASE WHEN g % 10 = 3 THEN {{contact.pk}} END",
    "legacy_id": "NULL",
}}
selected = ", ".join(generated.get(column, f"t.{{column}}") for column in columns)
with connection.cursor() as cursor:
    cursor.execute(f"INSERT INTO leads ({{', '.join(columns)}}) SELECT {{selected}} "
                   f"FROM generate_series(1, {leads} - 1) AS g CROSS JOIN leads AS t "
                   f"WHERE t.id = {{template.pk}}")
    cursor.execute("VACUUM ANALYZE")
"""

# Run in a process of its own: one export run built as the worker builds it.
WORKER_SCRIPT = """
import resource, sys, time
import django
django.setup()
from django.contrib.auth import get_user_model
from crm.export_runs import build_export, new_export_run
user = get_user_model().objects.get(username=sys.argv[1])
run = new_export_run(user, format=sys.argv[2], query="", selected=None)
started = time.perf_counter()
run = build_export(str(run.pk))
seconds = time.perf_counter() - started
print(run.state, run.rows_done, f"{seconds:.3f}", run.file.size)
"""


def fill(env: dict[str, str], leads: int) -> None:
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v", "0"], cwd=BASE_DIR, env=env, check=True)
    script = FILL_SCRIPT.format(leads=leads, sellers=SELLERS)
    done = subprocess.run(
        [*manage, "shell", "-c", script], cwd=BASE_DIR, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"filling the database failed:\n{done.stderr}")


def measured(command: list[str], env: dict[str, str]) -> tuple[str, float, float]:
    """The process's output, its wall time (s) and its peak resident memory (MB)."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=output, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        errors = process.stderr.read().decode()
        process.stderr.close()
        if process.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed:\n{errors}")
        output.seek(0)
        text = output.read(4096).decode("utf-8", "replace")
    return text or errors, seconds, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/h_export_bench")
    parser.add_argument("--no-fill", action="store_true", help="reuse the database of an earlier run")
    options = parser.parse_args()
    if not 10_000 <= options.leads <= 5_000_000:
        parser.error("--leads in [10000, 5000000]")

    with tempfile.TemporaryDirectory() as media_root:
        env = environment(options.database_url, "locmemcache://", media_root, port=0)
        if not options.no_fill:
            recreate_database(options.database_url)
            started = time.perf_counter()
            print(f"Filling {options.leads:,} leads ...", flush=True)
            fill(env, options.leads)
            print(f"  filled in {time.perf_counter() - started:.0f} s", flush=True)

        results = []
        for label, user, format in [
            ("(a) worker, manager, CSV", "boss", "csv"),
            ("(b) worker, sales person, .xlsx", "seller0", "xlsx"),
        ]:
            print(f"{label} ...", flush=True)
            output, _, peak = measured([sys.executable, "-c", WORKER_SCRIPT, user, format], env)
            state, rows, seconds, size = output.split()
            if state != "done":
                raise SystemExit(f"{label}: the run is {state}")
            results.append((label, int(rows), float(seconds), int(size), peak))

        print("(c) export_prospects --output, CSV ...", flush=True)
        target = Path(media_root) / "command.csv"
        command = [sys.executable, "manage.py", "export_prospects", "--output", str(target)]
        output, seconds, peak = measured(command, env)
        rows = int(output.split()[0])
        results.append(
            ("(c) export_prospects, CSV (whole process)", rows, seconds, target.stat().st_size, peak)
        )

    print(f"\nExport of {options.leads:,} prospects (PostgreSQL; peak = the process's peak resident memory)")
    failed = False
    for label, rows, seconds, size, peak in results:
        verdict = "PASS" if peak < PEAK_LIMIT_MB else "FAIL"
        failed |= verdict == "FAIL"
        print(
            f"  {label:<42} {rows:>9,} rows  {seconds:7.1f} s  {rows / seconds:>8,.0f} rows/s  "
            f"{size / 1e6:7.1f} MB file  peak {peak:6.1f} MB  {verdict}"
        )
    print(f"\ntarget: streamed, peak memory under {PEAK_LIMIT_MB} MB: {'FAIL' if failed else 'PASS'}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

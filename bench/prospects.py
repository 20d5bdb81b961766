"""The prospects page against Django's stock ModelAdmin, at 100 000 and 1 000 000 leads (PostgreSQL).

"Stock" is a plain `admin.ModelAdmin` on a second admin site (`/bench/stock-admin/`, see
`bench/urls.py`) with the same columns, filters, search fields and date bar as ours, and Django's
defaults otherwise. For each size, one database is filled, then each page is timed:
- in one process (Django's test Client, no HTTP): median and p95 over `--repeat` views;
- through gunicorn (`gunicorn.conf.py`, 2 workers), `--clients` keep-alive clients for `--duration`
  seconds per page: p50 and p95.
Pages: unfiltered, filtered by status, a search by a fragment of an email, of a brand and of a
phone (a different fragment each time), and the admin's home page (the dashboard), in process both
computed afresh (its one-minute cache emptied before each view) and cached.

Besides the leads, the fill writes what a worked CRM holds: a call on 2 leads in 5, an email on 1
in 10, an open task on 1 in 20 (half overdue) and 5 000 opportunities over the stages, with the
leads' stage, owner, first and last contact and next action set as `crm.services` would.

Then every page a sales person works in (`USER_PAGES`: the prospects, activities, opportunities,
contacts and companies lists, each unfiltered and with its common filters, My day and a prospect's
record page with 200 activities) is timed as the superuser and as a sales person (`sales1`, one of
a team of ten), for each distribution of owners of `OWNERS`: "skewed" (they own a few leads of one
small sector, a colleague most of the others) and "spread" (ten equal shares), the two users' views
taking turns. The ratio sales person / superuser of each p95 is printed with PASS or FAIL against 1.5.

Targets (sales-workspace issue): ours <= 1/3 of stock, unfiltered and filtered, at both sizes, and
flat (1 M <= 1.5 x 100 k); search p95 <= 50 ms at 1 M; the dashboard <= 200 ms at 1 M. Issue 18:
each page as a sales person, p95 <= 1.5 x the same page as the superuser at 1 M, both distributions.

    .venv/bin/python bench/prospects.py [--sizes 100000,1000000] [--repeat 30] [--duration 5] [--no-http]
        [--no-stock] [--owners skewed,spread] [--keep-database] [--pages activities,my day]

`--keep-database` times the database an earlier run left (one size), without filling it again
(migrated first: an index this branch adds is built on the kept rows); `--pages` times only the
pages whose name starts with one of those given.

Loopback only; every loop is bounded in count and time, and the server is stopped at the end.
"""

import argparse
import hashlib
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench.load import (  # noqa: E402
    Client,
    environment,
    recreate_database,
    signed_in_session,
    start_server,
    stop_server,
)

OURS = "/admin/crm/lead/"
STOCK = "/bench/stock-admin/crm/lead/"
TEMPLATES = 180  # distinct (status, source, language, sector) rows the bulk insert copies from
MAX_REQUESTS_PER_PAGE = 50_000
# Realistic values: the fragments a sales person types (a surname, a brand word, a whole address)
# hit posting lists of realistic sizes, not the same "client…@example.com" in every row.
FIRST_NAMES = [
    "noa",
    "david",
    "maya",
    "yosef",
    "tamar",
    "daniel",
    "yael",
    "ariel",
    "shira",
    "eitan",
    "lea",
    "adam",
    "sarah",
    "jonathan",
    "rachel",
    "michael",
    "hannah",
    "nathan",
    "emma",
    "lucas",
    "chloe",
    "hugo",
    "ines",
    "louis",
    "jade",
    "gabriel",
    "alice",
    "raphael",
    "lina",
    "arthur",
    "rose",
    "jules",
    "anna",
    "paul",
    "mila",
    "tom",
    "lou",
    "leo",
    "eva",
    "sacha",
]
LAST_NAMES = [
    "cohen",
    "levi",
    "mizrahi",
    "peretz",
    "biton",
    "dahan",
    "avraham",
    "friedman",
    "azoulay",
    "katz",
    "martin",
    "bernard",
    "dubois",
    "thomas",
    "robert",
    "richard",
    "petit",
    "durand",
    "leroy",
    "moreau",
    "simon",
    "laurent",
    "lefebvre",
    "michel",
    "garcia",
    "david",
    "bertrand",
    "roux",
    "vincent",
    "fournier",
    "morel",
    "girard",
    "andre",
    "mercier",
    "dupont",
    "lambert",
    "bonnet",
    "francois",
    "martinez",
    "smith",
    "johnson",
    "williams",
    "brown",
    "jones",
    "miller",
    "wilson",
    "taylor",
    "anderson",
]
DOMAINS = [
    "gmail.com",
    "outlook.com",
    "yahoo.fr",
    "walla.co.il",
    "orange.fr",
    "icloud.com",
    "proton.me",
    "hotmail.com",
]
BRAND_WORDS = [
    "atelier",
    "maison",
    "studio",
    "cafe",
    "boulangerie",
    "green",
    "blue",
    "urban",
    "nova",
    "sun",
    "ocean",
    "cedar",
    "olive",
    "lotus",
    "bright",
    "smart",
    "fresh",
    "pure",
    "golden",
    "silver",
    "north",
    "south",
    "east",
    "west",
    "alpha",
    "delta",
    "vision",
    "craft",
    "market",
    "garden",
    "kitchen",
    "design",
    "digital",
    "health",
    "care",
    "beauty",
    "home",
    "travel",
    "coffee",
    "wine",
    "bio",
    "lumiere",
    "etoile",
    "jardin",
    "soleil",
    "marine",
    "royal",
    "petit",
    "grand",
    "tech",
    "lab",
    "works",
    "group",
    "partners",
    "shalom",
    "tikva",
    "kesem",
    "or",
    "yam",
]

FILL_SCRIPT = """
import itertools
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from bench.load import signed_in_session
from crm.models import Lead
from mini_analysis.models import Language, Status
from crm.models import Source

user = get_user_model().objects.create_superuser("bench", "bench@example.com", "unused-password-123")
sales_group = Group.objects.get(name="Sales")
for number in range(1, {team} + 1):
    get_user_model().objects.create_user(f"sales{{number}}", is_staff=True).groups.add(sales_group)
sectors = ["retail", "fashion", "food", "health", "tech"]
combinations = itertools.product(Status.values, Source.values, Language.values, sectors)
for number, (status, source, language, sector) in enumerate(combinations, start=1):
    Lead.objects.create(email=f"template{{number}}@example.invalid", brand_name=f"Template {{number}}",
        phone="+972502345678", status=status, source=source, language=language, sector=sector)
columns = [f.column for f in Lead._meta.concrete_fields if not f.primary_key and not f.generated]
first = "(ARRAY[{first}])"
last = "(ARRAY[{last}])"
domains = "(ARRAY[{domains}])"
words = "(ARRAY[{words}])"
local = f"{{first}}[1 + g % {n_first}] || '.' || {{last}}[1 + (g / {n_first}) % {n_last}] || g"
email = f"{{local}} || '@' || {{domains}}[1 + (g / 2000) % {n_domains}]"
brand = f"{{words}}[1 + g % {n_words}] || ' ' || {{words}}[1 + (g / {n_words}) % {n_words}] || ' ' || g"
generated = {{
    "email": email,
    "email_key": email,
    "brand_name": f"initcap({{brand}})",
    "brand_key": brand,
    "phone": "'+9725' || lpad((g % 100000000)::text, 8, '0')",
    "created_at": "now() - g * interval '1 minute'",
    "updated_at": "now() - g * interval '1 minute'",
    "legacy_id": "NULL",
}}
selected = ", ".join(generated.get(column, f"t.{{column}}") for column in columns)
with connection.cursor() as cursor:
    cursor.execute("CREATE TEMP TABLE bench_templates AS "
                   "SELECT *, row_number() OVER (ORDER BY id) - 1 AS slot FROM leads")
    cursor.execute(f"INSERT INTO leads ({{', '.join(columns)}}) SELECT {{selected}} "
                   f"FROM generate_series(1, {size} - {templates}) AS g "
                   f"JOIN bench_templates AS t ON t.slot = g % {templates}")
    # The sales team's work, so the dashboard reads what a worked CRM holds: a call on 2 leads in
    # 5 (an email too on 1 in 10), an open task on 1 in 20 (half of them overdue), 5 000 deals.
    user_id = user.pk
    hours = "((id % 96) + 1) * interval '1 hour'"
    for kind, subject, where, offset in [
        ("call", "Called", "id % 5 IN (0, 1)", hours),
        ("email", "Sent the deck", "id % 10 = 0", f"{{hours}} + interval '1 day'"),
    ]:
        cursor.execute(
            "INSERT INTO crm_activity (kind, subject, body, lead_id, done_at, owner_id, created_by_id, "
            f"created_at) SELECT '{{kind}}', '{{subject}}', '', id, LEAST(created_at + {{offset}}, now()), "
            f"{{user_id}}, {{user_id}}, LEAST(created_at + {{offset}}, now()) FROM leads WHERE {{where}}",
        )
    cursor.execute(
        "INSERT INTO crm_activity (kind, subject, body, lead_id, due_at, owner_id, created_by_id, "
        "created_at) SELECT 'task', 'Call back', '', id, now() + ((id % 30) - 15) * interval '1 day', "
        f"{{user_id}}, {{user_id}}, created_at FROM leads WHERE id % 20 = 0",
    )
    cursor.execute(
        "UPDATE leads SET first_contacted_at = a.first, last_contacted_at = a.last, "
        f"assigned_to_id = {{user_id}}, "
        "stage = CASE WHEN leads.id % 10 = 0 THEN 'CONNECTED' ELSE 'ATTEMPTING' END "
        "FROM (SELECT lead_id, min(done_at) AS first, max(done_at) AS last FROM crm_activity "
        "WHERE kind IN ('call', 'email', 'meeting') GROUP BY lead_id) AS a WHERE leads.id = a.lead_id",
    )
    cursor.execute(
        "UPDATE leads SET next_action = t.subject, next_action_at = t.due_at FROM crm_activity AS t "
        "WHERE t.lead_id = leads.id AND t.kind = 'task'"
    )
    cursor.execute(
        "INSERT INTO crm_company (name, brand_key, sector, website, country, created_at, updated_at) "
        "SELECT 'Deal company ' || g, 'deal company ' || g, 'retail', '', '', now(), now() "
        "FROM generate_series(1, 5000) AS g"
    )
    cursor.execute(
        "INSERT INTO crm_contact (email, email_key, first_name, last_name, phone, language, company_id, "
        "owner_id, created_at, updated_at) SELECT 'deal' || id || '@example.com', "
        "'deal' || id || '@example.com', "
        f"name, '', '', 'fr', id, {{user_id}}, now(), now() FROM crm_company",
    )
    cursor.execute(
        "INSERT INTO crm_opportunity (name, amount, currency, next_step, closing_reason, stage_entered_at, "
        "created_at, updated_at, company_id, contact_id, owner_id, stage_id) "
        "SELECT 'Deal ' || c.id, 1000 + c.id % 9000, (ARRAY['EUR', 'ILS', 'USD'])[1 + c.id % 3], '', '', "
        f"now(), now(), now(), c.company_id, c.id, {{user_id}}, "
        "(ARRAY(SELECT id FROM crm_opportunitystage ORDER BY id))[1 + c.id % 6] FROM crm_contact AS c",
    )
    cursor.execute("VACUUM ANALYZE")
print(signed_in_session(user), signed_in_session(get_user_model().objects.get(username="sales1")))
"""


def sql_words(words: list[str]) -> str:
    return ", ".join(f"'{word}'" for word in words)


def fill(env: dict[str, str], size: int) -> tuple[str, str]:
    """Migrate, then `size` leads (one INSERT … SELECT) and a sales team; return the session keys
    of the superuser and of the timed sales person (`sales1`)."""
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v", "0"], cwd=BASE_DIR, env=env, check=True)
    subprocess.run([*manage, "createcachetable"], cwd=BASE_DIR, env=env, check=True)
    script = FILL_SCRIPT.format(
        size=size,
        team=SALES_TEAM,
        templates=TEMPLATES,
        first=sql_words(FIRST_NAMES),
        last=sql_words(LAST_NAMES),
        domains=sql_words(DOMAINS),
        words=sql_words(BRAND_WORDS),
        n_first=len(FIRST_NAMES),
        n_last=len(LAST_NAMES),
        n_domains=len(DOMAINS),
        n_words=len(BRAND_WORDS),
    )
    done = subprocess.run(
        [*manage, "shell", "-c", script], cwd=BASE_DIR, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"filling the database failed:\n{done.stderr}")
    superuser_key, sales_key = done.stdout.strip().splitlines()[-1].split()
    return superuser_key, sales_key


def signed_in_sessions() -> tuple[str, str]:
    """New session keys of the superuser and of sales1, in a database `fill` filled earlier."""
    from django.contrib.auth import get_user_model

    people = get_user_model().objects
    return signed_in_session(people.get(username="bench")), signed_in_session(people.get(username="sales1"))


def distribute(owners: str, lead: int) -> None:
    """Give the leads, activities, opportunities, contacts and companies the owners of `owners`
    (see `OWNERS`): the same rows, only who owns them changes. The worked prospect `lead` (the
    record page's) is sales1's in both."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    # The distribution last applied (a kept database): rewriting a million leads takes minutes. Known
    # by its statements, so that a database kept from an earlier version of them is distributed anew.
    applied = f"{owners} {hashlib.sha256(''.join(OWNERS[owners]).encode()).hexdigest()[:12]}"
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_owners (owners text, lead integer)")
        cursor.execute("SELECT owners, lead FROM bench_owners")
        if cursor.fetchall() == [(applied, lead)]:
            return
    ids = dict(get_user_model().objects.filter(username__startswith="sales").values_list("username", "pk"))
    team = [ids[f"sales{number}"] for number in range(1, SALES_TEAM + 1)]
    values = {"me": team[0], "big": team[1], "team": f"ARRAY{team}", "others": f"ARRAY{team[1:]}"}
    with connection.cursor() as cursor:
        for statement in OWNERS[owners]:
            cursor.execute(statement.format(**values))
        cursor.execute("UPDATE leads SET assigned_to_id = %s WHERE id = %s", [team[0], lead])
        cursor.execute(
            "UPDATE crm_activity AS a SET owner_id = COALESCE(l.assigned_to_id, {big}) "
            "FROM leads AS l WHERE a.lead_id = l.id".format(**values)
        )
        cursor.execute("DELETE FROM bench_owners")
        cursor.execute("INSERT INTO bench_owners VALUES (%s, %s)", [applied, lead])
        cursor.execute("VACUUM ANALYZE")


SALES_TEAM = 10  # sales1 .. sales10; sales1 is the sales person timed
# Who owns what. "skewed": sales1 owns 1 lead in 100 of the smallest part of the list (the "tech"
# sector, a fifth of it), the only unassigned leads are there too, and one colleague owns 4 in 5
# of the rest: the other sectors hold no lead sales1 may see. "spread": the ten share the leads
# evenly and 1 in 11 is unassigned. Opportunities, contacts and companies follow the same shares,
# activities their lead's owner.
OWNERS = {
    "skewed": [
        "UPDATE leads SET assigned_to_id = CASE WHEN sector <> 'tech' THEN "
        "(CASE WHEN id % 5 = 0 THEN ({others})[1 + id % 9] ELSE {big} END) "
        # A sector is every fifth id (`fill`), so 1 in 100 of the sector is counted by id / 5.
        "WHEN id / 5 % 100 = 0 THEN {me} WHEN id / 5 % 100 = 1 THEN NULL ELSE ({others})[1 + id % 9] END",
        *(
            f"UPDATE {table} SET owner_id = CASE WHEN id % 100 = 0 THEN {{me}} ELSE {{big}} END"
            for table in ("crm_opportunity", "crm_contact", "crm_company")
        ),
    ],
    "spread": [
        "UPDATE leads SET assigned_to_id = CASE WHEN id % 11 = 0 THEN NULL ELSE ({team})[1 + id % 10] END",
        *(
            f"UPDATE {table} SET owner_id = ({{team}})[1 + id % 10]"
            for table in ("crm_opportunity", "crm_contact", "crm_company")
        ),
    ],
}
# Every page a sales person works in, timed as the superuser and as sales1: each list unfiltered
# and with its common filters, My day and a prospect's record page. A path, or the superuser's and
# the sales person's paths when the same page is asked differently (My day: the superuser looks at
# sales1's day). `{me}` is sales1's id, `{lead}` the worked prospect's (`worked_lead`), `{stage}`
# an opportunity stage's.
USER_PAGES: dict[str, str | tuple[str, str]] = {
    "prospects": OURS,
    "prospects, status": OURS + "?status__exact=GENERATED",
    "prospects, stage": OURS + "?stage__exact=ATTEMPTING",
    "prospects, sector": OURS + "?sector=food",
    "prospects, owner": OURS + "?assigned_to__id__exact={me}",
    "prospects, overdue": OURS + "?next_action_at_when=overdue",
    "prospects, search": OURS + "?q=cohen",
    "activities": "/admin/crm/activity/",
    "activities, open": "/admin/crm/activity/?open=yes",
    "activities, overdue": "/admin/crm/activity/?due_at_when=overdue",
    "activities, calls": "/admin/crm/activity/?kind__exact=call",
    "activities, owner": "/admin/crm/activity/?owner__id__exact={me}",
    "activities, search": "/admin/crm/activity/?q=deck",
    "opportunities": "/admin/crm/opportunity/",
    "opportunities, stage": "/admin/crm/opportunity/?stage__id__exact={stage}",
    "opportunities, owner": "/admin/crm/opportunity/?owner__id__exact={me}",
    "contacts": "/admin/crm/contact/",
    "contacts, language": "/admin/crm/contact/?language__exact=fr",
    "companies": "/admin/crm/company/",
    "companies, owner": "/admin/crm/company/?owner__id__exact={me}",
    "my day": ("/admin/crm/my-day/?owner={me}", "/admin/crm/my-day/"),
    "record page": "/admin/crm/lead/{lead}/change/",
}
RATIO_TARGET = 1.5  # issue 18: a sales person's p95 <= 1.5 x the superuser's, page by page
WORKED_EMAIL = "worked200@example.com"  # the prospect of the record page (`worked_lead`)


def worked_lead() -> int:
    """The id of a prospect with 200 activities and 5 requests (`bench/record_page.py`'s), made
    once in the database and kept for the next runs."""
    from crm.models import Lead

    found = Lead.objects.filter(email_key=WORKED_EMAIL).values_list("pk", flat=True).first()
    if found is not None:
        return found
    from bench.record_page import worked_prospect

    return worked_prospect(200, 5).pk


def user_paths(lead: int) -> dict[str, tuple[str, str]]:
    """{page: (the superuser's path, the sales person's path)} of `USER_PAGES`, ids filled in."""
    from django.contrib.auth import get_user_model

    from crm.models import OpportunityStage

    ids = {
        "me": get_user_model().objects.get(username="sales1").pk,
        "lead": lead,
        "stage": OpportunityStage.objects.order_by("order", "id").values_list("pk", flat=True).first(),
    }
    paths = {}
    for name, page in USER_PAGES.items():
        superuser, sales = page if isinstance(page, tuple) else (page, page)
        paths[name] = (superuser.format(**ids), sales.format(**ids))
    return paths


def pages(size: int, rng: random.Random) -> dict[str, object]:
    """Each page's query string; searches draw a new fragment each time (callables): a lead's whole
    address or its name part (one lead), a surname (1 lead in 48), a brand's number with a word
    (a few), a phone's last digits (a few)."""

    def number() -> int:
        return rng.randrange(size // 10, size - TEMPLATES)

    def local_part(g: int) -> str:
        first, last = FIRST_NAMES[g % len(FIRST_NAMES)], LAST_NAMES[(g // len(FIRST_NAMES)) % len(LAST_NAMES)]
        return f"{first}.{last}{g}"

    return {
        "unfiltered": "",
        "status=GENERATED": "?status__exact=GENERATED",
        "search email": lambda: f"?q={local_part(number())}",
        "search surname": lambda: f"?q={rng.choice(LAST_NAMES)}",
        "search brand": lambda: (
            f"?q={BRAND_WORDS[((g := number()) // len(BRAND_WORDS)) % len(BRAND_WORDS)]}+{g}"
        ),
        "search phone": lambda: "?q=" + f"{number() % 100_000_000:08d}"[-7:-1],
    }


def query(page: object) -> str:
    return page() if callable(page) else page  # type: ignore[operator]


def percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1] if len(values) > 1 else values[0]


def signed_in(session_key: str):
    from django.conf import settings
    from django.test import Client as DjangoClient

    client = DjangoClient()
    client.cookies[settings.SESSION_COOKIE_NAME] = session_key
    return client


def timed_views(client, path_for, repeat: int) -> tuple[float, float]:
    """(median ms, p95 ms) of `repeat` views of `path_for()`, after 3 to warm up (templates,
    connections, the planner's caches)."""
    for _ in range(3):
        client.get(path_for())
    times = []
    for _ in range(repeat):
        path = path_for()
        started = time.perf_counter()
        status = client.get(path).status_code
        times.append((time.perf_counter() - started) * 1000)
        if status != 200:
            raise SystemExit(f"GET {path} answered {status}")
    return statistics.median(times), percentile(times, 95)


def in_process(session_key: str, size: int, repeat: int) -> dict[str, dict[str, tuple[float, float]]]:
    """{page: {"ours"|"stock"|"dashboard": (median ms, p95 ms)}} from Django's test Client."""
    client = signed_in(session_key)
    rng = random.Random(size)
    results: dict[str, dict[str, tuple[float, float]]] = {}

    def timed(path_for) -> tuple[float, float]:
        return timed_views(client, path_for, repeat)

    for name, page in pages(size, rng).items():
        results[name] = {
            "ours": timed(lambda page=page: OURS + query(page)),
            "stock": timed(lambda page=page: STOCK + query(page)),
        }
    from crm.dashboard import clear_figures_cache

    def fresh_dashboard() -> str:
        clear_figures_cache()  # before the timer starts: the view computes every figure
        return "/admin/"

    results["dashboard, fresh"] = {"ours": timed(fresh_dashboard)}
    results["dashboard, cached"] = {"ours": timed(lambda: "/admin/")}
    return results


Timings = dict[str, dict[str, tuple[float, float]]]


def as_each_user(superuser_key: str, sales_key: str, repeat: int, lead: int) -> Timings:
    """{page: {"superuser"|"sales person": (median ms, p95 ms)}} for every page of `USER_PAGES`,
    the two users' views taking turns, one each (so a burst of load on the machine hits both alike:
    timed one user after the other, a page's ratio moved by 0.3-0.4 between runs of one code)."""
    clients = {"superuser": signed_in(superuser_key), "sales person": signed_in(sales_key)}
    results: Timings = {}
    for name, (superuser_path, sales_path) in user_paths(lead).items():
        paths = {"superuser": superuser_path, "sales person": sales_path}
        results[name] = timed_in_turns({user: (clients[user], paths[user]) for user in clients}, repeat)
    return results


def timed_in_turns(views: dict[str, tuple[object, str]], repeat: int) -> dict[str, tuple[float, float]]:
    """{name: (median ms, p95 ms)} of `repeat` views of each (client, path), the names taking turns
    view by view, after 3 of each to warm up."""
    times: dict[str, list[float]] = {name: [] for name in views}
    for turn in range(3 + repeat):
        for name, (client, path) in views.items():
            started = time.perf_counter()
            status = client.get(path).status_code
            if turn >= 3:
                times[name].append((time.perf_counter() - started) * 1000)
            if status != 200:
                raise SystemExit(f"GET {path} answered {status}")
    return {name: (statistics.median(values), percentile(values, 95)) for name, values in times.items()}


def through_gunicorn(
    env: dict[str, str], session_key: str, size: int, clients: int, duration: float
) -> dict[str, dict[str, tuple[float, float]]]:
    """{page: {"ours"|"stock": (p50 ms, p95 ms)}} with `clients` keep-alive clients per page."""
    port = int(env["PORT"])
    server = start_server(env, port, "igv_site.wsgi")
    rng = random.Random(size + 1)
    lock = threading.Lock()
    results: dict[str, dict[str, tuple[float, float]]] = {}
    try:

        def load(path_for) -> tuple[float, float]:
            latencies: list[float] = []
            failures: list[int] = []
            deadline = time.monotonic() + duration

            def run() -> None:
                client = Client(port, {"sessionid": session_key})
                for _ in range(MAX_REQUESTS_PER_PAGE):
                    if time.monotonic() >= deadline:
                        return
                    with lock:
                        path = path_for()
                    started = time.perf_counter()
                    status, _ = client.request("GET", path)
                    elapsed = (time.perf_counter() - started) * 1000
                    with lock:
                        (latencies if status == 200 else failures).append(
                            elapsed if status == 200 else status
                        )

            threads = [threading.Thread(target=run) for _ in range(clients)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(duration + 60)
            if failures or not latencies:
                raise SystemExit(f"{path_for()} failed: statuses {sorted(set(failures))}")
            return percentile(latencies, 50), percentile(latencies, 95)

        for name, page in pages(size, rng).items():
            results[name] = {
                "ours": load(lambda page=page: OURS + query(page)),
                "stock": load(lambda page=page: STOCK + query(page)),
            }
        results["dashboard, cached"] = {"ours": load(lambda: "/admin/")}
    finally:
        stop_server(server)
    return results


def report(title: str, results: dict[str, dict[str, dict[str, tuple[float, float]]]], labels: tuple) -> None:
    print(f"\n{title}")
    sizes = list(results)
    header = f"{'page':<18}" + "".join(
        f"{f'{size:,} ours':>16}{'stock':>10}{'ours/stock':>11}" for size in sizes
    )
    print(f"{header}   ({labels[0]}, ms; p95 in brackets)")
    for page in results[sizes[0]]:
        line = f"{page:<18}"
        for size in sizes:
            ours = results[size][page]["ours"]
            stock = results[size][page].get("stock")
            line += f"{ours[0]:>8.1f} [{ours[1]:>5.1f}]"
            line += f"{stock[0]:>10.1f}{ours[0] / stock[0]:>11.2f}" if stock else f"{'-':>10}{'-':>11}"
        print(line)
    if len(sizes) > 1:
        small, large = sizes[0], sizes[-1]
        print(f"flatness, {large:,} / {small:,} (ours, {labels[0]}):")
        for page in results[small]:
            print(f"  {page:<18}{results[large][page]['ours'][0] / results[small][page]['ours'][0]:>6.2f}")


def report_users(results: dict[int, dict[str, Timings]], repeat: int) -> None:
    """p95 as the superuser and as sales1, their ratio and PASS/FAIL against `RATIO_TARGET`, per
    page, size and owners."""
    print(f"\nAs the superuser and as a sales person (sales1), in one process, p95 of {repeat} views (ms)")
    columns = [(size, owners) for size in results for owners in results[size]]
    print(f"{'page':<24}" + "".join(f"{f'{size:,} {owners}':>32}" for size, owners in columns))
    print(f"{'':<24}" + f"{'super':>10}{'sales':>8}{'ratio':>8}{'':>6}" * len(columns))
    worst, failed = 0.0, []
    for page in USER_PAGES:
        line = f"{page:<24}"
        for size, owners in columns:
            superuser = results[size][owners][page]["superuser"][1]
            sales = results[size][owners][page]["sales person"][1]
            ratio = sales / superuser
            worst = max(worst, ratio)
            verdict = "PASS" if ratio <= RATIO_TARGET else "FAIL"
            if verdict == "FAIL":
                failed.append(f"{page} ({size:,} {owners})")
            line += f"{superuser:>10.1f}{sales:>8.1f}{ratio:>8.2f}{verdict:>6}"
        print(line)
    print(f"worst ratio, sales person / superuser (p95): {worst:.2f} (target <= {RATIO_TARGET})")
    print("FAIL: " + ", ".join(failed) if failed else f"PASS: every page, {len(columns)} distribution(s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000", help="lead counts, comma-separated")
    parser.add_argument("--repeat", type=int, default=30, help="views per page in process")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per page through gunicorn")
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--port", type=int, default=8093)
    parser.add_argument("--no-http", action="store_true", help="in process only")
    parser.add_argument("--no-stock", action="store_true", help="only the lists as each user")
    parser.add_argument(
        "--keep-database",
        action="store_true",
        help="time the database an earlier run filled (one size) instead of filling it again",
    )
    parser.add_argument("--owners", default=",".join(OWNERS), help="distributions of owners, comma-separated")
    parser.add_argument(
        "--pages",
        default="",
        help="only the pages of USER_PAGES whose name starts with one of these, comma-separated",
    )
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/igv_bench_prospects")
    options = parser.parse_args()
    sizes = [int(size) for size in options.sizes.split(",")]
    if not all(TEMPLATES < size <= 5_000_000 for size in sizes):
        parser.error(f"each size must be in ({TEMPLATES}, 5000000]")
    if not 0 < options.repeat <= 1000 or not 0 < options.duration <= 120 or not 0 < options.clients <= 16:
        parser.error("--repeat in (0, 1000], --duration in (0, 120], --clients in (0, 16]")
    if options.keep_database and len(sizes) != 1:
        parser.error("--keep-database times one size, the one the database holds")
    if options.pages:
        prefixes = tuple(prefix.strip() for prefix in options.pages.split(",") if prefix.strip())
        for name in [name for name in USER_PAGES if not name.startswith(prefixes)]:
            del USER_PAGES[name]
    distributions = [owners for owners in options.owners.split(",") if owners]
    if not set(distributions) <= set(OWNERS):
        parser.error(f"--owners among {', '.join(OWNERS)}")

    in_process_results, http_results, user_results = {}, {}, {}
    with tempfile.TemporaryDirectory() as media_root:
        env = environment(options.database_url, "dbcache://django_cache", media_root, port=options.port)
        os.environ.update(env)
        os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1"
        warnings.filterwarnings("ignore", message="No directory at")
        # The application loaded as gunicorn loads it (Django set up, start-up's objects frozen).
        import igv_site.wsgi  # noqa: F401

        # isort: split
        from django.db import connections

        for size in sizes:
            connections.close_all()
            if options.keep_database:
                # The schema of this branch (a new index is built on the kept rows).
                subprocess.run(
                    [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=BASE_DIR, env=env, check=True
                )
                session_key, sales_key = signed_in_sessions()
            else:
                recreate_database(options.database_url)
                started = time.perf_counter()
                print(f"Filling {size:,} leads ...", flush=True)
                session_key, sales_key = fill(env, size)
                print(f"  filled in {time.perf_counter() - started:.0f} s", flush=True)
            if not options.no_stock:
                in_process_results[size] = in_process(session_key, size, options.repeat)
                connections.close_all()
                if not options.no_http:
                    http_results[size] = through_gunicorn(
                        env, session_key, size, options.clients, options.duration
                    )
            user_results[size] = {}
            lead = worked_lead() if distributions else None
            for owners in distributions:
                started = time.perf_counter()
                distribute(owners, lead)
                print(f"  {owners} owners in {time.perf_counter() - started:.0f} s", flush=True)
                user_results[size][owners] = as_each_user(session_key, sales_key, options.repeat, lead)
                report_users({size: {owners: user_results[size][owners]}}, options.repeat)

    if in_process_results:
        report(f"In one process, median of {options.repeat} views", in_process_results, ("median",))
    if http_results:
        report(
            f"Through gunicorn, {options.clients} clients x {options.duration:.0f} s per page",
            http_results,
            ("p50",),
        )
    if user_results and distributions:
        report_users(user_results, options.repeat)


if __name__ == "__main__":
    main()

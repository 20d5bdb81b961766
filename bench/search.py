"""The header's search and the lists' searches at scale, on PostgreSQL, timed in one process.

One database holds `--leads` prospects (1 000 000), `--contacts` contacts (200 000), `--companies`
companies (50 000) and `--opportunities` opportunities (50 000), written by set-based
`INSERT … SELECT`s (as `bench/prospects.py` does) with accented brands and names ("Maison
Lumière", "Léa") and E.164 phones. A third of the records are a sales person's, a third another's,
a third nobody's (or the manager's). Each page is viewed `--repeat` times with Django's test
Client (no HTTP), as the manager (a superuser, no visibility filter) and as the sales person, a
new fragment drawn for each view:

- the header search (`/admin/search/?q=…`) for a phone fragment in national form (`052-345-6`), an
  unaccented brand fragment (`lumiere`) and an email fragment (`cohen1234`);
- the prospects' and contacts' list searches for the same, and for an E.164 fragment and an
  exactly accented brand fragment (`Lumière`).

Target (issue 21): the header search p95 <= 50 ms in process at this scale; the lists' searches
stay within 50 ms.

    .venv/bin/python bench/search.py [--leads 1000000] [--repeat 30] [--reuse] [--pages header]

Loopback only; every loop is bounded.
"""

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from urllib.parse import urlencode

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench.load import environment, recreate_database, signed_in_session  # noqa: E402

TEMPLATES = 180  # distinct (status, source, language, sector) leads the bulk insert copies from
FIRST_NAMES = [
    "Léa",
    "Hélène",
    "José",
    "Zoé",
    "Chloé",
    "Inès",
    "Noémie",
    "Raphaël",
    "Noa",
    "David",
    "Maya",
    "Yosef",
    "Tamar",
    "Daniel",
    "Ariel",
    "Shira",
    "Eitan",
    "Hugo",
    "Louis",
    "Anaïs",
]
LAST_NAMES = [
    "Cohen",
    "Lévi",
    "Mizrahi",
    "Peretz",
    "Biton",
    "Dahan",
    "Friedman",
    "Azoulay",
    "Katz",
    "Martin",
    "Bernard",
    "Dubois",
    "Lefèvre",
    "Moreau",
    "Girard",
    "Mercier",
    "Dupont",
    "Benoît",
    "François",
    "Müller",
    "Smith",
    "Jones",
]
BRAND_WORDS = [
    "Maison",
    "Lumière",
    "Étoile",
    "Café",
    "Crème",
    "Château",
    "Forêt",
    "Île",
    "Hôtel",
    "Bien-être",
    "Atelier",
    "Studio",
    "Boulangerie",
    "Jardin",
    "Soleil",
    "Marine",
    "Royal",
    "Petit",
    "Grand",
    "Green",
    "Urban",
    "Nova",
    "Ocean",
    "Cedar",
    "Olive",
    "Lotus",
    "Bright",
    "Fresh",
    "Golden",
    "Vision",
    "Craft",
    "Market",
    "Garden",
    "Kitchen",
    "Design",
    "Digital",
    "Beauté",
    "Santé",
    "Shalom",
    "Tikva",
    "Kesem",
    "Yam",
    "Délice",
    "Saveur",
    "Épicerie",
    "Fromagerie",
    "Pâtisserie",
]
DOMAINS = ["gmail.com", "outlook.com", "yahoo.fr", "walla.co.il", "orange.fr", "icloud.com", "proton.me"]

FILL_SCRIPT = """
import itertools
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from crm.models import Lead, Source
from mini_analysis.models import Language, Status

User = get_user_model()
manager = User.objects.create_superuser("bench", "bench@example.com", "unused-password-123")
seller = User.objects.create_user("seller", "seller@example.com", "unused-password-123", is_staff=True)
other = User.objects.create_user("other", "other@example.com", "unused-password-123", is_staff=True)
for user in (seller, other):
    user.groups.add(Group.objects.get(name="Sales"))
sectors = ["retail", "food", "tech", "health", "fashion"]
combinations = itertools.product(Status.values, Source.values, Language.values, sectors)
for number, (status, source, language, sector) in enumerate(combinations, start=1):
    Lead.objects.create(email=f"template{{number}}@example.invalid", brand_name=f"Template {{number}}",
        phone="+972502345678", status=status, source=source, language=language, sector=sector)
first, last, words, domains = "(ARRAY[{first}])", "(ARRAY[{last}])", "(ARRAY[{words}])", "(ARRAY[{domains}])"
name = f"{{first}}[1 + g % {n_first}] || ' ' || {{last}}[1 + (g / {n_first}) % {n_last}]"
first_ascii = f"lower(unaccent_ascii({{first}}[1 + g % {n_first}]))"
last_ascii = f"lower(unaccent_ascii({{last}}[1 + (g / {n_first}) % {n_last}]))"
local = f"{{first_ascii}} || '.' || {{last_ascii}} || g"
email = f"{{local}} || '@' || {{domains}}[1 + (g / 2000) % {n_domains}]"
brand = f"{{words}}[1 + g % {n_words}] || ' ' || {{words}}[1 + (g / {n_words}) % {n_words}] || ' ' || g"
phone = "'+9725' || lpad(((g::bigint * 7919) % 100000000)::text, 8, '0')"
owner = f"(ARRAY[{{seller.pk}}, {{other.pk}}, NULL])[1 + g % 3]"
columns = [f.column for f in Lead._meta.concrete_fields if not f.primary_key and not f.generated]
generated = {{
    "email": email, "email_key": email, "brand_name": brand, "brand_key": f"lower({{brand}})",
    "phone": phone, "assigned_to_id": owner, "legacy_id": "NULL",
    "created_at": "now() - g * interval '1 minute'", "updated_at": "now() - g * interval '1 minute'",
}}
selected = ", ".join(generated.get(column, f"t.{{column}}") for column in columns)
with connection.cursor() as cursor:
    # Emails are ASCII: the accents of the names are dropped for them only (this bench's helper).
    cursor.execute("CREATE FUNCTION unaccent_ascii(text) RETURNS text LANGUAGE sql IMMUTABLE AS "
                   "$$ SELECT translate($1, 'éèêëàâäîïôöùûüçÉÈ', 'eeeeaaaiioouuucEE') $$")
    cursor.execute("CREATE TEMP TABLE bench_templates AS "
                   "SELECT *, row_number() OVER (ORDER BY id) - 1 AS slot FROM leads")
    cursor.execute(f"INSERT INTO leads ({{', '.join(columns)}}) SELECT {{selected}} "
                   f"FROM generate_series(1, {leads} - {templates}) AS g "
                   f"JOIN bench_templates AS t ON t.slot = g % {templates}")
    cursor.execute(
        "INSERT INTO crm_company (name, brand_key, sector, website, country, owner_id, created_at, "
        "updated_at) "
        f"SELECT {{brand}}, lower({{brand}}), 'retail', '', '', {{owner}}, now(), now() "
        f"FROM generate_series(1, {companies}) AS g")
    cursor.execute(
        "INSERT INTO crm_contact (email, email_key, first_name, last_name, phone, language, company_id, "
        f"owner_id, created_at, updated_at) SELECT {{email}}, {{email}}, split_part({{name}}, ' ', 1), "
        f"substr({{name}}, length(split_part({{name}}, ' ', 1)) + 2), {{phone}}, 'fr', "
        f"(SELECT min(id) FROM crm_company) + g % {companies}, {{owner}}, "
        "now() - g * interval '1 minute', now() "
        f"FROM generate_series(1, {contacts}) AS g")
    cursor.execute(
        "INSERT INTO crm_opportunity (name, amount, currency, next_step, closing_reason, stage_entered_at, "
        "created_at, updated_at, company_id, contact_id, owner_id, stage_id) "
        f"SELECT {{brand}}, 1000 + g % 9000, 'EUR', '', '', now(), now() - g * interval '1 minute', now(), "
        f"(SELECT min(id) FROM crm_company) + g % {companies}, "
        f"(SELECT min(id) FROM crm_contact) + g % {contacts}, "
        f"{{owner}}, (ARRAY(SELECT id FROM crm_opportunitystage ORDER BY id))[1 + g % 6] "
        f"FROM generate_series(1, {opportunities}) AS g")
    cursor.execute("VACUUM ANALYZE")
"""


def sql_words(words: list[str]) -> str:
    return ", ".join("'" + word.replace("'", "''") + "'" for word in words)


def fill(env: dict[str, str], options) -> None:
    """Migrate, then the records (set-based)."""
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v", "0"], cwd=BASE_DIR, env=env, check=True)
    subprocess.run([*manage, "createcachetable"], cwd=BASE_DIR, env=env, check=True)
    script = FILL_SCRIPT.format(
        leads=options.leads,
        companies=options.companies,
        contacts=options.contacts,
        opportunities=options.opportunities,
        templates=TEMPLATES,
        first=sql_words(FIRST_NAMES),
        last=sql_words(LAST_NAMES),
        words=sql_words(BRAND_WORDS),
        domains=sql_words(DOMAINS),
        n_first=len(FIRST_NAMES),
        n_last=len(LAST_NAMES),
        n_words=len(BRAND_WORDS),
        n_domains=len(DOMAINS),
    )
    done = subprocess.run(
        [*manage, "shell", "-c", script], cwd=BASE_DIR, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"filling the database failed:\n{done.stderr}")


def sign_in(username: str) -> str:
    """A session of this user (made in this process: its signature is this run's SECRET_KEY)."""
    from django.contrib.auth import get_user_model

    return signed_in_session(get_user_model().objects.get(username=username))


def queries(options, rng: random.Random) -> dict[str, object]:
    """What people type, a new one each view (callables)."""
    import unicodedata

    def unaccented(text: str) -> str:
        return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))

    def stored_phone() -> str:
        g = rng.randrange(1, options.leads - TEMPLATES)
        return f"+9725{(g * 7919) % 100_000_000:08d}"

    def national_fragment() -> str:  # "052-345-6": the trunk prefix, 7 digits, dashes
        digits = "0" + stored_phone()[4:]
        return f"{digits[:3]}-{digits[3:6]}-{digits[6]}"

    def email_fragment() -> str:
        g = rng.randrange(1, options.contacts)
        last = LAST_NAMES[(g // len(FIRST_NAMES)) % len(LAST_NAMES)]
        return unaccented(last).lower() + str(g)

    accented = [word for word in BRAND_WORDS if unaccented(word) != word]
    return {
        "phone, national fragment": national_fragment,
        "brand, unaccented": lambda: unaccented(rng.choice(accented)).lower(),
        "email fragment": email_fragment,
        "phone, E.164 fragment": lambda: stored_phone()[:9],
        "brand, as accented": lambda: rng.choice(accented),
    }


PAGES = {
    "header": ("/admin/search/", ["phone, national fragment", "brand, unaccented", "email fragment"]),
    "prospects list": ("/admin/crm/lead/", None),
    "contacts list": ("/admin/crm/contact/", None),
}


def percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1] if len(values) > 1 else values[0]


def timed(client, path_for, repeat: int) -> tuple[float, float]:
    for _ in range(3):  # warm up: templates, connections, the planner's caches
        client.get(path_for())
    times = []
    for _ in range(repeat):
        path = path_for()
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"GET {path} answered {response.status_code}")
    return percentile(times, 50), percentile(times, 95)


def against_icontains(drawn: dict, repeat: int) -> None:
    """The prospects list's queries (a page of 51, newest first, and its count up to 10 000) as
    `crm.search` writes them and as Django's `icontains` on the same fields did before it,
    interleaved, so a loaded machine slows both alike."""
    from django.db.models import Q

    from crm import search
    from crm.models import Lead

    def page_and_count(queryset) -> None:
        list(queryset[:51])
        queryset.order_by()[:10_001].count()

    def old(query: str):
        condition = Q()
        for term in query.split():
            condition &= Q(email__icontains=term) | Q(brand_name__icontains=term) | Q(phone__icontains=term)
        return Lead.objects.filter(condition)

    print(f"\nThe prospects list's queries, {repeat} each, p50 [p95] ms: crm.search against icontains")
    for name, draw in drawn.items():
        times: dict[str, list[float]] = {"ours": [], "icontains": []}
        for _ in range(repeat):
            query = draw()
            for label, queryset in (
                ("ours", Lead.objects.filter(search.matching(Lead, query))),
                ("icontains", old(query)),
            ):
                started = time.perf_counter()
                page_and_count(queryset)
                times[label].append((time.perf_counter() - started) * 1000)
        line = f"{name:<28}"
        for label in ("ours", "icontains"):
            line += f"{percentile(times[label], 50):>10.1f} [{percentile(times[label], 95):>6.1f}]"
        print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--contacts", type=int, default=200_000)
    parser.add_argument("--companies", type=int, default=50_000)
    parser.add_argument("--opportunities", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=30, help="views per page and query")
    parser.add_argument("--reuse", action="store_true", help="keep the filled database of an earlier run")
    parser.add_argument("--compare-only", action="store_true", help="only crm.search against icontains")
    parser.add_argument(
        "--pages", nargs="+", choices=list(PAGES), default=list(PAGES), help="the pages timed"
    )
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/igv_bench_search")
    options = parser.parse_args()
    sizes = [options.leads, options.contacts, options.companies, options.opportunities]
    if not TEMPLATES < options.leads <= 5_000_000 or not all(0 < size <= 5_000_000 for size in sizes):
        parser.error(f"--leads in ({TEMPLATES}, 5000000], the others in (0, 5000000]")
    if not 0 < options.repeat <= 1000:
        parser.error("--repeat in (0, 1000]")

    with tempfile.TemporaryDirectory() as media_root:
        env = environment(options.database_url, "dbcache://django_cache", media_root, port=0)
        os.environ.update(env)
        os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1"
        warnings.filterwarnings("ignore", message="No directory at")
        # The application loaded as gunicorn loads it (Django set up, start-up's objects frozen).
        import igv_site.wsgi  # noqa: F401

        # isort: split
        from django.conf import settings
        from django.test import Client

        started = time.perf_counter()
        if not options.reuse:
            recreate_database(options.database_url)
            print(
                f"Filling {options.leads:,} leads, {options.contacts:,} contacts, {options.companies:,} "
                f"companies, {options.opportunities:,} opportunities ...",
                flush=True,
            )
            fill(env, options)
            print(f"  filled in {time.perf_counter() - started:.0f} s", flush=True)
        manager, seller = sign_in("bench"), sign_in("seller")

        rng = random.Random(1)
        drawn = queries(options, rng)
        if options.compare_only or options.pages == list(PAGES):
            against_icontains(queries(options, random.Random(2)), options.repeat)
        if options.compare_only:
            return
        print(f"\nIn one process, {options.repeat} views each: p50 [p95] ms")
        print(f"{'page':<16}{'query':<28}{'manager':>18}{'sales person':>18}")
        for page in options.pages:
            path, names = PAGES[page]
            for name in names or list(drawn):
                line = f"{page:<16}{name:<28}"
                for session in (manager, seller):
                    client = Client()
                    client.cookies[settings.SESSION_COOKIE_NAME] = session
                    draw = drawn[name]
                    p50, p95 = timed(
                        client,
                        lambda path=path, draw=draw: f"{path}?{urlencode({'q': draw()})}",
                        options.repeat,
                    )
                    line += f"{p50:>10.1f} [{p95:>5.1f}]"
                print(line, flush=True)


if __name__ == "__main__":
    main()

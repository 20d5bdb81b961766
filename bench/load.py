"""Load benchmark: gunicorn on 127.0.0.1, a bounded number of clients for a bounded time.

Measures, in one run against the same gunicorn (2 workers, PostgreSQL):
- `/bench/ping`, a trivial Django view: the baseline;
- the public form's POST (`/mini-analysis/`, a new request, its lead and its generation job each
  time; the generation itself runs in a worker, not started here);
- the same POST served by `bench/floor_wsgi.py` (a second gunicorn, same settings): validation and
  the same rows, no job;
- the prospects changelist (`/admin/crm/lead/`) with 100 000 leads, as a logged-in superuser.
Prints requests per second and p50/p95/p99 latency of each, and the ratios.
Target (issue 10): form POST throughput >= 0.8 x the floor POST's. The earlier targets (POST >= 40%
of the trivial view, changelist p95 <= 10x) are withdrawn; their ratios are still printed.

    .venv/bin/python bench/load.py [--duration 10] [--clients 4] [--leads 100000] [--cache-url URL] [--floor]

`--floor` serves `bench/floor_wsgi.py` instead: the POST without generation and PDF, the changelist
with one lead per page. It measures the part of each ratio that no such redesign removes.

Loopback only; every loop is bounded in count and time, and the server is stopped at the end.
"""

import argparse
import http.client
import os
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
MAX_REQUESTS_PER_SCENARIO = 200_000
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class Result:
    name: str
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    failures: dict[int, int] = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if len(self.latencies) < 2:
            return float("nan")
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[int(p) - 1] * 1000


def environment(database_url: str, cache_url: str, media_root: str, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": HOST,
        "DATABASE_URL": database_url,
        "CACHE_URL": cache_url,
        "MEDIA_ROOT": media_root,
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "STATICFILES_STORAGE": "django.contrib.staticfiles.storage.StaticFilesStorage",
        "MINI_ANALYSIS_GENERATOR": "offline",
        # One client address sends every request here: lift the per-address form limit.
        "MINI_ANALYSIS_RATE_LIMIT": "1000000/1s",
        "HOST": HOST,
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "LOG_LEVEL": "WARNING",
    }


def recreate_database(database_url: str) -> None:
    """A fresh database for the run (PostgreSQL: drop and create it through the `postgres` one)."""
    import psycopg

    url = urllib.parse.urlparse(database_url)
    name = url.path.lstrip("/")
    admin_url = url._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def signed_in_session(user) -> str:
    """The key of a new session of `user`, as a sign-in makes it (`igv_site.auth_backends`), for a
    bench's client to send as its cookie. Made in the process that serves it: its signature is
    that run's SECRET_KEY."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "igv_site.auth_backends.ModelBackendInOneQuery"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


def prepare(env: dict[str, str], leads: int) -> str:
    """Migrate, create the cache table, a superuser and `leads` leads; return a session cookie."""
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v", "0"], cwd=BASE_DIR, env=env, check=True)
    subprocess.run([*manage, "createcachetable"], cwd=BASE_DIR, env=env, check=True)
    script = f"""
import datetime, random
from django.contrib.auth import get_user_model
from django.utils import timezone
from bench.load import signed_in_session
from crm.models import Lead, Source
from mini_analysis.keys import identity_key
user = get_user_model().objects.create_superuser("bench", "bench@example.com", "unused-password-123")
rng = random.Random(1)
now = timezone.now()
statuses = ["NEW", "GENERATED", "QUOTA_BLOCKED", "ERROR"]
sources = [Source.MINI_ANALYSIS, Source.MIGRATION, Source.MANUAL]
batch = []
for i in range({leads}):
    email, brand = f"client{{i}}@example.com", f"Brand {{i}}"
    email_key, brand_key = identity_key(email, brand)
    batch.append(Lead(email=email, brand_name=brand, email_key=email_key, brand_key=brand_key,
        phone="+972502345678", sector=rng.choice(["Retail", "Fashion", "Food", "Health", "Other"]),
        language=rng.choice(["fr", "en", "he"]), status=rng.choice(statuses), source=rng.choice(sources),
        created_at=now - datetime.timedelta(minutes=i)))
    if len(batch) == 5000:
        Lead.objects.bulk_create(batch); batch = []
Lead.objects.bulk_create(batch)
# What autovacuum does to a table in production: planner statistics and the visibility map.
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("VACUUM ANALYZE leads")
print(signed_in_session(user))
"""
    done = subprocess.run(
        [*manage, "shell", "-c", script], cwd=BASE_DIR, env=env, check=True, capture_output=True, text=True
    )
    return done.stdout.strip().splitlines()[-1]


def start_server(env: dict[str, str], port: int, app: str) -> subprocess.Popen:
    # No access log: writing a line per request would be measured too. Errors go to a file shown on failure.
    errors = tempfile.NamedTemporaryFile("w+", prefix="gunicorn-", suffix=".log", delete=False)  # noqa: SIM115
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            app,
            "-c",
            "gunicorn.conf.py",
            "--access-logfile",
            "/dev/null",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=errors,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=2)
            connection.request("GET", "/bench/ping")
            if connection.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    stop_server(server)
    raise SystemExit(f"gunicorn did not start within 30 s; its log: {errors.name}")


def stop_server(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)


class Client:
    """One keep-alive connection with its cookies."""

    def __init__(self, port: int, cookies: dict[str, str] | None = None) -> None:
        self.connection = http.client.HTTPConnection(HOST, port, timeout=30)
        self.cookies = dict(cookies or {})

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, str]:
        headers = {
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
            "Referer": f"http://{HOST}/",
        }
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response.status, text


def run_scenario(name: str, make_step, clients: int, duration: float, expected: int = 200) -> Result:
    """`make_step(index)` returns a callable doing one request and returning its status. Only the
    `expected` status counts as a success: a form re-shown with errors (200 instead of the 302 of a
    stored request) is a failure, not a fast answer."""
    result = Result(name)
    lock = threading.Lock()
    steps = [make_step(index) for index in range(clients)]
    stop_at = time.monotonic() + duration
    budget = MAX_REQUESTS_PER_SCENARIO // clients

    def worker(step) -> None:
        for _ in range(budget):
            if time.monotonic() >= stop_at:
                return
            started = time.perf_counter()
            status = step()
            elapsed = time.perf_counter() - started
            with lock:
                if status == expected:
                    result.latencies.append(elapsed)
                else:
                    result.failures[status] = result.failures.get(status, 0) + 1

    threads = [threading.Thread(target=worker, args=(step,)) for step in steps]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.monotonic() - started
    return result


def ping_step(port: int):
    def make(index: int):
        client = Client(port)
        return lambda: client.request("GET", "/bench/ping")[0]

    return make


def submission(visitor: str) -> dict[str, str]:
    """A valid form submission of a new person and brand: stored, so answered 302 (the phone is one
    phonenumbers accepts; with an invalid one the form would be shown again, not measured)."""
    return {
        "email": f"visitor-{visitor}@example.com",
        "phone": "+972502345678",
        "brand_name": f"Load Brand {visitor}",
        "sector": "retail",
        "consent": "on",
    }


def form_step(port: int):
    def make(index: int):
        client = Client(port)
        status, page = client.request("GET", "/fr/mini-analysis/")
        match = CSRF_INPUT.search(page)
        if status != 200 or match is None:
            raise SystemExit(f"the form page did not load ({status})")
        token = match.group(1)
        counter = iter(range(MAX_REQUESTS_PER_SCENARIO))

        def step() -> int:
            number = next(counter)
            body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, **submission(f"{index}-{number}")})
            return client.request("POST", "/fr/mini-analysis/", body)[0]

        return step

    return make


def changelist_step(port: int, session_key: str):
    def make(index: int):
        client = Client(port, {"sessionid": session_key})
        return lambda: client.request("GET", "/admin/crm/lead/")[0]

    return make


def report(results: list[Result]) -> None:
    print(
        f"{'scenario':<28}{'requests':>10}{'req/s':>10}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}  failures"
    )
    for result in results:
        print(
            f"{result.name:<28}{len(result.latencies):>10}{result.rps:>10.1f}{result.percentile(50):>10.1f}"
            f"{result.percentile(95):>10.1f}{result.percentile(99):>10.1f}  {result.failures or '-'}"
        )
    baseline, form, changelist, *floor = results
    throughput = form.rps / baseline.rps
    latency = changelist.percentile(95) / baseline.percentile(95)
    if floor:
        print(f"form POST throughput / floor POST: {form.rps / floor[0].rps:.2f} (target >= 0.80)")
    print(f"form POST throughput / trivial view: {throughput:.2f} (withdrawn target >= 0.40)")
    print(f"changelist p95 / trivial view p95: {latency:.1f}x (withdrawn target <= 10x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per scenario")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients")
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--port", type=int, default=8799)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/igv_bench_load")
    # The project's default cache; `redis://127.0.0.1:6379/14` measures the Redis deployment.
    parser.add_argument("--cache-url", default="dbcache://django_cache")
    parser.add_argument(
        "--floor", action="store_true", help="no generation or PDF, one lead per page (bench/floor_wsgi.py)"
    )
    options = parser.parse_args()
    if not 0 < options.duration <= 120 or not 0 < options.clients <= 64:
        parser.error("--duration must be in (0, 120] and --clients in (0, 64]")

    with tempfile.TemporaryDirectory() as media_root:
        env = environment(options.database_url, options.cache_url, media_root, options.port)
        recreate_database(options.database_url)
        print(f"Preparing {options.leads} leads ...", flush=True)
        session_key = prepare(env, options.leads)
        app = "bench.floor_wsgi" if options.floor else "igv_site.wsgi"
        server = start_server(env, options.port, app)
        try:
            results = [
                run_scenario(
                    "trivial view (baseline)", ping_step(options.port), options.clients, options.duration
                ),
                run_scenario(
                    "form POST", form_step(options.port), options.clients, options.duration, expected=302
                ),
                run_scenario(
                    f"changelist, {options.leads} leads",
                    changelist_step(options.port, session_key),
                    options.clients,
                    options.duration,
                ),
            ]
        finally:
            stop_server(server)
        if not options.floor:
            floor = start_server(env, options.port, "bench.floor_wsgi")
            try:
                results.append(
                    run_scenario(
                        "floor form POST", form_step(options.port), options.clients, options.duration, 302
                    )
                )
            finally:
                stop_server(floor)
    clients, seconds = options.clients, options.duration
    print(f"gunicorn 2 workers on {HOST}:{options.port}, {clients} clients, {seconds:.0f} s each")
    print(f"cache: {options.cache_url}")
    if options.floor:
        print(
            "FLOOR RUN (bench/floor_wsgi.py): POST without generation or PDF, changelist of 1 lead per page"
        )
    report(results)


if __name__ == "__main__":
    main()

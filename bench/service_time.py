"""Service time: what one page view costs the application alone, inside one process.

The load benchmark (`bench/load.py`) measures through gunicorn and HTTP, with the clients and
PostgreSQL on the same cores; this one calls Django's test Client in a loop, so it shows where
the load benchmark's ratios come from. Same settings and data (PostgreSQL, 100 000 leads, the
offline generator, the rate limit lifted), one after the other:
- the trivial view `/bench/ping`;
- the form POST (a new request, its lead and its generation job each time, generation itself
  being a worker's; every answer must be the 302 of a stored request);
- the prospects changelist, 50 leads a page (the product), and the admin index;
then the floor of `bench/floor_wsgi.py`: the POST without the generation job, the changelist with
one lead per page. Prints the mean milliseconds per request and the ratio to the trivial view.

    .venv/bin/python bench/service_time.py [--repeat 200] [--leads 100000] [--cache-url URL]
"""

import argparse
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench.load import environment, prepare, recreate_database, submission  # noqa: E402


def mean_ms(step, repeat: int, expected: int) -> float:
    for index in range(min(10, repeat)):  # warm up: templates, connections, caches
        step(-1 - index, expected)
    started = time.perf_counter()
    for index in range(repeat):
        step(index, expected)
    return (time.perf_counter() - started) / repeat * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200, help="requests per measurement")
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/igv_bench_load")
    parser.add_argument("--cache-url", default="dbcache://django_cache")
    options = parser.parse_args()
    if not 0 < options.repeat <= 10_000:
        parser.error("--repeat must be in (0, 10000]")

    with tempfile.TemporaryDirectory() as media_root:
        env = environment(options.database_url, options.cache_url, media_root, port=0)
        recreate_database(options.database_url)
        print(f"Preparing {options.leads} leads ...", flush=True)
        session_key = prepare(env, options.leads)
        os.environ.update(env)
        os.environ["ALLOWED_HOSTS"] = "testserver"
        # No collectstatic here: whitenoise's warning about the missing STATIC_ROOT is expected.
        warnings.filterwarnings("ignore", message="No directory at")
        import django

        django.setup()
        from django.conf import settings
        from django.test import Client

        visitor, staff = Client(), Client()
        staff.cookies[settings.SESSION_COOKIE_NAME] = session_key
        run = str(time.time_ns())

        def get(client: Client, path: str):
            def step(index: int, expected: int) -> None:
                status = client.get(path).status_code
                if status != expected:
                    raise SystemExit(f"GET {path} answered {status}, not {expected}")

            return step

        def post(index: int, expected: int) -> None:
            status = visitor.post("/fr/mini-analysis/", submission(f"{run}-{index}")).status_code
            if status != expected:
                raise SystemExit(f"the form POST answered {status}, not {expected}")

        repeat = options.repeat
        rows = [
            ("trivial view (baseline)", mean_ms(get(visitor, "/bench/ping"), repeat, 200)),
            ("form POST", mean_ms(post, repeat, 302)),
            ("changelist, 50 leads a page", mean_ms(get(staff, "/admin/crm/lead/"), repeat // 4 or 1, 200)),
            ("admin index", mean_ms(get(staff, "/admin/"), repeat, 200)),
        ]
        from bench.floor_wsgi import leave_out_what_a_redesign_could_move

        leave_out_what_a_redesign_could_move()
        run = f"{run}-floor"
        rows += [
            ("floor: POST, no job", mean_ms(post, repeat, 302)),
            ("floor: changelist, 1 lead", mean_ms(get(staff, "/admin/crm/lead/"), repeat // 4 or 1, 200)),
        ]

    baseline = rows[0][1]
    print(f"in one process, {options.leads} leads, cache {options.cache_url}, mean of {repeat} requests")
    print(f"{'request':<34}{'ms':>8}{'x trivial':>11}")
    for name, ms in rows:
        print(f"{name:<34}{ms:>8.2f}{ms / baseline:>11.1f}")


if __name__ == "__main__":
    main()

"""Slow generator benchmark: the visitor never waits on the generator, the sales team never stalls.

One run, PostgreSQL, the project's gunicorn.conf.py (WEB_CONCURRENCY workers x GUNICORN_THREADS):
1. idle: the job workers (`manage.py run_worker`, `--workers`) wait for jobs; one sales person
   reloads the prospects page (`/admin/crm/lead/`) alone for `--idle` s;
2. load: `--visitors` visitors post the form for `--duration` s (arrivals spread over a pause, then
   each waits `--pause` s between two posts, as a person would), while the same sales person keeps
   reloading the prospects page;
3. drain: wait until every stored request is GENERATED (bounded by `--drain-timeout`).
The generator is the offline one made to take `--seconds` s (`bench.generators`).

Reports POST p50/p95, the prospects page p95 idle and under load, the time from the last POST until
every request is GENERATED against 1.5 x (N x S / workers), and checks that no request was lost
(every 302 stored) or generated twice (one attempt each).

    .venv/bin/python bench/slow_generation.py [--seconds 3] [--visitors 16] [--duration 20] [--workers 2]
"""

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.load import (
    BASE_DIR,
    CSRF_INPUT,
    Client,
    Result,
    environment,
    prepare,
    recreate_database,
    start_server,
    stop_server,
    submission,
)


def start_workers(env: dict[str, str], count: int, log_dir: str) -> list[subprocess.Popen]:
    workers = []
    for number in range(count):
        log = open(Path(log_dir) / f"worker-{number}.log", "w")  # noqa: SIM115 - closed with the process
        command = [sys.executable, "manage.py", "run_worker", "--queue-name", "*", "--no-reload"]
        workers.append(
            subprocess.Popen(
                [*command, "--interval", "0.1"],
                cwd=BASE_DIR,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
    return workers


def stop_workers(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        os.killpg(worker.pid, signal.SIGTERM)
    for worker in workers:
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)


def sales_person(port: int, session_key: str, result: Result, stop: threading.Event) -> None:
    client = Client(port, {"sessionid": session_key})
    started = time.monotonic()
    while not stop.is_set():
        began = time.perf_counter()
        status, _ = client.request("GET", "/admin/crm/lead/")
        elapsed = time.perf_counter() - began
        if status == 200:
            result.latencies.append(elapsed)
        else:
            result.failures[status] = result.failures.get(status, 0) + 1
    result.seconds = time.monotonic() - started


def visitor(
    port: int, index: int, visitors: int, until: float, pause: float, result: Result, lock, posts: list
) -> None:
    client = Client(port)
    status, page = client.request("GET", "/fr/mini-analysis/")
    match = CSRF_INPUT.search(page)
    if status != 200 or match is None:
        raise SystemExit(f"the form page did not load ({status})")
    time.sleep(pause * index / visitors)  # arrivals spread over a pause, not all at one instant
    number = 0
    while time.monotonic() < until:
        body = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": match.group(1), **submission(f"slow-{index}-{number}")}
        )
        # A new connection each time: the pause outlasts gunicorn's keep-alive, as a person's would.
        client = Client(port, client.cookies)
        began = time.perf_counter()
        status, _ = client.request("POST", "/fr/mini-analysis/", body)
        elapsed = time.perf_counter() - began
        with lock:
            if status == 302:
                result.latencies.append(elapsed)
                posts.append(time.monotonic())
            else:
                result.failures[status] = result.failures.get(status, 0) + 1
        number += 1
        time.sleep(pause)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="S: seconds per generation")
    parser.add_argument("--visitors", type=int, default=16, help="V: visitors posting at once")
    parser.add_argument("--duration", type=float, default=20.0, help="D: seconds of posting")
    parser.add_argument("--pause", type=float, default=5.0, help="seconds a visitor waits between posts")
    parser.add_argument("--workers", type=int, default=2, help="job workers (run_worker processes)")
    parser.add_argument("--idle", type=float, default=10.0, help="seconds of the idle prospects page")
    parser.add_argument("--leads", type=int, default=10_000)
    parser.add_argument("--drain-timeout", type=float, default=900.0)
    parser.add_argument("--port", type=int, default=8798)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/igv_bench_slow")
    parser.add_argument("--cache-url", default="dbcache://django_cache")
    options = parser.parse_args()
    if not 0 < options.duration <= 120 or not 0 < options.visitors <= 64 or not 0 < options.workers <= 16:
        parser.error("--duration in (0, 120], --visitors in (0, 64], --workers in (0, 16]")

    with tempfile.TemporaryDirectory() as scratch:
        env = environment(options.database_url, options.cache_url, scratch, options.port)
        env.update(
            {
                "MINI_ANALYSIS_GENERATOR": "bench.generators.SlowOfflineGenerator",
                "BENCH_GENERATION_SECONDS": str(options.seconds),
                "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
                "EMAIL_URL": "dummymail://",
            }
        )
        recreate_database(options.database_url)
        print(f"Preparing {options.leads} leads ...", flush=True)
        session_key = prepare(env, options.leads)
        server = start_server(env, options.port, "igv_site.wsgi")
        workers: list[subprocess.Popen] = []
        try:
            # Started first, so that their start-up is not measured; idle, they poll the queue.
            workers = start_workers(env, options.workers, scratch)
            time.sleep(5)
            idle = Result("prospects page, idle")
            stop = threading.Event()
            thread = threading.Thread(target=sales_person, args=(options.port, session_key, idle, stop))
            thread.start()
            time.sleep(options.idle)
            stop.set()
            thread.join()

            busy, posts_result, posts, lock = (
                Result("prospects page, load"),
                Result("form POST"),
                [],
                threading.Lock(),
            )
            stop = threading.Event()
            sales = threading.Thread(target=sales_person, args=(options.port, session_key, busy, stop))
            sales.start()
            until = time.monotonic() + options.duration
            started = time.monotonic()
            visitors = [
                threading.Thread(
                    target=visitor,
                    args=(options.port, i, options.visitors, until, options.pause, posts_result, lock, posts),
                )
                for i in range(options.visitors)
            ]
            for thread in visitors:
                thread.start()
            for thread in visitors:
                thread.join()
            posts_result.seconds = time.monotonic() - started
            stop.set()
            sales.join()
            last_post = max(posts)

            deadline = time.monotonic() + options.drain_timeout
            with psycopg.connect(options.database_url) as connection:
                while time.monotonic() < deadline:
                    waiting = connection.execute(
                        "SELECT COUNT(*) FROM mini_analyses WHERE status <> 'GENERATED'"
                    ).fetchone()[0]
                    if not waiting:
                        break
                    time.sleep(0.2)
                drained = time.monotonic() - last_post
                stored, generated, once = connection.execute(
                    "SELECT COUNT(*), COUNT(*) FILTER (WHERE status = 'GENERATED'),"
                    " COUNT(*) FILTER (WHERE attempts = 1) FROM mini_analyses"
                ).fetchone()
        finally:
            stop_workers(workers)
            stop_server(server)

    n = len(posts)
    print(
        f"gunicorn {env['WEB_CONCURRENCY']} workers x {os.environ.get('GUNICORN_THREADS', '4')} threads, "
        f"{options.workers} job workers, S={options.seconds:g} s, V={options.visitors}, "
        f"D={options.duration:g} s, pause {options.pause:g} s, {options.leads} leads, PostgreSQL"
    )
    print(f"{'measure':<26}{'requests':>10}{'p50 ms':>10}{'p95 ms':>10}  failures")
    for result in (posts_result, idle, busy):
        print(
            f"{result.name:<26}{len(result.latencies):>10}{result.percentile(50):>10.1f}"
            f"{result.percentile(95):>10.1f}  {result.failures or '-'}"
        )
    ratio = busy.percentile(95) / idle.percentile(95)
    ideal = n * options.seconds / options.workers
    print(f"POST p95: {posts_result.percentile(95):.0f} ms (target <= 300 ms)")
    print(f"prospects p95 under load / idle: {ratio:.2f}x (target <= 3x)")
    print(f"stored {stored} of {n} accepted POSTs; GENERATED {generated}; generated in one attempt {once}")
    print(
        f"all GENERATED {drained:.1f} s after the last POST "
        f"(target <= 1.5 x N x S / workers = {1.5 * ideal:.1f} s; N x S / workers = {ideal:.1f} s)"
    )


if __name__ == "__main__":
    main()

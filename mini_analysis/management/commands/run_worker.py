"""The worker process: django-tasks-db's `db_worker`, plus the sweep that finds lost generation jobs.

Runs every job of the database backend (pass `--queue-name '*'` to serve every queue, as the
Procfile and render.yaml do). At start, then every `--sweep-interval` seconds, a thread runs
`requeue_lost_generations`, so a request whose job was never enqueued (the web process died
right after its commit) or whose worker died mid-generation is generated anyway. Any number of
workers may run, on any machine that reaches the database: the sweeps are idempotent.
"""

import logging
import os
import threading
import time

from django.db import DatabaseError, close_old_connections, connection
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand

from mini_analysis.services import requeue_lost_generations

logger = logging.getLogger("mini_analysis.worker")


class Command(DatabaseWorkerCommand):
    help = "Run a background worker (django-tasks-db) that also re-queues lost generation jobs."

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--sweep-interval",
            type=float,
            default=60.0,
            help="Seconds between two sweeps for lost generation jobs (default: %(default)s).",
        )

    def handle(self, *args, sweep_interval: float, reload: bool, batch: bool, **options) -> None:
        # With --reload the command runs twice (a watcher and the worker it restarts): sweep in the
        # worker only.
        if not (reload and not batch and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true"):
            sweep()
            if not batch:
                threading.Thread(target=sweep_every, args=(sweep_interval,), daemon=True).start()
        super().handle(*args, reload=reload, batch=batch, **options)


def sweep() -> None:
    try:
        requeued = requeue_lost_generations()
    except DatabaseError:  # a locked SQLite file, a restarting server: the next sweep will do
        logger.exception("Sweep for lost generation jobs failed")
        return
    finally:
        close_old_connections()
    if requeued:
        logger.warning("Re-queued %s lost generation jobs", requeued)


def sweep_every(interval: float) -> None:
    while True:
        time.sleep(interval)
        sweep()
        connection.close()

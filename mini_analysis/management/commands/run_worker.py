"""The worker process: django-tasks-db's `db_worker`, whose loop outlives a database error and
writes a heartbeat, plus the sweep that finds lost generation jobs.

Runs every job of the database backend (pass `--queue-name '*'` to serve every queue, as the
Procfile and render.yaml do) with `mini_analysis.worker.ResilientWorker`, the library's worker
whose loop logs a database error, waits and starts again instead of ending; a thread records a
heartbeat while the loop runs (`/healthz` answers 503 without a recent one). At start, then every
`--sweep-interval` seconds, a thread runs `requeue_lost_generations`, so a request whose job was
never enqueued (the web process died right after its commit) or whose worker died mid-generation
is generated anyway. With CRM_IMAP_URL set, a thread runs `poll_mailbox` (the CRM's replies)
every CRM_IMAP_POLL_SECONDS, and one runs `send_reminders` (the sales people's morning digests and
task alerts) every CRM_REMINDERS_SECONDS: django-tasks has no scheduler. Any number of workers may run, on any
machine that reaches the database: the sweeps and the polls are idempotent.

`handle` builds the worker itself: the library's builds its own `Worker` class, with no hook to
give it another. What it repeats of the library's is its reading of the options.
"""

import logging
import os
import threading
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, close_old_connections, connection
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand

from mini_analysis.services import requeue_lost_generations
from mini_analysis.worker import ResilientWorker, beat_while_looping

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

    def handle(
        self,
        *args,
        verbosity: int,
        queue_name: str,
        exclude_queues: str,
        sweep_interval: float,
        reload: bool,
        batch: bool,
        **options,
    ) -> None:
        self.configure_logging(verbosity)
        if reload and batch:
            logger.warning("--reload and --batch cannot be specified together: no reload.")
            reload = False
        queue_names = queue_name.split(",")
        excluded_queue_names = exclude_queues.split(",") if exclude_queues else []
        if excluded_queue_names and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = ResilientWorker(
            queue_names=queue_names,
            excluded_queue_names=excluded_queue_names,
            batch=batch,
            **{name: options[name] for name in RESILIENT_WORKER_OPTIONS},
        )
        # With --reload the command runs twice (a watcher and the worker it restarts): the threads
        # and the signals belong to the worker only.
        if reload and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true":
            run_with_reloader(worker.run)
            return
        sweep()
        if not batch:
            threading.Thread(target=sweep_every, args=(sweep_interval,), daemon=True).start()
            threading.Thread(target=beat_while_looping, args=(worker,), daemon=True).start()
            if settings.CRM_IMAP_URL:
                threading.Thread(
                    target=poll_mailbox_every, args=(settings.CRM_IMAP_POLL_SECONDS,), daemon=True
                ).start()
            if settings.CRM_REMINDERS_SECONDS:
                threading.Thread(
                    target=command_every, args=("send_reminders", settings.CRM_REMINDERS_SECONDS), daemon=True
                ).start()
        worker.configure_signals()
        if reload:
            run_with_reloader(worker.run)
        else:
            worker.run()


RESILIENT_WORKER_OPTIONS = ["interval", "backend_name", "startup_delay", "max_tasks", "worker_id"]


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


def poll_mailbox_every(interval: float) -> None:
    """The CRM's reply poller (`crm.mailbox`), every `interval` seconds while the worker runs; a
    failed round (the mail server down) is logged and the next one tries again."""
    while True:
        time.sleep(interval)
        try:
            call_command("poll_mailbox", verbosity=0)
        except Exception:  # the worker outlives a mail server that is down
            logger.exception("Polling the CRM mailbox failed")
        finally:
            connection.close()


def command_every(name: str, interval: float) -> None:
    """A management command every `interval` seconds while the worker runs (one round of it: each is
    safe to run any number of times, by any number of workers); a failed round is logged."""
    while True:
        time.sleep(interval)
        try:
            call_command(name, verbosity=0)
        except Exception:  # a mail server down, a locked database: the next round tries again
            logger.exception("The periodic %s failed", name)
        finally:
            connection.close()


def sweep_every(interval: float) -> None:
    while True:
        time.sleep(interval)
        sweep()
        connection.close()

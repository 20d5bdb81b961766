"""The job worker's loop outlives a database error, and says it is alive.

`ResilientWorker` is django-tasks-db's `Worker`, whose loop gives up for good on any database
error but a locked SQLite file (a restarting PostgreSQL, a full disk, a lock held past the busy
timeout): here the error is logged, the connections are dropped, and the loop starts again after a
backoff (1 s, doubling up to `MAX_BACKOFF`). The library's loop is run as it is, not copied:
claiming a job, running it and recording its outcome stay the library's, fixes included.

`beat` records that a worker runs its loop (`WorkerHeartbeat`); `run_worker` calls it from a thread
every quarter of WORKER_HEARTBEAT_MAX_AGE while the loop runs, and `/healthz` reads
`last_heartbeat_age`.
"""

import logging
import threading
import time
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connections
from django.db.models import Max
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker

from .models import WorkerHeartbeat

logger = logging.getLogger("mini_analysis.worker")

FIRST_BACKOFF = 1.0
MAX_BACKOFF = 60.0
# A worker not seen for this long is gone: its row is deleted by the next beat of another.
FORGET_AFTER = timedelta(days=1)


class ResilientWorker(Worker):
    def __init__(self, **options) -> None:
        super().__init__(**options)
        self.looping = threading.Event()

    def run(self) -> None:
        failures = 0
        while self.running:
            started = time.monotonic()
            self.looping.set()
            try:
                super().run()
                return  # --batch or --max-tasks: done
            except DatabaseError:
                if time.monotonic() - started > MAX_BACKOFF:
                    failures = 0  # it ran a good while since the last error: a new incident
                failures += 1
                delay = min(FIRST_BACKOFF * 2 ** (failures - 1), MAX_BACKOFF)
                logger.exception(
                    "Worker %s: database error in its loop (%s in a row); retrying in %.0f s",
                    self.worker_id,
                    failures,
                    delay,
                )
                connections.close_all()
                time.sleep(delay)
            finally:
                self.looping.clear()


def beat(worker_id: str) -> None:
    """Record that this worker runs its loop now, and forget workers gone for a day."""
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(worker_id=worker_id, defaults={"seen_at": now})
    WorkerHeartbeat.objects.filter(seen_at__lt=now - FORGET_AFTER).delete()


def beat_while_looping(worker: ResilientWorker) -> None:
    """The heartbeat thread: a beat every quarter of WORKER_HEARTBEAT_MAX_AGE, while the loop
    runs (not while it waits after an error, nor once it has ended)."""
    interval = settings.WORKER_HEARTBEAT_MAX_AGE / 4
    while True:
        if worker.looping.wait(timeout=interval):
            try:
                beat(worker.worker_id)
            except DatabaseError:
                logger.exception("Worker %s: its heartbeat could not be written", worker.worker_id)
            finally:
                connections.close_all()
            time.sleep(interval)


def last_heartbeat_age() -> float | None:
    """Seconds since a worker was last seen running its loop, or None if none ever was."""
    last = WorkerHeartbeat.objects.aggregate(last=Max("seen_at"))["last"]
    if last is None:
        return None
    return max((timezone.now() - last).total_seconds(), 0.0)

"""Many threads at once, each in its own database connection: how the concurrency tests race writers.

On PostgreSQL each thread holds one of the server's connections (100 by default, 3 of them kept for
superusers). The suite runs in up to four processes (xdist), so two fifty-writer tests running at
once asked for a hundred and one of them was refused ("sorry, too many clients already"). A burst
therefore takes a lock shared by every process on the machine first, then waits until the server has
room for it: bursts run one after another, and a server too small for one fails with a message that
says so instead of an error in one of the threads.
"""

import fcntl
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import connection, connections

# How long a burst waits for the server to have room for it (connections closing after another burst).
ROOM_TIMEOUT = 60.0
# Connections left free beyond the burst's own: the test's, the other xdist workers'.
HEADROOM = 10


def run_at_once(target: Callable[[int], object], count: int) -> list[BaseException]:
    """Run `target(i)` in `count` threads released together; return what they raised."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        try:
            barrier.wait()
            target(index)
        except BaseException as error:  # collected and asserted on by the test
            errors.append(error)
        finally:
            connections.close_all()

    with room_for_connections(count):
        threads = [threading.Thread(target=worker, args=(index,)) for index in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    return errors


@contextmanager
def room_for_connections(count: int) -> Iterator[None]:
    """Hold the machine's burst lock, once the database server can take `count` more connections."""
    if connection.vendor != "postgresql":
        yield  # SQLite has no connection limit to share
        return
    settings = connection.settings_dict
    name = f"igv-crm-connections-{settings['HOST'] or 'local'}-{settings['PORT'] or 5432}.lock"
    with open(Path(tempfile.gettempdir()) / name, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, or the process ends
        wait_for_free_connections(count + HEADROOM)
        yield


def free_connections() -> int:
    """Connections the server still accepts from an ordinary user."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('max_connections')::int"
            " - current_setting('superuser_reserved_connections')::int - count(*)"
            " FROM pg_stat_activity WHERE backend_type = 'client backend'"
        )
        return cursor.fetchone()[0]


def wait_for_free_connections(needed: int, timeout: float = ROOM_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while (free := free_connections()) < needed:
        if time.monotonic() > deadline:
            raise AssertionError(
                f"The database server has {free} free connections after {timeout:.0f} s;"
                f" this test needs {needed} (raise its max_connections)."
            )
        time.sleep(0.2)

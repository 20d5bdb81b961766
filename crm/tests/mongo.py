"""A real MongoDB wire-protocol server for the tests: `secantusd-py` (the `secantusdb` package of
requirements-dev.txt, a GPL beta used only here), started on a free port and stopped after.

One server per test session (per xdist worker) is shared by the tests, each in a database of its
own (`mongo_db`); the fault tests that stop, kill or restart a server start their own
(`MongoServer`), with its data on disk when it must survive a restart.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pymongo

SERVER = "secantusd-py"
START_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_binary() -> str:
    """The server installed beside this interpreter (the project's .venv), else on the PATH."""
    beside = Path(sys.executable).parent / SERVER
    found = str(beside) if beside.exists() else shutil.which(SERVER)
    if found is None:
        raise RuntimeError(
            f"{SERVER} is missing: `make test` installs it (secantusdb in requirements-dev.txt)."
        )
    return found


class MongoServer:
    """A `secantusd-py` process on 127.0.0.1 and a free port; `storage` on disk survives a restart."""

    def __init__(self, storage: Path | None = None, *extra: str) -> None:
        self.port = free_port()
        self.storage = storage
        self.extra = extra
        self.process: subprocess.Popen | None = None

    @property
    def uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/"

    def start(self) -> "MongoServer":
        command = [
            server_binary(),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--storage-path",
            str(self.storage) if self.storage else ":memory:",
            "--log-level",
            "WARNING",
            *self.extra,
        ]
        # Its own process group, so that stopping it stops any child it started.
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
        )
        self._wait_until_it_answers()
        return self

    def _wait_until_it_answers(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{SERVER} exited: {self.process.stderr.read().decode(errors='replace')}")
            try:
                with pymongo.MongoClient(self.uri, serverSelectionTimeoutMS=300) as client:
                    client.admin.command("ping")
                return
            except pymongo.errors.PyMongoError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{SERVER} did not answer on port {self.port} within {START_TIMEOUT:.0f} s")

    def stop(self) -> None:
        """SIGTERM (the server's clean stop), SIGKILL if it lingers."""
        if self.process is None:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process.stderr.close()
        self.process = None

    def kill(self) -> None:
        """The server dies at once (SIGKILL), as a crashed or unplugged machine."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def restart(self) -> None:
        self.stop()
        self.start()

    def client(self, **options) -> pymongo.MongoClient:
        return pymongo.MongoClient(self.uri, tz_aware=True, serverSelectionTimeoutMS=5000, **options)

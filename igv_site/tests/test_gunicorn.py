"""gunicorn.conf.py serves the production settings: bind from PORT, workers from WEB_CONCURRENCY,
one access line per request on stdout with the request id, and /healthz over plain HTTP."""

import http.client
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(port: int, path: str, **headers: str) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    response.read()
    return response


@pytest.mark.slow
def test_gunicorn_serves_the_production_settings(tmp_path):
    port = free_port()
    environment = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        # /healthz runs `SELECT 1`, reads the job queue and the workers' heartbeats: a migrated
        # database file, where a worker has just written its heartbeat.
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
    }
    migrate = [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"]
    subprocess.run(migrate, cwd=BASE_DIR, env=environment, check=True, timeout=120)
    beat = [sys.executable, "manage.py", "shell", "-c", "from mini_analysis.worker import beat; beat('w')"]
    subprocess.run(beat, cwd=BASE_DIR, env=environment, check=True, timeout=120)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "igv_site.wsgi", "-c", "gunicorn.conf.py"],
        cwd=BASE_DIR,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                health = get(port, "/healthz", **{"X-Request-ID": "probe-1"})
                break
            except OSError:
                assert server.poll() is None, "gunicorn exited at start-up"
                assert time.monotonic() < deadline, "gunicorn did not answer within 30 s"
                time.sleep(0.2)
        # HTTPS is enforced for every page but the health check, which the host calls directly.
        assert health.status == 200
        assert get(port, "/fr/mini-analysis/").status == 301
        missing = get(port, "/healthz/missing", **{"X-Request-ID": "probe-404", "X-Forwarded-Proto": "https"})
        assert missing.status == 404
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        output, _ = server.communicate(timeout=30)

    assert output.count("Booting worker") == 2
    assert f"Listening at: http://127.0.0.1:{port}" in output
    assert '"GET /healthz HTTP/1.1" 200' in output
    assert "request_id=probe-1" in output
    # Django's own line for the 404, through the project's LOGGING: one line, dated, with the id.
    stamp = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d"
    line = rf"^{stamp} WARNING django\.request request_id=probe-404 Not Found: /healthz/missing$"
    assert re.search(line, output, re.MULTILINE), output
    assert not (tmp_path / ".gunicorn").exists(), "the control socket is off"

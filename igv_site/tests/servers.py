"""The servers some tests need (Redis, the IMAP server), and what a test does when one is down.

On a newcomer's machine without Redis, `make test` skips those tests with one line each saying
why; on CI (`CI=true`), where `scripts/start_services.sh` starts every server, they are never
skipped: they run, and fail if the server is down, so a broken CI machine cannot pass by skipping.
"""

import os
import socket
from urllib.parse import urlsplit

import pytest

# Database 15, out of the way of a developer's data; TEST_REDIS_URL points elsewhere.
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
REDIS_HOST, REDIS_PORT = urlsplit(REDIS_URL).hostname or "127.0.0.1", urlsplit(REDIS_URL).port or 6379
# The loopback Dovecot that `scripts/start_services.sh` configures and starts; TEST_IMAP_URL elsewhere.
IMAP_URL = os.environ.get("TEST_IMAP_URL", "imap://crm:crm@127.0.0.1:1143")
IMAP_HOST, IMAP_PORT = urlsplit(IMAP_URL).hostname or "127.0.0.1", urlsplit(IMAP_URL).port or 143


def reachable(host: str, port: int, timeout: float = 0.5) -> bool:
    """True when something accepts TCP connections at host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def on_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def skip_reason(name: str, host: str, port: int) -> str:
    """Why the server's tests are skipped: '' when it answers, or on CI (they must run there)."""
    if on_ci() or reachable(host, port):
        return ""
    return f"{name} is not reachable at {host}:{port}: start it (make services) to run this test"


def skip_when_down(items: list[pytest.Item], name: str, host: str, port: int) -> None:
    """Mark `items` skipped, with `skip_reason`, when the server is down (one probe per run)."""
    reason = skip_reason(name, host, port) if items else ""
    if reason:
        for item in items:
            item.add_marker(pytest.mark.skip(reason=reason))

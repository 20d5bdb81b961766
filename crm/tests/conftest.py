"""Fixtures of the CRM's tests: the real browser of the browser tests, and a real MongoDB server."""

import uuid
from collections.abc import Iterator

import pytest
from django.db import connections
from playwright.sync_api import Browser, sync_playwright
from pymongo.database import Database

from .browser import CHROMIUM, CHROMIUM_ARGS
from .mongo import MongoServer


def _chromium() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs it (apt-get install chromium).")
    # Playwright's sync API runs an event loop in this thread, and Django then refuses the tests'
    # own ORM calls; they are synchronous and safe here, so allow them while the browser runs.
    with pytest.MonkeyPatch.context() as monkeypatch, sync_playwright() as playwright:
        monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()
        # The tests' ORM calls, made while Playwright's loop runs, got connections of their own:
        # close them, or PostgreSQL refuses to drop the test database ("accessed by other users").
        connections.close_all()


@pytest.fixture
def browser() -> Iterator[Browser]:
    """A Chromium for one test: Playwright's loop, left running from an earlier test, would run
    this test's database setup on another connection."""
    yield from _chromium()


@pytest.fixture(scope="module")
def module_browser() -> Iterator[Browser]:
    """One Chromium per test module, for the many pages of the layout and accessibility checks
    (starting it is most of a short browser test's time); each test opens its own context."""
    yield from _chromium()


@pytest.fixture(scope="session")
def mongo_server() -> Iterator[MongoServer]:
    """One MongoDB wire-protocol server (secantusd-py, in memory) per test session or xdist worker."""
    server = MongoServer().start()
    yield server
    server.stop()


@pytest.fixture
def mongo_db(mongo_server) -> Iterator[Database]:
    """A database of its own on the shared server, dropped after the test."""
    client = mongo_server.client()
    database = client[f"legacy_{uuid.uuid4().hex[:12]}"]
    yield database
    client.drop_database(database.name)
    client.close()

"""Fixtures and markers shared by every app's tests.

People: `boss` (a superuser) and `seller` (a sales person) are users only; `signed_in_boss` and
`signed_in_seller` are the same users with the test's `client` logged in as them.
Passwords are hashed with a fast hasher in tests (`_fast_password_hashing`).
Markers: `redis` and `imap` tests are skipped when their server is down (failed on CI), `postgres_only` tests
are skipped on any other database, with the reason on their line of the report; `slow` tests run first.
"""

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import override_settings
from django.utils import translation
from rest_framework.test import APIClient

from igv_site.tests.servers import IMAP_HOST, IMAP_PORT, REDIS_HOST, REDIS_PORT, skip_when_down


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`@pytest.mark.redis` (`imap`) tests are skipped when the Redis (IMAP) server is down, except on CI;
    `@pytest.mark.postgres_only` tests when the suite runs on another database (`make test-postgres`
    runs them, and CI runs it). `@pytest.mark.slow` tests (each ten seconds or more) go first, so
    that the parallel run (xdist, two tests at a time: Makefile) shares them out early instead of
    one worker ending the run alone on a minute-long test collected last. This hook runs before
    pytest-django's, whose stable sort then puts the tests that flush the database (transactional)
    after the others, as Django's runner does: the slow ones first within each of its groups."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)  # stable: the order otherwise kept
    skip_when_down(
        [item for item in items if item.get_closest_marker("redis")], "Redis", REDIS_HOST, REDIS_PORT
    )
    skip_when_down(
        [item for item in items if item.get_closest_marker("imap")], "The IMAP server", IMAP_HOST, IMAP_PORT
    )
    if connection.vendor != "postgresql":
        skip = pytest.mark.skip(reason=f"needs PostgreSQL, not {connection.vendor} (make test-postgres)")
        for item in items:
            if item.get_closest_marker("postgres_only"):
                item.add_marker(skip)


# Django's "Speeding up the tests": its default hasher (PBKDF2, 1 000 000 iterations) takes 0.6 s a
# password on CI's machine, and every user a test makes (`UserFactory`) or signs in hashes one:
# test_visibility.py alone spent 3 of its 4 minutes there. Production keeps Django's default.
TEST_PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing():
    with override_settings(PASSWORD_HASHERS=TEST_PASSWORD_HASHERS):
        yield


@pytest.fixture(autouse=True)
def _empty_cache(db):
    """Rate limits and quotas live in the shared cache: each test starts from an empty one."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _site_language():
    """Each test starts in the site's language (French), whatever an earlier test on the same
    worker left active: a request's middleware or `translation.activate` outlives its test."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def boss():
    """A superuser, not logged in."""
    from crm.tests.factories import UserFactory

    return UserFactory(username="boss", is_superuser=True)


@pytest.fixture
def seller():
    """A sales person (the sales group, staff), not logged in."""
    from crm.tests.factories import SalesPersonFactory

    return SalesPersonFactory(username="seller")


@pytest.fixture
def signed_in_boss(client, boss):
    """`boss`, with the test's `client` logged in as them."""
    client.force_login(boss)
    return boss


@pytest.fixture
def signed_in_seller(client, seller):
    """`seller`, with the test's `client` logged in as them."""
    client.force_login(seller)
    return seller


@pytest.fixture
def api_client():
    """DRF's test client, with no credentials."""
    return APIClient()


@pytest.fixture(autouse=True)
def _seeded_rows_in_transactional_tests(request):
    """A transactional test (a live server, threads, migrations) starts with the rows the
    migrations seed (the Sales group, stages, reasons, templates), whatever an earlier one flushed:
    the flush at the end of each such test empties every table, and the order of the tests on an
    xdist worker is not the file's."""
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction")) or bool(
        {"transactional_db", "live_server"} & set(request.fixturenames)
    )
    if transactional:
        request.getfixturevalue("transactional_db")
        from crm.tests.reference_rows import restore_reference_rows

        restore_reference_rows()
    yield

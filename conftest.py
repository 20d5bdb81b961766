"""Fixtures shared by every app's tests."""

import pytest
from django.core.cache import cache

from igv_site.tests.servers import REDIS_HOST, REDIS_PORT, skip_when_down


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`@pytest.mark.redis` tests are skipped when the Redis server is down, except on CI."""
    skip_when_down(
        [item for item in items if item.get_closest_marker("redis")], "Redis", REDIS_HOST, REDIS_PORT
    )


@pytest.fixture(autouse=True)
def _empty_cache(db):
    """Rate limits and quotas live in the shared cache: each test starts from an empty one."""
    cache.clear()
    yield
    cache.clear()

"""Fixtures shared by every app's tests."""

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _empty_cache(db):
    """Rate limits and quotas live in the shared cache: each test starts from an empty one."""
    cache.clear()
    yield
    cache.clear()

"""The shared cache (rate limits, quotas) is configured from CACHE_URL and works across processes."""

import secrets

import environ
import pytest
from django.conf import settings
from django.utils.module_loading import import_string

from .servers import REDIS_URL


def build_cache(url: str):
    config = environ.Env.cache_url_config(url)
    backend = import_string(config.pop("BACKEND"))
    location = config.pop("LOCATION")
    return backend(location, config)


def test_default_cache_is_the_database_cache_shared_by_every_worker():
    assert settings.CACHES["default"]["BACKEND"] in {
        "django.core.cache.backends.db.DatabaseCache",
        "django_redis.cache.RedisCache",
    }
    assert "locmem" not in settings.CACHES["default"]["BACKEND"]


@pytest.mark.redis
def test_redis_cache_url_gives_a_working_redis_cache():
    """Needs the Redis server on 127.0.0.1:6379 (scripts/start_services.sh starts it)."""
    cache = build_cache(REDIS_URL)
    assert type(cache).__module__.startswith("django_redis")
    cache.set("igv-crm-test", 41, timeout=10)
    assert cache.incr("igv-crm-test") == 42
    cache.delete("igv-crm-test")


def test_cache_url_chooses_the_project_s_cache_and_the_database_cache_is_the_default():
    """Through the settings, in fresh processes: Redis when CACHE_URL says so, else the database cache."""
    from igv_site.tests.test_settings import run_manage

    production = {"DEBUG": "false", "SECRET_KEY": secrets.token_urlsafe(50)}
    script = "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])"
    show = ["shell", "-v", "0", "-c", script]
    with_redis = run_manage(*show, CACHE_URL="redis://127.0.0.1:6379/15", **production)
    assert with_redis.stdout.strip() == "django_redis.cache.RedisCache", with_redis.stderr
    default = run_manage(*show, **production)
    assert default.stdout.strip() == "django.core.cache.backends.db.DatabaseCache", default.stderr

import pytest

from mini_analysis.checks import check_generator_settings, check_shared_cache


def error_ids() -> list[str]:
    return [error.id for error in check_generator_settings()]


def test_default_settings_pass():
    assert error_ids() == []


def test_unknown_generator_is_an_error(settings):
    settings.MINI_ANALYSIS_GENERATOR = "chatgpt"
    assert error_ids() == ["mini_analysis.E001"]


def test_gemini_without_key_is_an_error(settings):
    settings.MINI_ANALYSIS_GENERATOR = "gemini"
    settings.GEMINI_API_KEY = ""
    assert error_ids() == ["mini_analysis.E002"]


@pytest.mark.parametrize("rate", ["5 per minute", "5", "/10m", "5/10x"])
def test_malformed_rate_limit_is_an_error(settings, rate):
    settings.MINI_ANALYSIS_RATE_LIMIT = rate
    assert error_ids() == ["mini_analysis.E003"]


@pytest.mark.parametrize("rate", ["5/10m", "100/h", "20/d", "1000000/1s"])
def test_rate_limits_in_ratelimit_syntax_pass(settings, rate):
    settings.MINI_ANALYSIS_RATE_LIMIT = rate
    assert error_ids() == []


def test_negative_proxy_count_is_an_error(settings):
    settings.TRUSTED_PROXY_COUNT = -1
    assert error_ids() == ["mini_analysis.E004"]


def test_a_negative_number_of_emails_per_recipient_is_an_error(settings):
    settings.MINI_ANALYSIS_EMAILS_PER_RECIPIENT = -1
    assert error_ids() == ["mini_analysis.E007"]


def cache_check_ids() -> list[str]:
    return [message.id for message in check_shared_cache()]


def test_the_database_and_redis_caches_are_shared_by_every_worker(settings):
    assert cache_check_ids() == []
    settings.CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://x/0"}}
    assert cache_check_ids() == []


@pytest.mark.parametrize("backend", ["locmem.LocMemCache", "dummy.DummyCache"])
def test_a_per_worker_or_dummy_cache_is_a_deploy_error(settings, backend):
    settings.CACHES = {"default": {"BACKEND": f"django.core.cache.backends.{backend}"}}
    assert cache_check_ids() == ["mini_analysis.E005"]


def test_a_file_cache_is_a_deploy_warning(settings, tmp_path):
    backend = "django.core.cache.backends.filebased.FileBasedCache"
    settings.CACHES = {"default": {"BACKEND": backend, "LOCATION": str(tmp_path)}}
    assert cache_check_ids() == ["mini_analysis.W006"]

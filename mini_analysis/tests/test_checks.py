import pytest

from mini_analysis.checks import check_generator_settings


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

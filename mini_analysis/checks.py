"""System checks of the request side's settings: a typo must stop `manage.py check` and start-up,
not turn every form submission into an error."""

import re

from django.conf import settings
from django.core import checks

RATE = re.compile(r"^\d+/\d*[smhd]$")


@checks.register(checks.Tags.compatibility)
def check_generator_settings(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    errors = []
    if settings.MINI_ANALYSIS_GENERATOR not in {"offline", "gemini"}:
        errors.append(
            checks.Error(
                f"MINI_ANALYSIS_GENERATOR is {settings.MINI_ANALYSIS_GENERATOR!r}.",
                hint="Set it to 'offline' or 'gemini'.",
                id="mini_analysis.E001",
            )
        )
    if settings.MINI_ANALYSIS_GENERATOR == "gemini" and not settings.GEMINI_API_KEY:
        errors.append(
            checks.Error(
                "MINI_ANALYSIS_GENERATOR is 'gemini' but GEMINI_API_KEY is empty.",
                hint="Set GEMINI_API_KEY, or use MINI_ANALYSIS_GENERATOR=offline.",
                id="mini_analysis.E002",
            )
        )
    if not RATE.match(settings.MINI_ANALYSIS_RATE_LIMIT):
        errors.append(
            checks.Error(
                f"MINI_ANALYSIS_RATE_LIMIT is {settings.MINI_ANALYSIS_RATE_LIMIT!r}.",
                hint="Use COUNT/PERIOD, e.g. 5/10m, 100/h or 20/d.",
                id="mini_analysis.E003",
            )
        )
    if settings.TRUSTED_PROXY_COUNT < 0:
        errors.append(checks.Error("TRUSTED_PROXY_COUNT must be 0 or more.", id="mini_analysis.E004"))
    return errors

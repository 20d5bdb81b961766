"""System checks of the request side's settings: a typo must stop `manage.py check` and start-up,
not turn every form submission into an error."""

import re

from django.conf import settings
from django.core import checks
from django.utils.module_loading import import_string

RATE = re.compile(r"^\d+/\d*[smhd]$")


@checks.register(checks.Tags.compatibility)
def check_generator_settings(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    errors = []
    name = settings.MINI_ANALYSIS_GENERATOR
    if name not in {"offline", "gemini"} and not _importable(name):
        errors.append(
            checks.Error(
                f"MINI_ANALYSIS_GENERATOR is {name!r}.",
                hint="Set it to 'offline' or 'gemini' (or the dotted path of a generator class).",
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
    if settings.MINI_ANALYSIS_EMAILS_PER_RECIPIENT < 0:
        errors.append(
            checks.Error(
                "MINI_ANALYSIS_EMAILS_PER_RECIPIENT must be 0 or more (0: no analysis is emailed).",
                id="mini_analysis.E007",
            )
        )
    return errors


def _importable(name: str) -> bool:
    if "." not in name:
        return False
    try:
        import_string(name)
    except ImportError:
        return False
    return True


# The rate limit and the daily quota count in the default cache: a cache of its own per worker
# would let each worker count on its own, and a dummy cache would count nothing.
NOT_SHARED_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache": "keeps a separate count in each worker",
    "django.core.cache.backends.dummy.DummyCache": "counts nothing",
}
ONE_MACHINE_CACHE = "django.core.cache.backends.filebased.FileBasedCache"


@checks.register(checks.Tags.caches, deploy=True)
def check_shared_cache(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """`check --deploy`: the counters need a cache every worker and instance shares."""
    backend = settings.CACHES["default"]["BACKEND"]
    if backend in NOT_SHARED_CACHES:
        return [
            checks.Error(
                f"The default cache ({backend}) {NOT_SHARED_CACHES[backend]}: the form's rate limit "
                "and the daily Gemini quota would not hold.",
                hint="Unset CACHE_URL (the database cache), or set CACHE_URL=redis://….",
                id="mini_analysis.E005",
            )
        ]
    if backend == ONE_MACHINE_CACHE:
        return [
            checks.Warning(
                "The default cache is a directory: shared by the workers of one machine only, and "
                "its counts are not atomic.",
                hint="Unset CACHE_URL (the database cache), or set CACHE_URL=redis://….",
                id="mini_analysis.W006",
            )
        ]
    return []

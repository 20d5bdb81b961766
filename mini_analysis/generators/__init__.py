"""Analysis generators: one small interface, the implementation chosen by `MINI_ANALYSIS_GENERATOR`.

A generator turns an `AnalysisRequest` into text, or raises `QuotaExceeded` (the provider's quota,
or our own daily one, is used up) or any other exception (a technical failure). Mapping those to
the request's status is the job of `mini_analysis.generation`, so every generator behaves the same.
"""

from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string


class QuotaExceeded(Exception):
    """The generator may not be called now; the request is kept as QUOTA_BLOCKED and retried later
    (with backoff: the provider's 429)."""


class DailyQuotaExceeded(QuotaExceeded):
    """Our own `MINI_ANALYSIS_DAILY_QUOTA` is used up: retried the next day, not before."""


@dataclass(frozen=True)
class AnalysisRequest:
    brand_name: str
    sector: str
    language: str


class Generator(Protocol):
    def generate(self, request: AnalysisRequest) -> str: ...


def get_generator() -> Generator:
    """The generator named by `MINI_ANALYSIS_GENERATOR`: `offline`, `gemini`, or the dotted path of
    a class built with no argument (the benchmarks' slow generator, `bench.generators`)."""
    name = settings.MINI_ANALYSIS_GENERATOR
    if name == "offline":
        from .offline import OfflineGenerator

        return OfflineGenerator()
    if name == "gemini":
        from .gemini import GeminiGenerator

        return GeminiGenerator.from_settings()
    if "." in name:
        try:
            return import_string(name)()
        except ImportError as error:
            raise ImproperlyConfigured(f"MINI_ANALYSIS_GENERATOR {name!r} cannot be imported.") from error
    raise ImproperlyConfigured(f"MINI_ANALYSIS_GENERATOR must be 'offline' or 'gemini', not {name!r}.")

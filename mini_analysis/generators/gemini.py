"""The Gemini generator: Google's official `google-genai` SDK, configured from settings.

An HTTP 429 / `RESOURCE_EXHAUSTED` answer, or our own `MINI_ANALYSIS_DAILY_QUOTA` being used up,
raises `QuotaExceeded`; every other failure (timeout included) propagates and becomes `ERROR`.
The SDK retries nothing unless told to, so one request makes at most one call.
"""

from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from google import genai
from google.genai import errors, types

from . import AnalysisRequest, DailyQuotaExceeded, QuotaExceeded

LANGUAGE_NAMES = {"fr": "French", "en": "English", "he": "Hebrew"}

# The shape asked for is what `mini_analysis.analysis_layout` lays out on the page and in the PDF.
PROMPT = (
    "You are a market-entry consultant for Israel Growth Ventures (IGV). Write a short preliminary "
    'market analysis, in {language}, for the brand "{brand}" in the sector "{sector}" considering '
    "entering the Israeli market. Use four short sections with plain-text headings: market overview "
    "for Israel, opportunities, risks, next steps. Put each heading alone on its line, its text on "
    "the next lines, a blank line between sections, and start list items with '- '. "
    "At most 250 words, plain text, no Markdown. "
    "Start with one line saying that this is a preliminary automatic analysis."
)


def daily_quota_key() -> str:
    return f"mini-analysis:gemini-calls:{timezone.localdate().isoformat()}"


def take_daily_quota(limit: int | None) -> None:
    """Count one call against today's quota in the shared cache; raise when it is used up."""
    if not limit:
        return
    key = daily_quota_key()
    cache.add(key, 0, timeout=2 * 24 * 3600)
    try:
        calls = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=2 * 24 * 3600)
        calls = 1
    if calls > limit:
        raise DailyQuotaExceeded(f"MINI_ANALYSIS_DAILY_QUOTA of {limit} calls reached for today")


class GeminiGenerator:
    def __init__(
        self,
        *,
        api_key: str,
        model: str,
        timeout_seconds: float,
        daily_quota: int | None = None,
        http_transport: Any = None,
    ) -> None:
        if not api_key:
            raise ImproperlyConfigured("MINI_ANALYSIS_GENERATOR=gemini needs GEMINI_API_KEY.")
        self.model = model
        self.daily_quota = daily_quota
        self.client = genai.Client(
            api_key=api_key,
            http_options=types.HttpOptions(
                timeout=int(timeout_seconds * 1000),
                # Tests pass a mock transport here; in production the SDK's own is used.
                client_args={"transport": http_transport} if http_transport is not None else None,
            ),
        )

    @classmethod
    def from_settings(cls, **overrides) -> "GeminiGenerator":
        options = {
            "api_key": settings.GEMINI_API_KEY,
            "model": settings.GEMINI_MODEL,
            "timeout_seconds": settings.GEMINI_TIMEOUT,
            "daily_quota": settings.MINI_ANALYSIS_DAILY_QUOTA,
            **overrides,
        }
        return cls(**options)

    def generate(self, request: AnalysisRequest) -> str:
        take_daily_quota(self.daily_quota)
        prompt = PROMPT.format(
            language=LANGUAGE_NAMES.get(request.language, "French"),
            brand=request.brand_name,
            sector=request.sector,
        )
        try:
            response = self.client.models.generate_content(model=self.model, contents=prompt)
        except errors.APIError as error:
            if error.code == 429 or error.status == "RESOURCE_EXHAUSTED":
                raise QuotaExceeded(str(error)) from error
            raise
        text = (response.text or "").strip()
        if not text:
            raise ValueError("Gemini returned no text")
        return text

"""Generating a request's analysis and PDF, in a worker: claim the request, call the generator,
save the outcome as its status and the next step of its generation (done, a retry at some time,
or given up). What runs next (the retry's job, the email's) is the job's to enqueue (`tasks`).

The row, not the job, is the source of truth: a worker claims the row with one conditional
UPDATE before calling the generator, so a job delivered twice, or to two workers, generates once;
a claim older than GENERATION_CLAIM_TIMEOUT is a dead worker's and may be claimed again. No
transaction is open during the generator call, so it never holds a database lock. Each save of
an outcome fires the CRM's `post_save` receiver, which keeps the visitor's lead in step.
"""

import logging
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from .generators import AnalysisRequest, DailyQuotaExceeded, Generator, QuotaExceeded, get_generator
from .lengths import ANALYSIS_MAX_LENGTH, ERROR_MAX_LENGTH
from .models import GenerationState, MiniAnalysis, Status
from .pdf import save_pdf

logger = logging.getLogger(__name__)

# Backoff of the retries after an ERROR or a provider's 429: 1, 2, 4 … minutes, at most an hour.
RETRY_BASE = timedelta(minutes=1)
RETRY_CAP = timedelta(hours=1)


def claim_generation(mini_analysis_id: int) -> MiniAnalysis | None:
    """Take the request for this worker, or None when it is not due, or taken, or done.

    One conditional UPDATE: of two workers (or two deliveries of one job) only one matches."""
    now = timezone.now()
    claimable = (
        Q(generation_state=GenerationState.QUEUED)
        | Q(generation_state=GenerationState.RETRY, next_attempt_at__lte=now)
        | stale_claim(now)
    )
    claimed = MiniAnalysis.objects.filter(claimable, pk=mini_analysis_id).update(
        generation_state=GenerationState.RUNNING, claimed_at=now, attempts=F("attempts") + 1, updated_at=now
    )
    if not claimed:
        return None
    return MiniAnalysis.objects.get(pk=mini_analysis_id)


def generate_analysis(mini_analysis: MiniAnalysis, generator: Generator | None = None) -> MiniAnalysis:
    """Generate the analysis and PDF of a claimed request and save the outcome as its status:
    GENERATED, QUOTA_BLOCKED (provider or daily quota reached) or ERROR (anything else), with
    the next step of its generation (done, a retry at some time, or given up)."""
    request = AnalysisRequest(
        brand_name=mini_analysis.brand_name, sector=mini_analysis.sector, language=mini_analysis.language
    )
    try:
        analysis_text = (generator or get_generator()).generate(request)
        if len(analysis_text) > ANALYSIS_MAX_LENGTH:
            raise ValueError(
                f"the generator wrote {len(analysis_text)} characters, more than {ANALYSIS_MAX_LENGTH}"
            )
    except QuotaExceeded as error:
        logger.warning("[QUOTA_BLOCKED] Mini-analysis %s: %s", mini_analysis.pk, error)
        retry_at = _next_day() if isinstance(error, DailyQuotaExceeded) else _backoff(mini_analysis.attempts)
        return _save_outcome(mini_analysis, Status.QUOTA_BLOCKED, error=error, retry_at=retry_at)
    except Exception as error:
        logger.exception("[ERROR] Generation failed for mini-analysis %s", mini_analysis.pk)
        return _save_outcome(mini_analysis, Status.ERROR, error=error)

    mini_analysis.analysis_text = analysis_text
    try:
        pdf_url = save_pdf(mini_analysis)
    except Exception as error:
        logger.exception("[ERROR] PDF failed for mini-analysis %s", mini_analysis.pk)
        return _save_outcome(mini_analysis, Status.ERROR, error=error, analysis_text=analysis_text)
    logger.info("[GENERATED] Mini-analysis %s", mini_analysis.pk)
    return _save_outcome(mini_analysis, Status.GENERATED, analysis_text=analysis_text, pdf_url=pdf_url)


def _save_outcome(
    mini_analysis: MiniAnalysis,
    status: str,
    *,
    error: BaseException | None = None,
    retry_at: datetime | None = None,
    analysis_text: str | None = None,
    pdf_url: str | None = None,
) -> MiniAnalysis:
    mini_analysis.status = status
    mini_analysis.claimed_at = None
    mini_analysis.last_error = "" if error is None else f"{type(error).__name__}: {error}"[:ERROR_MAX_LENGTH]
    if status == Status.GENERATED:
        mini_analysis.generation_state, mini_analysis.next_attempt_at = GenerationState.DONE, None
    elif status == Status.ERROR and mini_analysis.attempts >= settings.GENERATION_MAX_ATTEMPTS:
        mini_analysis.generation_state, mini_analysis.next_attempt_at = GenerationState.FAILED, None
        logger.error("Mini-analysis %s: gave up after %s attempts", mini_analysis.pk, mini_analysis.attempts)
    else:
        mini_analysis.generation_state = GenerationState.RETRY
        mini_analysis.next_attempt_at = retry_at or _backoff(mini_analysis.attempts)
        mini_analysis.queued_at = timezone.now()
    fields = ["status", "generation_state", "claimed_at", "next_attempt_at", "queued_at", "last_error"]
    fields.append("updated_at")
    if analysis_text is not None:
        mini_analysis.analysis_text = analysis_text
        fields.append("analysis_text")
    if pdf_url is not None:
        mini_analysis.pdf_url = pdf_url
        fields.append("pdf_url")
    # The request and its lead (the CRM's `post_save` receiver) change together.
    with transaction.atomic():
        mini_analysis.save(update_fields=fields)
    return mini_analysis


def live_claim(now: datetime) -> Q:
    cutoff = now - timedelta(seconds=settings.GENERATION_CLAIM_TIMEOUT)
    return Q(generation_state=GenerationState.RUNNING, claimed_at__gte=cutoff)


def stale_claim(now: datetime) -> Q:
    cutoff = now - timedelta(seconds=settings.GENERATION_CLAIM_TIMEOUT)
    return Q(generation_state=GenerationState.RUNNING, claimed_at__lt=cutoff)


def _backoff(attempts: int) -> datetime:
    return timezone.now() + min(RETRY_BASE * 2 ** max(attempts - 1, 0), RETRY_CAP)


def _next_day() -> datetime:
    """A minute past the next midnight of the server's TIME_ZONE: the daily quota's day changes."""
    tomorrow = timezone.localdate() + timedelta(days=1)
    return timezone.make_aware(datetime.combine(tomorrow, time(0, 1)))

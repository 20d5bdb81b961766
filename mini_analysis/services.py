"""Writes of the request side: storing a submission, and generating its analysis and PDF in a worker.

The form, the JSON API, the admin and `regenerate_mini_analyses` all go through these functions.

A submission stores the request (status NEW, generation QUEUED) in one transaction and enqueues
its job when that transaction commits: the visitor never waits on the generator, and no job runs
for a rolled-back request. The row, not the job, is the source of truth:

- a worker claims the row with one conditional UPDATE before calling the generator, so a job
  delivered twice, or to two workers, generates once (`claim_generation`);
- a claim older than GENERATION_CLAIM_TIMEOUT is a dead worker's and may be claimed again;
- `requeue_lost_generations` (run by every `run_worker` at start and then every minute) enqueues
  again the requests whose job never ran: the web process died between the commit and the
  enqueue, the job was lost, or a claim went stale.

No transaction is open during the generator call, so it never holds a database lock. Each save of
an outcome fires the CRM's `post_save` receiver, which keeps the visitor's lead in step.
"""

import logging
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from .generators import AnalysisRequest, DailyQuotaExceeded, Generator, QuotaExceeded, get_generator
from .lengths import ANALYSIS_MAX_LENGTH, ERROR_MAX_LENGTH
from .models import GenerationState, MiniAnalysis, Status
from .pdf import save_pdf
from .recipients import reserve_analysis_email

logger = logging.getLogger(__name__)

# Backoff of the retries after an ERROR or a provider's 429: 1, 2, 4 … minutes, at most an hour.
RETRY_BASE = timedelta(minutes=1)
RETRY_CAP = timedelta(hours=1)


def submit_mini_analysis(
    *, email: str, phone: str, brand_name: str, sector: str, language: str
) -> MiniAnalysis:
    """Store a consented request (status NEW) and queue its generation once it is committed.

    Returns at once: the analysis is written by a worker (`run_generation`). Its email is
    withheld when the address has had its analysis emails of the day (`recipients`)."""
    now = timezone.now()
    with transaction.atomic():
        mini_analysis = MiniAnalysis.objects.create(
            email_withheld=not reserve_analysis_email(email),
            email=email,
            phone=phone,
            brand_name=brand_name,
            sector=sector,
            language=language,
            status=Status.NEW,
            consent_at=now,
            generation_state=GenerationState.QUEUED,
            queued_at=now,
        )
        _enqueue_on_commit(mini_analysis.pk)
    return mini_analysis


def requeue_generations(queryset: QuerySet[MiniAnalysis]) -> int:
    """Queue the generation of these requests again (admin action, `regenerate_mini_analyses`),
    attempts reset; a request a live worker is generating right now is left alone. Returns how
    many were queued."""
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            queryset.exclude(_live_claim(now)).select_for_update().order_by().values_list("pk", flat=True)
        )
        MiniAnalysis.objects.filter(pk__in=ids).update(
            generation_state=GenerationState.QUEUED,
            queued_at=now,
            attempts=0,
            next_attempt_at=None,
            claimed_at=None,
            updated_at=now,
        )
        for pk in ids:
            _enqueue_on_commit(pk)
    return len(ids)


def requeue_lost_generations() -> int:
    """Enqueue again the requests whose job should have run by now and did not: QUEUED (or due
    for a RETRY) for more than GENERATION_REQUEUE_AFTER, or claimed by a worker that died.

    A job that was only slow, not lost, now has a twin: harmless, the claim lets one generate."""
    now = timezone.now()
    overdue = now - timedelta(seconds=settings.GENERATION_REQUEUE_AFTER)
    lost = (
        Q(generation_state=GenerationState.QUEUED, queued_at__lt=overdue)
        | Q(generation_state=GenerationState.RETRY, next_attempt_at__lt=overdue, queued_at__lt=overdue)
        | _stale_claim(now)
    )
    with transaction.atomic():
        ids = list(
            MiniAnalysis.objects.filter(lost).select_for_update().order_by().values_list("pk", flat=True)
        )
        MiniAnalysis.objects.filter(pk__in=ids).update(queued_at=now)
        for pk in ids:
            logger.warning("Mini-analysis %s: its generation job was lost; queued again", pk)
            _enqueue_on_commit(pk)
    return len(ids)


def claim_generation(mini_analysis_id: int) -> MiniAnalysis | None:
    """Take the request for this worker, or None when it is not due, or taken, or done.

    One conditional UPDATE: of two workers (or two deliveries of one job) only one matches."""
    now = timezone.now()
    claimable = (
        Q(generation_state=GenerationState.QUEUED)
        | Q(generation_state=GenerationState.RETRY, next_attempt_at__lte=now)
        | _stale_claim(now)
    )
    claimed = MiniAnalysis.objects.filter(claimable, pk=mini_analysis_id).update(
        generation_state=GenerationState.RUNNING, claimed_at=now, attempts=F("attempts") + 1, updated_at=now
    )
    if not claimed:
        return None
    return MiniAnalysis.objects.get(pk=mini_analysis_id)


def run_generation(mini_analysis_id: int) -> str | None:
    """What the worker's job does: claim the request, generate, save the outcome, schedule what
    follows (a retry, or the email). Returns the status written, or None if it was not claimed."""
    mini_analysis = claim_generation(mini_analysis_id)
    if mini_analysis is None:
        logger.info("Mini-analysis %s: not due or taken by another worker; skipped", mini_analysis_id)
        return None
    generate_analysis(mini_analysis)
    return mini_analysis.status


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
    with transaction.atomic():
        mini_analysis.save(update_fields=fields)
        if mini_analysis.generation_state == GenerationState.RETRY:
            _enqueue_on_commit(mini_analysis.pk, run_after=mini_analysis.next_attempt_at)
        elif status == Status.GENERATED:
            from .tasks import send_analysis_email

            transaction.on_commit(lambda: enqueue_task(send_analysis_email, mini_analysis.pk))
    return mini_analysis


def _live_claim(now: datetime) -> Q:
    cutoff = now - timedelta(seconds=settings.GENERATION_CLAIM_TIMEOUT)
    return Q(generation_state=GenerationState.RUNNING, claimed_at__gte=cutoff)


def _stale_claim(now: datetime) -> Q:
    cutoff = now - timedelta(seconds=settings.GENERATION_CLAIM_TIMEOUT)
    return Q(generation_state=GenerationState.RUNNING, claimed_at__lt=cutoff)


def _backoff(attempts: int) -> datetime:
    return timezone.now() + min(RETRY_BASE * 2 ** max(attempts - 1, 0), RETRY_CAP)


def _next_day() -> datetime:
    """A minute past the next midnight of the server's TIME_ZONE: the daily quota's day changes."""
    tomorrow = timezone.localdate() + timedelta(days=1)
    return timezone.make_aware(datetime.combine(tomorrow, time(0, 1)))


def _enqueue_on_commit(mini_analysis_id: int, run_after: datetime | None = None) -> None:
    from .tasks import generate_mini_analysis

    transaction.on_commit(lambda: enqueue_task(generate_mini_analysis, mini_analysis_id, run_after=run_after))


def enqueue_task(task, *args, run_after: datetime | None = None) -> None:
    """Enqueue after the commit. A failure here loses nothing: the row says the job is due, and
    `requeue_lost_generations` enqueues it again."""
    try:
        if run_after is not None and task.get_backend().supports_defer:
            task = task.using(run_after=run_after)
        task.enqueue(*args)
    except Exception:
        logger.exception("Could not enqueue %s%s; the sweep will", task.name, args)

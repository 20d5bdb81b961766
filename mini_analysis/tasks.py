"""Background jobs of the request side (django-tasks), and what each enqueues next: the generation
job saves its outcome (`generation`), then queues the retry or the email. Jobs take ids, never
rows: a job may run long after it was enqueued, on another machine."""

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from . import emails
from .generation import claim_generation, generate_analysis
from .models import GenerationState, MiniAnalysis, Status

logger = logging.getLogger(__name__)

# Email sending: attempts, and the wait before each retry (5 min, 10 min, 20 min …).
EMAIL_MAX_ATTEMPTS = 6
EMAIL_RETRY_BASE = timedelta(minutes=5)


@task()
def generate_mini_analysis(mini_analysis_id: int) -> str | None:
    """Generate one request's analysis and PDF; see `run_generation`."""
    return run_generation(mini_analysis_id)


def run_generation(mini_analysis_id: int) -> str | None:
    """What the generation job does: claim the request, generate, save the outcome, then enqueue
    what follows (its retry, or its email). Returns the status written, or None if it was not
    claimed (not due, taken by another worker, or done)."""
    mini_analysis = claim_generation(mini_analysis_id)
    if mini_analysis is None:
        logger.info("Mini-analysis %s: not due or taken by another worker; skipped", mini_analysis_id)
        return None
    generate_analysis(mini_analysis)
    _enqueue_what_follows(mini_analysis)
    return mini_analysis.status


def _enqueue_what_follows(mini_analysis: MiniAnalysis) -> None:
    if mini_analysis.generation_state == GenerationState.RETRY:
        enqueue_generation(mini_analysis.pk, run_after=mini_analysis.next_attempt_at)
    elif mini_analysis.status == Status.GENERATED:
        pk = mini_analysis.pk
        transaction.on_commit(lambda: enqueue_task(send_analysis_email, pk))


@task()
def send_analysis_email(mini_analysis_id: int, attempt: int = 1) -> bool:
    """Send the visitor their analysis. A failure is retried later with backoff, and never
    changes the request's status: the analysis is generated whether or not the mail got out."""
    try:
        return emails.send_analysis_email(mini_analysis_id)
    except Exception:
        if attempt >= EMAIL_MAX_ATTEMPTS:
            emails.logger.exception("Mini-analysis %s: email not sent, giving up", mini_analysis_id)
            return False
        emails.logger.exception("Mini-analysis %s: email not sent, will retry", mini_analysis_id)
        run_after = timezone.now() + EMAIL_RETRY_BASE * 2 ** (attempt - 1)
        enqueue_task(send_analysis_email, mini_analysis_id, attempt + 1, run_after=run_after)
        return False


def enqueue_generation(mini_analysis_id: int, run_after: datetime | None = None) -> None:
    """Enqueue the request's generation job once the current transaction commits (at once when
    none is open): no job runs for a rolled-back request."""
    transaction.on_commit(lambda: enqueue_task(generate_mini_analysis, mini_analysis_id, run_after=run_after))


def enqueue_task(task, *args, run_after: datetime | None = None) -> None:
    """Enqueue a job. A failure here loses nothing: the row says the job is due, and
    `services.requeue_lost_generations` enqueues it again."""
    try:
        if run_after is not None and task.get_backend().supports_defer:
            task = task.using(run_after=run_after)
        task.enqueue(*args)
    except Exception:
        logger.exception("Could not enqueue %s%s; the sweep will", task.name, args)

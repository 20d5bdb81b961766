"""Writes of the request side that queue a generation: storing a submission, and queueing
generations again (the admin's action, `regenerate_mini_analyses`, the worker's sweep).

A submission stores the request (status NEW, generation QUEUED) in one transaction and enqueues
its job when that transaction commits: the visitor never waits on the generator, and no job runs
for a rolled-back request. The job (`tasks`) generates (`generation`) and enqueues what follows;
`requeue_lost_generations` (run by every `run_worker` at start and then every minute) enqueues
again the requests whose job never ran: the web process died between the commit and the enqueue,
the job was lost, or a claim went stale. Modules depend one way: services -> tasks -> generation.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from .generation import live_claim, stale_claim
from .models import GenerationState, MiniAnalysis, Status
from .recipients import reserve_analysis_email
from .tasks import enqueue_generation

logger = logging.getLogger(__name__)


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
        enqueue_generation(mini_analysis.pk)
    return mini_analysis


def requeue_generations(queryset: QuerySet[MiniAnalysis]) -> int:
    """Queue the generation of these requests again (admin action, `regenerate_mini_analyses`),
    attempts reset; a request a live worker is generating right now is left alone. Returns how
    many were queued."""
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            queryset.exclude(live_claim(now)).select_for_update().order_by().values_list("pk", flat=True)
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
            enqueue_generation(pk)
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
        | stale_claim(now)
    )
    with transaction.atomic():
        ids = list(
            MiniAnalysis.objects.filter(lost).select_for_update().order_by().values_list("pk", flat=True)
        )
        MiniAnalysis.objects.filter(pk__in=ids).update(queued_at=now)
        for pk in ids:
            logger.warning("Mini-analysis %s: its generation job was lost; queued again", pk)
            enqueue_generation(pk)
    return len(ids)

"""Project-level views: only what belongs to no app."""

import logging

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import Case, F, Min, When
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone, translation
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_tasks import task_backends
from django_tasks_db import DatabaseBackend
from django_tasks_db.models import DBTaskResult, get_date_max
from rest_framework.exceptions import NotFound

from crm.legacy_sync import lag_seconds
from mini_analysis.worker import last_heartbeat_age

logger = logging.getLogger(__name__)


def oldest_pending_job_age() -> float | None:
    """Seconds the oldest job ready to run has waited (since it was enqueued, or since its
    `run_after` if later), or None when none waits or the jobs are not in this database."""
    if not isinstance(task_backends["default"], DatabaseBackend):
        return None
    due_since = Case(When(run_after=get_date_max(), then=F("enqueued_at")), default=F("run_after"))
    oldest = DBTaskResult.objects.ready().aggregate(oldest=Min(due_since))["oldest"]
    if oldest is None:
        return None
    return max((timezone.now() - oldest).total_seconds(), 0.0)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers and the job queue moves; 503 when the database does not
    answer, when no worker was seen running its loop for WORKER_HEARTBEAT_MAX_AGE seconds, or when
    the oldest pending job waited more than QUEUE_MAX_AGE seconds (too few workers). The worker
    checks apply to the database backend only, whose jobs this database holds. Says nothing a
    visitor should not know."""
    jobs_here = isinstance(task_backends["default"], DatabaseBackend)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        age = oldest_pending_job_age()
        heartbeat_age = last_heartbeat_age() if jobs_here else None
    except DatabaseError:
        logger.exception("Health check: the database does not answer")
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    queue = {"oldest_pending_seconds": None if age is None else round(age, 1), "state": "ok"}
    body = {"status": "ok", "database": "ok", "queue": queue}
    if jobs_here:
        worker_gone = heartbeat_age is None or heartbeat_age > settings.WORKER_HEARTBEAT_MAX_AGE
        body["worker"] = {
            "last_seen_seconds": None if heartbeat_age is None else round(heartbeat_age, 1),
            "state": "missing" if worker_gone else "ok",
        }
        if worker_gone:
            logger.error("Health check: no worker seen running for %s s", heartbeat_age)
            body["status"] = "error"
    if age is not None and age > settings.QUEUE_MAX_AGE:
        logger.error("Health check: the oldest pending job waited %.0f s", age)
        queue["state"] = "stalled"
        body["status"] = "error"
    if body["status"] == "error":
        return JsonResponse(body, status=503)
    return JsonResponse({**body, **legacy_sync_health()})


def legacy_sync_health() -> dict:
    """The bridge's lag (`sync_legacy`), when a legacy MongoDB is configured: information for the
    operator, never a reason to call the web service unhealthy."""
    if not settings.LEGACY_MONGO_URI:
        return {}
    lag = lag_seconds()
    return {"legacy_sync": {"lag_seconds": None if lag is None else round(lag, 1)}}


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 404 page, but a JSON 404 under `/api/`: an API client (and the schema, which
    announces JSON errors) never gets an HTML page, whatever the path it got wrong."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": str(NotFound.default_detail)}, status=404)
    return defaults.page_not_found(request, exception)


@require_GET
def home(request: HttpRequest) -> HttpResponseRedirect:
    """`/` opens the form in the visitor's language (language cookie, then Accept-Language, then
    LANGUAGE_CODE), as LocaleMiddleware chooses it for the language-prefixed pages."""
    with translation.override(translation.get_language_from_request(request)):
        return redirect(reverse("mini_analysis:form"))


@require_GET
def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """Browsers and crawlers ask `/favicon.ico` whatever the page says: send them the static one."""
    return redirect(static("img/favicon.ico"))

"""Project-level views: only what belongs to no app."""

import logging

from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers, 503 otherwise; says nothing a visitor should not know."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.exception("Health check: the database does not answer")
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


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

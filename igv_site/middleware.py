"""Request ids (every log line of a request carries the same id, and the response returns it), and
the refusal of NUL characters in input."""

import re
import uuid
from collections.abc import Callable
from urllib.parse import unquote_to_bytes

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext as _

from .log import request_id_var

# An id sent by the proxy is kept only if it is short and harmless in a log line.
VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request_id
        return response


class RefuseNullCharactersMiddleware:
    """A 400 for a NUL character anywhere in a query string, or in an admin form's body.

    PostgreSQL cannot store or compare a string holding NUL (`ValueError: A string literal cannot
    contain NUL`): every admin filter, search, autocomplete term and API parameter that reaches a
    query with one would answer 500. No one types a NUL, so the request is refused here, once for
    every route, rather than stripped (a silently different search) or checked field by field.
    The raw query string is read, not `request.GET`: the parameter limits stay the views' to
    answer (the API in JSON). API bodies are JSON, whose strings DRF's fields check themselves.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            NULL in request.path
            or _holds_null(request.META.get("QUERY_STRING", ""))
            or _form_holds_null(request)
        ):
            message = _("The request contains a null character.")
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message}, status=400)
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


NULL = "\x00"


def _holds_null(encoded: str | bytes) -> bool:
    return b"\x00" in unquote_to_bytes(encoded)


def _form_holds_null(request: HttpRequest) -> bool:
    """An admin form posted URL-encoded (multipart bodies are the import's file, read by its view)."""
    return (
        request.method == "POST"
        and request.path.startswith("/admin/")
        and request.content_type == "application/x-www-form-urlencoded"
        and _holds_null(request.body)
    )

"""Request ids (every log line of a request carries the same id, and the response returns it), and
the refusal of input that no query can hold."""

import re
import uuid
from collections.abc import Callable
from urllib.parse import parse_qsl, unquote_to_bytes

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
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


class RefuseUnrepresentableInputMiddleware:
    """A 400 for input no query can hold: a NUL character, or a whole number too large.

    PostgreSQL cannot store or compare a string holding NUL (`ValueError: A string literal cannot
    contain NUL`); a whole number past 2**63 - 1 fits no integer column, nor one past 2**31 - 1 a
    date hierarchy's year, month or day (SQLite's driver and `datetime` raise `OverflowError`,
    which Django's admin does not catch in a foreign key filter, a date hierarchy or a choice
    field). Every admin filter, search and autocomplete term reaching a query with one answered
    500. No one types either, so the request is refused here, once for every page, rather than
    altered (a silently different search) or checked field by field.

    Read: the path and the raw query string of every request but the API's, and the URL-encoded
    body of an admin POST. The API validates its own parameters and bodies (serializers, held to
    its OpenAPI schema, which takes any string as a filter: a NUL there matches nothing); the
    public form's fields refuse a NUL with a translated error.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            return self.get_response(request)
        message = refusal(request.path, request.META.get("QUERY_STRING", ""), _admin_form(request))
        if message is None:
            return self.get_response(request)
        return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")


LARGEST_INTEGER = 2**63 - 1
# The admin's date hierarchy makes a `datetime` of its `__year`, `__month` and `__day`: a C int.
LARGEST_DATE_PART = 2**31 - 1
DATE_PARTS = ("__year", "__month", "__day")
WHOLE_NUMBER = re.compile(r"^\s*[+-]?\d+\s*$")


def refusal(path: str, *encoded: str | bytes) -> str | None:
    """Why the request is refused, or None."""
    if "\x00" in path or any(b"\x00" in unquote_to_bytes(part) for part in encoded):
        return _("The request contains a null character.")
    for part in encoded:
        text = part.decode("utf-8", "replace") if isinstance(part, bytes) else part
        for name, value in parse_qsl(text, keep_blank_values=True, errors="replace"):
            largest = LARGEST_DATE_PART if name.endswith(DATE_PARTS) else LARGEST_INTEGER
            if WHOLE_NUMBER.match(value) and _too_large(value, largest):
                return _("A number in the request is too large.")
    return None


def _too_large(whole_number: str, largest: int) -> bool:
    digits = whole_number.strip().lstrip("+-").lstrip("0")
    # Compared by length first: Python refuses to convert more than 4 300 digits.
    return len(digits) > len(str(largest)) or (digits != "" and int(digits) > largest)


def _admin_form(request: HttpRequest) -> bytes:
    """The body of an admin form posted URL-encoded (a multipart body is the import's file, which
    its view reads within limits)."""
    if (
        request.method == "POST"
        and request.path.startswith("/admin/")
        and request.content_type == "application/x-www-form-urlencoded"
    ):
        return request.body
    return b""

"""What every API route accepts as a body, and its JSON answer when the input is refused; the
strict JSON field types and the refusal answers the routes of both apps declare.

Set for every view by `REST_FRAMEWORK` (`DEFAULT_PARSER_CLASSES`, `EXCEPTION_HANDLER`), so a
route added later is covered without a line of its own:

- **JSON only.** DRF's defaults also parse form-encoded and multipart bodies, which any web page
  can make its visitors' browsers post to another site without a CORS preflight. A JSON body
  needs one, and the API answers none (no `Access-Control-Allow-*` header), so a browser never
  sends a cross-site POST here. Any other body is DRF's `415`, in JSON.
- **Bounded input, JSON refusals.** Django refuses a body over `DATA_UPLOAD_MAX_MEMORY_SIZE`
  and more than `DATA_UPLOAD_MAX_NUMBER_FIELDS` query parameters with exceptions DRF does not
  handle (Django then draws its HTML 400 page), and a JSON document nested some thousand levels
  deep makes the parser raise `RecursionError` (a 500). Here they are a JSON `413` and `400`.
- **No 404 for a `?format=` nobody knows.** DRF reads `format` as a renderer override and
  answers an unknown one with a 404 the schema cannot announce; an unknown one is ignored here,
  as any unknown parameter (`/api/schema/?format=json` still picks the JSON schema).
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import JSONParser
from rest_framework.views import exception_handler as drf_exception_handler


class JSONBodyParser(JSONParser):
    """DRF's JSON parser (the body is read through Django's `request.body`, so within
    `DATA_UPLOAD_MAX_MEMORY_SIZE`), which answers a too deeply nested document with a 400."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_("The JSON body is nested too deeply.")) from None


class LenientFormatNegotiation(DefaultContentNegotiation):
    """DRF's negotiation, where a `?format=` that no renderer has means no override."""

    def filter_renderers(self, renderers, format):
        return [renderer for renderer in renderers if renderer.format == format] or renderers


class RequestTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"

    def __init__(self) -> None:
        super().__init__(
            _("The request body is too large: at most %(limit)s bytes.")
            % {"limit": settings.DATA_UPLOAD_MAX_MEMORY_SIZE}
        )


def exception_handler(exception: Exception, context: dict):
    """DRF's handler, which also answers Django's refusals of oversized input in JSON."""
    if isinstance(exception, RequestDataTooBig):
        exception = RequestTooLarge()
    elif isinstance(exception, TooManyFieldsSent):
        exception = ParseError(
            _("Too many parameters: at most %(limit)s.") % {"limit": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS}
        )
    return drf_exception_handler(exception, context)


class StringField(serializers.CharField):
    """A JSON string and nothing else: DRF's CharField would also take the number 12 as "12",
    which the schema (`type: string`) does not say."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class JSONBooleanField(serializers.BooleanField):
    """`true` or `false`, nothing else: DRF's BooleanField would also take 0, "yes", "on"…"""

    def to_internal_value(self, data):
        if isinstance(data, bool):
            return data
        self.fail("invalid", input=data)


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


# The answers of every route that takes a body.
BODY_ERRORS = {
    413: OpenApiResponse(ErrorSerializer, description="The body is over DATA_UPLOAD_MAX_MEMORY_SIZE."),
    415: OpenApiResponse(ErrorSerializer, description="The body is not JSON (`application/json`)."),
}

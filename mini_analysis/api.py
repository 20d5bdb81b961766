"""The public JSON API of the form: `POST /api/mini-analysis` (answers 202 and a status URL) and
`GET /api/mini-analysis/<request_id>` (that status).

Thin views: a submission is handled by `submission.handle_submission`, as the HTML form's, and its
rules are `MiniAnalysisForm`'s; the schema of the body is written from that form. What every
route accepts as a body, and its refusals, is `igv_site.api_input`'s.
"""

import functools
import sys
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import translation
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from igv_site.api_input import BODY_ERRORS, ErrorSerializer, JSONBooleanField, StringField

from .forms import MiniAnalysisForm, phone_example
from .models import GenerationState, Language, MiniAnalysis, Status
from .pdf import is_linkable_pdf_url
from .submission import Outcome, handle_submission
from .throttling import RATE_LIMITED_MESSAGE
from .validators import is_invisible, is_line_break_or_control


def _text(**options) -> StringField:
    return StringField(required=False, allow_blank=True, trim_whitespace=False, **options)


class MiniAnalysisRequestSerializer(serializers.Serializer):
    """The shape of the body: types only. Which fields are required, and every other rule, is
    `MiniAnalysisForm`'s, so the API and the HTML form cannot drift apart; the schema describes
    them from the form (`submission_schema`)."""

    email = _text()
    phone = _text()
    brand_name = _text()
    sector = _text()
    consent = JSONBooleanField(required=False, default=False)
    language = serializers.ChoiceField(choices=Language.choices, required=False)
    website = _text()


# The white space the form trims (Python's `str.strip()`), as a regex class body. JSON Schema's
# `\s` is ECMAScript's, which leaves out U+001C-U+001F and U+0085 and adds U+FEFF: with it, the
# schema would call valid a brand the form reads as empty.
TRIMMED = "".join(f"\\u{code:04x}" for code in range(0x3001) if chr(code).isspace())


@functools.cache
def character_class(predicate: Callable[[str], bool]) -> str:
    """The body of a regex class of every code point `predicate` accepts, as ranges: BMP code
    points escaped (`\\u200b`), astral ones written as themselves (JSON Schema's regexes are
    ECMAScript's, whose `\\u` takes four digits; a literal character reads the same there and in
    Python). Computed once, when the schema is first asked for."""

    def spell(code: int) -> str:
        return f"\\u{code:04x}" if code <= 0xFFFF else chr(code)

    ranges, start = [], None
    for code in range(sys.maxunicode + 2):
        inside = code <= sys.maxunicode and not 0xD800 <= code <= 0xDFFF and predicate(chr(code))
        if inside and start is None:
            start = code
        elif not inside and start is not None:
            ranges.append(spell(start) if start == code - 1 else f"{spell(start)}-{spell(code - 1)}")
            start = None
    return "".join(ranges)


def submission_schema() -> dict:
    """The body of `POST /api/mini-analysis` as JSON Schema, written from `MiniAnalysisForm`'s own
    fields (which are required, their lengths and choices), so the schema says what the form
    checks without a second copy of the rules. The form trims text, so surrounding white space
    is allowed and the lengths are those of the trimmed value; NUL is refused everywhere."""
    fields = MiniAnalysisForm.base_fields
    email_length = fields["email"].max_length
    brand_length = fields["brand_name"].max_length
    # The brand's rule (`mini_analysis.validators`): what may not stand between its first and
    # last character, and what draws nothing.
    forbidden, invisible = character_class(is_line_break_or_control), character_class(is_invisible)
    return {
        "type": "object",
        "required": [name for name, field in fields.items() if field.required],
        "properties": {
            "email": {
                "type": "string",
                "format": "email",
                "pattern": rf"^[{TRIMMED}]*[^{TRIMMED}\x00]{{1,{email_length}}}[{TRIMMED}]*$",
                "description": f"An email address, at most {email_length} characters once trimmed.",
            },
            "phone": {
                # Empty is spelled apart from the custom format: a tool that cannot check the
                # format (schemathesis' negative phase) would otherwise take "" for a bad phone.
                "anyOf": [
                    {"type": "string", "pattern": rf"^[{TRIMMED}]*$"},
                    {"type": "string", "format": "phone"},
                ],
                "example": phone_example(),
                "description": (
                    "Optional: empty (or only white space) means none. Else a valid phone number, "
                    "international (+country) or national in "
                    f"{settings.PHONENUMBER_DEFAULT_REGION}; stored in E.164. JSON Schema cannot "
                    "spell this rule, hence the custom `phone` format."
                ),
            },
            "brand_name": {
                "type": "string",
                "pattern": (
                    rf"^[{TRIMMED}]*[^{TRIMMED}{forbidden}]"
                    rf"([^{forbidden}]{{0,{brand_length - 2}}}[^{TRIMMED}{forbidden}])?[{TRIMMED}]*$"
                ),
                "not": {"pattern": rf"^[{invisible}]*$"},
                "description": (
                    f"1 to {brand_length} characters once trimmed, on one line: no line break, control "
                    "character or bidi embedding, override or isolate, and not only invisible characters."
                ),
            },
            "sector": {
                "type": "string",
                "enum": [code for code, _label in fields["sector"].choices if code],
                "description": "A sector code of the form's list.",
            },
            "consent": {
                "type": "boolean",
                "enum": [True],
                "description": "Must be true.",
            },
            "language": {
                "type": "string",
                "enum": list(Language.values),
                "description": "Defaults to the Accept-Language header's, else fr.",
            },
            "website": {
                "type": "string",
                "pattern": rf"^[{TRIMMED}]*$",
                "description": "Honeypot: leave it out; a filled one is refused and nothing is stored.",
            },
        },
    }


class MiniAnalysisRequestSchema(OpenApiSerializerExtension):
    """Documents `MiniAnalysisRequestSerializer` with `submission_schema()`."""

    target_class = "mini_analysis.api.MiniAnalysisRequestSerializer"

    def map_serializer(self, auto_schema, direction) -> dict:
        return submission_schema()


class MiniAnalysisAcceptedSerializer(serializers.Serializer):
    """The answer to a submission: where to follow it. The same shape whoever sends it (no lead
    id: a submission must not tell whether the person was known)."""

    request_id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=Status.choices)
    status_url = serializers.CharField(help_text="GET it until `pending` is false.")


class MiniAnalysisStatusSerializer(serializers.Serializer):
    request_id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=Status.choices)
    generation_state = serializers.ChoiceField(choices=GenerationState.choices)
    pending = serializers.BooleanField(help_text="True while a worker prepares the analysis.")
    analysis_text = serializers.CharField(allow_blank=True)
    pdf_url = serializers.CharField(allow_blank=True)
    email_withheld = serializers.BooleanField(
        help_text="True when the analysis will not be emailed: its address had had "
        "MINI_ANALYSIS_EMAILS_PER_RECIPIENT analysis emails that day. It is still generated and given here."
    )


class MiniAnalysisSubmitView(APIView):
    """Submit a mini-analysis request, as the public form does.

    Anonymous by design: no authentication class runs, so no session is read and no CSRF token
    is needed (a JSON API used by scripts; nothing it does depends on who is logged in). JSON
    only, as every route (`igv_site.api_input`): another site's page cannot make a browser post it
    without a CORS preflight, which is never granted. Spam is held back by the same per-IP rate
    limit and honeypot as the form, and the emails by `MINI_ANALYSIS_EMAILS_PER_RECIPIENT`.
    """

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=MiniAnalysisRequestSerializer,
        responses={
            202: MiniAnalysisAcceptedSerializer,
            400: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description='Nothing stored. `{"field": ["message", ...], "non_field_errors": [...]}`',
            ),
            **BODY_ERRORS,
            429: OpenApiResponse(ErrorSerializer, description="Too many submissions from this address."),
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        language = _submission_language(request)
        with translation.override(language):
            body = MiniAnalysisRequestSerializer(data=request.data)
            if not body.is_valid():
                return Response(body.errors, status=status.HTTP_400_BAD_REQUEST)
            submission = handle_submission(request, _form_data(body.validated_data), language=language)
            if submission.outcome == Outcome.INVALID:
                return Response(_field_errors(submission.form), status=status.HTTP_400_BAD_REQUEST)
            if submission.outcome == Outcome.RATE_LIMITED:
                message = {"detail": str(RATE_LIMITED_MESSAGE)}
                return Response(message, status=status.HTTP_429_TOO_MANY_REQUESTS)
            if submission.outcome == Outcome.SPAM:
                # Honest clients leave the honeypot out; nothing is stored for those who fill it.
                errors = {"website": [translation.gettext("Leave this field empty")]}
                return Response(errors, status=status.HTTP_400_BAD_REQUEST)
        mini_analysis = submission.mini_analysis
        status_url = reverse("api-mini-analysis-status", kwargs={"request_id": mini_analysis.request_id})
        result = MiniAnalysisAcceptedSerializer(
            {
                "request_id": mini_analysis.request_id,
                "status": mini_analysis.status,
                "status_url": request.build_absolute_uri(status_url),
            }
        )
        return Response(result.data, status=status.HTTP_202_ACCEPTED, headers={"Location": status_url})


class MiniAnalysisStatusView(APIView):
    """Where a submission stands, and its analysis once generated (`pdf_url` is the PDF's path,
    empty unless it is a link the result page would show, `is_linkable_pdf_url`).

    Public like the submission, and keyed by the request's random UUID: only whoever submitted
    it knows the address. The visitor's result page shows the same thing."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(responses={200: MiniAnalysisStatusSerializer, 404: None}, auth=[])
    def get(self, request: Request, request_id) -> Response:
        mini_analysis = get_object_or_404(MiniAnalysis, request_id=request_id)
        generated = mini_analysis.status == Status.GENERATED
        result = MiniAnalysisStatusSerializer(
            {
                "request_id": mini_analysis.request_id,
                "status": mini_analysis.status,
                "generation_state": mini_analysis.generation_state,
                "pending": mini_analysis.generation_pending,
                "analysis_text": mini_analysis.analysis_text if generated else "",
                # The result page's rule: a stored value that is no safe link is never given out.
                "pdf_url": mini_analysis.pdf_url
                if generated and is_linkable_pdf_url(mini_analysis.pdf_url)
                else "",
                "email_withheld": mini_analysis.email_withheld,
            }
        )
        return Response(result.data, headers={"Cache-Control": "no-store"})


def _submission_language(request: Request) -> str:
    """The payload's `language` when it is one we write in, else the one LocaleMiddleware picked
    from `Accept-Language`, else French. An invalid `language` is still refused by the serializer,
    in this language."""
    data = request.data
    requested = data.get("language") if isinstance(data, dict) else None
    if isinstance(requested, str) and requested in Language.values:
        return requested
    code = (getattr(request, "LANGUAGE_CODE", "") or "")[:2]
    return code if code in Language.values else Language.FRENCH


def _form_data(validated: dict) -> dict:
    """The JSON body as the HTML form would post it (a checkbox is present only when ticked)."""
    data = {name: validated.get(name, "") for name in ("email", "phone", "brand_name", "sector", "website")}
    if validated["consent"]:
        data["consent"] = "on"
    return data


def _field_errors(form: MiniAnalysisForm) -> dict[str, list[str]]:
    """The form's errors in DRF's shape: `{field: [message, ...]}`, `non_field_errors` for the rest."""
    return {
        "non_field_errors" if field == NON_FIELD_ERRORS else field: list(messages)
        for field, messages in form.errors.items()
    }

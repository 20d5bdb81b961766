"""The JSON API: `POST /api/mini-analysis` (public, the form's flow; answers 202 and a status URL),
`GET /api/mini-analysis/<request_id>` (that status) and `GET /api/crm/leads` (staff).

Views and serializers are thin: the submission is validated by `MiniAnalysisForm` (the one place
for the form's rules) and handled by `submit_mini_analysis`, the same flow as the HTML form.
"""

import functools
import re
import sys
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import NON_FIELD_ERRORS
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import translation
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.permissions import AllowAny, BasePermission, IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from mini_analysis.forms import MiniAnalysisForm, phone_example
from mini_analysis.models import GenerationState, Language, MiniAnalysis, Status
from mini_analysis.pdf import is_linkable_pdf_url
from mini_analysis.services import submit_mini_analysis
from mini_analysis.throttling import RATE_LIMITED_MESSAGE, submission_rate_limited
from mini_analysis.validators import is_invisible, is_line_break_or_control

from . import visibility
from .models import Lead, LeadStage, Source

# --- POST /api/mini-analysis ------------------------------------------------------------------


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


AMOUNT_PATTERN = r"^\d{1,10}(\.\d{1,2})?$"


@extend_schema_field({"type": "string", "pattern": AMOUNT_PATTERN, "nullable": True, "example": "1250.00"})
class AmountField(serializers.DecimalField):
    """An amount of money as a JSON string of digits with at most two decimals ("1250.00"): the
    schema's pattern, checked here as written. DRF would also take the number 1250, "-1" or "1e3"."""

    def __init__(self, **kwargs):
        super().__init__(max_digits=12, decimal_places=2, min_value=0, **kwargs)

    def validate_empty_values(self, data):
        # DecimalField reads "" as null; the schema's pattern refuses "" (null is written null).
        return serializers.Field.validate_empty_values(self, data)

    def to_internal_value(self, data):
        if not isinstance(data, str) or not re.fullmatch(AMOUNT_PATTERN, data):
            self.fail("invalid")
        return super().to_internal_value(data)


# The largest id or count a query parameter may carry: a 64-bit signed integer, as the columns.
MAX_INTEGER = 2**63 - 1


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

    target_class = "crm.api.MiniAnalysisRequestSerializer"

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


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


# The answers of every route that takes a body (`crm.api_input`).
BODY_ERRORS = {
    413: OpenApiResponse(ErrorSerializer, description="The body is over DATA_UPLOAD_MAX_MEMORY_SIZE."),
    415: OpenApiResponse(ErrorSerializer, description="The body is not JSON (`application/json`)."),
}


class MiniAnalysisSubmitView(APIView):
    """Submit a mini-analysis request, as the public form does.

    Anonymous by design: no authentication class runs, so no session is read and no CSRF token
    is needed (a JSON API used by scripts; nothing it does depends on who is logged in). JSON
    only, as every route (`crm.api_input`): another site's page cannot make a browser post it
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
            form = MiniAnalysisForm(data=_form_data(body.validated_data))
            spam = form.is_spam()
            if not spam and not form.is_valid():
                return Response(_field_errors(form), status=status.HTTP_400_BAD_REQUEST)
            # Counted once valid, as by the form: a typo does not use up the allowance.
            if submission_rate_limited(request):
                message = {"detail": str(RATE_LIMITED_MESSAGE)}
                return Response(message, status=status.HTTP_429_TOO_MANY_REQUESTS)
            if spam:
                # Honest clients leave the honeypot out; nothing is stored for those who fill it.
                errors = {"website": [translation.gettext("Leave this field empty")]}
                return Response(errors, status=status.HTTP_400_BAD_REQUEST)
        mini_analysis = submit_mini_analysis(**form.submission(), language=language)
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


# --- GET /api/crm/leads -----------------------------------------------------------------------


class LeadSerializer(serializers.ModelSerializer):
    assigned_to = serializers.SlugRelatedField(
        slug_field="username",
        read_only=True,
        allow_null=True,
        help_text="The sales person's username; null when the lead is unassigned.",
    )
    mini_analysis_id = serializers.IntegerField(read_only=True, allow_null=True)
    phone = serializers.CharField(read_only=True)
    stage = serializers.ChoiceField(choices=LeadStage.choices, read_only=True, help_text="The sales stage.")
    next_action_at = serializers.DateTimeField(read_only=True, allow_null=True)
    last_contacted_at = serializers.DateTimeField(read_only=True, allow_null=True)
    contact_id = serializers.IntegerField(read_only=True, allow_null=True)
    opportunity_id = serializers.IntegerField(read_only=True, allow_null=True)
    converted_at = serializers.DateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = Lead
        fields = [
            "id",
            "email",
            "phone",
            "brand_name",
            "sector",
            "language",
            "status",
            "source",
            "assigned_to",
            "mini_analysis_id",
            "pdf_url",
            "analysis_text",
            "notes",
            "legacy_id",
            "created_at",
            "updated_at",
            "migrated_at",
            "stage",
            "next_action",
            "next_action_at",
            "last_contacted_at",
            "contact_id",
            "opportunity_id",
            "converted_at",
        ]
        read_only_fields = fields


class ListQuerySerializer(serializers.Serializer):
    """The query parameters every staff list takes. A bad value is a 400, never silently ignored:
    an empty number is refused, and each parameter is given at most once."""

    limit = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_INTEGER,
        help_text="Rows per page: default 50; at most 200 are returned.",
    )
    offset = serializers.IntegerField(
        required=False, min_value=0, max_value=MAX_INTEGER, help_text="Rows to skip."
    )

    def validate(self, attrs: dict) -> dict:
        errors = {
            name: [translation.gettext("Give this parameter once.")]
            for name in self.fields
            if len(self.initial_data.getlist(name)) > 1
        }
        # DRF reads an empty optional parameter as absent; an empty number is no number.
        for name, field in self.fields.items():
            if isinstance(field, serializers.IntegerField) and self.initial_data.get(name) == "":
                errors.setdefault(name, [serializers.IntegerField.default_error_messages["invalid"]])
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class LeadListQuerySerializer(ListQuerySerializer):
    """The leads list's filters: an empty `status`, `source` or `stage` means no filter."""

    status = serializers.ChoiceField(
        choices=[("", "any"), *Status.choices], required=False, allow_blank=True, help_text="Empty: any."
    )
    source = serializers.ChoiceField(
        choices=[("", "any"), *Source.choices], required=False, allow_blank=True, help_text="Empty: any."
    )
    stage = serializers.ChoiceField(
        choices=[("", "any"), *LeadStage.choices],
        required=False,
        allow_blank=True,
        help_text="The sales stage. Empty: any.",
    )


class LeadPagination(LimitOffsetPagination):
    """`limit`/`offset`, validated (and documented) by `ListQuerySerializer` first."""

    default_limit = 50
    max_limit = 200

    def get_schema_operation_parameters(self, view: APIView) -> list:
        return []


class CanViewLeads(BasePermission):
    """Being staff is not enough: reading leads needs `crm.view_lead`, as in the admin."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        return request.user.has_perm("crm.view_lead")


def leads_for_api(
    user: AbstractBaseUser, *, status: str | None = None, source: str | None = None, stage: str | None = None
) -> QuerySet[Lead]:
    """The leads a user may read (as in the admin), newest first, optionally filtered."""
    leads = visibility.visible_leads(user).select_related("assigned_to")
    if status:
        leads = leads.filter(status=status)
    if source:
        leads = leads.filter(source=source)
    if stage:
        leads = leads.filter(stage=stage)
    return leads.order_by("-created_at", "-id")


@extend_schema(
    parameters=[LeadListQuerySerializer],
    responses={
        200: LeadSerializer(many=True),
        400: OpenApiResponse(
            OpenApiTypes.OBJECT,
            description='A bad or repeated query parameter: `{"status": ["message", ...]}`.',
        ),
        401: OpenApiResponse(ErrorSerializer, description="No valid token (or session)."),
        403: OpenApiResponse(ErrorSerializer, description="Not staff, or without `crm.view_lead`."),
    },
)
class LeadListView(generics.ListAPIView):
    """The prospects a staff member may see, newest first, `limit`/`offset` paginated.

    `Authorization: Bearer <token>` (`manage.py create_api_token USERNAME`); staff only, with
    the `crm.view_lead` permission; a sales person sees what the admin shows them.
    """

    serializer_class = LeadSerializer
    pagination_class = LeadPagination
    permission_classes = [IsAdminUser, CanViewLeads]

    def get_queryset(self) -> QuerySet[Lead]:
        query = LeadListQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        filters = {name: query.validated_data.get(name) for name in ("status", "source", "stage")}
        return leads_for_api(self.request.user, **filters)

"""The JSON API: `POST /api/mini-analysis` (public, the form's flow; answers 202 and a status URL),
`GET /api/mini-analysis/<request_id>` (that status) and `GET /api/crm/leads` (staff).

Views and serializers are thin: the submission is validated by `MiniAnalysisForm` (the one place
for the form's rules) and handled by `submit_mini_analysis`, the same flow as the HTML form.
"""

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import NON_FIELD_ERRORS
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import translation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.permissions import AllowAny, BasePermission, IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from mini_analysis.forms import MiniAnalysisForm
from mini_analysis.models import GenerationState, Language, MiniAnalysis, Status
from mini_analysis.services import submit_mini_analysis
from mini_analysis.throttling import submission_rate_limited

from .models import Lead, Source

# --- POST /api/mini-analysis ------------------------------------------------------------------


class MiniAnalysisRequestSerializer(serializers.Serializer):
    """The shape of the JSON body: types only. Which fields are required, and every other rule,
    is `MiniAnalysisForm`'s, so the API and the HTML form cannot drift apart."""

    email = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    phone = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    brand_name = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    sector = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    consent = serializers.BooleanField(required=False, default=False, help_text="Must be true.")
    language = serializers.ChoiceField(
        choices=Language.choices, required=False, help_text="Defaults to the request's language, else fr."
    )
    website = serializers.CharField(
        required=False, allow_blank=True, trim_whitespace=False, help_text="Honeypot: leave it out."
    )


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


class SubmissionRateLimitedSerializer(serializers.Serializer):
    detail = serializers.CharField()


class MiniAnalysisSubmitView(APIView):
    """Submit a mini-analysis request, as the public form does.

    Anonymous by design: no authentication class runs, so no session is read and no CSRF token
    is needed (a JSON API used by other origins and scripts; nothing it does depends on who is
    logged in). Spam is held back by the same per-IP rate limit and honeypot as the form.
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
            429: OpenApiResponse(
                SubmissionRateLimitedSerializer, description="Too many submissions from this address."
            ),
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        if submission_rate_limited(request):
            message = translation.gettext(
                "You have sent several requests in a short time. Please wait a few minutes and try again."
            )
            return Response({"detail": message}, status=status.HTTP_429_TOO_MANY_REQUESTS)
        language = _submission_language(request)
        with translation.override(language):
            body = MiniAnalysisRequestSerializer(data=request.data)
            if not body.is_valid():
                return Response(body.errors, status=status.HTTP_400_BAD_REQUEST)
            form = MiniAnalysisForm(data=_form_data(body.validated_data))
            if form.is_spam():
                # Honest clients leave the honeypot out; nothing is stored for those who fill it.
                errors = {"website": [translation.gettext("Leave this field empty")]}
                return Response(errors, status=status.HTTP_400_BAD_REQUEST)
            if not form.is_valid():
                return Response(_field_errors(form), status=status.HTTP_400_BAD_REQUEST)
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
    """Where a submission stands, and its analysis once generated (`pdf_url` is the PDF's path).

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
                "pdf_url": mini_analysis.pdf_url if generated else "",
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
    assigned_to = serializers.SlugRelatedField(slug_field="username", read_only=True)
    mini_analysis_id = serializers.IntegerField(read_only=True, allow_null=True)
    phone = serializers.CharField(read_only=True)

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
        ]
        read_only_fields = fields


class LeadFilterSerializer(serializers.Serializer):
    """The list's filters; an unknown value is a 400, never silently ignored."""

    status = serializers.ChoiceField(choices=Status.choices, required=False)
    source = serializers.ChoiceField(choices=Source.choices, required=False)


class LeadPagination(LimitOffsetPagination):
    default_limit = 50
    max_limit = 200


class CanViewLeads(BasePermission):
    """Being staff is not enough: reading leads needs `crm.view_lead`, as in the admin."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        return request.user.has_perm("crm.view_lead")


def leads_for_api(
    user: AbstractBaseUser, *, status: str | None = None, source: str | None = None
) -> QuerySet[Lead]:
    """The leads a user may read (as in the admin), newest first, optionally filtered."""
    leads = Lead.objects.visible_to(user).select_related("assigned_to")
    if status:
        leads = leads.filter(status=status)
    if source:
        leads = leads.filter(source=source)
    return leads.order_by("-created_at", "-id")


@extend_schema(parameters=[LeadFilterSerializer])
class LeadListView(generics.ListAPIView):
    """The prospects a staff member may see, newest first, `limit`/`offset` paginated.

    `Authorization: Bearer <token>` (`manage.py create_api_token USERNAME`); staff only, with
    the `crm.view_lead` permission; a sales person sees what the admin shows them.
    """

    serializer_class = LeadSerializer
    pagination_class = LeadPagination
    permission_classes = [IsAdminUser, CanViewLeads]

    def get_queryset(self) -> QuerySet[Lead]:
        filters = LeadFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return leads_for_api(self.request.user, **filters.validated_data)

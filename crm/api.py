"""The staff JSON API's leads: `GET /api/crm/leads`, and the field types and list parameters the
other staff routes (`api_pipeline`) share. The public submission API is `mini_analysis.api`."""

import re

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import QuerySet
from django.utils import translation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.permissions import BasePermission, IsAdminUser
from rest_framework.request import Request
from rest_framework.views import APIView

from igv_site.api_input import ErrorSerializer
from mini_analysis.models import Status

from . import visibility
from .models import Lead, LeadStage, Source

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


class QueryIntegerField(serializers.IntegerField):
    """An integer query parameter, as the schema documents it: digits. DRF's `IntegerField` also
    reads "1.0" (and "1.") as 1, which the schema calls invalid (schemathesis sent `offset=0.0`)."""

    def to_internal_value(self, data):
        if isinstance(data, str) and not re.fullmatch(r"\s*[+-]?\d+\s*", data):
            self.fail("invalid")
        return super().to_internal_value(data)


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
            "first_name",
            "last_name",
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

    limit = QueryIntegerField(
        required=False,
        min_value=1,
        max_value=MAX_INTEGER,
        help_text="Rows per page: default 50; at most 200 are returned.",
    )
    offset = QueryIntegerField(required=False, min_value=0, max_value=MAX_INTEGER, help_text="Rows to skip.")

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

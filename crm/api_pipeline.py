"""The pipeline's JSON API (staff): contacts, opportunities, and converting a prospect.

- `GET /api/crm/contacts?owner=<username>`
- `GET /api/crm/opportunities?stage=<id>&owner=<username>`
- `POST /api/crm/leads/{id}/convert`

In the style of `crm.api` (the leads): `Authorization: Bearer <token>` (or the admin session, with its CSRF
token for the POST), staff with the model permission, rows narrowed by `crm.visibility` (the
admin's rule), `limit`/`offset` paging; a malformed filter is a 400, an owner or stage that
matches nothing gives an empty list (the schema cannot list the usernames or stage ids). The work is
`services.convert_lead`, the one the admin's button and bulk action call.
"""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import BasePermission, IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from igv_site.api_input import BODY_ERRORS, JSONBooleanField, StringField
from mini_analysis.models import Language

from . import services, visibility
from .api import MAX_INTEGER, AmountField, LeadPagination, ListQuerySerializer, QueryIntegerField
from .models import Contact, Currency, Opportunity, OpportunityStage


def _model_permission(codename: str) -> type[BasePermission]:
    class HasModelPermission(BasePermission):
        def has_permission(self, request: Request, view: APIView) -> bool:
            return request.user.has_perm(codename)

    HasModelPermission.__name__ = f"Has{codename.split('.')[-1].title().replace('_', '')}"
    return HasModelPermission


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


FIELD_ERRORS = OpenApiResponse(
    OpenApiTypes.OBJECT, description="An invalid value: `{field: [message, ...]}`."
)
AUTH_ERRORS = {
    401: OpenApiResponse(DetailSerializer, description="No valid token (or session)."),
    403: OpenApiResponse(DetailSerializer, description="Not staff, or without the permission."),
}


# --- GET /api/crm/contacts --------------------------------------------------------------------


class ContactSerializer(serializers.ModelSerializer):
    phone = serializers.CharField(read_only=True, help_text="E.164, or empty.")
    language = serializers.ChoiceField(choices=Language.choices, read_only=True)
    company_id = serializers.IntegerField(read_only=True, allow_null=True)
    company_name = serializers.CharField(source="company.name", read_only=True, allow_null=True)
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    last_contacted_at = serializers.DateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = Contact
        fields = [
            "id",
            "email",
            "first_name",
            "last_name",
            "phone",
            "language",
            "company_id",
            "company_name",
            "owner",
            "last_contacted_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class OwnerFilterSerializer(ListQuerySerializer):
    owner = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="Username of the owner; one that matches nobody gives an empty list. Empty: any.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Any text is a valid filter: one with a NUL character matches nobody (`owned_by`),
        # rather than being a 400 the schema (`type: string`) does not announce.
        self.fields["owner"].validators = []


def owned_by(rows: QuerySet, owner: str) -> QuerySet:
    """The rows of the owner with this username; no username holds a NUL character (and
    PostgreSQL refuses one in a query), so such a name matches nothing."""
    return rows.none() if "\x00" in owner else rows.filter(owner__username=owner)


class ContactListView(generics.ListAPIView):
    """The contacts a staff member may see (as in the admin), newest first, `limit`/`offset` paginated."""

    serializer_class = ContactSerializer
    pagination_class = LeadPagination
    permission_classes = [IsAdminUser, _model_permission("crm.view_contact")]

    @extend_schema(
        parameters=[OwnerFilterSerializer],
        responses={200: ContactSerializer(many=True), 400: FIELD_ERRORS, **AUTH_ERRORS},
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Contact]:
        filters = OwnerFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        contacts = visibility.visible_contacts(self.request.user).select_related("company", "owner")
        if owner := filters.validated_data.get("owner"):
            contacts = owned_by(contacts, owner)
        return contacts.order_by("-created_at", "-id")


# --- GET /api/crm/opportunities ---------------------------------------------------------------


class StageSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="__str__", read_only=True, help_text="In the request's language.")

    class Meta:
        model = OpportunityStage
        fields = ["id", "name", "order", "probability", "is_won", "is_lost"]
        read_only_fields = fields


class OpportunitySerializer(serializers.ModelSerializer):
    company_id = serializers.IntegerField(read_only=True)
    company_name = serializers.CharField(source="company.name", read_only=True)
    contact_id = serializers.IntegerField(read_only=True)
    stage = StageSerializer(read_only=True)
    currency = serializers.ChoiceField(choices=Currency.choices, read_only=True)
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    expected_close_date = serializers.DateField(read_only=True, allow_null=True)
    next_step_at = serializers.DateTimeField(read_only=True, allow_null=True)
    won_at = serializers.DateTimeField(read_only=True, allow_null=True)
    lost_at = serializers.DateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = Opportunity
        fields = [
            "id",
            "name",
            "company_id",
            "company_name",
            "contact_id",
            "stage",
            "amount",
            "currency",
            "expected_close_date",
            "owner",
            "next_step",
            "next_step_at",
            "closing_reason",
            "stage_entered_at",
            "won_at",
            "lost_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class OpportunityFilterSerializer(OwnerFilterSerializer):
    stage = QueryIntegerField(
        required=False,
        min_value=1,
        max_value=MAX_INTEGER,
        help_text="Id of the stage; one that does not exist gives an empty list.",
    )


class OpportunityListView(generics.ListAPIView):
    """The opportunities a staff member may see, newest first, `limit`/`offset` paginated."""

    serializer_class = OpportunitySerializer
    pagination_class = LeadPagination
    permission_classes = [IsAdminUser, _model_permission("crm.view_opportunity")]

    @extend_schema(
        parameters=[OpportunityFilterSerializer],
        responses={200: OpportunitySerializer(many=True), 400: FIELD_ERRORS, **AUTH_ERRORS},
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Opportunity]:
        filters = OpportunityFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        opportunities = visibility.visible_opportunities(self.request.user).select_related(
            "company", "stage", "owner"
        )
        if owner := filters.validated_data.get("owner"):
            opportunities = owned_by(opportunities, owner)
        if stage := filters.validated_data.get("stage"):
            opportunities = opportunities.filter(stage_id=stage)
        return opportunities.order_by("-created_at", "-id")


# --- POST /api/crm/leads/{id}/convert ---------------------------------------------------------


@extend_schema_field({"type": "string", "maxLength": 200, "pattern": r"^[^\x00]*$"})
class OpportunityNameField(StringField):  # also a person's name
    """Any text but NUL (which DRF's CharField refuses, and the schema says so)."""


class ConversionRequestSerializer(serializers.Serializer):
    """JSON types only (a string is a string, a boolean `true`/`false`, the amount a string of digits)."""

    create_opportunity = JSONBooleanField(default=True)
    opportunity_name = OpportunityNameField(
        max_length=200, required=False, allow_blank=True, default="", help_text="Default: the brand name."
    )
    amount = AmountField(required=False, allow_null=True, default=None)
    currency = serializers.ChoiceField(choices=Currency.choices, default=Currency.EUR)
    expected_close_date = serializers.DateField(required=False, allow_null=True, default=None)
    first_name = OpportunityNameField(
        max_length=200, required=False, allow_blank=True, default=None, help_text="Default: the prospect's."
    )
    last_name = OpportunityNameField(
        max_length=200, required=False, allow_blank=True, default=None, help_text="Default: the prospect's."
    )


class ConversionSerializer(serializers.Serializer):
    lead_id = serializers.IntegerField()
    contact_id = serializers.IntegerField()
    company_id = serializers.IntegerField()
    opportunity_id = serializers.IntegerField(allow_null=True)
    created = serializers.BooleanField(help_text="False when the prospect was already converted.")


class LeadConvertView(APIView):
    """Convert a prospect: its contact (same email) and company (same brand) are reused, an
    opportunity is created unless `create_opportunity` is false; the prospect is kept, CONVERTED.

    Converting again creates nothing and answers 200 with the same records.
    """

    permission_classes = [
        IsAdminUser,
        _model_permission("crm.change_lead"),
        _model_permission("crm.convert_lead"),
    ]

    @extend_schema(
        parameters=[OpenApiParameter("lead_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        request=ConversionRequestSerializer,
        responses={
            201: ConversionSerializer,
            200: OpenApiResponse(ConversionSerializer, description="Already converted: nothing was written."),
            400: FIELD_ERRORS,
            **AUTH_ERRORS,
            **BODY_ERRORS,
            404: OpenApiResponse(
                DetailSerializer, description="No such prospect, or not one the user may see."
            ),
            409: OpenApiResponse(
                DetailSerializer,
                description="A disqualified prospect is not converted; or no open opportunity stage exists.",
            ),
        },
    )
    def post(self, request: Request, lead_id: str) -> Response:
        if not lead_id.isascii() or not lead_id.isdigit():
            raise NotFound
        lead = get_object_or_404(visibility.visible_leads(request.user), pk=int(lead_id))
        body = ConversionRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            conversion = services.convert_lead(lead, user=request.user, **body.validated_data)
        except services.PipelineError as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        result = ConversionSerializer(
            {
                "lead_id": conversion.lead.pk,
                "contact_id": conversion.contact.pk,
                "company_id": conversion.company.pk,
                "opportunity_id": conversion.opportunity.pk if conversion.opportunity else None,
                "created": conversion.created,
            }
        )
        return Response(
            result.data, status=status.HTTP_201_CREATED if conversion.created else status.HTTP_200_OK
        )

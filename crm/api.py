"""The JSON API: `POST /api/mini-analysis` (public, the form's flow) and `GET /api/crm/leads` (staff).

Views and serializers are thin: the submission is validated by `MiniAnalysisForm` (the one place
for the form's rules) and handled by `submit_mini_analysis`, the same flow as the HTML form.
"""

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.permissions import BasePermission, IsAdminUser
from rest_framework.request import Request
from rest_framework.views import APIView

from mini_analysis.models import Status

from .models import Lead, Source

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

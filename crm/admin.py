"""The prospects page: the `Lead` changelist is where sales people work all day."""

import datetime

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.helpers import ActionForm
from django.contrib.auth import get_user_model
from django.db.models import Min, OuterRef, QuerySet, Subquery
from django.http import HttpRequest, StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_admin_lightweight_date_hierarchy.templatetags.ldh_admin_list import (
    default_date_hierarchy_drilldown,
)

from mini_analysis.admin import MiniAnalysisAdmin
from mini_analysis.models import MiniAnalysis
from mini_analysis.sectors import sector_label

from . import services
from .exports import lead_csv_lines
from .models import Lead, LeadSyncFailure
from .pagination import EstimatedCountPaginator


class SalesPersonFilter(admin.RelatedFieldListFilter):
    """Leads by sales person: the staff accounts, plus "unassigned".

    Django's `RelatedOnlyFieldListFilter` would read every lead to find who has some.
    """

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        self.empty_value_display = _("Unassigned")

    def field_choices(self, field, request, model_admin):
        ordering = self.field_admin_ordering(field, request, model_admin) or ("username",)
        return field.get_choices(include_blank=False, limit_choices_to={"is_staff": True}, ordering=ordering)


class SectorFilter(admin.AllValuesFieldListFilter):
    """The sectors present among the visible leads, found by walking the sector index.

    `SELECT DISTINCT sector` reads the whole table; asking for "the next sector after X" is one
    index probe per sector, so the sidebar costs a few milliseconds whatever the table's size.
    """

    max_choices = 200

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        sectors = self._sectors(model_admin.get_queryset(request), field.name)
        self.lookup_choices = sorted(sectors, key=lambda sector: sector_label(sector).casefold())

    def choices(self, changelist):
        for choice in super().choices(changelist):
            yield {**choice, "display": sector_label(choice["display"])}

    def _sectors(self, leads: QuerySet[Lead], name: str) -> list[str]:
        values = leads.order_by(name).values_list(name, flat=True)
        found: list[str] = []
        following = values.first()
        while following is not None and len(found) < self.max_choices:
            found.append(following)
            following = values.filter(**{f"{name}__gt": following}).first()
        return found


class AssignActionForm(ActionForm):
    assignee = forms.ModelChoiceField(
        label=_("Sales person"),
        queryset=get_user_model().objects.filter(is_staff=True, is_active=True).order_by("username"),
        required=False,
    )


@admin.register(Lead)
class LeadAdmin(admin.ModelAdmin):
    list_display = [
        "brand_name",
        "email",
        "phone",
        "sector_name",
        "language",
        "status",
        "source",
        "assigned_to",
        "created_at",
    ]
    list_filter = [
        "status",
        "source",
        ("assigned_to", SalesPersonFilter),
        "language",
        ("sector", SectorFilter),
    ]
    search_fields = ["email", "brand_name", "phone"]
    date_hierarchy = "created_at"
    # The years, months and days of the date bar are drawn without a query over every lead
    # (django-admin-lightweight-date-hierarchy); see `get_date_hierarchy_drilldown`.
    date_hierarchy_drilldown = False
    list_select_related = ["assigned_to"]
    list_per_page = 50
    # No COUNT(*) of the whole table on every page view (see `crm.pagination`).
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    # Facet counts would count every filter value over the whole table on each page view.
    show_facets = admin.ShowFacets.NEVER
    action_form = AssignActionForm
    actions = ["assign_to_me", "assign_to_sales_person", "export_csv"]
    readonly_fields = [
        "source",
        "mini_analysis_link",
        "pdf_link",
        "legacy_id",
        "created_at",
        "updated_at",
        "migrated_at",
    ]
    fieldsets = [
        (None, {"fields": ["brand_name", "email", "phone", "sector", "language"]}),
        (_("Follow-up"), {"fields": ["status", "assigned_to", "notes"]}),
        (_("Analysis"), {"fields": ["mini_analysis_link", "pdf_link", "analysis_text"]}),
        (_("History"), {"fields": ["source", "legacy_id", "created_at", "updated_at", "migrated_at"]}),
    ]

    def action_checkbox(self, lead: Lead) -> str:
        """Django's row checkbox, written directly: a widget template per row costs a fifth of the page."""
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            lead.pk,
            format_html(_("Select this object for an action - {}"), str(lead)),
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Lead]:
        return super().get_queryset(request).visible_to(request.user)

    def get_date_hierarchy_drilldown(self, year_lookup: int | None, month_lookup: int | None):
        """Without a year chosen: every year from the oldest lead to this one (one indexed MIN)."""
        if year_lookup is None and month_lookup is None:
            oldest = Lead.objects.aggregate(oldest=Min("created_at"))["oldest"]
            this_year = timezone.localdate().year
            first_year = timezone.localtime(oldest).year if oldest else this_year
            return [datetime.date(year, 1, 1) for year in range(first_year, this_year + 1)]
        return default_date_hierarchy_drilldown(year_lookup, month_lookup)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "assigned_to":
            users = get_user_model().objects.filter(is_staff=True, is_active=True)
            if not self.has_assign_permission(request):
                users = users.filter(pk=request.user.pk)
            kwargs["queryset"] = users.order_by("username")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_assign_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("crm.assign_lead")

    @admin.display(description=_("sector"), ordering="sector")
    def sector_name(self, lead: Lead) -> str:
        return sector_label(lead.sector)

    @admin.display(description=_("Mini-analysis"))
    def mini_analysis_link(self, lead: Lead) -> str:
        if lead.mini_analysis_id is None:
            return "-"
        url = reverse("admin:mini_analysis_minianalysis_change", args=[lead.mini_analysis_id])
        return format_html('<a href="{}">{}</a>', url, lead.mini_analysis)

    @admin.display(description=_("PDF"))
    def pdf_link(self, lead: Lead) -> str:
        if not lead.pdf_url:
            return "-"
        return format_html('<a href="{}">{}</a>', lead.pdf_url, _("Open the PDF"))

    @admin.action(description=_("Assign to me"), permissions=["change"])
    def assign_to_me(self, request: HttpRequest, queryset: QuerySet[Lead]) -> None:
        count = services.assign_leads(queryset, request.user)
        self.message_user(
            request,
            ngettext("%(count)d prospect assigned to you.", "%(count)d prospects assigned to you.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Assign to the chosen sales person"), permissions=["assign"])
    def assign_to_sales_person(self, request: HttpRequest, queryset: QuerySet[Lead]) -> None:
        try:
            assignee = AssignActionForm.base_fields["assignee"].clean(request.POST.get("assignee"))
        except forms.ValidationError:
            assignee = None
        if assignee is None:
            self.message_user(request, _("Choose a sales person first."), messages.WARNING)
            return
        count = services.assign_leads(queryset, assignee)
        self.message_user(
            request,
            ngettext(
                "%(count)d prospect assigned to %(name)s.",
                "%(count)d prospects assigned to %(name)s.",
                count,
            )
            % {"count": count, "name": assignee.get_username()},
            messages.SUCCESS,
        )

    @admin.action(description=_("Export the selection as CSV"), permissions=["view"])
    def export_csv(self, request: HttpRequest, queryset: QuerySet[Lead]) -> StreamingHttpResponse:
        response = StreamingHttpResponse(lead_csv_lines(queryset), content_type="text/csv; charset=utf-8")
        filename = f"prospects-{timezone.localdate():%Y-%m-%d}.csv"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


@admin.register(LeadSyncFailure)
class LeadSyncFailureAdmin(admin.ModelAdmin):
    list_display = ["mini_analysis", "created_at", "error"]
    list_select_related = ["mini_analysis"]
    readonly_fields = ["mini_analysis", "error", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


admin.site.unregister(MiniAnalysis)


@admin.register(MiniAnalysis)
class MiniAnalysisWithProspectAdmin(MiniAnalysisAdmin):
    """The mini-analysis admin plus the link to its prospect (same email and brand name)."""

    list_display = [*MiniAnalysisAdmin.list_display, "prospect_link"]
    readonly_fields = [*MiniAnalysisAdmin.readonly_fields, "prospect_link"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[MiniAnalysis]:
        lead = Lead.objects.filter(email_key=OuterRef("email_key"), brand_key=OuterRef("brand_key"))
        return super().get_queryset(request).annotate(lead_id=Subquery(lead.values("pk")[:1]))

    @admin.display(description=_("Prospect"))
    def prospect_link(self, mini_analysis: MiniAnalysis) -> str:
        if getattr(mini_analysis, "lead_id", None) is None:
            return _("No prospect yet")
        url = reverse("admin:crm_lead_change", args=[mini_analysis.lead_id])
        return format_html('<a href="{}">{}</a>', url, _("Open the prospect"))


from . import assignment_admin  # noqa: E402, F401 - registers the sales profiles (fair assignment)

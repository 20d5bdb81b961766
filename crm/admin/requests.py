"""The requests (mini-analyses) admin, with the link to each request's prospect, and the requests
whose automatic prospect failed."""

from django.contrib import admin
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from mini_analysis.admin import MiniAnalysisAdmin
from mini_analysis.keys import KEYED
from mini_analysis.models import MiniAnalysis

from .. import display
from ..models import Lead, LeadSyncFailure
from .base import VisibleToAdmin

admin.site.unregister(MiniAnalysis)


@admin.register(MiniAnalysis)
class MiniAnalysisWithProspectAdmin(VisibleToAdmin, MiniAnalysisAdmin):
    """The mini-analysis admin plus the link to its prospect (same email and brand name)."""

    add_title = _("New mini-analysis")

    list_display = [*MiniAnalysisAdmin.list_display, "prospect_link"]
    readonly_fields = [*MiniAnalysisAdmin.readonly_fields, "prospect_link"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[MiniAnalysis]:
        """Only the requests whose lead the user may see (changelist, search, change page, autocomplete)."""
        lead = Lead.objects.filter(KEYED, email_key=OuterRef("email_key"), brand_key=OuterRef("brand_key"))
        return super().get_queryset(request).annotate(lead_id=Subquery(lead.values("pk")[:1]))

    @admin.display(description=_("Prospect"))
    def prospect_link(self, mini_analysis: MiniAnalysis) -> str:
        if getattr(mini_analysis, "lead_id", None) is None:
            return _("No prospect yet")
        url = reverse("admin:crm_lead_change", args=[mini_analysis.lead_id])
        return format_html('<a href="{}">{}</a>', url, _("Open the prospect"))


@admin.register(LeadSyncFailure)
class LeadSyncFailureAdmin(display.BidiFormFieldsMixin, VisibleToAdmin):
    list_display = ["mini_analysis", "created_at", "error_text"]
    list_select_related = ["mini_analysis"]
    readonly_fields = ["mini_analysis", "error", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description=_("error"), ordering="error")
    def error_text(self, failure: LeadSyncFailure) -> str:
        return display.auto_dir_html(failure.error)

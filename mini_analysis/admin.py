from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import display
from .models import MiniAnalysis
from .sectors import sector_label
from .services import requeue_generations


@admin.register(MiniAnalysis)
class MiniAnalysisAdmin(display.BidiFormFieldsMixin, admin.ModelAdmin):
    """The stored requests, read-only in practice: they are what visitors sent.

    `crm.admin` extends this class with the link to the prospect, so that this app never
    imports the CRM.
    """

    list_display = [
        "brand",
        "email_address",
        "sector_name",
        "language",
        "status_badge",
        "generation_state",
        "attempts",
        "next_attempt_at",
        "created_at",
    ]
    list_display_links = ["brand"]
    list_filter = ["status", "generation_state", "language"]
    search_fields = ["email", "brand_name", "phone"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    readonly_fields = [
        "request_id",
        "legacy_id",
        "consent_at",
        "created_at",
        "updated_at",
        "generation_state",
        "attempts",
        "queued_at",
        "claimed_at",
        "next_attempt_at",
        "last_error",
        "emailed_at",
        "email_withheld",
    ]
    actions = ["requeue_generation"]

    @admin.action(description=_("Generate the selected analyses again"), permissions=["change"])
    def requeue_generation(self, request: HttpRequest, queryset: QuerySet[MiniAnalysis]) -> None:
        queued = requeue_generations(queryset)
        message = ngettext(
            "%(count)d request queued for generation.", "%(count)d requests queued for generation.", queued
        ) % {"count": queued}
        self.message_user(request, message, messages.SUCCESS)

    @admin.display(description=_("brand name"), ordering="brand_name")
    def brand(self, mini_analysis: MiniAnalysis) -> str:
        return display.auto_dir_html(mini_analysis.brand_name)

    @admin.display(description=_("email"), ordering="email")
    def email_address(self, mini_analysis: MiniAnalysis) -> str:
        return display.ltr_html(mini_analysis.email)

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, mini_analysis: MiniAnalysis) -> str:
        return display.status_badge_html(mini_analysis.status)

    @admin.display(description=_("sector"), ordering="sector")
    def sector_name(self, mini_analysis: MiniAnalysis) -> str:
        """The form stores a sector's code (`retail`); show its label in the admin's language."""
        return sector_label(mini_analysis.sector)

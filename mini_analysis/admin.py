from django.contrib import admin

from .models import MiniAnalysis


@admin.register(MiniAnalysis)
class MiniAnalysisAdmin(admin.ModelAdmin):
    """The stored requests, read-only in practice: they are what visitors sent.

    `crm.admin` extends this class with the link to the prospect, so that this app never
    imports the CRM.
    """

    list_display = ["brand_name", "email", "sector", "language", "status", "created_at"]
    list_filter = ["status", "language"]
    search_fields = ["email", "brand_name", "phone"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    readonly_fields = ["request_id", "legacy_id", "consent_at", "created_at", "updated_at"]

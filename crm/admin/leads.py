"""The prospects page: the `Lead` changelist is where sales people work all day.

Besides the analysis (`status`, read-only here: it is the request's), a prospect has its sales
stage, its next action (the earliest open task of its activities, inline), and a "Convert" button
(`convert_view`, also a bulk action) that calls `services.convert_lead`.
"""

import datetime
from functools import partial

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Min, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods
from django_admin_lightweight_date_hierarchy.templatetags.ldh_admin_list import (
    default_date_hierarchy_drilldown,
)
from simple_history.admin import SimpleHistoryAdmin

from mini_analysis.pdf import is_linkable_pdf_url
from mini_analysis.sectors import sector_label

from .. import display, selectors, services, visibility
from ..locks import lock_leads
from ..models import DisqualificationReason, Lead, LeadStage
from ..pagination import CountedInPartsChangeList, EstimatedCountPaginator
from ..search import SEARCHED_FIELDS
from ..selectors import active_staff
from . import email, lead_actions
from .activities import ActivityInline, save_activities
from .base import (
    HIDDEN_RECORD_LABEL,
    CrmMedia,
    VisibleToAdmin,
    due_date,
    next_action_filter,
    viewer_of,
)
from .exports import LeadExportMixin
from .imports import LeadImportMixin
from .lead_filters import SalesPersonFilter, SectorFilter
from .lead_forms import AssignActionForm, ConvertForm, LeadForm
from .record import NewActivityInline
from .record_kinds import LeadRecordMixin

# The newest requests listed on a prospect's page; the others are one link away.
MINI_ANALYSES_SHOWN = 20


@admin.register(Lead)
class LeadAdmin(
    LeadRecordMixin,
    LeadImportMixin,
    LeadExportMixin,
    display.BidiFormFieldsMixin,
    VisibleToAdmin,
    SimpleHistoryAdmin,
):
    form = LeadForm
    add_title = _("New prospect")
    # Django's changelist whose rows are drawn in one pass (crm/admin/rows.py), with the import
    # button (crm/admin/imports.py); a big export's pages are crm/admin/exports.py.
    change_list_template = "admin/crm/lead/change_list.html"
    # The record page (crm/admin/record.py), the stock form folded at its end.
    change_form_template = "admin/crm/record/lead.html"
    add_form_template = "admin/crm/lead/change_form.html"
    inlines = [NewActivityInline]
    # Compact columns so the list fits a 1366x768 screen in every language (see crm/display.py);
    # the sector and the language are filters and form fields, not columns.
    list_display = [
        "brand",
        "email_address",
        "phone_number",
        "status_badge",
        "stage_badge",
        "next_action_when",
        "source_short",
        "owner",
        "created_date",
    ]
    list_display_links = ["brand"]
    list_filter = [
        "status",
        "stage",
        "source",
        ("assigned_to", SalesPersonFilter),
        "language",
        ("sector", SectorFilter),
        next_action_filter("next_action_at", _("next action")),
    ]
    search_fields = SEARCHED_FIELDS[Lead]  # answered by `crm.search` (VisibleToAdmin)
    date_hierarchy = "created_at"
    # The years, months and days of the date bar are drawn without a query over every lead
    # (django-admin-lightweight-date-hierarchy); see `get_date_hierarchy_drilldown`.
    date_hierarchy_drilldown = False
    list_select_related = ["assigned_to"]
    list_per_page = 50
    # No COUNT(*) of the whole table on every page view (see `crm.pagination`); a sales person's
    # prospects are counted part by part (`count_parts`), each from an index on the owner.
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    # Facet counts would count every filter value over the whole table on each page view.
    show_facets = admin.ShowFacets.NEVER
    action_form = AssignActionForm
    actions = [
        lead_actions.assign_to_me,
        lead_actions.assign_to_sales_person,
        lead_actions.convert,
        lead_actions.export_csv,
        lead_actions.export_xlsx,
    ]
    readonly_fields = [
        "status",
        "source",
        "mini_analysis_link",
        "pdf_link",
        "mini_analyses_list",
        "legacy_id",
        "created_at",
        "updated_at",
        "migrated_at",
        "next_action",
        "next_action_due",
        "first_contacted_at",
        "last_contacted_at",
        "contact_link",
        "opportunity_link",
        "converted_at",
        "converted_by",
    ]
    fieldsets = [
        (
            None,
            {"fields": ["brand_name", ("first_name", "last_name"), "email", "phone", "sector", "language"]},
        ),
        (_("Follow-up"), {"fields": ["status", "assigned_to", "notes"]}),
        (
            _("Sales"),
            {
                "fields": [
                    "stage",
                    "disqualification_reason",
                    "next_action",
                    "next_action_due",
                    "first_contacted_at",
                    "last_contacted_at",
                    "contact_link",
                    "opportunity_link",
                    "converted_at",
                    "converted_by",
                ]
            },
        ),
        (_("Analysis"), {"fields": ["mini_analysis_link", "pdf_link", "analysis_text"]}),
        (_("Requests"), {"fields": ["mini_analyses_list"]}),
        (_("History"), {"fields": ["source", "legacy_id", "created_at", "updated_at", "migrated_at"]}),
    ]

    Media = CrmMedia

    def get_changelist(self, request: HttpRequest, **kwargs):
        return CountedInPartsChangeList

    def count_parts(self, request: HttpRequest) -> list[QuerySet[Lead]]:
        """The prospects `get_queryset` gives, as `visibility.visible_lead_parts`: with the `OR`, a
        filtered count read the rows of every colleague's lead of that status or stage (with ten
        sales persons, 210 ms to count 10 000 of 45 000 against 3 ms for a manager)."""
        return visibility.visible_lead_parts(request.user, admin.ModelAdmin.get_queryset(self, request))

    def get_date_hierarchy_drilldown(self, year_lookup: int | None, month_lookup: int | None):
        """Without a year chosen: every year from the oldest lead to this one (one indexed MIN)."""
        if year_lookup is None and month_lookup is None:
            oldest = Lead.objects.aggregate(oldest=Min("created_at"))["oldest"]
            this_year = timezone.localdate().year
            first_year = timezone.localtime(oldest).year if oldest else this_year
            return [datetime.date(year, 1, 1) for year in range(first_year, this_year + 1)]
        return default_date_hierarchy_drilldown(year_lookup, month_lookup)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "assigned_to":  # not a scoped model: the base leaves it alone
            users = active_staff()
            if not self.has_assign_permission(request):
                users = users.filter(pk=request.user.pk)
            kwargs["queryset"] = users
        if db_field.name == "disqualification_reason":  # a retired reason stays on its leads only
            kwargs["queryset"] = DisqualificationReason.objects.filter(is_active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_assign_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("crm.assign_lead")

    def has_convert_permission(self, request: HttpRequest, lead: Lead | None = None) -> bool:
        return request.user.has_perm("crm.convert_lead") and self.has_change_permission(request, lead)

    def get_urls(self):
        convert = self.admin_site.admin_view(self.convert_view)
        write = self.admin_site.admin_view(partial(email.compose_view, self))
        return [
            path("<path:object_id>/convert/", convert, name="crm_lead_convert"),
            path("<path:object_id>/email/", write, name="crm_lead_email"),
            *super().get_urls(),
        ]

    def save_model(self, request: HttpRequest, obj: Lead, form, change: bool) -> None:
        """`services.save_lead`: a stage changed by hand through `set_lead_stage` (the row lock, the
        rule checked again under it, the history's reason), the other fields with it."""
        try:
            services.save_lead(obj, user=request.user, changed=form.changed_data if change else None)
        except services.PipelineError as error:
            self.message_user(request, str(error), messages.ERROR)

    def delete_model(self, request: HttpRequest, obj: Lead) -> None:
        """Its lead locked before Django's cascade deletes its activities (`crm.locks`)."""
        with transaction.atomic():
            lock_leads([obj.pk])
            super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Lead]) -> None:
        with transaction.atomic():
            lock_leads(queryset.values_list("pk", flat=True))
            super().delete_queryset(request, queryset)

    def save_formset(self, request: HttpRequest, form, formset, change: bool) -> None:
        if formset.model is not ActivityInline.model:
            return super().save_formset(request, form, formset, change)
        save_activities(request, formset)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["can_convert"] = (
            obj is not None
            and obj.stage != LeadStage.CONVERTED
            and (self.has_convert_permission(request, obj))
        )
        return super().render_change_form(request, context, add, change, form_url, obj)

    @admin.display(description=_("next action date"), ordering="next_action_at")
    def next_action_due(self, lead: Lead) -> str:
        return due_date(lead.next_action_at)

    @admin.display(description=_("next action"), ordering="next_action_at")
    def next_action_when(self, lead: Lead) -> str:
        return display.next_action_html(lead.next_action, lead.next_action_at)

    @admin.display(description=_("Brand"), ordering="brand_name")
    def brand(self, lead: Lead) -> str:
        return display.auto_dir_html(lead.brand_name)

    @admin.display(description=_("email"), ordering="email")
    def email_address(self, lead: Lead) -> str:
        return display.ltr_html(lead.email)

    @admin.display(description=_("phone"), ordering="phone")
    def phone_number(self, lead: Lead) -> str:
        return display.phone_html(lead.phone)

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, lead: Lead) -> str:
        return display.status_badge_html(lead.status)

    @admin.display(description=_("stage"), ordering="stage")
    def stage_badge(self, lead: Lead) -> str:
        return display.stage_badge_html(lead.stage)

    @admin.display(description=_("source"), ordering="source")
    def source_short(self, lead: Lead) -> str:
        return display.source_label(lead.source)

    @admin.display(description=_("Owner"), ordering="assigned_to__username")
    def owner(self, lead: Lead) -> str:
        return display.user_name(lead.assigned_to) or display.EMPTY

    @admin.display(description=_("created"), ordering="created_at")
    def created_date(self, lead: Lead) -> str:
        return display.date_html(lead.created_at)

    @admin.display(description=_("contact"))
    def contact_link(self, lead: Lead) -> str:
        if lead.contact_id is None:
            return "-"
        if not visibility.can_see(viewer_of(lead), lead.contact):
            return HIDDEN_RECORD_LABEL
        url = reverse("admin:crm_contact_change", args=[lead.contact_id])
        return format_html('<a href="{}">{}</a>', url, lead.contact)

    @admin.display(description=_("opportunity"))
    def opportunity_link(self, lead: Lead) -> str:
        if lead.opportunity_id is None:
            return "-"
        if not visibility.can_see(viewer_of(lead), lead.opportunity):
            return HIDDEN_RECORD_LABEL
        url = reverse("admin:crm_opportunity_change", args=[lead.opportunity_id])
        return format_html('<a href="{}">{}</a>', url, lead.opportunity)

    @method_decorator(require_http_methods(["GET", "POST"]))
    def convert_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The "Convert" button: a confirmation page (GET), the conversion (POST, CSRF-checked)."""
        lead = self.get_object(request, object_id)
        if lead is None:
            raise Http404
        if not self.has_convert_permission(request, lead):
            raise PermissionDenied
        change_url = reverse("admin:crm_lead_change", args=[lead.pk])
        form = ConvertForm(
            request.POST or None,
            initial={
                "opportunity_name": lead.brand_name,
                "first_name": lead.first_name,
                "last_name": lead.last_name,
            },
        )
        if request.method == "POST" and form.is_valid():
            try:
                conversion = services.convert_lead(
                    lead,
                    user=request.user,
                    create_opportunity=form.cleaned_data["create_opportunity"],
                    opportunity_name=form.cleaned_data["opportunity_name"],
                    amount=form.cleaned_data["amount"],
                    currency=form.cleaned_data["currency"],
                    expected_close_date=form.cleaned_data["expected_close_date"],
                    first_name=form.cleaned_data["first_name"],
                    last_name=form.cleaned_data["last_name"],
                )
            except services.PipelineError as error:
                self.message_user(request, str(error), messages.ERROR)
                return HttpResponseRedirect(change_url)
            if conversion.created:
                self.message_user(request, gettext("The prospect is converted."), messages.SUCCESS)
            else:
                self.message_user(request, gettext("The prospect was already converted."), messages.INFO)
            return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Convert the prospect"),
            "opts": self.opts,
            "original": lead,
            "form": form,
            "change_url": change_url,
        }
        return TemplateResponse(request, "admin/crm/lead/convert.html", context)

    @admin.display(description=_("Mini-analysis"))
    def mini_analysis_link(self, lead: Lead) -> str:
        if lead.mini_analysis_id is None:
            return "-"
        url = reverse("admin:mini_analysis_minianalysis_change", args=[lead.mini_analysis_id])
        return format_html('<a href="{}">{}</a>', url, lead.mini_analysis)

    @admin.display(description=_("Requests of this person and brand"))
    def mini_analyses_list(self, lead: Lead) -> str:
        """Every request of the lead's person and brand, newest first, with the values each one
        sent (the lead keeps its own contact values, see `services`): one query, the newest
        `MINI_ANALYSES_SHOWN` on the page and a link to the rest."""
        if lead.pk is None:
            return "-"
        rows = list(selectors.mini_analyses_of_lead(lead)[: MINI_ANALYSES_SHOWN + 1])
        every_request_url = None
        if len(rows) > MINI_ANALYSES_SHOWN:
            rows = rows[:MINI_ANALYSES_SHOWN]
            every_request_url = "{}?{}".format(
                reverse("admin:mini_analysis_minianalysis_changelist"),
                urlencode({"email_key": lead.email_key, "brand_key": lead.brand_key}),
            )
        for row in rows:
            row.sector_name = sector_label(row.sector)
        context = {"lead": lead, "rows": rows, "every_request_url": every_request_url}
        return render_to_string("admin/crm/lead/mini_analyses.html", context)

    @admin.display(description=_("PDF"))
    def pdf_link(self, lead: Lead) -> str:
        if not lead.pdf_url:
            return "-"
        if not is_linkable_pdf_url(lead.pdf_url):
            return lead.pdf_url  # shown as text (escaped), never a link
        return format_html('<a href="{}">{}</a>', lead.pdf_url, _("Open the PDF"))

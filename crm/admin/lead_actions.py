"""The prospects' bulk actions (the actions bar): assign, convert, export. Each calls a service;
Django checks each one's `permissions` against the admin's `has_<name>_permission`.

An export of more than `EXPORT_BACKGROUND_ROWS` prospects is not built in the request: it becomes
an `ExportRun` for the worker, and the user is sent to its page (`crm.admin.exports`)."""

from collections import Counter

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .. import display, services
from ..export_runs import too_big_for_a_request, too_big_for_a_sheet
from ..exports import lead_csv_lines, lead_xlsx_file
from ..models import ExportRun, Lead
from ..models.exports import EXPORT_QUERY_MAX_LENGTH
from ..tasks import start_background_export
from .lead_forms import AssignActionForm


@admin.action(description=_("Assign to me"), permissions=["change"])
def assign_to_me(modeladmin, request: HttpRequest, queryset: QuerySet[Lead]) -> None:
    count = services.assign_leads(queryset, request.user, actor=request.user)
    modeladmin.message_user(
        request,
        ngettext("%(count)d prospect assigned to you.", "%(count)d prospects assigned to you.", count)
        % {"count": count},
        messages.SUCCESS,
    )


@admin.action(description=_("Assign to the chosen sales person"), permissions=["assign"])
def assign_to_sales_person(modeladmin, request: HttpRequest, queryset: QuerySet[Lead]) -> None:
    try:
        assignee = AssignActionForm.base_fields["assignee"].clean(request.POST.get("assignee"))
    except forms.ValidationError:
        assignee = None
    if assignee is None:
        modeladmin.message_user(request, _("Choose a sales person first."), messages.WARNING)
        return
    count = services.assign_leads(queryset, assignee, actor=request.user)
    modeladmin.message_user(
        request,
        ngettext(
            "%(count)d prospect assigned to %(name)s.",
            "%(count)d prospects assigned to %(name)s.",
            count,
        )
        % {"count": count, "name": display.user_name(assignee)},
        messages.SUCCESS,
    )


@admin.action(description=_("Convert the selected prospects"), permissions=["convert"])
def convert(modeladmin, request: HttpRequest, queryset: QuerySet[Lead]) -> None:
    converted = 0
    refused: Counter[str] = Counter()  # per reason: each is said once, with its count
    for lead in queryset.select_related(None).order_by("pk").only("pk"):
        try:
            converted += services.convert_lead(lead, user=request.user).created
        except services.PipelineError as error:
            refused[str(error)] += 1
    modeladmin.message_user(
        request,
        ngettext("%(count)d prospect converted.", "%(count)d prospects converted.", converted)
        % {"count": converted},
        messages.SUCCESS,
    )
    for reason, count in refused.items():
        modeladmin.message_user(
            request,
            ngettext(
                "%(count)d prospect was not converted: %(reason)s",
                "%(count)d prospects were not converted: %(reason)s",
                count,
            )
            % {"count": count, "reason": reason},
            messages.WARNING,
        )


@admin.action(description=_("Export the selection as CSV"), permissions=["view"])
def export_csv(modeladmin, request: HttpRequest, queryset: QuerySet[Lead]) -> HttpResponse | None:
    if too_big_for_a_request(queryset):
        return _export_in_background(modeladmin, request, queryset, ExportRun.Format.CSV)
    response = StreamingHttpResponse(lead_csv_lines(queryset), content_type="text/csv; charset=utf-8")
    filename = f"prospects-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@admin.action(description=_("Export the selection as Excel (.xlsx)"), permissions=["view"])
def export_xlsx(modeladmin, request: HttpRequest, queryset: QuerySet[Lead]) -> HttpResponse | None:
    if too_big_for_a_request(queryset):
        if too_big_for_a_sheet(queryset):
            modeladmin.message_user(
                request,
                _("An Excel sheet holds at most 1 048 575 rows: export this selection as CSV."),
                messages.ERROR,
            )
            return None
        return _export_in_background(modeladmin, request, queryset, ExportRun.Format.XLSX)
    return FileResponse(
        lead_xlsx_file(queryset),
        as_attachment=True,
        filename=f"prospects-{timezone.localdate():%Y-%m-%d}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def _export_in_background(modeladmin, request: HttpRequest, queryset: QuerySet[Lead], format: str):
    """The worker builds the file from the list's filter string (and the ticked rows, unless every
    row of the list was chosen), as this user sees the list then: see `crm.export_runs`."""
    query = request.GET.urlencode()
    if len(query) > EXPORT_QUERY_MAX_LENGTH:
        modeladmin.message_user(
            request, _("These filters are too long for an export: shorten them."), messages.ERROR
        )
        return None
    every_row = request.POST.get("select_across") == "1"
    selected = None if every_row else list(queryset.order_by("pk").values_list("pk", flat=True))
    run = start_background_export(request.user, format=format, query=query, selected=selected)
    return HttpResponseRedirect(reverse(f"{modeladmin.admin_site.name}:crm_lead_export_run", args=[run.pk]))

"""The pages of an export built by the worker (`crm.export_runs`): its progress, then its file.

Both are the run's own user's (a superuser's too): anyone else gets a 404, whoever learns the
run's id. The file is streamed from the storage, never read whole.
"""

import uuid

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext as _

from ..export_runs import downloadable
from ..models import ExportRun

CONTENT_TYPES = {
    ExportRun.Format.CSV: "text/csv; charset=utf-8",
    ExportRun.Format.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class LeadExportMixin:
    """The run's page and its download on the prospects' admin."""

    export_run_template_name = "admin/crm/lead/export_run.html"

    def get_urls(self):
        def view(function):
            return self.admin_site.admin_view(function)

        return [
            path("export/run/<uuid:run>/", view(self.export_run_view), name="crm_lead_export_run"),
            path("export/run/<uuid:run>/file/", view(self.export_file_view), name="crm_lead_export_file"),
            *super().get_urls(),
        ]

    def export_run_view(self, request: HttpRequest, run: uuid.UUID) -> HttpResponse:
        """The export's progress (the page refreshes itself), then its download link."""
        run = self._run(request, run)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Export prospects"),
            "run": run,
        }
        return TemplateResponse(request, self.export_run_template_name, context)

    def export_file_view(self, request: HttpRequest, run: uuid.UUID) -> FileResponse:
        run = self._run(request, run)
        if run.state != ExportRun.State.DONE or not run.file or not run.file.storage.exists(run.file.name):
            raise Http404
        return FileResponse(
            run.file.open("rb"),
            as_attachment=True,
            filename=f"prospects-{run.created_at:%Y-%m-%d}.{run.format}",
            content_type=CONTENT_TYPES[run.format],
        )

    def _run(self, request: HttpRequest, run_id: uuid.UUID) -> ExportRun:
        if not self.has_view_permission(request):
            raise PermissionDenied
        run = downloadable(run_id, request.user)
        if run is None:
            raise Http404
        return run

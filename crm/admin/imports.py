"""The prospects' import page: django-import-export's upload, preview and confirmation, with the
limits of `crm.uploads`, the rules of `crm.imports`, and errors that never show a traceback.

What the library leaves out, done here: the uploaded file is refused by its size before it is
read; every error of reading the file is a sentence on the form; the file kept for the confirmation
is deleted at once when the preview finds errors, when the import is confirmed (before it runs,
so a confirmation sent twice imports once) or cancelled; a confirmation whose file is gone, or
whose import fails, says so instead of "Import finished".
"""

import logging

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from import_export.admin import ImportMixin
from import_export.forms import ImportForm
from import_export.tmp_storages import BaseStorage

from mini_analysis.tasks import enqueue_task

from ..imports import LeadCSV, LeadXLSX
from ..pending_imports import (
    PendingImportGone,
    discard_pending_import,
    keep_pending_import,
    pending_import_content,
    take_pending_import,
)
from ..tasks import expire_pending_imports
from ..uploads import UploadLimits, UploadRefused, check_file_size

logger = logging.getLogger(__name__)


class PendingImportStorage(BaseStorage):
    """django-import-export's temporary storage (`IMPORT_EXPORT_TMP_STORAGE_CLASS`) on
    `PendingImport`: `name` is the row's id, carried by the confirmation form. Each file kept has
    its deletion queued for when it expires."""

    def save(self, data: bytes | str) -> None:
        pending = keep_pending_import(data.encode() if isinstance(data, str) else bytes(data))
        enqueue_task(expire_pending_imports, run_after=pending.expires_at)
        self.name = pending.pk.hex

    def read(self) -> bytes:
        return pending_import_content(self.name)

    def remove(self) -> None:
        discard_pending_import(self.name)


class LeadImportForm(ImportForm):
    def clean_import_file(self):
        """Refused by its size alone, before anything reads it."""
        upload = self.cleaned_data["import_file"]
        try:
            check_file_size(upload.size)
        except UploadRefused as refusal:
            raise ValidationError(refusal.message) from None
        return upload


class LeadImportMixin(ImportMixin):
    """django-import-export's `ImportMixin` for the prospects (see the module's docstring)."""

    import_form_class = LeadImportForm
    import_formats = [LeadCSV, LeadXLSX]
    import_template_name = "admin/crm/lead/import.html"
    tmp_storage_class = PendingImportStorage

    def get_import_context_data(self, **kwargs) -> dict:
        return {
            **super().get_import_context_data(**kwargs),
            "import_limits": UploadLimits.from_settings(),
            "confirmation_minutes": settings.IMPORT_CONFIRMATION_TIMEOUT // 60,
        }

    def write_to_tmp_storage(self, import_file, input_format) -> PendingImportStorage:
        storage = PendingImportStorage()
        storage.save(b"".join(import_file.chunks()))
        return storage

    def add_data_read_fail_error_to_form(self, form, error: Exception) -> None:
        """A sentence for the person who uploaded: why their file cannot be read, never a class name."""
        if isinstance(error, UploadRefused):
            form.add_error("import_file", error.message)
            return
        logger.warning("An uploaded file could not be read", exc_info=error)
        form.add_error("import_file", _("This file cannot be read. Check the format chosen for it."))

    def import_action(self, request: HttpRequest, **kwargs) -> HttpResponse:
        """The library's upload and preview; the kept file goes unless the preview can be confirmed."""
        try:
            response = super().import_action(request, **kwargs)
        except BaseException:
            self._discard_upload(request)
            raise
        context = getattr(response, "context_data", None) or {}
        if "confirm_form" not in context:
            self._discard_upload(request)
        if result := context.get("result"):
            _log_errors(result, "preview")
        return response

    @method_decorator(require_POST)
    def process_import(self, request: HttpRequest, **kwargs) -> HttpResponse:
        """Confirm (or cancel) the import of the file kept at the preview; the file is deleted first."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        import_url = reverse("admin:crm_lead_import", current_app=self.admin_site.name)
        confirm_form = self.create_confirm_form(request)
        name = request.POST.get("import_file_name", "")
        if "_cancel" in request.POST:
            discard_pending_import(name)
            messages.info(request, _("Import cancelled: the file was deleted."))
            return HttpResponseRedirect(
                reverse("admin:crm_lead_changelist", current_app=self.admin_site.name)
            )
        try:
            data = take_pending_import(name)  # deleted now, whatever happens next
        except PendingImportGone:
            data = None
        if data is None or not confirm_form.is_valid():
            messages.error(
                request,
                _(
                    "This file is no longer waiting for confirmation (imported, cancelled or expired): "
                    "upload it again."
                ),
            )
            return HttpResponseRedirect(import_url)
        try:
            input_format = self.get_import_formats()[int(confirm_form.cleaned_data["format"])]()
            dataset = input_format.create_dataset(data)
        except UploadRefused as refusal:  # the limits changed since the preview
            messages.error(request, refusal.message)
            return HttpResponseRedirect(import_url)
        except (ValueError, IndexError):  # a format the preview did not offer
            messages.error(request, _("This file cannot be read. Check the format chosen for it."))
            return HttpResponseRedirect(import_url)
        result = self.process_dataset(
            dataset, confirm_form, request, rollback_on_validation_errors=True, **kwargs
        )
        if result.has_errors() or result.has_validation_errors():
            _log_errors(result, "confirmation")
            messages.error(
                request, _("Nothing was imported: the file no longer imports as previewed. Upload it again.")
            )
            return HttpResponseRedirect(import_url)
        return self.process_result(result, request)

    def _discard_upload(self, request: HttpRequest) -> None:
        # The library names the kept file on the uploaded file object (`write_to_tmp_storage`).
        if name := getattr(request.FILES.get("import_file"), "tmp_storage_name", None):
            discard_pending_import(name)


def _log_errors(result, step: str) -> None:
    """The tracebacks the page does not show, for the operators."""
    for error in result.base_errors:
        logger.error("Import %s failed:\n%s", step, error.traceback)
    for line, errors in result.row_errors():
        for error in errors:
            logger.error("Import %s failed at line %s:\n%s", step, line, error.traceback)

"""The prospects' import page, inside the admin (`get_urls`): upload, preview with the mapping of
columns, confirmation. The work is `crm.imports`; this module keeps the file between the steps.

A saved mapping (`ImportMapping`), chosen at the upload or on the preview, fills the columns'
choices; a manager may save the preview's mapping under a name as they confirm
(`crm.admin.import_settings` says who may do what).

The uploaded file waits in the database (`crm.pending_imports`) for its confirmation, named in the
uploader's session only; it is deleted when the import is confirmed (before it runs, so a
confirmation sent twice imports once) or cancelled, or by the worker when it expires. The refused
rows of a confirmed import wait the same way, as a CSV file to download, fix and import again.
Every error is a sentence on the page; tracebacks go to the log.

A file of more than `IMPORT_BACKGROUND_ROWS` rows is not planned here: its upload starts an
`ImportRun` (`crm.imports.jobs`), and the run's page (`import_run_view`) follows the worker's
preview, takes the confirmation (or other columns, or the cancel) and follows the import.
"""

import logging
import uuid

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from mini_analysis.tasks import enqueue_task

from .. import services
from ..imports import ImportPlan, check_mapping, guess_mapping, import_table, plan_import
from ..imports.background import SHOWN_ROWS, cancel_run, needs_worker, refused_csv
from ..imports.jobs import preview_again, start_background_import, start_background_preview
from ..models import ImportMapping, ImportRun
from ..pending_imports import (
    PendingImportGone,
    discard_pending_import,
    keep_pending_import,
    pending_import_content,
    pending_import_waiting,
    take_pending_import,
)
from ..tasks import expire_pending_imports
from ..uploads import UploadLimits, UploadRefused, read_table
from .import_forms import ImportUploadForm, MappingForm, MappingNameForm, SavedMappingChoiceForm

logger = logging.getLogger(__name__)
SESSION_KEY = "crm_pending_imports"


class LeadImportMixin:
    """The import's three pages on the prospects' admin (see the module's docstring)."""

    import_template_name = "admin/crm/lead/import.html"

    def has_import_permission(self, request: HttpRequest) -> bool:
        """An import both adds and updates prospects: it needs both permissions."""
        return request.user.has_perms(["crm.add_lead", "crm.change_lead"])

    def get_urls(self):
        def view(function):
            return self.admin_site.admin_view(function)

        return [
            path("import/", view(self.import_view), name="crm_lead_import"),
            path("import/<uuid:name>/", view(self.import_preview_view), name="crm_lead_import_preview"),
            path(
                "import/<uuid:name>/refused.csv",
                view(self.import_refused_view),
                name="crm_lead_import_refused",
            ),
            path("import/run/<uuid:run>/", view(self.import_run_view), name="crm_lead_import_run"),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        extra_context = {
            **(extra_context or {}),
            "has_import_permission": self.has_import_permission(request),
        }
        return super().changelist_view(request, extra_context)

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """The upload: the file is read within its limits, kept, and its preview shown."""
        self._check_permission(request)
        form = ImportUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            content = b"".join(form.cleaned_data["import_file"].chunks())
            try:
                big = needs_worker(content)
            except UploadRefused as refusal:
                form.add_error("import_file", refusal.message)
            except Exception:
                logger.exception("An uploaded file could not be read")
                form.add_error("import_file", _("This file cannot be read. Check the format chosen for it."))
            else:
                name = self._keep(request, content)
                saved = form.cleaned_data.get("saved_mapping")
                if big:  # read, previewed and imported by the worker: this page follows it
                    run = start_background_preview(request.user, name, saved.columns if saved else None)
                    request.session[SESSION_KEY] = [*request.session[SESSION_KEY], str(run.pk)]
                    return HttpResponseRedirect(self._url("crm_lead_import_run", run.pk))
                url = self._url("crm_lead_import_preview", name)
                if saved:
                    url += f"?mapping={saved.pk}"
                return HttpResponseRedirect(url)
        return self._render(request, {"form": form, "step": "upload"})

    def import_preview_view(self, request: HttpRequest, name: uuid.UUID) -> HttpResponse:
        """The preview (GET, or POST to map again), the confirmation (`_confirm`) or the cancel."""
        self._check_permission(request)
        name = self._owned(request, name)
        if request.method == "POST" and "_cancel" in request.POST:
            discard_pending_import(name)
            messages.info(request, _("Import cancelled: the file was deleted."))
            return HttpResponseRedirect(reverse(f"{self.admin_site.name}:crm_lead_changelist"))
        try:
            table = read_table(pending_import_content(name))
        except PendingImportGone:
            return self._gone(request)
        except UploadRefused as refusal:  # the limits changed since the upload
            discard_pending_import(name)
            messages.error(request, refusal.message)
            return HttpResponseRedirect(self._url("crm_lead_import"))
        posted = request.method == "POST"
        choice = SavedMappingChoiceForm(request.GET)
        saved = choice.cleaned_data["mapping"] if choice.is_valid() else None
        guessed = guess_mapping(table.headers, saved.columns if saved else None)
        form = MappingForm(table.headers, request.POST if posted else None, initial_mapping=guessed)
        mapping = form.mapping() if posted and form.is_valid() else guessed
        save_form = self._save_form(request)
        forms_context = {
            "mapping_form": form,
            "save_mapping_form": save_form,
            "saved_mapping_form": choice if ImportMapping.objects.exists() else None,
            "step": "preview",
        }
        try:
            if posted and "_confirm" in request.POST and form.is_valid():
                check_mapping(mapping)  # before the file is taken: a wrong mapping keeps it
                if save_form is None or self._save_mapping(request, save_form, table.headers, mapping):
                    return self._confirm(request, name, mapping)
            plan = plan_import(table, mapping, request.user)
        except UploadRefused as refusal:
            return self._render(request, {**forms_context, "mapping_error": refusal.message})
        except Exception:
            logger.exception("The import of a file failed")
            discard_pending_import(name)
            messages.error(
                request,
                _(
                    "The file could not be imported and nothing was written. The error was logged for "
                    "the administrators."
                ),
            )
            return HttpResponseRedirect(self._url("crm_lead_import"))
        return self._render(request, {**forms_context, **_plan_context(plan)})

    def import_refused_view(self, request: HttpRequest, name: uuid.UUID) -> HttpResponse:
        """The refused rows of a confirmed import, with their reason: kept until they expire."""
        self._check_permission(request)
        try:
            content = pending_import_content(self._owned(request, name))
        except PendingImportGone:
            raise Http404 from None
        response = HttpResponse(content, content_type="text/csv; charset=utf-8")
        filename = f"refused-{timezone.localdate():%Y-%m-%d}.csv"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    def import_run_view(self, request: HttpRequest, run: uuid.UUID) -> HttpResponse:
        """A big file the worker reads, previews and imports: its progress (the page refreshes
        itself), its preview to confirm (or map again, or cancel), then its outcome."""
        self._check_permission(request)
        run = ImportRun.objects.filter(pk=self._owned(request, run), user=request.user).first()
        if run is None:
            raise Http404
        if request.method == "POST" and run.state == ImportRun.State.PREVIEW:
            return self._run_answer(request, run)
        refused_name = str(run.refused_file) if run.refused_file else None
        if refused_name and refused_name not in request.session.get(SESSION_KEY, []):
            request.session[SESSION_KEY] = [*request.session.get(SESSION_KEY, []), refused_name]
        context = {"step": "run", "run": run, "counts": run.counts or None, "refused_name": refused_name}
        if run.state == ImportRun.State.PREVIEW:
            form = MappingForm(run.headers, initial_mapping=run.mapping)
            context.update(_run_preview_context(run, form), save_mapping_form=self._save_form(request))
        return self._render(request, context)

    def _save_form(self, request: HttpRequest) -> MappingNameForm | None:
        """ "Save this mapping as …", for those who may save one."""
        if request.user.has_perm("crm.add_importmapping") or request.user.has_perm(
            "crm.change_importmapping"
        ):
            return MappingNameForm(request.POST if request.method == "POST" else None)
        return None

    def _save_mapping(
        self, request: HttpRequest, form: MappingNameForm, headers: list[str], mapping: list[str]
    ) -> bool:
        """The mapping saved under the name given, if any; False (the form says why) if it cannot be."""
        if not form.is_valid():
            return False
        name = form.cleaned_data["save_as"].strip()
        if not name:
            return True
        replaces = ImportMapping.objects.filter(name=name).exists()
        if not request.user.has_perm("crm.change_importmapping" if replaces else "crm.add_importmapping"):
            form.add_error("save_as", _("You may not replace this mapping: choose another name."))
            return False
        try:
            services.keep_import_mapping(name=name, headers=headers, fields=mapping, actor=request.user)
        except ValidationError as error:
            form.add_error("save_as", " ".join(error.messages))
            return False
        messages.success(request, _("The mapping “%(name)s” was saved.") % {"name": name})
        return True

    def _run_answer(self, request: HttpRequest, run: ImportRun) -> HttpResponse:
        """The preview's buttons: cancel, preview again with other columns, or confirm."""
        if "_cancel" in request.POST:
            cancel_run(run)
            messages.info(request, _("Import cancelled: the file was deleted."))
            return HttpResponseRedirect(reverse(f"{self.admin_site.name}:crm_lead_changelist"))
        form = MappingForm(run.headers, request.POST, initial_mapping=run.mapping)
        if not form.is_valid():
            return HttpResponseRedirect(self._url("crm_lead_import_run", run.pk))
        mapping = form.mapping()
        save_form = self._save_form(request)
        context = {
            "step": "run",
            "run": run,
            **_run_preview_context(run, form),
            "save_mapping_form": save_form,
        }
        try:
            check_mapping(mapping)
        except UploadRefused as refusal:
            return self._render(request, {**context, "mapping_error": refusal.message})
        confirmed = "_confirm" in request.POST
        if (
            confirmed
            and save_form is not None
            and not self._save_mapping(request, save_form, run.headers, mapping)
        ):
            return self._render(request, context)
        if not confirmed:
            preview_again(run, mapping)
        elif not pending_import_waiting(str(run.pending_file)):
            return self._gone(request)
        else:
            start_background_import(run, mapping)
        return HttpResponseRedirect(self._url("crm_lead_import_run", run.pk))

    def _confirm(self, request: HttpRequest, name: str, mapping: list[str]) -> HttpResponse:
        try:
            content = take_pending_import(name)  # deleted now, whatever happens next
        except PendingImportGone:
            return self._gone(request)
        try:
            plan = import_table(read_table(content), mapping, request.user)
        except UploadRefused as refusal:
            messages.error(request, refusal.message)
            return HttpResponseRedirect(self._url("crm_lead_import"))
        refused_name = self._keep(request, refused_csv(plan)) if plan.refused else None
        return self._render(request, {"step": "done", "refused_name": refused_name, **_plan_context(plan)})

    def _keep(self, request: HttpRequest, content: bytes) -> str:
        pending = keep_pending_import(content)
        enqueue_task(expire_pending_imports, run_after=pending.expires_at)
        request.session[SESSION_KEY] = [*request.session.get(SESSION_KEY, [])[-20:], str(pending.pk)]
        return str(pending.pk)

    def _owned(self, request: HttpRequest, name: uuid.UUID) -> str:
        """A kept file is only ever shown to the session that uploaded it."""
        if str(name) not in request.session.get(SESSION_KEY, []):
            raise Http404
        return str(name)

    def _gone(self, request: HttpRequest) -> HttpResponse:
        messages.error(
            request,
            _(
                "This file is no longer waiting for confirmation (imported, cancelled or expired): "
                "upload it again."
            ),
        )
        return HttpResponseRedirect(self._url("crm_lead_import"))

    def _check_permission(self, request: HttpRequest) -> None:
        if not self.has_import_permission(request):
            raise PermissionDenied

    def _url(self, name: str, *args) -> str:
        return reverse(f"{self.admin_site.name}:{name}", args=args)

    def _render(self, request: HttpRequest, context: dict) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import prospects"),
            "import_limits": UploadLimits.from_settings(),
            "working_states": [ImportRun.State.QUEUED, ImportRun.State.READING, ImportRun.State.RUNNING],
            "confirmation_minutes": settings.IMPORT_CONFIRMATION_TIMEOUT // 60,
            **context,
        }
        return TemplateResponse(request, self.import_template_name, context)


def _plan_context(plan: ImportPlan) -> dict:
    return {
        "plan": plan,
        "counts": plan.counts,
        "refused_shown": plan.refused[:SHOWN_ROWS],
        "refused_hidden": max(0, len(plan.refused) - SHOWN_ROWS),
        "warnings_shown": plan.warnings[:SHOWN_ROWS],
    }


def _run_preview_context(run: ImportRun, form: MappingForm) -> dict:
    """A big file's preview, as the worker left it on its run (the page shows the first rows)."""
    shown = len(run.refused_shown)
    return {
        "step": "preview",
        "mapping_form": form,
        "mapping_error": run.error,
        "refused_shown": run.refused_shown,
        "refused_hidden": max(0, (run.counts or {}).get("refused", 0) - shown),
        "warnings_shown": run.warnings,
    }

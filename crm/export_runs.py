"""Exports too big for a web request (more than `EXPORT_BACKGROUND_ROWS` prospects): the admin's
action records an `ExportRun` (the list's filter string and the ticked rows), the worker builds
the file (`crm.tasks.export_in_background` -> `build_export`) into the default storage chunk by
chunk, and the user who asked downloads it from the run's page until `EXPORT_RETENTION` is over.

The rows are the list's, rebuilt by the worker from the filter string through the prospects'
admin (`ChangeList`: its filters, search, ordering and `crm.visibility`), as the user who asked:
what they see when the worker runs, not a copy of the list's rules that could drift from them.
"""

import io
import tempfile
from datetime import timedelta

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.files import File
from django.db.models import QuerySet
from django.http import HttpRequest, QueryDict
from django.utils import timezone

from .exports import XLSX_MAX_ROWS, write_lead_csv, write_lead_xlsx
from .models import ExportRun, Lead


def too_big_for_a_request(leads: QuerySet[Lead]) -> bool:
    """Whether `leads` holds more than `EXPORT_BACKGROUND_ROWS` rows, counted no further."""
    limit = settings.EXPORT_BACKGROUND_ROWS
    return leads.order_by()[: limit + 1].count() > limit


def too_big_for_a_sheet(leads: QuerySet[Lead]) -> bool:
    """Whether `leads` holds more rows than an Excel sheet (the header takes one), counted no further."""
    return leads.order_by()[:XLSX_MAX_ROWS].count() >= XLSX_MAX_ROWS


def new_export_run(user, *, format: str, query: str, selected: list[int] | None) -> ExportRun:
    """The run of an export for the worker, kept `EXPORT_RETENTION` from now (from when its file
    is built, once it is); the runs whose time is over are discarded first."""
    discard_expired_exports()
    return ExportRun.objects.create(
        user=user, format=format, query=query, selected=selected, expires_at=_retention_end()
    )


def export_queryset(run: ExportRun, user) -> QuerySet[Lead]:
    """The prospects the run exports: the list of its filter string as `user` sees it now, in the
    list's order, only the ticked ones when some were."""
    request = HttpRequest()
    request.method = "GET"
    request.user = user
    request.GET = QueryDict(run.query)
    model_admin = admin.site.get_model_admin(Lead)
    leads = model_admin.get_changelist_instance(request).get_queryset(request)
    if run.selected is not None:
        leads = leads.filter(pk__in=run.selected)
    return leads


def build_export(run_id: str) -> ExportRun | None:
    """Write the run's file (claimed once: a job delivered twice builds once), reporting its
    progress on the run; the file is in the default storage, kept until `expires_at`. None when
    the run is gone (expired before a worker took it)."""
    runs = ExportRun.objects.filter(pk=run_id)
    if not runs.filter(state=ExportRun.State.QUEUED).update(state=ExportRun.State.RUNNING):
        return runs.first()
    run = runs.get()
    try:
        user = get_user_model().objects.filter(pk=run.user_id, is_active=True).first()
        if user is None:
            raise PermissionError("the exporting user is gone")
        leads = export_queryset(run, user)
        runs.update(rows_total=leads.count())
        with tempfile.TemporaryFile() as output:
            count = _write(run.format, leads, output, lambda done: runs.update(rows_done=done))
            output.seek(0)
            run.file.save(f"{run.pk}.{run.format}", File(output), save=False)
    except Exception:
        runs.update(state=ExportRun.State.FAILED, expires_at=_retention_end())
        raise
    runs.update(state=ExportRun.State.DONE, rows_done=count, file=run.file.name, expires_at=_retention_end())
    return runs.get()


def _retention_end():
    return timezone.now() + timedelta(seconds=settings.EXPORT_RETENTION)


def _write(format: str, leads: QuerySet[Lead], output, on_progress) -> int:
    if format == ExportRun.Format.XLSX:
        return write_lead_xlsx(leads, output, on_progress)
    text = io.TextIOWrapper(output, encoding="utf-8", newline="")
    try:
        return write_lead_csv(leads, text, on_progress)
    finally:
        text.flush()
        text.detach()  # the binary file stays open for the storage


def discard_expired_exports() -> int:
    """Delete the runs whose time is over, and their files; how many runs."""
    expired = ExportRun.objects.filter(expires_at__lte=timezone.now())
    for run in expired.exclude(file=""):
        run.file.delete(save=False)
    return expired.delete()[0]


def downloadable(run_id, user) -> ExportRun | None:
    """The run, when `user` may see it (they asked for it, or they are a superuser)."""
    runs = ExportRun.objects.filter(pk=run_id)
    if not user.is_superuser:
        runs = runs.filter(user=user)
    return runs.first()

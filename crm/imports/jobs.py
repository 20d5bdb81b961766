"""The worker's jobs of a big file (`crm.imports.background`): its preview, then its import and
the email that says it is done; and the functions that queue them once the run is saved."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django_tasks import task

from ..models import ImportRun
from .background import requeue, run_import, run_preview


@task()
def import_in_background(run_id: str, pending_name: str, mapping: list[str]) -> dict:
    """Import a big file (`crm.imports.background`), then email the user who confirmed it."""
    run = run_import(run_id, pending_name, mapping)
    if run.user is not None and run.user.email:
        url = settings.SITE_URL.rstrip("/") + reverse("admin:crm_lead_import_run", args=[run.pk])
        with translation.override(settings.LANGUAGE_CODE):
            counts = run.counts
            body = _(
                "Your import is done: %(new)s new, %(updated)s updated, %(unchanged)s unchanged, "
                "%(refused)s refused.\n\nSee it (and download the refused rows): %(url)s\n"
            ) % {**counts, "url": url}
            send_mail(_("Your import of prospects is done"), body, None, [run.user.email])
    return run.counts


@task()
def preview_in_background(run_id: str, saved_columns: dict[str, str] | None = None) -> dict:
    """Read and preview a big file (`crm.imports.background`): its run waits for the confirmation.
    `saved_columns`: the saved mapping chosen at the upload (`ImportMapping.columns`), if any."""
    return run_preview(run_id, saved_columns).counts


def start_background_preview(
    user, pending_name: str, saved_columns: dict[str, str] | None = None
) -> ImportRun:
    """The run a big file goes through the worker on, from its upload, and its preview's job,
    queued once the run is saved."""
    run = ImportRun.objects.create(user=user, pending_file=pending_name)
    transaction.on_commit(lambda: preview_in_background.enqueue(str(run.pk), saved_columns))
    return run


def preview_again(run: ImportRun, mapping: list[str]) -> None:
    """The run's file previewed again by the worker, with other columns."""
    requeue(run, mapping)
    transaction.on_commit(lambda: preview_in_background.enqueue(str(run.pk)))


def start_background_import(run: ImportRun, mapping: list[str]) -> None:
    """The previewed run confirmed: its import's job, queued once the run says so."""
    requeue(run, mapping)
    pending_name = str(run.pending_file)
    transaction.on_commit(lambda: import_in_background.enqueue(str(run.pk), pending_name, mapping))

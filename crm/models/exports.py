"""An export of prospects too big for a web request, built by the worker and kept for download."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mini_analysis.lengths import text_length_constraint

# The admin's filter string of the list the export was asked from (`?stage=NEW&q=maison`).
EXPORT_QUERY_MAX_LENGTH = 4096


class ExportRun(models.Model):
    """An export of more than `EXPORT_BACKGROUND_ROWS` prospects (`crm.export_runs`): what to
    export (the list's filter string and the rows ticked, as the user saw them), its progress on a
    refreshing page, and the file, downloaded by the user who asked until `expires_at`."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Waiting for the worker")
        RUNNING = "running", _("Exporting")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "Excel (.xlsx)"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    format = models.CharField(_("format"), max_length=4, choices=Format.choices, default=Format.CSV)
    query = models.CharField(_("filters"), max_length=EXPORT_QUERY_MAX_LENGTH, blank=True)
    # The ids ticked on the list; null when every row of the filtered list was chosen.
    selected = models.JSONField(_("selected rows"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.QUEUED)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows done"), default=0)
    file = models.FileField(_("file"), upload_to="exports/", blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("export run")
        verbose_name_plural = _("export runs")
        constraints = [
            text_length_constraint(
                "crm_exportrun_text_lengths", {"format": 4, "query": EXPORT_QUERY_MAX_LENGTH, "state": 8}
            )
        ]

    def __str__(self) -> str:
        return str(self.id)

"""A spreadsheet uploaded for an import, kept between its preview and its confirmation."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mini_analysis.lengths import text_length_constraint


class PendingImport(models.Model):
    """The uploaded file, as it was sent, until the import is confirmed.

    In the database rather than one web server's disk or the cache: the confirmation may reach
    another worker or instance, and the rows can be found (`expires_at`) and searched (erasure).
    `crm.admin.imports` deletes it once the import is confirmed (or taken by the worker) or
    cancelled, and when it expires (`IMPORT_CONFIRMATION_TIMEOUT`). The refused rows of a confirmed
    import wait the same way, as a CSV file to download.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    content = models.BinaryField(_("content"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"), db_index=True)

    class Meta:
        verbose_name = _("pending import")
        verbose_name_plural = _("pending imports")

    def __str__(self) -> str:
        return str(self.id)


class ImportRun(models.Model):
    """An import confirmed for the worker (a file of more than `IMPORT_BACKGROUND_ROWS` rows): its
    progress, shown on a refreshing page, and its outcome. The file itself stays a `PendingImport`
    until the worker takes it."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Waiting for the worker")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.QUEUED)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows done"), default=0)
    counts = models.JSONField(_("counts"), default=dict)
    # The refused rows' CSV, a `PendingImport` of its own (same expiry, same erasure).
    refused_file = models.UUIDField(_("refused rows"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("import run")
        verbose_name_plural = _("import runs")
        constraints = [text_length_constraint("crm_importrun_text_lengths", {"state": 8})]

    def __str__(self) -> str:
        return str(self.id)

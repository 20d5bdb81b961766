"""An import's own rows: the uploaded file kept between its preview and its confirmation, the run
the worker does, the mappings of columns saved for the next file, and the lifecycle stages table."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mini_analysis.lengths import text_length_constraint

from .leads import LeadStage


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
    """A big file (more than `IMPORT_BACKGROUND_ROWS` rows) on its way through the worker: read and
    previewed (`READING`, then `PREVIEW`: its counts and first refused rows, waiting for the
    confirmation), then imported (`RUNNING`, then `DONE`); its progress shown on a refreshing page.
    The file itself stays a `PendingImport` (`pending_file`) until the worker takes it to import."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Waiting for the worker")
        READING = "reading", _("Reading the file")
        PREVIEW = "preview", _("Waiting for your confirmation")
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
    # The uploaded file (a `PendingImport`) until the worker takes it to import.
    pending_file = models.UUIDField(_("file"), null=True, blank=True)
    headers = models.JSONField(_("columns"), default=list)
    mapping = models.JSONField(_("mapping"), default=list)
    # The preview's first refused rows ({"line", "reasons"}) and warnings ([line, message]), as shown.
    refused_shown = models.JSONField(_("refused rows shown"), default=list)
    warnings = models.JSONField(_("warnings"), default=list)
    # Why the worker refused the file, or its columns (a sentence for the user).
    error = models.TextField(_("error"), max_length=2000, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("import run")
        verbose_name_plural = _("import runs")
        constraints = [text_length_constraint("crm_importrun_text_lengths", {"state": 8, "error": 2000})]

    def __str__(self) -> str:
        return str(self.id)


class ImportMapping(models.Model):
    """A mapping of columns saved at an import's preview, to offer again for the next file of the
    same tool: each column's field (or "" to ignore it), keyed by its header as
    `crm.imports.fields.simple_key` folds it (“E-mail” and “email” are one column). Columns it does
    not know are matched by their header as usual. Written by `crm.services.imports`."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    columns = models.JSONField(_("columns"), default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("import mapping")
        verbose_name_plural = _("import mappings")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(name=""),
                name="importmapping_name_not_blank",
                violation_error_message=_("Give the mapping a name."),
            ),
            text_length_constraint("crm_importmapping_text_lengths", {"name": 100}),
        ]

    def __str__(self) -> str:
        return self.name


# Stages another tool's label may give: a conversion is never imported (`convert_lead` makes one).
LIFECYCLE_STAGE_CHOICES = [
    (value, label) for value, label in LeadStage.choices if value != LeadStage.CONVERTED
]


class LifecycleStageMapping(models.Model):
    """A lifecycle stage or lead status of another tool (HubSpot, Pipedrive, Salesforce, Zoho, a
    spreadsheet) as people type it, and the sales stage an import gives it; for a disqualification,
    the reason given when the file gives none. Managers edit the table; `key` is the label folded
    (`simple_key`), set by `crm.services.imports.save_lifecycle_stage`."""

    label = models.CharField(_("label in the file"), max_length=100)
    key = models.CharField(max_length=100, unique=True, editable=False)
    stage = models.CharField(_("sales stage"), max_length=16, choices=LIFECYCLE_STAGE_CHOICES)
    disqualification_reason = models.ForeignKey(
        "crm.DisqualificationReason",
        verbose_name=_("disqualification reason"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("For a disqualification: the reason when the file gives none."),
    )

    class Meta:
        verbose_name = _("lifecycle stage")
        verbose_name_plural = _("lifecycle stages")
        ordering = ["stage", "key"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(key=""), name="lifecyclestage_key_not_blank"),
            models.CheckConstraint(
                condition=models.Q(stage__in=[value for value, _label in LIFECYCLE_STAGE_CHOICES]),
                name="lifecyclestage_stage_known",
            ),
            models.CheckConstraint(
                condition=models.Q(stage=LeadStage.DISQUALIFIED) | models.Q(disqualification_reason=None),
                name="lifecyclestage_reason_only_when_disqualified",
                violation_error_message=_("A reason is only given with the stage Disqualified."),
            ),
            text_length_constraint(
                "crm_lifecyclestagemapping_text_lengths", {"label": 100, "key": 100, "stage": 16}
            ),
        ]

    def __str__(self) -> str:
        return self.label

"""Where the bridge from the legacy MongoDB (`sync_legacy`) stands, kept in the CRM's database."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from mini_analysis.lengths import text_length_constraint


class LegacySyncState(models.Model):
    """One row per legacy database the bridge follows.

    `resume_token` (change stream) or `watermark` (polling) is saved in the same transaction as
    the change it follows, so a bridge killed at any moment resumes exactly after what it wrote.
    `in_step_at` is the last moment the bridge had applied every change it was told of: /healthz
    reports its age as the bridge's lag.
    """

    database = models.CharField(_("MongoDB database"), max_length=64, unique=True)
    resume_token = models.JSONField(_("change stream resume token"), null=True, blank=True)
    watermark = models.DateTimeField(_("polling watermark"), null=True, blank=True)
    in_step_at = models.DateTimeField(_("in step at"), null=True, blank=True)

    class Meta:
        db_table = "legacy_sync_state"
        constraints = [text_length_constraint("legacy_sync_state_text_lengths", {"database": 64})]
        verbose_name = _("legacy sync state")
        verbose_name_plural = _("legacy sync states")

    def __str__(self) -> str:
        return self.database

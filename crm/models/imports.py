"""A spreadsheet uploaded for an import, kept between its preview and its confirmation."""

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PendingImport(models.Model):
    """The uploaded file, as it was sent, until the import is confirmed.

    In the database rather than one web server's disk or the cache: the confirmation may reach
    another worker or instance, and the rows can be found (`expires_at`) and searched (erasure).
    `crm.imports` deletes it once the import is confirmed or cancelled, at once when its preview
    found errors, and when it expires (`IMPORT_CONFIRMATION_TIMEOUT`).
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

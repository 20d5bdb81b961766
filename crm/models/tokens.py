"""The API's tokens (`Authorization: Bearer <key>`): who they act for, what they may do, how long.

DRF's own token has neither an expiry nor a scope, and one per user; here a user may hold one
token per scope (full, and read-only for a script that only lists), each working for
`API_TOKEN_TTL_DAYS` days after it was issued. Checked by `crm.authentication`, issued by
`create_api_token`.
"""

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mini_analysis.lengths import text_length_constraint


def new_token_key() -> str:
    return secrets.token_hex(20)


class ApiToken(models.Model):
    key = models.CharField(_("key"), max_length=40, unique=True, default=new_token_key, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    read_only = models.BooleanField(
        _("read-only"), default=False, help_text=_("A read-only token may only read (GET, HEAD, OPTIONS).")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        constraints = [
            models.UniqueConstraint(fields=["user", "read_only"], name="api_token_one_per_user_and_scope"),
            text_length_constraint("api_token_text_lengths", {"key": 40}),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({'read-only' if self.read_only else 'full'})"

    @property
    def expires_at(self) -> datetime:
        """The lifetime is the setting's today, so shortening it also ends older tokens sooner."""
        return self.created_at + timedelta(days=settings.API_TOKEN_TTL_DAYS)

    def has_expired(self) -> bool:
        return timezone.now() >= self.expires_at

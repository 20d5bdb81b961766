from django.apps import AppConfig
from django.db.models.signals import post_save, pre_save
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    """Leads (prospects), the prospects admin, and the backfill and audit commands."""

    name = "crm"
    verbose_name = _("CRM")

    def ready(self) -> None:
        from mini_analysis.keys import keys_before_save
        from mini_analysis.models import MiniAnalysis

        from . import checks, signals  # noqa: F401 - checks registers the settings checks
        from .models import Lead

        pre_save.connect(keys_before_save, sender=Lead, dispatch_uid="crm.lead_identity_keys")

        post_save.connect(
            signals.create_or_update_lead,
            sender=MiniAnalysis,
            dispatch_uid="crm.create_or_update_lead",
        )

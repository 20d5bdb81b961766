from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.db.backends.signals import connection_created
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    """Leads (prospects), the prospects admin, and the backfill and audit commands."""

    name = "crm"
    verbose_name = _("CRM")

    def ready(self) -> None:
        from mini_analysis.models import MiniAnalysis

        from . import checks, preferences, signals  # noqa: F401 - checks registers the settings checks
        from .search import register_sqlite_fold

        post_save.connect(
            signals.create_or_update_lead,
            sender=MiniAnalysis,
            dispatch_uid="crm.create_or_update_lead",
        )
        user_logged_in.connect(preferences.remember_at_sign_in, dispatch_uid="crm.remember_preferences")
        # SQLite's half of the search's `crm_fold` (PostgreSQL's is a function of migration 0025).
        connection_created.connect(register_sqlite_fold, dispatch_uid="crm.register_sqlite_fold")

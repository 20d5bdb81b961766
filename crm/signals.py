"""Receivers of the CRM; connected in `CrmConfig.ready()`. They only call services."""

from mini_analysis.models import MiniAnalysis

from . import services


def create_or_update_lead(sender, instance: MiniAnalysis, raw: bool = False, **kwargs) -> None:
    """Every saved mini-analysis has a lead: the form's visitor becomes a prospect at once."""
    if raw:  # loaddata: fixtures carry their own leads
        return
    services.sync_lead_after_save(instance)

"""Receivers of the CRM; connected in `CrmConfig.ready()`. They only call services.

The one receiver keeps each request's lead in step (the design's `post_save` signal; the whole
flow is in docs/architecture.md). It does only what the saved fields need, so any code may
`save()` a request: a save of fields the lead does not take (the email's `emailed_at`) does
nothing here.
"""

from mini_analysis.models import MiniAnalysis

from . import services

# What a lead takes from its request (`services.lead_fields_from`), the identity it is found by
# (the keys follow the email and the brand), and the date that says which request is the newest.
LEAD_FOLLOWS = frozenset([*services.COPIED_FIELDS, "analysis_text", "created_at", "email_key", "brand_key"])


def create_or_update_lead(
    sender, instance: MiniAnalysis, raw: bool = False, update_fields: frozenset | None = None, **kwargs
) -> None:
    """Every saved mini-analysis has a lead: the form's visitor becomes a prospect at once."""
    if raw:  # loaddata: fixtures carry their own leads
        return
    if update_fields is not None and not LEAD_FOLLOWS & update_fields:
        return
    services.sync_lead_after_save(instance)

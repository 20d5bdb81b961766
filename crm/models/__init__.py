"""The CRM's models, one module per concept: leads, the pipeline they become, activities, assignment,
the API's tokens."""

from .activities import Activity, ActivityKind
from .assignment import SPOKEN_LANGUAGE_FIELDS, SalesProfile
from .leads import ANALYSIS_PREVIEW_LENGTH, Lead, LeadQuerySet, LeadStage, LeadSyncFailure, Source
from .pipeline import (
    Company,
    Contact,
    Currency,
    DisqualificationReason,
    Opportunity,
    OpportunityStage,
    OpportunityStageEntry,
)
from .tokens import ApiToken

__all__ = [
    "ANALYSIS_PREVIEW_LENGTH",
    "SPOKEN_LANGUAGE_FIELDS",
    "Activity",
    "ActivityKind",
    "ApiToken",
    "Company",
    "Contact",
    "Currency",
    "DisqualificationReason",
    "Lead",
    "LeadQuerySet",
    "LeadStage",
    "LeadSyncFailure",
    "Opportunity",
    "OpportunityStage",
    "OpportunityStageEntry",
    "SalesProfile",
    "Source",
]

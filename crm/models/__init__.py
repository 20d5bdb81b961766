"""The CRM's models, one module per concept: leads, the pipeline they become, activities,
assignment, imports and exports, the API's tokens, and where the bridge from the legacy MongoDB stands."""

from .activities import Activity, ActivityKind, ActivityOutcome
from .assignment import SPOKEN_LANGUAGE_FIELDS, SalesProfile
from .email import DeliveryStatus, EmailDirection, EmailMessage, EmailOptOut, EmailTemplate, MailboxState
from .exports import ExportRun
from .imports import ImportMapping, ImportRun, LifecycleStageMapping, PendingImport
from .leads import ANALYSIS_PREVIEW_LENGTH, Lead, LeadQuerySet, LeadStage, LeadSyncFailure, Source
from .legacy import LegacySyncState
from .pipeline import (
    Company,
    Contact,
    Currency,
    DisqualificationReason,
    LossReason,
    Opportunity,
    OpportunityStage,
    OpportunityStageEntry,
)
from .reminders import Reminder, ReminderKind
from .tokens import ApiToken

__all__ = [
    "ANALYSIS_PREVIEW_LENGTH",
    "SPOKEN_LANGUAGE_FIELDS",
    "Activity",
    "ActivityKind",
    "ActivityOutcome",
    "ApiToken",
    "Company",
    "Contact",
    "Currency",
    "DeliveryStatus",
    "DisqualificationReason",
    "EmailDirection",
    "EmailMessage",
    "EmailOptOut",
    "EmailTemplate",
    "ExportRun",
    "ImportMapping",
    "ImportRun",
    "Lead",
    "LeadQuerySet",
    "LeadStage",
    "LeadSyncFailure",
    "LegacySyncState",
    "LifecycleStageMapping",
    "LossReason",
    "MailboxState",
    "Opportunity",
    "OpportunityStage",
    "OpportunityStageEntry",
    "PendingImport",
    "Reminder",
    "ReminderKind",
    "SalesProfile",
    "Source",
]

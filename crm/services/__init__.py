"""The CRM's writes, one module per concept; the signal, the backfill, the API, the admin and the
commands call these, and every write names its actor in the history (`crm.history`):

- `leads`: the prospect of each request (the `post_save` receiver's `sync_lead`), assignment,
  an import's leads written in bulk;
- `stages`: a lead's sales stage set by hand;
- `conversion`: a lead converted into a contact, a company and an opportunity;
- `opportunities`: an opportunity saved, moved on the board;
- `activities`: calls, emails, meetings, notes, tasks (one submit of the record page: `log_contact`),
  and the next action and last contact they keep up to date;
- `imports`: the import's saved mappings of columns and its lifecycle stages table;
- `common`: the refusal a user reads (`PipelineError`) and `model_update`.

`from crm import services` then `services.convert_lead(...)`: the names below are the public ones.
"""

from .activities import (
    CONTACTING_KINDS,
    LoggedContact,
    activity_changed,
    complete_task,
    delete_activities,
    due_on,
    hand_over_open_tasks,
    log_contact,
    record_activity,
    refresh_contact_last_contacted,
    refresh_next_action,
    reschedule_task,
)
from .common import PipelineError, model_update, save_record
from .conversion import HIDDEN_RECORDS_MESSAGE, Conversion, convert_lead
from .imports import keep_import_mapping, save_import_mapping, save_lifecycle_stage
from .leads import (
    CONTACT_FIELDS,
    COPIED_FIELDS,
    FOLLOWED_FIELDS,
    assign_leads,
    lead_expressions_from,
    lead_fields_from,
    sync_lead,
    sync_lead_after_save,
    write_leads_in_bulk,
)
from .opportunities import move_opportunity, save_opportunity
from .stages import MANUAL_LEAD_STAGES, lead_stage_error, save_lead, set_lead_stage

__all__ = [
    "CONTACTING_KINDS",
    "CONTACT_FIELDS",
    "COPIED_FIELDS",
    "FOLLOWED_FIELDS",
    "HIDDEN_RECORDS_MESSAGE",
    "MANUAL_LEAD_STAGES",
    "Conversion",
    "LoggedContact",
    "PipelineError",
    "activity_changed",
    "assign_leads",
    "complete_task",
    "convert_lead",
    "delete_activities",
    "due_on",
    "hand_over_open_tasks",
    "keep_import_mapping",
    "lead_expressions_from",
    "lead_fields_from",
    "lead_stage_error",
    "log_contact",
    "model_update",
    "move_opportunity",
    "record_activity",
    "refresh_contact_last_contacted",
    "refresh_next_action",
    "reschedule_task",
    "save_import_mapping",
    "save_lead",
    "save_lifecycle_stage",
    "save_opportunity",
    "save_record",
    "set_lead_stage",
    "sync_lead",
    "sync_lead_after_save",
    "write_leads_in_bulk",
]

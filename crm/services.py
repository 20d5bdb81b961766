"""The CRM's business rules, in one place: the signal, the backfill, the API and the admin call these.

- A lead is one person and one brand: `identity_key` (email, brand name, trimmed and
  case-insensitive) is the dedupe key, guarded by a unique constraint on `Lead`.
- A lead follows the newest mini-analysis of its person and brand: status, PDF and analysis
  preview come from it. A request is anonymous (anyone can type anyone's email and brand), so it
  never replaces what the lead already holds: contact fields are only filled when blank, and what
  a sales person set (`assigned_to`, `notes`, `source`, the sales stage) is never touched. The newer
  values stay on the request, which the lead's admin page lists (`selectors.mini_analyses_of_lead`).
- The sales pipeline: a lead moves through its sales stages, is converted (once) into a contact,
  a company and an opportunity; an opportunity moves through the stages of the board; activities
  keep each record's next action and last contact up to date. Every write names its actor in the
  history (`crm.history`).
"""

import logging
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import BigIntegerField, DateTimeField, F, Max, Min, Q, QuerySet, Value
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mini_analysis.keys import normalize_key
from mini_analysis.lengths import ERROR_MAX_LENGTH
from mini_analysis.models import MiniAnalysis

from . import visibility
from .assignment import auto_assign
from .history import attribute, insert_history
from .models import (
    ANALYSIS_PREVIEW_LENGTH,
    Activity,
    ActivityKind,
    Company,
    Contact,
    DisqualificationReason,
    Lead,
    LeadStage,
    LeadSyncFailure,
    Opportunity,
    OpportunityStage,
    OpportunityStageEntry,
    Source,
)

logger = logging.getLogger(__name__)

# Fields a newer mini-analysis brings to an existing lead; everything else is the lead's own.
FOLLOWED_FIELDS = ["mini_analysis", "status", "pdf_url", "analysis_text"]
# Fields a newer mini-analysis may fill when the lead's is blank, and never replace: an anonymous
# request must not overwrite what a sales person typed or confirmed. (`language` is never blank.)
CONTACT_FIELDS = ["phone", "sector", "language"]


# The fields a lead copies from its mini-analysis, the same name on both models. The one mapping:
# `lead_fields_from` applies it in Python (the signal), `lead_expressions_from` in SQL (the backfill).
COPIED_FIELDS = ["email", "phone", "brand_name", "sector", "language", "status", "pdf_url"]


def lead_fields_from(mini_analysis: MiniAnalysis) -> dict:
    """The values a new lead takes from its mini-analysis."""
    return {
        **{name: getattr(mini_analysis, name) for name in COPIED_FIELDS},
        "mini_analysis": mini_analysis,
        "analysis_text": mini_analysis.analysis_text[:ANALYSIS_PREVIEW_LENGTH],
    }


def lead_expressions_from() -> dict:
    """`lead_fields_from` as SQL expressions over a `MiniAnalysis` queryset (for INSERT … SELECT)."""
    return {
        **{name: F(name) for name in COPIED_FIELDS},
        "mini_analysis_id": F("pk"),
        "analysis_text": Substr("analysis_text", 1, ANALYSIS_PREVIEW_LENGTH),
    }


def sync_lead(mini_analysis: MiniAnalysis) -> Lead:
    """Create the lead of a mini-analysis, or bring the existing one up to date.

    Safe under concurrency: two saves of the same person and brand race on the unique
    constraint, the loser catches the IntegrityError and updates the winner's lead.
    """
    with transaction.atomic():
        lead = _locked_lead(mini_analysis)
        if lead is None:
            try:
                with transaction.atomic():
                    lead = Lead.objects.create(**lead_fields_from(mini_analysis), source=Source.MINI_ANALYSIS)
                    auto_assign(lead)
                    return lead
            except IntegrityError:
                lead = _locked_lead(mini_analysis)
                if lead is None:
                    raise
        _follow(lead, mini_analysis)
        return lead


def sync_lead_after_save(mini_analysis: MiniAnalysis) -> Lead | None:
    """What the `post_save` receiver runs. It never raises: the request is stored whatever happens.

    A failure is logged with the mini-analysis id and recorded as a `LeadSyncFailure`, which
    `check_mini_analyses` reports; `migrate_mini_analyses` later creates the missing lead.
    """
    try:
        return sync_lead(mini_analysis)
    except Exception as error:
        logger.exception("[ERROR] Lead write failed for mini-analysis %s", mini_analysis.pk)
        try:
            with transaction.atomic():
                LeadSyncFailure.objects.create(
                    mini_analysis=mini_analysis, error=repr(error)[:ERROR_MAX_LENGTH]
                )
        except DatabaseError:
            logger.exception("[ERROR] Could not record the failure of mini-analysis %s", mini_analysis.pk)
        return None


def assign_leads(
    leads: QuerySet[Lead], assignee: AbstractBaseUser | None, *, actor: AbstractBaseUser | None = None
) -> int:
    """Assign the leads to a sales person (or unassign them with None); returns how many.

    Set-based: the history rows (by `actor`) are written from the same queryset just before the
    update, in one transaction.
    """
    now = timezone.now()
    with transaction.atomic():
        insert_history(
            leads,
            history_type="~",
            user=actor,
            reason="assigned",
            date=now,
            values={
                "assigned_to_id": Value(assignee.pk if assignee else None, output_field=BigIntegerField()),
                "updated_at": Value(now, output_field=DateTimeField()),
            },
        )
        return leads.update(assigned_to=assignee, updated_at=now)


def _locked_lead(mini_analysis: MiniAnalysis) -> Lead | None:
    # No select_related: after waiting for the lock, PostgreSQL re-reads the locked lead row but
    # keeps the joined row it read before, so the linked request would be stale. `_follow` reads
    # it after the lock is held.
    return (
        Lead.objects.select_for_update()
        .filter_identity(mini_analysis.email, mini_analysis.brand_name)
        .first()
    )


def _follow(lead: Lead, mini_analysis: MiniAnalysis) -> None:
    """Let the lead follow this mini-analysis, unless it already follows a newer one.

    Status, PDF and analysis follow the newest request (the seed's contract); a contact field
    is only filled when the lead's is blank, never replaced.
    """
    linked = lead.mini_analysis
    if linked is not None and linked.pk != mini_analysis.pk and linked.created_at > mini_analysis.created_at:
        return
    new_values = lead_fields_from(mini_analysis)
    changed = [name for name in FOLLOWED_FIELDS if getattr(lead, name) != new_values[name]]
    changed += [name for name in CONTACT_FIELDS if new_values[name] and not getattr(lead, name)]
    if not changed:
        return
    for name in changed:
        setattr(lead, name, new_values[name])
    lead.save(update_fields=changed)


# --- The sales pipeline ---------------------------------------------------------------------------


class PipelineError(Exception):
    """A pipeline step refused: the message is for the user (translated)."""


# Stages a sales person sets by hand; CONVERTED is reached through `convert_lead` only.
MANUAL_LEAD_STAGES = [
    LeadStage.NEW,
    LeadStage.ATTEMPTING,
    LeadStage.CONNECTED,
    LeadStage.QUALIFIED,
    LeadStage.DISQUALIFIED,
]
# Logged activities that count as contacting the person (a note does not).
CONTACTING_KINDS = [ActivityKind.CALL, ActivityKind.EMAIL, ActivityKind.MEETING]


def lead_stage_error(current: str, stage: str, reason: DisqualificationReason | None) -> str | None:
    """Why a lead in stage `current` may not be moved by hand to `stage` (with `reason`), or None."""
    if stage == current and stage != LeadStage.DISQUALIFIED:
        return None
    if current == LeadStage.CONVERTED:
        return _("This prospect is already converted.")
    if stage not in MANUAL_LEAD_STAGES:
        return _("Use the conversion to mark a prospect as converted.")
    if stage == LeadStage.DISQUALIFIED and reason is None:
        return _("Choose why the prospect is disqualified.")
    return None


def set_lead_stage(
    lead: Lead,
    stage: str,
    *,
    user: AbstractBaseUser | None,
    reason: DisqualificationReason | None = None,
) -> Lead:
    """Move a lead to a sales stage by hand; a disqualification needs a reason (cleared otherwise).

    A converted lead stays converted (its contact and opportunity carry the work on).
    """
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=lead.pk)
        if error := lead_stage_error(lead.stage, stage, reason):
            raise PipelineError(error)
        lead.stage = stage
        lead.disqualification_reason = reason if stage == LeadStage.DISQUALIFIED else None
        attribute(lead, user, reason="stage changed")
        lead.save(update_fields=["stage", "disqualification_reason"])
    return lead


@dataclass(frozen=True)
class Conversion:
    lead: Lead
    contact: Contact
    company: Company
    opportunity: Opportunity | None
    created: bool  # False when the lead was already converted: nothing was written


def convert_lead(
    lead: Lead,
    *,
    user: AbstractBaseUser | None,
    create_opportunity: bool = True,
    opportunity_name: str = "",
    amount: Decimal | None = None,
    currency: str = "",
    expected_close_date=None,
) -> Conversion:
    """Convert a lead into a contact (same email: reused), a company (same brand: reused) and,
    optionally, an opportunity. The lead is kept, marked CONVERTED and linked to what it became.

    Idempotent and safe under concurrency: the lead's row is locked, so a second conversion
    (at the same moment or later) waits, finds the lead converted and returns the same records.
    Contact and company are found by their unique keys; a concurrent creator of the same person
    or brand (another lead's conversion) makes the loser re-read the winner's row.
    """
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=lead.pk)
        if lead.stage == LeadStage.CONVERTED:
            contact = Contact.objects.select_related("company").get(pk=lead.contact_id)
            opportunity = Opportunity.objects.filter(pk=lead.opportunity_id).first()
            company = opportunity.company if opportunity else contact.company
            return Conversion(lead, contact, company, opportunity, created=False)
        if lead.stage == LeadStage.DISQUALIFIED:
            raise PipelineError(_("A disqualified prospect cannot be converted; requalify it first."))
        if _belongs_to_hidden_records(lead, user):
            raise PipelineError(HIDDEN_RECORDS_MESSAGE)
        owner = lead.assigned_to or user
        company = _company_of(lead, owner=owner, user=user)
        contact = _contact_of(lead, company=company, owner=owner, user=user)
        opportunity = None
        if create_opportunity:
            first_stage = (
                OpportunityStage.objects.filter(is_won=False, is_lost=False).order_by("order", "pk").first()
            )
            if first_stage is None:  # the stages are editable rows: all the open ones may be gone
                raise PipelineError(_("There is no open opportunity stage: create one first."))
            opportunity = Opportunity(
                name=opportunity_name or lead.brand_name,
                company=company,
                contact=contact,
                stage=first_stage,
                amount=amount or Decimal(0),
                expected_close_date=expected_close_date,
                owner=owner,
            )
            if currency:
                opportunity.currency = currency
            save_opportunity(opportunity, user=user)
        lead.stage = LeadStage.CONVERTED
        lead.disqualification_reason = None
        lead.converted_at = timezone.now()
        lead.converted_by = user
        lead.contact = contact
        lead.opportunity = opportunity
        attribute(lead, user, reason="converted")
        lead.save(
            update_fields=[
                "stage",
                "disqualification_reason",
                "converted_at",
                "converted_by",
                "contact",
                "opportunity",
            ]
        )
        return Conversion(lead, contact, company, opportunity, created=True)


HIDDEN_RECORDS_MESSAGE = gettext_lazy(
    "This person or brand already belongs to another sales person's records: ask a manager to convert"
    " this prospect."
)


def _belongs_to_hidden_records(lead: Lead, user: AbstractBaseUser | None) -> bool:
    """Whether converting would link the lead to a contact (same email) or a company (same brand)
    the converting sales person may not see. A lead is anyone's to submit, so resembling a record
    must never hand it over; a manager (or a command, `user=None`) converts and links as before.
    The refusal names neither the record nor whose it is."""
    if user is None or visibility.sees_everything(user):
        return False
    contact = Contact.objects.filter(email_key=normalize_key(lead.email))
    company = Company.objects.filter(brand_key=normalize_key(lead.brand_name))
    return (contact.exists() and not visibility.visible_contacts(user, contact).exists()) or (
        company.exists() and not visibility.visible_companies(user, company).exists()
    )


def _company_of(lead: Lead, *, owner: AbstractBaseUser | None, user: AbstractBaseUser | None) -> Company:
    brand_key = normalize_key(lead.brand_name)
    company = Company.objects.filter(brand_key=brand_key).first()
    if company is not None:
        return company
    company = attribute(Company(name=lead.brand_name, sector=lead.sector, owner=owner), user, "converted")
    try:
        with transaction.atomic():
            company.save()
    except IntegrityError:
        return Company.objects.get(brand_key=brand_key)
    return company


def _contact_of(
    lead: Lead, *, company: Company, owner: AbstractBaseUser | None, user: AbstractBaseUser | None
) -> Contact:
    email_key = normalize_key(lead.email)
    contact = Contact.objects.filter(email_key=email_key).first()
    if contact is None:
        contact = attribute(
            Contact(email=lead.email, phone=lead.phone, language=lead.language, company=company, owner=owner),
            user,
            "converted",
        )
        try:
            with transaction.atomic():
                contact.save()
            return contact
        except IntegrityError:
            contact = Contact.objects.get(email_key=email_key)
    if contact.company_id is None:
        contact.company = company
        attribute(contact, user, "converted")
        contact.save(update_fields=["company"])
    return contact


def save_opportunity(opportunity: Opportunity, *, user: AbstractBaseUser | None) -> Opportunity:
    """Save an opportunity; when its stage changed (or it is new), stamp the stage entry.

    The date it entered the stage, won/lost dates and an `OpportunityStageEntry` row are written
    with the move, by the same actor, in one transaction. Every writer (admin form, board, API,
    conversion) saves through here.
    """
    with transaction.atomic():
        previous_stage_id = None
        if opportunity.pk is not None:
            previous_stage_id = (
                Opportunity.objects.select_for_update()
                .values_list("stage_id", flat=True)
                .get(pk=opportunity.pk)
            )
        moved = previous_stage_id != opportunity.stage_id
        if moved:
            now = timezone.now()
            stage = opportunity.stage
            opportunity.stage_entered_at = now
            opportunity.won_at = now if stage.is_won else None
            opportunity.lost_at = now if stage.is_lost else None
        attribute(opportunity, user, reason="stage changed" if moved and previous_stage_id else None)
        opportunity.save()
        if moved:
            OpportunityStageEntry.objects.create(
                opportunity=opportunity,
                stage=opportunity.stage,
                entered_at=opportunity.stage_entered_at,
                entered_by=user,
            )
    return opportunity


def move_opportunity(
    opportunity: Opportunity, stage: OpportunityStage, *, user: AbstractBaseUser | None
) -> Opportunity:
    """Move an opportunity to another stage (the board's cards)."""
    with transaction.atomic():
        opportunity = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
        if opportunity.stage_id == stage.pk:
            return opportunity
        opportunity.stage = stage
        return save_opportunity(opportunity, user=user)


def record_activity(activity: Activity, *, user: AbstractBaseUser | None) -> Activity:
    """Save a logged or planned activity and bring its records' next action and last contact up to date."""
    if activity.kind != ActivityKind.TASK and activity.done_at is None:
        activity.done_at = timezone.now()
    if activity.pk is None:
        activity.created_by = user
        if activity.owner_id is None:
            activity.owner = user
    with transaction.atomic():
        activity.save()
        activity_changed(activity, user=user)
    return activity


def complete_task(activity: Activity, *, user: AbstractBaseUser | None) -> Activity:
    """Mark a planned task done: the next action moves on to the following open task."""
    if activity.done_at is None:
        activity.done_at = timezone.now()
        with transaction.atomic():
            activity.save(update_fields=["done_at"])
            activity_changed(activity, user=user)
    return activity


def activity_changed(activity: Activity, *, user: AbstractBaseUser | None) -> None:
    """What follows from an activity written or deleted: next actions and last contacts."""
    if activity.lead_id:
        refresh_next_action(lead=Lead(pk=activity.lead_id), user=user)
    if activity.opportunity_id:
        refresh_next_action(opportunity=Opportunity(pk=activity.opportunity_id), user=user)
    contact_id = activity.contact_id
    if contact_id is None and activity.lead_id:
        contact_id = Lead.objects.filter(pk=activity.lead_id).values_list("contact_id", flat=True).first()
    if contact_id:
        _refresh_contact_last_contacted(contact_id, user)


def refresh_next_action(
    *, lead: Lead | None = None, opportunity: Opportunity | None = None, user: AbstractBaseUser | None = None
) -> None:
    """The next action of a lead or an opportunity is its earliest open task (and the first and last
    contacts of a lead its earliest and latest call, email or meeting); saved only when it changed,
    so the history shows real changes."""
    if lead is not None:
        lead = Lead.objects.select_for_update().get(pk=lead.pk)
        task = _next_task(Q(lead=lead))
        contacts = lead.activities.filter(kind__in=CONTACTING_KINDS).aggregate(
            first=Min("done_at"), last=Max("done_at")
        )
        values = {
            "next_action": task.subject if task else "",
            "next_action_at": task.due_at if task else None,
            "last_contacted_at": contacts["last"],
            "first_contacted_at": contacts["first"],
        }
        _save_changed(lead, values, user)
    if opportunity is not None:
        opportunity = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
        task = _next_task(Q(opportunity=opportunity))
        values = {"next_step": task.subject if task else "", "next_step_at": task.due_at if task else None}
        _save_changed(opportunity, values, user)


def _next_task(where: Q) -> Activity | None:
    open_tasks = Activity.objects.filter(where, kind=ActivityKind.TASK, done_at__isnull=True)
    return open_tasks.order_by("due_at", "pk").first()


def _save_changed(
    instance: Lead | Opportunity | Contact, values: dict, user: AbstractBaseUser | None
) -> None:
    changed = [name for name, value in values.items() if getattr(instance, name) != value]
    if changed:
        for name in changed:
            setattr(instance, name, values[name])
        attribute(instance, user, reason="activity")
        instance.save(update_fields=changed)


def _refresh_contact_last_contacted(contact_id: int, user: AbstractBaseUser | None) -> None:
    """A contact was last contacted at the latest call, email or meeting on it or on its leads."""
    contact = Contact.objects.select_for_update().get(pk=contact_id)
    last = Activity.objects.filter(
        Q(contact_id=contact_id) | Q(lead__contact_id=contact_id), kind__in=CONTACTING_KINDS
    ).aggregate(last=Max("done_at"))["last"]
    _save_changed(contact, {"last_contacted_at": last}, user)

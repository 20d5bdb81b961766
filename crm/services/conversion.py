"""Converting a lead, once, into a contact, a company and an opportunity (`convert_lead`)."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mini_analysis.keys import normalize_key

from .. import visibility
from ..history import attribute
from ..models import (
    Company,
    Contact,
    Lead,
    LeadStage,
    Opportunity,
    OpportunityStage,
)
from .activities import hand_over_open_tasks
from .common import PipelineError
from .opportunities import save_opportunity


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
    first_name: str | None = None,
    last_name: str | None = None,
    now: datetime | None = None,
) -> Conversion:
    """Convert a lead into a contact (same email: reused), a company (same brand: reused) and,
    optionally, an opportunity. The lead is kept, marked CONVERTED and linked to what it became.

    The person's first and last name, when given, are the lead's from now on and the contact's
    where it has none yet (a sales person asks them on the call; the form does not).

    `now` is the clock (default: the present): when the lead was converted and its records made.

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
            # Said in the language of the refusal, as every other `PipelineError`.
            raise PipelineError(str(HIDDEN_RECORDS_MESSAGE))
        now = now or timezone.now()
        named = _named(lead, first_name, last_name)
        owner = lead.assigned_to or user
        company = _company_of(lead, owner=owner, user=user, now=now)
        contact = _contact_of(lead, company=company, owner=owner, user=user, now=now)
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
                created_at=now,
            )
            if currency:
                opportunity.currency = currency
            save_opportunity(opportunity, user=user, now=now)
        lead.stage = LeadStage.CONVERTED
        lead.disqualification_reason = None
        lead.converted_at = now
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
                *named,
            ]
        )
        # Its open tasks go to the deal, and the contact's last contact is recomputed with them (the
        # person was contacted on this lead before it converted): the returned contact says so.
        hand_over_open_tasks(lead, user=user)
        contact.refresh_from_db(fields=["last_contacted_at"])
        return Conversion(lead, contact, company, opportunity, created=True)


def _named(lead: Lead, first_name: str | None, last_name: str | None) -> list[str]:
    """Sets the names given on the lead; returns the fields that changed."""
    changed = []
    for field, value in (("first_name", first_name), ("last_name", last_name)):
        if value is not None and value.strip() != getattr(lead, field):
            setattr(lead, field, value.strip())
            changed.append(field)
    return changed


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


def _company_of(
    lead: Lead, *, owner: AbstractBaseUser | None, user: AbstractBaseUser | None, now: datetime
) -> Company:
    brand_key = normalize_key(lead.brand_name)
    company = Company.objects.filter(brand_key=brand_key).first()
    if company is not None:
        return company
    company = Company(name=lead.brand_name, sector=lead.sector, owner=owner, created_at=now)
    attribute(company, user, "converted")
    try:
        with transaction.atomic():
            company.save()
    except IntegrityError:
        return Company.objects.get(brand_key=brand_key)
    return company


def _contact_of(
    lead: Lead,
    *,
    company: Company,
    owner: AbstractBaseUser | None,
    user: AbstractBaseUser | None,
    now: datetime,
) -> Contact:
    email_key = normalize_key(lead.email)
    contact = Contact.objects.filter(email_key=email_key).first()
    if contact is None:
        contact = attribute(
            Contact(
                email=lead.email,
                first_name=lead.first_name,
                last_name=lead.last_name,
                phone=lead.phone,
                language=lead.language,
                company=company,
                owner=owner,
                created_at=now,
            ),
            user,
            "converted",
        )
        try:
            with transaction.atomic():
                contact.save()
            return contact
        except IntegrityError:
            contact = Contact.objects.get(email_key=email_key)
    changed = []
    if contact.company_id is None:
        contact.company = company
        changed.append("company")
    if not contact.full_name and lead.full_name:  # a person named at last; a name kept otherwise
        contact.first_name, contact.last_name = lead.first_name, lead.last_name
        changed += ["first_name", "last_name"]
    if changed:
        attribute(contact, user, "converted")
        contact.save(update_fields=changed)
    return contact

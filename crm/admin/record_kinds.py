"""What each kind's record page shows in its header (crm/admin/record.py is the page itself).

- a prospect: the brand and the person, the analysis, its sales stage as buttons (disqualified
  asks its reason inline);
- a contact: the person, their company, their opportunities;
- a company: its sector, its contacts and opportunities (no quick log: an activity is never on a
  company, it is on one of its contacts or opportunities, whose pages are one click away);
- an opportunity: its company and contact, amount, close date, and its stage as buttons (a lost
  stage asks its loss reason inline, as on the board), moved by `services.move_opportunity`.
"""

from django.contrib import messages
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from mini_analysis.pdf import is_linkable_pdf_url
from mini_analysis.sectors import sector_label

from .. import display, services, visibility
from ..models import (
    Company,
    Contact,
    DisqualificationReason,
    Lead,
    LeadStage,
    LossReason,
    Opportunity,
    OpportunityStage,
)
from ..timeline import TimelineEntry, next_open_task
from .base import HIDDEN_RECORD_LABEL
from .board import MoveForm
from .record import RecordMixin

# The stages a button sets in one click; DISQUALIFIED asks its reason first, CONVERTED is the conversion's.
STAGE_BUTTONS = [stage for stage in services.MANUAL_LEAD_STAGES if stage != LeadStage.DISQUALIFIED]


def reach(person: Lead | Contact) -> dict:
    """A phone one click from a call and an email from a message, both isolated left to right."""
    return {
        "reachable": True,
        "phone": display.phone_html(person.phone),
        "phone_href": f"tel:{person.phone.as_e164}" if person.phone else "",
        "email": display.ltr_html(person.email),
    }


def link_to(user, record: Model | None) -> str:
    """A link to a related record's page, its neutral label when the user may not see it."""
    if record is None:
        return display.EMPTY
    if not visibility.can_see(user, record):
        return str(HIDDEN_RECORD_LABEL)
    url = reverse(f"admin:crm_{record._meta.model_name}_change", args=[record.pk])
    return format_html('<a href="{}"><bdi dir="auto">{}</bdi></a>', url, display.record_label(record))


def next_task_facts(timeline: list[TimelineEntry]) -> dict:
    """The next action of a record that keeps none itself: the earliest open task on its page."""
    task = next_open_task(timeline)
    return {"next_action": task.subject if task else "", "next_action_at": task.due_at if task else None}


class LeadRecordMixin(RecordMixin):
    def get_urls(self):
        stage = self.admin_site.admin_view(self.stage_view)
        return [path("<path:object_id>/stage/", stage, name="crm_lead_stage"), *super().get_urls()]

    def record_facts(self, request: HttpRequest, lead: Lead, timeline: list[TimelineEntry]) -> dict:
        can_change = self.has_change_permission(request, lead)
        for entry in timeline:
            if entry.request is not None:
                entry.request.badge = display.status_badge_html(entry.request.status)
        return {
            **reach(lead),
            "title": lead.brand_name,
            "owner": lead.assigned_to,
            "next_action": lead.next_action,
            "next_action_at": lead.next_action_at,
            "status": display.status_badge_html(lead.status),
            "stage_badge": display.stage_badge_html(lead.stage),
            "stage_buttons": [(value, LeadStage(value).label) for value in STAGE_BUTTONS],
            "may_set_stage": can_change and lead.stage != LeadStage.CONVERTED,
            "reasons": DisqualificationReason.objects.filter(is_active=True) if can_change else [],
            "pdf_url": lead.pdf_url if is_linkable_pdf_url(lead.pdf_url) else "",
        }

    @method_decorator(require_POST)
    def stage_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """A stage button; a disqualification carries its reason (an active one)."""
        lead = self.writable_record(request, object_id)
        stage = request.POST.get("stage", "")
        reason_id = request.POST.get("reason", "")
        reason = None
        if reason_id.isdigit():
            reason = DisqualificationReason.objects.filter(pk=reason_id, is_active=True).first()
        try:
            lead = services.set_lead_stage(lead, stage, user=request.user, reason=reason)
        except services.PipelineError as error:
            self.message_user(request, str(error), messages.ERROR)
        else:
            text = gettext("Stage: %(stage)s.") % {"stage": lead.get_stage_display()}
            if reason is not None:
                text = f"{text[:-1]} ({reason})."
            self.message_user(request, text, messages.SUCCESS)
        return self.back_to(lead)


class ContactRecordMixin(RecordMixin):
    def record_facts(self, request: HttpRequest, contact: Contact, timeline: list[TimelineEntry]) -> dict:
        opportunities = visibility.visible_opportunities(
            request.user, contact.opportunities.select_related("stage")
        ).order_by("-created_at", "-pk")
        return {
            **reach(contact),
            **next_task_facts(timeline),
            "title": contact.full_name or contact.email,
            "owner": contact.owner,
            "company_link": link_to(request.user, contact.company),
            "opportunities": list(opportunities),
        }


class CompanyRecordMixin(RecordMixin):
    loggable = False

    def record_facts(self, request: HttpRequest, company: Company, timeline: list[TimelineEntry]) -> dict:
        contacts = visibility.visible_contacts(request.user, company.contacts.all())
        opportunities = visibility.visible_opportunities(
            request.user, company.opportunities.select_related("stage", "contact")
        )
        return {
            **next_task_facts(timeline),
            "title": company.name,
            "owner": company.owner,
            "sector": sector_label(company.sector),
            "website": display.ltr_html(company.website),
            "contacts": list(contacts.order_by("last_name", "first_name", "pk")),
            "opportunities": list(opportunities.order_by("-created_at", "-pk")),
        }


class OpportunityRecordMixin(RecordMixin):
    def get_urls(self):
        stage = self.admin_site.admin_view(self.stage_view)
        return [path("<path:object_id>/stage/", stage, name="crm_opportunity_stage"), *super().get_urls()]

    def record_facts(
        self, request: HttpRequest, opportunity: Opportunity, timeline: list[TimelineEntry]
    ) -> dict:
        can_change = self.has_change_permission(request, opportunity)
        return {
            "title": opportunity.name,
            "owner": opportunity.owner,
            "next_action": opportunity.next_step,
            "next_action_at": opportunity.next_step_at,
            "company_link": link_to(request.user, opportunity.company),
            "contact_link": link_to(request.user, opportunity.contact),
            "amount": display.amount_html(opportunity.amount, opportunity.currency),
            "close_date": display.day_html(opportunity.expected_close_date),
            "stages": list(OpportunityStage.objects.order_by("order", "pk")) if can_change else [],
            "loss_reasons": list(LossReason.objects.filter(is_active=True)) if can_change else [],
        }

    @method_decorator(require_POST)
    def stage_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """A stage button; a lost stage carries its loss reason (the board's form and rule)."""
        opportunity = self.writable_record(request, object_id)
        data = {
            "opportunity": opportunity.pk,
            "stage": request.POST.get("stage", ""),
            "loss_reason": request.POST.get("loss_reason", ""),
        }
        form = MoveForm(data, opportunities=Opportunity.objects.filter(pk=opportunity.pk))
        if not form.is_valid():
            errors = form.errors.get("loss_reason") or [gettext("This move is not possible.")]
            self.message_user(request, errors[0], messages.ERROR)
            return self.back_to(opportunity)
        stage, reason = form.cleaned_data["stage"], form.cleaned_data["loss_reason"]
        try:
            services.move_opportunity(opportunity, stage, user=request.user, loss_reason=reason)
        except services.PipelineError as error:
            self.message_user(request, str(error), messages.ERROR)
        else:
            text = gettext("Stage: %(stage)s.") % {"stage": stage}
            if stage.is_lost and reason is not None:
                text = f"{text[:-1]} ({reason})."
            self.message_user(request, text, messages.SUCCESS)
        return self.back_to(opportunity)

"""A prospect's record page: what a sales person lands on from the prospects list.

The change page shows, above the fold: the brand and the person, a phone and an email one click
from a call or a message, the analysis, the owner, the stage as buttons, the next action, and the
quick log (what was done and what comes next, one submit). Below: the timeline, read-only (a task
is done or moved in one click), then the stock form, folded ("Edit details").

Each write is a POST to its own URL, through a service (`log_contact`, `set_lead_stage`,
`complete_task`, `reschedule_task`), then back to the page with a message (POST-redirect-GET).
A prospect the user may not see is a 404; one they may see but not change, a 403.
"""

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from mini_analysis.pdf import is_linkable_pdf_url

from .. import display, services
from ..models import ActivityKind, DisqualificationReason, Lead, LeadStage
from ..timeline import lead_activities, lead_timeline
from .activities import ActivityInline
from .record_forms import QuickLogForm, RescheduleForm

# The stages a button sets in one click; DISQUALIFIED asks its reason first, CONVERTED is the conversion's.
STAGE_BUTTONS = [stage for stage in services.MANUAL_LEAD_STAGES if stage != LeadStage.DISQUALIFIED]


class NewActivityInline(ActivityInline):
    """The folded form's activities: the one empty row only; the timeline shows (and never edits)
    the others, so a prospect with 200 activities does not draw 200 forms."""

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).none()


class LeadRecordMixin:
    """The record page of `LeadAdmin`: its context, its three POST routes."""

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/log/", wrap(self.log_view), name="crm_lead_log"),
            path("<path:object_id>/stage/", wrap(self.stage_view), name="crm_lead_stage"),
            path("<path:object_id>/tasks/<int:activity_id>/", wrap(self.task_view), name="crm_lead_task"),
            *super().get_urls(),
        ]

    def record_context(self, request: HttpRequest, lead: Lead, log_form: QuickLogForm | None = None) -> dict:
        """What the record template shows (`render_change_form` adds it for an existing prospect)."""
        can_change = self.has_change_permission(request, lead)
        timeline = lead_timeline(lead, request.user)
        for entry in timeline:
            if entry.request is not None:
                entry.request.badge = display.status_badge_html(entry.request.status)
        return {
            "title": lead.brand_name,
            "record": lead,
            "can_change": can_change,
            "can_change_tasks": can_change and request.user.has_perm("crm.change_activity"),
            "phone": display.phone_html(lead.phone),
            "phone_href": f"tel:{lead.phone.as_e164}" if lead.phone else "",
            "email": display.ltr_html(lead.email),
            "status": display.status_badge_html(lead.status),
            "stage_badge": display.stage_badge_html(lead.stage),
            "stage_buttons": [(value, LeadStage(value).label) for value in STAGE_BUTTONS],
            "may_set_stage": can_change and lead.stage != LeadStage.CONVERTED,
            "reasons": DisqualificationReason.objects.filter(is_active=True) if can_change else [],
            "overdue": lead.next_action_at is not None and lead.next_action_at < timezone.now(),
            "pdf_url": lead.pdf_url if is_linkable_pdf_url(lead.pdf_url) else "",
            "log_form": log_form or QuickLogForm(),
            "timeline": timeline,
            "now": timezone.now(),
        }

    def _writable_lead(self, request: HttpRequest, object_id: str) -> Lead:
        """The prospect, if the user may see it (else 404) and change it (else 403)."""
        lead = self.get_object(request, unquote(object_id))
        if lead is None:
            raise Http404
        if not self.has_change_permission(request, lead):
            raise PermissionDenied
        return lead

    @staticmethod
    def _back_to(lead: Lead) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:crm_lead_change", args=[lead.pk]))

    @method_decorator(require_POST)
    def log_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The quick log: an invalid form is shown again on the page, what was typed kept."""
        lead = self._writable_lead(request, object_id)
        form = QuickLogForm(request.POST)
        if not form.is_valid():
            request.method = "GET"  # the record page itself, with this form and its errors
            return self.change_view(request, object_id, extra_context={"log_form": form})
        try:
            logged = form.log(lead, request.user)
        except services.PipelineError as error:
            self.message_user(request, str(error), messages.ERROR)
            return self._back_to(lead)
        text = gettext("Logged: %(activity)s.") % {"activity": logged.activity}
        if logged.next_task is not None:
            text += " " + gettext("Next action: %(action)s, %(due)s.") % {
                "action": logged.next_task.subject,
                "due": display.datetime_text(logged.next_task.due_at),
            }
        self.message_user(request, text, messages.SUCCESS)
        return self._back_to(lead)

    @method_decorator(require_POST)
    def stage_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """A stage button; a disqualification carries its reason (an active one)."""
        lead = self._writable_lead(request, object_id)
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
        return self._back_to(lead)

    @method_decorator(require_POST)
    def task_view(self, request: HttpRequest, object_id: str, activity_id: int) -> HttpResponse:
        """An open task of the timeline done, or moved (tomorrow, next week, a date)."""
        lead = self._writable_lead(request, object_id)
        if not request.user.has_perm("crm.change_activity"):
            raise PermissionDenied
        open_tasks = lead_activities(lead, request.user).filter(kind=ActivityKind.TASK, done_at__isnull=True)
        task = open_tasks.filter(pk=activity_id).first()
        if task is None:
            raise Http404
        form = RescheduleForm(request.POST)
        if not form.is_valid():
            self.message_user(request, gettext("Choose a date."), messages.ERROR)
            return self._back_to(lead)
        try:
            due = form.new_due(task.due_at)
        except forms.ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return self._back_to(lead)
        if due is None:
            services.complete_task(task, user=request.user)
            self.message_user(request, gettext("Done: %(task)s.") % {"task": task.subject}, messages.SUCCESS)
        else:
            services.reschedule_task(task, user=request.user, due_at=due)
            when = display.datetime_text(due)
            self.message_user(
                request,
                gettext("Moved: %(task)s, %(due)s.") % {"task": task.subject, "due": when},
                messages.SUCCESS,
            )
        return self._back_to(lead)

"""The record page: what a sales person lands on from a CRM list (a prospect, a contact, a company,
an opportunity), its change page.

Above the fold: who or what it is, a phone and an email one click from a call or a message, the
owner, the next action, the record's own facts (crm/admin/record_kinds.py) and the quick log (what
was done and what comes next, one submit). Below: the timeline (`crm.timeline`), read-only (a task
is done or moved in one click), then the stock form, folded ("Edit details"). The templates are
`admin/crm/record/<kind>.html`, each filling the blocks of `record/base.html`.

Each write is a POST to its own URL, through a service (`log_contact`, `complete_task`,
`reschedule_task`, and each kind's stage), then back to the page with a message (POST-redirect-GET).
A record the user may not see is a 404; one they may see but not change, a 403: the change page's
own permissions (`VisibleToAdmin`), asked the same way on every route.
"""

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from .. import display, services
from ..models import ActivityKind
from ..timeline import TimelineEntry, record_activities, record_timeline
from .activities import ActivityInline
from .record_forms import QuickLogForm, RescheduleForm


class NewActivityInline(ActivityInline):
    """The folded form's activities: the one empty row only; the timeline shows (and never edits)
    the others, so a record with 200 activities does not draw 200 forms."""

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).none()


class RecordMixin:
    """A `VisibleToAdmin` whose change page is the record page: its context, its POST routes.

    A kind says what its header shows (`record_facts`) and whether activities can be logged on it
    (`loggable`: an activity is on a prospect, a contact or an opportunity, never a company).
    """

    loggable = True

    def get_urls(self):
        wrap = self.admin_site.admin_view
        name = self.record_route("")
        routes = [path("<path:object_id>/tasks/<int:activity_id>/", wrap(self.task_view), name=f"{name}task")]
        if self.loggable:
            routes.append(path("<path:object_id>/log/", wrap(self.log_view), name=f"{name}log"))
        return [*routes, *super().get_urls()]

    def record_route(self, action: str) -> str:
        """The URL name of one of this kind's routes (`crm_contact_log`), without the namespace."""
        return f"crm_{self.opts.model_name}_{action}"

    def record_facts(self, request: HttpRequest, record: Model, timeline: list[TimelineEntry]) -> dict:
        """What the kind's header shows besides the shared parts: its title, owner, next action."""
        raise NotImplementedError

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if change and obj is not None:
            context.update(self.record_context(request, obj, context.get("log_form")))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def record_context(
        self, request: HttpRequest, record: Model, log_form: QuickLogForm | None = None
    ) -> dict:
        """What the record template shows (`render_change_form` adds it for an existing record)."""
        can_change = self.has_change_permission(request, record)
        timeline = record_timeline(record, request.user)
        context = {
            "record": record,
            "can_change": can_change,
            "can_change_tasks": can_change and request.user.has_perm("crm.change_activity"),
            "may_log": can_change and self.loggable,
            "log_form": log_form or QuickLogForm(),
            "task_route": f"admin:{self.record_route('task')}",
            "timeline": timeline,
            "now": timezone.now(),
        }
        if self.loggable:
            context["log_url"] = reverse(f"admin:{self.record_route('log')}", args=[record.pk])
        context.update(self.record_facts(request, record, timeline))
        moment = context.get("next_action_at")
        context["overdue"] = moment is not None and moment < context["now"]
        return context

    def writable_record(self, request: HttpRequest, object_id: str) -> Model:
        """The record, if the user may see it (else 404) and change it (else 403)."""
        record = self.get_object(request, unquote(object_id))
        if record is None:
            raise Http404
        if not self.has_change_permission(request, record):
            raise PermissionDenied
        return record

    def back_to(self, record: Model) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse(f"admin:{self.record_route('change')}", args=[record.pk]))

    @method_decorator(require_POST)
    def log_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The quick log: an invalid form is shown again on the page, what was typed kept."""
        record = self.writable_record(request, object_id)
        form = QuickLogForm(request.POST)
        if not form.is_valid():
            request.method = "GET"  # the record page itself, with this form and its errors
            return self.change_view(request, object_id, extra_context={"log_form": form})
        try:
            logged = form.log(record, request.user)
        except services.PipelineError as error:
            self.message_user(request, str(error), messages.ERROR)
            return self.back_to(record)
        text = gettext("Logged: %(activity)s.") % {"activity": logged.activity}
        if logged.next_task is not None:
            text += " " + gettext("Next action: %(action)s, %(due)s.") % {
                "action": logged.next_task.subject,
                "due": display.datetime_text(logged.next_task.due_at),
            }
        self.message_user(request, text, messages.SUCCESS)
        return self.back_to(record)

    @method_decorator(require_POST)
    def task_view(self, request: HttpRequest, object_id: str, activity_id: int) -> HttpResponse:
        """An open task of the timeline done, or moved (tomorrow, next week, a date)."""
        record = self.writable_record(request, object_id)
        if not request.user.has_perm("crm.change_activity"):
            raise PermissionDenied
        open_tasks = record_activities(record, request.user).filter(
            kind=ActivityKind.TASK, done_at__isnull=True
        )
        task = open_tasks.filter(pk=activity_id).first()
        if task is None:
            raise Http404
        form = RescheduleForm(request.POST)
        if not form.is_valid():
            self.message_user(request, gettext("Choose a date."), messages.ERROR)
            return self.back_to(record)
        try:
            due = form.new_due(task.due_at)
        except forms.ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return self.back_to(record)
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
        return self.back_to(record)

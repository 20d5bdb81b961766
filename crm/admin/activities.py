"""Activities: the inline on prospects, contacts and opportunities, and the list of one's own tasks."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.db import models
from django.db.models import Q, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .. import display, services, visibility
from ..models import Activity, ActivityKind
from ..pagination import CountedInPartsChangeList, EstimatedCountPaginator
from ..selectors import active_staff
from .base import (
    CrmMedia,
    VisibleToAdmin,
    VisibleToInline,
    due_date,
    name_each_input,
    next_action_filter,
)
from .lead_filters import SalesPersonFilter


class LabelledInlineFormSet(BaseInlineFormSet):
    """A row's "delete" box is named (a tabular row has no label of its own, only the header)."""

    def add_fields(self, form, index) -> None:
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].widget.attrs["aria-label"] = _("Delete?")


class ActivityInline(display.BidiFormFieldsMixin, VisibleToInline):
    """Log a call, an email, a meeting or a note, or plan a task with its due date.

    A logged activity without a date is dated now; a task stays open until "done" is set.
    The row fits a laptop's screen (static crm/admin.css): the browser's own date and time inputs
    instead of the admin's with their shortcut links, and no user-admin links by the owner. Each
    input is named after its column (`aria-label`): a row has no label of its own.
    """

    model = Activity
    fields = ["kind", "subject", "body", "due_at", "done_at", "owner"]
    extra = 1
    ordering = ["-created_at", "-id"]
    formset = LabelledInlineFormSet
    formfield_overrides = {
        models.DateTimeField: {
            "form_class": forms.SplitDateTimeField,
            "widget": forms.SplitDateTimeWidget(
                date_attrs={"type": "date"},
                time_attrs={"type": "time"},
                date_format="%Y-%m-%d",
                time_format="%H:%M",
            ),
        },
        models.TextField: {"widget": forms.Textarea(attrs={"rows": 2})},
    }

    def formfield_for_dbfield(self, db_field, request: HttpRequest, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is None:
            return field
        if isinstance(field.widget, RelatedFieldWidgetWrapper):
            field.widget = field.widget.widget
        if isinstance(field.widget, forms.SplitDateTimeWidget):
            name_each_input(field)
        else:
            field.widget.attrs["aria-label"] = field.label
        return field

    def get_queryset(self, request: HttpRequest) -> QuerySet[Activity]:
        return super().get_queryset(request).select_related("owner")

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name == "owner":
            kwargs["queryset"] = active_staff()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def save_activities(request: HttpRequest, formset) -> None:
    """The inline's rows go through `services.record_activity`, so next actions follow them."""
    instances = formset.save(commit=False)
    services.delete_activities(formset.deleted_objects, user=request.user)
    for activity in instances:
        services.record_activity(activity, user=request.user)
    formset.save_m2m()


class OpenFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "open"

    def lookups(self, request, model_admin):
        return [("yes", _("Open tasks")), ("no", _("Done"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(kind=ActivityKind.TASK, done_at__isnull=True)
        if self.value() == "no":
            return queryset.filter(done_at__isnull=False)
        return queryset


class ActivityPaginator(EstimatedCountPaginator):
    """The activities are a log, narrowed by its filters (state, due, kind, owner) and its search
    rather than paged through: counted to 2 000 (40 pages), where the prospects are to 10 000
    (at 1 000 000 leads with ten sales persons, a sales person's calls, then counted through their
    leads, took 9.9 ms to 10 000 against the manager's 1.5; to 2 000, 3.0 against 0.9)."""

    count_up_to = 2_000


@admin.register(Activity)
class ActivityAdmin(VisibleToAdmin):
    add_title = _("New activity")
    list_display = ["kind", "subject", "record", "due", "done", "owner_name", "created"]
    list_filter = [
        OpenFilter,
        next_action_filter("due_at", _("due"), among=Q(kind=ActivityKind.TASK, done_at__isnull=True)),
        "kind",
        ("owner", SalesPersonFilter),
    ]
    list_select_related = ["lead", "contact", "opportunity", "owner"]
    search_fields = ["subject"]
    autocomplete_fields = ["lead", "contact", "opportunity"]
    fields = ["kind", "subject", "body", "lead", "contact", "opportunity", "due_at", "done_at", "owner"]
    actions = ["mark_done"]
    list_per_page = 50
    # Counted as the prospects are (`crm.pagination`): estimated for a manager's whole table, up
    # to a bound otherwise (a lower one), and a sales person's part by part (`count_parts`).
    paginator = ActivityPaginator
    show_facets = admin.ShowFacets.NEVER
    Media = CrmMedia

    def get_changelist(self, request: HttpRequest, **kwargs):
        return CountedInPartsChangeList

    def count_parts(self, request: HttpRequest) -> list[QuerySet[Activity]]:
        """The activities `get_queryset` gives, as `visibility.visible_activity_parts`."""
        return visibility.visible_activity_parts(request.user, admin.ModelAdmin.get_queryset(self, request))

    def save_model(self, request: HttpRequest, obj: Activity, form, change: bool) -> None:
        services.record_activity(obj, user=request.user)
        # Moved to another record: the one it left has its next action and contacts recomputed too.
        left = {
            f"{name}_id": form.initial[name]
            for name in ("lead", "contact", "opportunity")
            if change and name in form.changed_data and form.initial.get(name)
        }
        if left:
            services.activity_changed(Activity(**left), user=request.user)

    def delete_model(self, request: HttpRequest, obj: Activity) -> None:
        services.delete_activities([obj], user=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Activity]) -> None:
        services.delete_activities(queryset, user=request.user)

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name == "owner":
            kwargs["queryset"] = active_staff()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_dbfield(self, db_field, request: HttpRequest, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        name_each_input(field)
        return field

    @admin.display(description=_("due"), ordering="due_at")
    def due(self, activity: Activity) -> str:
        return due_date(activity.due_at) if activity.is_open_task else "-"

    @admin.display(description=_("owner"), ordering="owner__username")
    def owner_name(self, activity: Activity) -> str:
        return display.user_name(activity.owner) or display.EMPTY

    @admin.display(description=_("done"), ordering="done_at")
    def done(self, activity: Activity) -> str:
        return display.date_html(activity.done_at)

    @admin.display(description=_("created"), ordering="created_at")
    def created(self, activity: Activity) -> str:
        return display.date_html(activity.created_at)

    @admin.display(description=_("about"))
    def record(self, activity: Activity) -> str:
        for name in ["opportunity", "contact", "lead"]:
            related = getattr(activity, name)
            if related is not None:
                url = reverse(f"admin:crm_{related._meta.model_name}_change", args=[related.pk])
                return format_html('<a href="{}">{}</a>', url, related)
        return "-"

    @admin.action(description=_("Mark the selected tasks done"), permissions=["change"])
    def mark_done(self, request: HttpRequest, queryset: QuerySet[Activity]) -> None:
        tasks = queryset.filter(kind=ActivityKind.TASK, done_at__isnull=True)
        count = 0
        for task in tasks:
            services.complete_task(task, user=request.user)
            count += 1
        self.message_user(
            request,
            ngettext("%(count)d task marked done.", "%(count)d tasks marked done.", count) % {"count": count},
            messages.SUCCESS,
        )

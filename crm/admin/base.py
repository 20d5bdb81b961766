"""What every CRM admin shares: the visibility rule, the next-action filter, the overdue mark."""

from datetime import datetime, timedelta

from django import forms
from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import capfirst, format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from mini_analysis.sectors import sector_choices

from .. import display, search, visibility

HIDDEN_RECORD_LABEL = _("Not visible to you")


class TypedTextForm(forms.ModelForm):
    """Text as the user typed it: a browser posts each line break of a textarea as CRLF (the HTML
    rule), which would count twice against a column's maximum and be stored as typed by nobody.
    A bound form reads every posted value with LF line breaks, as the textarea showed them."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.is_bound and hasattr(self.data, "lists"):
            data = self.data.copy()
            for name, values in data.lists():
                data.setlist(name, [value.replace("\r\n", "\n") for value in values])
            self.data = data


class SectorByLabelForm(TypedTextForm):
    """A record's sector is chosen by its label ("Restaurants / Food"), not typed as a code."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if "sector" in self.fields:
            field = self.fields["sector"]
            self.fields["sector"] = forms.ChoiceField(
                label=field.label,
                required=field.required,
                help_text=field.help_text,
                choices=sector_choices(self.initial.get("sector") or ""),
            )


class KeptLinksForm(SectorByLabelForm):
    """A form keeps a link it does not offer: the current value of a foreign key that is not among
    the field's choices (a record hidden from the user, an account since deactivated, a reason
    since retired) stays among them, so the form posts it back unchanged instead of clearing it.

    A hidden record is offered under a neutral label ("Not visible to you"), never its name; only
    this form's own current value is added, so no other hidden record can be chosen.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            return
        for name, field in self.fields.items():
            if isinstance(field, forms.ModelChoiceField) and not isinstance(
                field, forms.ModelMultipleChoiceField
            ):
                _keep_current_value(field, self.initial.get(name))


def _keep_current_value(field: forms.ModelChoiceField, value) -> None:
    if value in field.empty_values:
        return
    key = field.to_field_name or "pk"
    if field.queryset.filter(**{key: value}).exists():
        return
    model = field.queryset.model
    field.queryset = field.queryset | model._default_manager.filter(**{key: value})
    if model in visibility.SCOPED_MODELS:
        label_of = field.label_from_instance
        field.label_from_instance = lambda obj: (
            HIDDEN_RECORD_LABEL if str(getattr(obj, key)) == str(value) else label_of(obj)
        )


class PlainTitles:
    """A list is titled by what it lists ("Prospects"), an empty form by what it creates ("New
    prospect"), a record by its name, not Django's "Select prospect to change" / "Add prospect" /
    "Change prospect" (in French "Sélectionnez l'objet prospect à changer", "Modification de
    prospect"). The list's add button says `add_title` too (`admin/change_list_object_tools.html`).
    `add_title` is written per admin: French nouns have a gender."""

    add_title = _("New record")

    def changelist_view(self, request: HttpRequest, extra_context=None):
        title = capfirst(self.opts.verbose_name_plural)
        context = {"title": title, "add_title": self.add_title, **(extra_context or {})}
        return super().changelist_view(request, context)

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context=None):
        return super().add_view(request, form_url, {"title": self.add_title, **(extra_context or {})})

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        """A record's page is titled by the record, unless its admin titled it already."""
        stock = {gettext(pattern) % self.opts.verbose_name for pattern in ("Change %s", "View %s")}
        if obj is not None and not add and str(context.get("title")) in stock:
            context["title"], context["subtitle"] = str(obj), None
        return super().render_change_form(request, context, add, change, form_url, obj)


class UserChoiceField(forms.ModelChoiceField):
    """A choice of person, each by name (`display.user_name`)."""

    def label_from_instance(self, user) -> str:
        return display.user_name(user)


def user_choice_field(db_field, kwargs: dict) -> dict:
    """`formfield_for_foreignkey`'s arguments, with people chosen by name when it points to a user."""
    if db_field.related_model is get_user_model() and "widget" not in kwargs:
        kwargs.setdefault("form_class", UserChoiceField)
    return kwargs


class VisibleToAdmin(PlainTitles, admin.ModelAdmin):
    """The one scoping base: the rows, the objects a form may point to, the per-object permissions
    and the history pages are what `crm.visibility` lets the user see.

    Actions, exports, autocompletes (Django's autocomplete reads the related model's admin
    `get_queryset`) and change pages all start from `get_queryset`, so they follow the same rule;
    `has_view/change/delete_permission` check an object with `visibility.can_see`, built on the
    same querysets. Its forms keep a link the user cannot see (`KeptLinksForm`).
    """

    form = KeptLinksForm
    # A list counts its rows once: the count of every row the user may see ("N total" beside the
    # search box) is a second visibility query per page view, as costly as the first.
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return visibility.visible_to(request.user, super().get_queryset(request))

    def action_checkbox(self, record) -> str:
        """Django's row checkbox, written directly: a widget template per row costs a fifth of the page."""
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            record.pk,
            format_html(gettext("Select this object for an action - {}"), str(record)),
        )

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        """The list's search box (and its autocompletes) finds what the header's does: `crm.search`."""
        if self.model not in search.SEARCHED_FIELDS or not search_term.strip():
            return super().get_search_results(request, queryset, search_term)
        return queryset.filter(search.matching(self.model, search_term)), False

    def get_object(self, request: HttpRequest, object_id: str, from_field=None):
        record = super().get_object(request, object_id, from_field)
        if record is not None:
            record.crm_viewer = request.user  # for the read-only fields that show related records
        return record

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        """A form may only point to a lead, contact, company or opportunity the user sees."""
        related = db_field.related_model
        if related in visibility.SCOPED_MODELS and "queryset" not in kwargs:
            kwargs["queryset"] = visibility.visible_to(request.user, related._default_manager.all())
        return super().formfield_for_foreignkey(db_field, request, **user_choice_field(db_field, kwargs))

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return super().has_view_permission(request, obj) and self._may_see(request, obj)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return super().has_change_permission(request, obj) and self._may_see(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and self._may_see(request, obj)

    @staticmethod
    def _may_see(request: HttpRequest, obj) -> bool:
        """`visibility.can_see`, asked once per object and request (a page asks several times)."""
        if obj is None:
            return True
        seen = request.__dict__.setdefault("_crm_can_see", {})
        key = (type(obj), obj.pk)
        if key not in seen:
            seen[key] = visibility.can_see(request.user, obj)
        return seen[key]

    # django-simple-history's pages fall back to the history of a row `get_queryset` does not
    # return (to show deleted rows): for a sales person that would show other people's rows.
    def history_view(self, request: HttpRequest, object_id: str, extra_context=None):
        self._check_visible(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request: HttpRequest, object_id: str, version_id: str, extra_context=None):
        self._check_visible(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def _check_visible(self, request: HttpRequest, object_id: str) -> None:
        if not visibility.sees_everything(request.user) and self.get_object(request, object_id) is None:
            raise Http404


class VisibleToInline(admin.TabularInline):
    """An inline shows only the rows the user may see, and keeps the links it does not offer."""

    form = KeptLinksForm

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return visibility.visible_to(request.user, super().get_queryset(request))

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        return super().formfield_for_foreignkey(db_field, request, **user_choice_field(db_field, kwargs))


def viewer_of(record):
    """Who is looking at a record `VisibleToAdmin.get_object` returned (nobody, otherwise)."""
    return getattr(record, "crm_viewer", None) or AnonymousUser()


def next_action_filter(field_name: str, title: str, among: Q | None = None) -> type[admin.SimpleListFilter]:
    """A list filter "overdue / today / this week / none" on a date-time field (indexed).

    `among` narrows the dated choices (the activities page: open tasks only, a partial index).
    """

    class NextActionFilter(admin.SimpleListFilter):
        parameter_name = f"{field_name}_when"

        def lookups(self, request, model_admin):
            return [
                ("overdue", _("Overdue")),
                ("today", _("Today")),
                ("week", _("This week")),
                ("none", _("None")),
            ]

        def queryset(self, request, queryset):
            value = self.value()
            if value is None:
                return queryset
            if value == "none":
                return queryset.filter(**{f"{field_name}__isnull": True})
            if among is not None:
                queryset = queryset.filter(among)
            now = timezone.now()
            today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
            if value == "overdue":
                return queryset.filter(**{f"{field_name}__lt": now})
            if value == "today":
                return queryset.filter(
                    **{f"{field_name}__gte": today, f"{field_name}__lt": today + timedelta(days=1)}
                )
            if value == "week":
                start = today - timedelta(days=today.weekday())
                return queryset.filter(
                    **{f"{field_name}__gte": start, f"{field_name}__lt": start + timedelta(days=7)}
                )
            return queryset

    NextActionFilter.title = title
    NextActionFilter.__name__ = f"{field_name.title().replace('_', '')}Filter"
    return NextActionFilter


def due_date(moment: datetime | None) -> str:
    """A due date (`display.datetime_html`), marked with the `crm-overdue` class (static CSS) once it
    is past."""
    if moment is None:
        return "-"
    return display.datetime_html(moment, "crm-overdue" if moment < timezone.now() else "")


class CrmMedia:
    css = {"all": ["crm/admin.css"]}
    js = ["crm/autocomplete_names.js"]


def name_each_input(field: forms.Field | None) -> None:
    """Names the date and the time input of a date-time field (`aria-label`): Django groups them
    under a legend, which names neither input."""
    if field is not None and isinstance(field.widget, forms.SplitDateTimeWidget):
        date, time = field.widget.widgets
        date.attrs["aria-label"] = format_lazy("{} ({})", field.label, _("date"))
        time.attrs["aria-label"] = format_lazy("{} ({})", field.label, _("time"))

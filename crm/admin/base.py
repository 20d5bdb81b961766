"""What every CRM admin shares: the visibility rule, the next-action filter, the overdue mark."""

from datetime import datetime, timedelta

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .. import visibility


class VisibleToAdmin(admin.ModelAdmin):
    """The one scoping base: the rows, the objects a form may point to, and the history pages are
    what `crm.visibility` lets the user see.

    Actions, exports, autocompletes (Django's autocomplete reads the related model's admin
    `get_queryset`) and change pages all start from `get_queryset`, so they follow the same rule.
    """

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return visibility.visible_to(request.user, super().get_queryset(request))

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        """A form may only point to a lead, contact, company or opportunity the user sees."""
        related = db_field.related_model
        if related in visibility.SCOPED_MODELS and "queryset" not in kwargs:
            kwargs["queryset"] = visibility.visible_to(request.user, related._default_manager.all())
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    # django-simple-history's pages fall back to the history of a row `get_queryset` does not
    # return (to show deleted rows): for a sales person that would show other people's rows.
    def history_view(self, request: HttpRequest, object_id: str, extra_context=None):
        self._check_visible(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request: HttpRequest, object_id: str, version_id: str, extra_context=None):
        self._check_visible(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def _check_visible(self, request: HttpRequest, object_id: str) -> None:
        if not request.user.is_superuser and self.get_object(request, object_id) is None:
            raise Http404


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
    """A due date, marked with the `crm-overdue` class (static CSS) once it is past."""
    if moment is None:
        return "-"
    text = date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")
    if moment < timezone.now():
        return format_html('<span class="crm-overdue">{}</span>', text)
    return text


class CrmMedia:
    css = {"all": ["crm/admin.css"]}

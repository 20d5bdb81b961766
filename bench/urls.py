"""The project's URLs plus what the benchmarks compare against.

- `/bench/ping`: a trivial Django view, the baseline of `bench/load.py`.
- `/bench/stock-admin/`: a second admin site where `Lead` has Django's stock `ModelAdmin` with the
  same columns, filters, search fields and date bar as the prospects page, and Django's defaults
  otherwise (`bench/prospects.py`).
- `/bench/form-admin/`: a third, where a prospect's page is the change form with every activity
  inline, as it was before the record page (`bench/record_page.py`).

Both are sites of the project's own class (`igv_site.admin.AdminSite`): the header every admin page
shares links to its profile, language and search pages, which a site of Django's class has not.
Only the ModelAdmin differs from ours.
"""

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.urls import path

from crm.admin.activities import ActivityInline
from crm.admin.leads import LeadAdmin
from crm.models import Lead
from igv_site.admin import AdminSite
from igv_site.urls import urlpatterns as project_urlpatterns


def ping(request: HttpRequest) -> HttpResponse:
    return HttpResponse("pong", content_type="text/plain")


def stock_columns(model_admin: admin.ModelAdmin, model: type[Model]) -> list[str]:
    """Our list_display as plain fields: a computed column becomes the field it sorts by."""
    field_names = {field.name for field in model._meta.get_fields()}
    columns = []
    for column in model_admin.list_display:
        if column in field_names:
            columns.append(column)
            continue
        ordering = getattr(getattr(model_admin, column, None), "admin_order_field", None)
        field = ordering.lstrip("-").split("__")[0] if isinstance(ordering, str) else None
        if field in field_names:
            columns.append(field)  # `assigned_to__username` -> the `assigned_to` column
    return list(dict.fromkeys(columns))


def stock_filters(model_admin: admin.ModelAdmin) -> list[str]:
    """Our filters as Django's defaults for the same fields (a custom filter class by the field
    its parameter names: `next_action_at_when` -> `next_action_at`, Django's date filter)."""
    filters = []
    for entry in model_admin.list_filter:
        if isinstance(entry, tuple):
            filters.append(entry[0])
        elif isinstance(entry, str):
            filters.append(entry)
        else:
            filters.append(entry.parameter_name.removesuffix("_when"))
    return filters


ours = admin.site._registry[Lead]
stock_site = AdminSite(name="stock_admin")
stock_site.register(
    Lead,
    type(
        "StockLeadAdmin",
        (admin.ModelAdmin,),
        {
            "list_display": stock_columns(ours, Lead),
            "list_filter": stock_filters(ours),
            "search_fields": list(ours.search_fields),
            "date_hierarchy": ours.date_hierarchy,
        },
    ),
)


class FormLeadAdmin(LeadAdmin):
    """The prospect's page before the record page: the stock form, every activity inline."""

    change_form_template = "admin/crm/lead/change_form.html"
    inlines = [ActivityInline]

    def record_context(self, request, lead, log_form=None) -> dict:
        return {}


form_site = AdminSite(name="form_admin")
form_site.register(Lead, FormLeadAdmin)

urlpatterns = [
    path("bench/ping", ping),
    path("bench/stock-admin/", stock_site.urls),
    path("bench/form-admin/", form_site.urls),
    *project_urlpatterns,
]

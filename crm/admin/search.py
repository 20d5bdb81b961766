"""The admin header's search page, `/admin/search/?q=…`: prospects, contacts, companies and
opportunities at once, grouped, each group counted and linked to its list searched the same way.

Wired by the admin site (`igv_site.admin.AdminSite.get_urls`); the rule is `crm.search`, and
every group goes through `crm.visibility` and the model's view permission.
"""

from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from .. import display, search
from ..models import Company, Contact, Lead, Opportunity

# A query longer than any name, email or phone finds nothing more.
MAX_QUERY_LENGTH = 200


def search_view(request: HttpRequest) -> TemplateResponse:
    query = request.GET.get("q", "").strip()[:MAX_QUERY_LENGTH]
    allowed = [
        model
        for model in search.SEARCHED_FIELDS
        if model in admin.site._registry and admin.site._registry[model].has_view_permission(request)
    ]
    groups = search.search_everything(request.user, query, allowed) if allowed else []
    context = {
        **admin.site.each_context(request),
        "title": gettext("Search"),
        "crm_search_query": query,
        "too_short": bool(query) and len(query) < search.MIN_QUERY_LENGTH,
        "groups": [_shown(group, query) for group in groups],
        "found": any(group.count for group in groups),
    }
    return TemplateResponse(request, "admin/crm/search.html", context)


def _shown(group: search.Group, query: str) -> dict:
    opts = group.model._meta
    return {
        "model_name": opts.model_name,
        "label": opts.verbose_name_plural,
        "count": group.count,
        "more": group.more,
        "list_url": f"{reverse(f'admin:crm_{opts.model_name}_changelist')}?{urlencode({'q': query})}",
        "rows": [
            (reverse(f"admin:crm_{opts.model_name}_change", args=[row.pk]), _title(row), _details(row))
            for row in group.rows
        ],
    }


def _title(row) -> SafeString | str:
    return display.auto_dir_html(row.brand_name if isinstance(row, Lead) else str(row))


def _details(row) -> SafeString | str:
    """What told the row apart: a person's email and phone, a deal's company."""
    if isinstance(row, Lead | Contact):
        if not row.phone:
            return display.ltr_html(row.email)
        return format_html("{} · {}", display.ltr_html(row.email), display.phone_html(row.phone))
    if isinstance(row, Opportunity):
        return display.auto_dir_html(row.company.name)
    if isinstance(row, Company):
        return row.sector
    return ""

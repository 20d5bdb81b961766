"""The admin site: the IGV CRM brand, and the CRM first in the index and the sidebar.

Installed through `igv_site.apps.AdminConfig` (Django's documented way to replace the default
site), so `admin.site` and every `@admin.register` keep working unchanged.
"""

from django.contrib import admin
from django.http import HttpRequest
from django.urls import path
from django.utils.translation import gettext_lazy as _

# Apps in this order first; the rest (accounts, API tokens, lock-outs) follow alphabetically.
APP_ORDER = ["crm", "mini_analysis"]
# Within an app, these models first: the prospects are where sales people work all day.
MODEL_ORDER = {"crm": ["Lead"]}


class AdminSite(admin.AdminSite):
    site_header = "IGV CRM"
    site_title = "IGV CRM"
    index_title = _("Dashboard")

    def get_urls(self):
        from crm.admin.search import search_view  # the CRM's models are loaded by now

        return [path("search/", self.admin_view(search_view), name="crm_search"), *super().get_urls()]

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list[dict]:
        apps = super().get_app_list(request, app_label)
        for app in apps:
            first = MODEL_ORDER.get(app["app_label"], [])
            app["models"].sort(key=lambda model, first=first: _rank(first, model["object_name"]))
        return sorted(apps, key=lambda app: _rank(APP_ORDER, app["app_label"]))


def _rank(order: list[str], name: str) -> int:
    """A name's place in `order`; names not listed come after, in the order they were given."""
    return order.index(name) if name in order else len(order)

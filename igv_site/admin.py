"""The admin site: the IGV CRM brand, the CRM first, the internal apps apart, and each person's page.

Installed through `igv_site.apps.AdminConfig` (Django's documented way to replace the default
site), so `admin.site` and every `@admin.register` keep working unchanged.
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

# Apps in this order first; the rest follow alphabetically.
APP_ORDER = ["crm", "mini_analysis"]
# Within an app, these models first: the prospects are where sales people work all day.
MODEL_ORDER = {"crm": ["Lead"]}
# The machinery, not the sales: accounts, lock-outs, background jobs, failed synchronisations.
# A sales person never sees them; an administrator finds them grouped under "Administration".
INTERNAL_APPS = {"auth", "axes", "django_tasks_database"}
INTERNAL_MODELS = {("crm", "LeadSyncFailure")}
ADMINISTRATION = "administration"


class AdminSite(admin.AdminSite):
    site_header = "IGV CRM"
    site_title = "IGV CRM"
    index_title = _("Dashboard")

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list[dict]:
        from crm.admin import my_day

        apps = super().get_app_list(request, app_label)
        for app in apps:
            first = MODEL_ORDER.get(app["app_label"], [])
            app["models"].sort(key=lambda model, first=first: _rank(first, model["object_name"]))
            # My day, a page rather than a model, right after the prospects: one click from anywhere.
            if app["app_label"] == "crm" and (entry := my_day.nav_entry(request)):
                app["models"].insert(1, entry)
        apps = sorted(apps, key=lambda app: _rank(APP_ORDER, app["app_label"]))
        if app_label is not None:
            return apps  # one app's own page: as Django lists it
        internal_url = reverse("admin:administration", current_app=self.name)
        return _internal_apart(apps, show=request.user.is_superuser, url=internal_url)

    def get_urls(self):
        # Imported here: `crm.admin` registers its ModelAdmins on this site, which must exist first.
        from crm.admin import my_day
        from crm.admin.profile import profile_view, switch_language_view
        from crm.admin.search import search_view

        return [
            *my_day.urls(self),
            path("search/", self.admin_view(search_view), name="crm_search"),
            path("profile/", self.admin_view(profile_view), {"admin_site": self}, name="profile"),
            path("language/", self.admin_view(switch_language_view), name="set_language"),
            path("administration/", self.admin_view(self.administration_view), name="administration"),
            *super().get_urls(),
        ]

    def administration_view(self, request: HttpRequest) -> HttpResponse:
        """The internal apps' own page, as an app's (`app_index`), for an administrator."""
        group = [app for app in self.get_app_list(request) if app["app_label"] == ADMINISTRATION]
        if not group:
            raise PermissionDenied
        context = {
            **self.each_context(request),
            "title": group[0]["name"],
            "subtitle": None,
            "app_list": group,
            "app_label": ADMINISTRATION,
        }
        return TemplateResponse(request, "admin/app_index.html", context)


def _internal_apart(apps: list[dict], *, show: bool, url: str) -> list[dict]:
    """The apps without their internal models; those, for an administrator, in one last group."""
    kept, internal = [], []
    for app in apps:
        if app["app_label"] in INTERNAL_APPS:
            internal.extend(app["models"])
            continue
        models = [
            model
            for model in app["models"]
            if (app["app_label"], model["object_name"]) not in INTERNAL_MODELS
        ]
        internal.extend(model for model in app["models"] if model not in models)
        if models:
            kept.append({**app, "models": models})
    if show and internal:
        kept.append(
            {"name": _("Administration"), "app_label": ADMINISTRATION, "app_url": url, "models": internal}
        )
    return kept


def _rank(order: list[str], name: str) -> int:
    """A name's place in `order`; names not listed come after, in the order they were given."""
    return order.index(name) if name in order else len(order)

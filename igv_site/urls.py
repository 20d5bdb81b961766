"""Project URLs. The seed's `/admin/crm/prospects/` is the prospects changelist, query string kept.

Public pages are language-prefixed (`/fr/…`, `/en/…`, `/he/…`); the API and the admin are not.
"""

from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView

from .views import favicon, healthz, home

urlpatterns = [
    path(
        "admin/crm/prospects/",
        RedirectView.as_view(pattern_name="admin:crm_lead_changelist", query_string=True),
        name="prospects",
    ),
    path("admin/", admin.site.urls),
    path("", home, name="home"),
    path("favicon.ico", favicon, name="favicon"),
    path("healthz", healthz, name="healthz"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/", include("mini_analysis.api_urls")),
    path("api/", include("crm.api_urls")),
    *i18n_patterns(path("", include("mini_analysis.urls"))),
]

# A JSON 404 under /api/, Django's page elsewhere.
handler404 = "igv_site.views.page_not_found"

"""Project URLs. The seed's `/admin/crm/prospects/` is the prospects changelist, query string kept."""

from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

from .views import healthz

urlpatterns = [
    path(
        "admin/crm/prospects/",
        RedirectView.as_view(pattern_name="admin:crm_lead_changelist", query_string=True),
        name="prospects",
    ),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
]

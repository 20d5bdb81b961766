"""The JSON API: `POST /api/mini-analysis` (public, the form's flow) and `GET /api/crm/leads` (staff).

It lives in `crm` because the leads list needs the CRM, and `crm` may import `mini_analysis` but
never the reverse. The paths are the seed's, without a trailing slash:
a client's POST must not be redirected (the body would be lost).
"""

from django.urls import path

from . import api

urlpatterns = [
    path("mini-analysis", api.MiniAnalysisSubmitView.as_view(), name="api-mini-analysis"),
    path("crm/leads", api.LeadListView.as_view(), name="api-leads"),
]

"""The JSON API: `POST /api/mini-analysis` (public, the form's flow), `GET /api/mini-analysis/<id>`
(its status) and the staff CRM endpoints.

It lives in `crm` because the leads' list needs the CRM, and `crm` may import `mini_analysis` but
never the reverse. The paths are the seed's, without a trailing slash:
a client's POST must not be redirected (the body would be lost).
"""

from django.urls import path, re_path

from . import api, api_pipeline

urlpatterns = [
    path("mini-analysis", api.MiniAnalysisSubmitView.as_view(), name="api-mini-analysis"),
    path(
        "mini-analysis/<uuid:request_id>",
        api.MiniAnalysisStatusView.as_view(),
        name="api-mini-analysis-status",
    ),
    path("crm/leads", api.LeadListView.as_view(), name="api-leads"),
    # Any segment reaches the view, so that a malformed id is the API's JSON 404, not an HTML page.
    re_path(
        r"^crm/leads/(?P<lead_id>[^/]+)/convert$",
        api_pipeline.LeadConvertView.as_view(),
        name="api-lead-convert",
    ),
    path("crm/contacts", api_pipeline.ContactListView.as_view(), name="api-contacts"),
    path("crm/opportunities", api_pipeline.OpportunityListView.as_view(), name="api-opportunities"),
]

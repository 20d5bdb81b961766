"""The staff CRM endpoints of the JSON API, under `/api/crm/` (the public submission's are
`mini_analysis.api_urls`). No trailing slash, as the seed's paths: a client's POST must not be
redirected (the body would be lost).
"""

from django.urls import path, re_path

from . import api, api_pipeline

urlpatterns = [
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

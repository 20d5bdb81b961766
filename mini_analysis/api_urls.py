"""The public JSON API of the form, under `/api/` (`api`). The paths are the seed's, without a
trailing slash: a client's POST must not be redirected (the body would be lost)."""

from django.urls import path

from . import api

urlpatterns = [
    path("mini-analysis", api.MiniAnalysisSubmitView.as_view(), name="api-mini-analysis"),
    path(
        "mini-analysis/<uuid:request_id>",
        api.MiniAnalysisStatusView.as_view(),
        name="api-mini-analysis-status",
    ),
]

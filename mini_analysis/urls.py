"""Public pages of the request side: the form, its result, the privacy notice (language-prefixed)."""

from django.urls import path

from . import views

app_name = "mini_analysis"
urlpatterns = [
    path("mini-analysis/", views.mini_analysis_form, name="form"),
    path("mini-analysis/<uuid:request_id>/", views.mini_analysis_result, name="result"),
    path("mini-analysis/<uuid:request_id>/pdf/", views.mini_analysis_pdf, name="pdf"),
    path("privacy/", views.privacy_notice, name="privacy"),
]

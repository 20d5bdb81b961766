"""Public pages of the request side: the mini-analysis form and its result (language-prefixed)."""

from django.urls import path

from . import views

app_name = "mini_analysis"
urlpatterns = [
    path("mini-analysis/", views.mini_analysis_form, name="form"),
    path("mini-analysis/<uuid:request_id>/", views.mini_analysis_result, name="result"),
    path("mini-analysis/<uuid:request_id>/pdf/", views.mini_analysis_pdf, name="pdf"),
]

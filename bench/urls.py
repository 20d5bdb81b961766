"""The project's URLs plus `/bench/ping`, a trivial Django view: the baseline of `bench/load.py`."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from igv_site.urls import urlpatterns as project_urlpatterns


def ping(request: HttpRequest) -> HttpResponse:
    return HttpResponse("pong", content_type="text/plain")


urlpatterns = [path("bench/ping", ping), *project_urlpatterns]

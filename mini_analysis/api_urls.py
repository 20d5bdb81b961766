"""JSON API of the request side: `POST /api/mini-analysis`."""

urlpatterns: list = []

"""Public pages of the request side: the mini-analysis form and its result (language-prefixed)."""

app_name = "mini_analysis"
urlpatterns: list = []

"""WSGI entry point, served by gunicorn in production (see gunicorn.conf.py)."""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "igv_site.settings")

application = get_wsgi_application()

# The URL configuration, loaded here rather than by the first request: it imports every view, admin
# and form module (about 30 000 objects that live as long as the process), so they are frozen too.
get_resolver().reverse_dict  # noqa: B018 - read for its effect: the patterns are built and cached

# What start-up loaded (Django, the apps, the admin's registry, the URL configuration) lives as long
# as the process: moved out of the cyclic collector's generations (Python's `gc.freeze`), a full
# collection walks only what requests made. In a sales person's list view, where such a collection
# falls about once in twenty requests, it took 47 ms before and 14-19 ms after (docs/load.md); with
# the URL configuration loaded before the freeze, 16-27 ms against 35-43 on a slower day.
gc.collect()
gc.freeze()

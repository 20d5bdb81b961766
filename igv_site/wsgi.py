"""WSGI entry point, served by gunicorn in production (see gunicorn.conf.py)."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "igv_site.settings")

application = get_wsgi_application()

# What start-up loaded (Django, the apps, the admin's registry, the URL configuration) lives as long
# as the process: moved out of the cyclic collector's generations (Python's `gc.freeze`), a full
# collection walks only what requests made. In a sales person's list view, where such a collection
# falls about once in twenty requests, it took 47 ms before and 14-19 ms after (docs/load.md).
gc.collect()
gc.freeze()

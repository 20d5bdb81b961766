"""Settings for the load benchmark: the production settings plus one trivial view as the baseline."""

from igv_site.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"

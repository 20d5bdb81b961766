"""igv_site/wsgi.py: the application gunicorn serves, with what start-up loaded out of the collector's way."""

import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]


def test_loading_the_application_moves_what_start_up_made_out_of_the_cyclic_collector():
    probe = (
        "import gc; import igv_site.wsgi; from django.urls import get_resolver; "
        "print(gc.get_freeze_count(), sum(gc.get_count()), get_resolver()._populated)"
    )
    environment = {"PATH": os.environ["PATH"], "DEBUG": "true", "DATABASE_URL": "sqlite:///:memory:"}
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    frozen, tracked, urls_loaded = result.stdout.split()
    assert int(frozen) > 100_000  # Django, the apps and the URL configuration: about 130 000 objects
    assert urls_loaded == "True"  # the views and admin modules, imported before the freeze, not after
    assert int(tracked) < 1_000  # nothing left for a collection to walk but what came after

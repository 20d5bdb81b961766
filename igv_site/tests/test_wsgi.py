"""igv_site/wsgi.py: the application gunicorn serves, with what start-up loaded out of the collector's way."""

import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]


def test_loading_the_application_moves_what_start_up_made_out_of_the_cyclic_collector():
    probe = "import gc; import igv_site.wsgi; print(gc.get_freeze_count(), sum(gc.get_count()))"
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
    frozen, tracked = map(int, result.stdout.split())
    assert frozen > 50_000  # Django and the apps: about 90 000 objects
    assert tracked < 1_000  # nothing left for a collection to walk but what came after

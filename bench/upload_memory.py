"""Memory of the web process when the import page receives the trust issue's workbook.

A 107 KB .xlsx whose one cell holds 100 MB (`crm.tests.spreadsheets.xlsx_with_long_cell`) is
posted to the prospects' import page, in a fresh process on a fresh SQLite database, as an
administrator would; when the page offers a confirmation it is confirmed. Prints the file's size,
the peak resident memory before and after (VmHWM), what the page said, and the longest `notes`
stored in `leads` and `leads_history`.

    .venv/bin/python bench/upload_memory.py [--megabytes 100]
"""

import argparse
import io
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def peak_memory_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--megabytes", type=int, default=100, help="characters of the cell, in MiB")
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="upload-memory-"))
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "igv_site.settings",
            "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
            "CACHE_URL": "dbcache://django_cache",
            "DEBUG": "false",
            "SECRET_KEY": "bench-upload-memory-not-a-secret",
            "ALLOWED_HOSTS": "testserver",
            "SECURE_SSL_REDIRECT": "false",
            "STATICFILES_STORAGE": "django.contrib.staticfiles.storage.StaticFilesStorage",
            "TASKS_BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
            "MEDIA_ROOT": str(folder / "media"),
        }
    )
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.urls import reverse

    from crm.tests.spreadsheets import xlsx_with_long_cell

    setup_test_environment()  # responses carry their template context
    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("admin", "admin@example.com", "admin"))
    content = xlsx_with_long_cell(options.megabytes * 1024 * 1024)
    upload = io.BytesIO(content)
    upload.name = "attack.xlsx"
    before = peak_memory_mb()

    response = client.post(reverse("admin:crm_lead_import"), {"import_file": upload}, follow=True)
    said = "refused: " + "; ".join(
        response.context.get("form").errors.get("import_file", []) if "form" in response.context else []
    )
    if mapping_form := response.context.get("mapping_form"):
        response = client.post(
            response.redirect_chain[-1][0],
            {**{name: mapping_form[name].value() or "" for name in mapping_form.fields}, "_confirm": "1"},
        )
        said = f"confirmed: {response.context['counts']}"
    after = peak_memory_mb()

    with connection.cursor() as cursor:
        longest = {}
        for table in ("leads", "leads_history"):
            cursor.execute(f"SELECT COALESCE(MAX(LENGTH(notes)), 0) FROM {table}")
            longest[table] = cursor.fetchone()[0]
    print(f"file: {len(content)} bytes, a cell of {options.megabytes} MiB")
    print(f"the page: {said}")
    print(f"peak memory: {before:.0f} MB before the upload, {after:.0f} MB after (+{after - before:.0f} MB)")
    print(f"longest notes stored: leads {longest['leads']}, leads_history {longest['leads_history']}")


if __name__ == "__main__":
    main()

"""A big file is imported by the worker (`crm.tasks.import_in_background`), its progress on a page
that refreshes itself, and an email when it is done."""

import io

import pytest
from django.core import mail
from django.urls import reverse

from crm.imports import background
from crm.models import ImportRun, Lead, PendingImport

pytestmark = pytest.mark.django_db

ROWS = 20_000


@pytest.fixture
def big_file(settings):
    settings.IMPORT_MAX_ROWS = ROWS
    settings.IMPORT_MAX_FILE_SIZE = 10 * 1024 * 1024
    lines = ["email,brand_name,notes"] + [f"p{index}@example.com,Brand {index}," for index in range(ROWS - 1)]
    lines.append("not-an-email,Bad,")
    upload = io.BytesIO(("\n".join(lines) + "\n").encode())
    upload.name = "big.csv"
    return upload


def test_a_file_of_20000_rows_goes_through_the_worker_with_its_progress_and_an_email(
    client, signed_in_boss, big_file, django_capture_on_commit_callbacks, monkeypatch
):
    progress = []
    update = background.ImportRun.objects.filter

    def recording_filter(*args, **kwargs):
        queryset = update(*args, **kwargs)
        progress.append(queryset.values_list("rows_done", flat=True).first())
        return queryset

    preview = client.post(reverse("admin:crm_lead_import"), {"import_file": big_file}, follow=True)
    form = preview.context["mapping_form"]
    with django_capture_on_commit_callbacks() as callbacks:
        queued = client.post(
            preview.redirect_chain[-1][0],
            {**{name: form[name].value() or "" for name in form.fields}, "_confirm": "1"},
            follow=True,
        )
    page = queued.content.decode()
    assert '<meta http-equiv="refresh" content="2">' in page and "0 sur 20000 lignes" in page.replace(
        "\xa0", " "
    )
    assert Lead.objects.count() == 0

    monkeypatch.setattr(background.ImportRun.objects, "filter", recording_filter)
    for callback in callbacks:
        callback()  # the worker runs the job (the tests' immediate backend)

    run = ImportRun.objects.get()
    assert (run.state, run.rows_done, run.counts) == (
        "done",
        ROWS,
        {"new": ROWS - 1, "updated": 0, "unchanged": 0, "refused": 1},
    )
    assert [done for done in progress if done][:3] == [1000, 2000, 3000]  # committed chunk by chunk
    assert Lead.objects.count() == ROWS - 1
    done = client.get(reverse("admin:crm_lead_import_run", args=[run.pk])).content.decode()
    assert 'http-equiv="refresh"' not in done
    assert reverse("admin:crm_lead_import_refused", args=[run.refused_file]) in done
    (email,) = mail.outbox
    assert "19999" in email.body and str(run.pk) in email.body
    assert PendingImport.objects.count() == 1  # only the refused rows, to download


def test_a_run_is_shown_only_to_the_user_who_confirmed_it(client, signed_in_boss, boss):
    run = ImportRun.objects.create(user=boss, rows_total=10)

    assert client.get(reverse("admin:crm_lead_import_run", args=[run.pk])).status_code == 404

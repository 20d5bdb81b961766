"""A big file goes through the worker from its upload (`crm.imports.background`, `crm.imports.jobs`): read
and previewed, then imported once confirmed, its progress on a page that refreshes itself, and an
email when it is done. The web requests return at once."""

import io

import pytest
from django.core import mail
from django.urls import reverse

from crm.imports import background
from crm.models import ImportMapping, ImportRun, Lead, PendingImport

pytestmark = pytest.mark.django_db

ROWS = 20_000
IMPORT_URL = reverse("admin:crm_lead_import")
REFRESH = '<meta http-equiv="refresh" content="2">'


def csv_upload(lines: list[str]) -> io.BytesIO:
    upload = io.BytesIO(("\n".join(lines) + "\n").encode())
    upload.name = "big.csv"
    return upload


def prospects(count: int, *, bad_line: int | None = None) -> list[str]:
    """A header and `count` rows; the row on `bad_line` (the file's line) holds a NUL character."""
    lines = ["email,brand_name,notes"] + [f"p{index}@example.com,Brand {index}," for index in range(count)]
    if bad_line is not None:
        lines[bad_line - 1] = "bad@example.com,Bad,\x00"
    return lines


def run_the_worker(callbacks) -> None:
    for callback in callbacks:
        callback()  # the job queued on commit runs (the tests' immediate backend)


def mapping_of(response) -> dict:
    form = response.context["mapping_form"]
    return {name: form[name].value() or "" for name in form.fields}


@pytest.fixture
def small_runs(settings):
    """Files of more than 3 rows go to the worker, planned and written 2 rows a chunk."""
    settings.IMPORT_BACKGROUND_ROWS = 3
    settings.IMPORT_MAX_ROWS = 100


@pytest.fixture(autouse=True)
def chunks_of_two(request, monkeypatch):
    if "small_runs" in request.fixturenames:
        monkeypatch.setattr(background, "CHUNK_ROWS", 2)


def upload(client, lines, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(IMPORT_URL, {"import_file": csv_upload(lines)})
    return response, callbacks


@pytest.mark.slow
def test_a_file_of_20000_rows_goes_through_the_worker_with_its_progress_and_an_email(
    client, signed_in_boss, settings, django_capture_on_commit_callbacks, monkeypatch
):
    settings.IMPORT_MAX_ROWS = ROWS
    settings.IMPORT_MAX_FILE_SIZE = 10 * 1024 * 1024
    lines = [*prospects(ROWS - 1), "not-an-email,Bad,"]
    progress = []
    update = background.ImportRun.objects.filter

    def recording_filter(*args, **kwargs):
        queryset = update(*args, **kwargs)
        progress.append(queryset.values_list("state", "rows_done").first())
        return queryset

    uploaded, callbacks = upload(client, lines, django_capture_on_commit_callbacks)
    run = ImportRun.objects.get()
    assert uploaded.url == reverse("admin:crm_lead_import_run", args=[run.pk])
    waiting = client.get(uploaded.url).content.decode()
    assert REFRESH in waiting and "En attente du traitement" in waiting
    assert (run.state, run.rows_total, run.counts) == ("queued", 0, {})  # the request read 2 001 rows

    monkeypatch.setattr(background.ImportRun.objects, "filter", recording_filter)
    run_the_worker(callbacks)
    assert [done for state, done in progress if state == "reading" and done][:3] == [1000, 2000, 3000]
    previewed = client.get(uploaded.url)
    page = previewed.content.decode()
    assert REFRESH not in page and "Aperçu : rien n’est encore écrit" in page
    assert previewed.context["counts"] == {"new": ROWS - 1, "updated": 0, "unchanged": 0, "refused": 1}
    assert [row["line"] for row in previewed.context["refused_shown"]] == [ROWS + 1]
    run.refresh_from_db()
    assert reverse("admin:crm_lead_import_refused", args=[run.refused_file]) in page
    assert Lead.objects.count() == 0

    progress.clear()
    with django_capture_on_commit_callbacks() as callbacks:
        queued = client.post(uploaded.url, {**mapping_of(previewed), "_confirm": "1"}, follow=True)
    page = queued.content.decode()
    assert REFRESH in page and "0 sur 20000 lignes" in page.replace("\xa0", " ")
    assert Lead.objects.count() == 0
    run_the_worker(callbacks)

    run.refresh_from_db()
    assert (run.state, run.rows_done, run.counts) == (
        "done",
        ROWS,
        {"new": ROWS - 1, "updated": 0, "unchanged": 0, "refused": 1},
    )
    assert [done for state, done in progress if state == "running" and done][:3] == [1000, 2000, 3000]
    assert Lead.objects.count() == ROWS - 1
    done = client.get(reverse("admin:crm_lead_import_run", args=[run.pk])).content.decode()
    assert 'http-equiv="refresh"' not in done and "Import terminé" in done
    assert reverse("admin:crm_lead_import_refused", args=[run.refused_file]) in done
    (email,) = mail.outbox
    assert "19999" in email.body and str(run.pk) in email.body
    assert PendingImport.objects.count() == 1  # only the refused rows, to download


def test_a_file_of_up_to_the_background_rows_is_previewed_in_the_request(
    client, signed_in_boss, small_runs, django_capture_on_commit_callbacks
):
    response, _callbacks = upload(client, prospects(3), django_capture_on_commit_callbacks)

    assert "/import/run/" not in response.url and ImportRun.objects.count() == 0
    assert client.get(response.url).context["counts"]["new"] == 3


def test_the_upload_reads_no_further_than_the_background_rows_and_the_worker_refuses_the_rest(
    client, signed_in_boss, small_runs, django_capture_on_commit_callbacks
):
    early, _callbacks = upload(client, prospects(6, bad_line=3), django_capture_on_commit_callbacks)
    assert "NUL" in early.content.decode() and ImportRun.objects.count() == 0

    late, callbacks = upload(client, prospects(6, bad_line=6), django_capture_on_commit_callbacks)
    run_the_worker(callbacks)

    run = ImportRun.objects.get()
    page = client.get(late.url).content.decode()
    assert run.state == "failed" and "Ligne 6" in run.error and run.error in page
    assert not PendingImport.objects.exists() and REFRESH not in page


def test_the_columns_are_chosen_again_on_a_big_files_preview_and_the_worker_previews_again(
    client, signed_in_boss, small_runs, django_capture_on_commit_callbacks
):
    response, callbacks = upload(client, prospects(5), django_capture_on_commit_callbacks)
    run_the_worker(callbacks)
    previewed = client.get(response.url)
    assert previewed.context["counts"] == {"new": 5, "updated": 0, "unchanged": 0, "refused": 0}

    without_brand = {**mapping_of(previewed), "column_1": ""}
    refused = client.post(response.url, {**without_brand, "_confirm": "1"})
    assert "marque" in refused.context["mapping_error"] and 'name="_confirm"' not in refused.content.decode()
    assert ImportRun.objects.get().state == "preview"

    ignoring_notes = {**mapping_of(previewed), "column_2": ""}
    with django_capture_on_commit_callbacks() as callbacks:
        client.post(response.url, {**ignoring_notes, "_preview": "1"})
    assert ImportRun.objects.get().state == "queued"
    run_the_worker(callbacks)

    run = ImportRun.objects.get()
    assert (run.state, run.mapping) == ("preview", ["email", "brand_name", ""])
    assert client.get(response.url).context["mapping_form"]["column_2"].value() == ""


def test_a_big_file_without_its_email_or_brand_column_asks_for_them_on_its_preview(
    client, signed_in_boss, small_runs, django_capture_on_commit_callbacks
):
    lines = ["who,what,notes"] + [f"p{i},B{i}," for i in range(5)]
    response, callbacks = upload(client, lines, django_capture_on_commit_callbacks)
    run_the_worker(callbacks)

    page = client.get(response.url)
    assert ImportRun.objects.get().state == "preview"
    assert "Choisissez les colonnes" in page.context["mapping_error"]
    assert 'name="_confirm"' not in page.content.decode() and 'name="_preview"' in page.content.decode()


def test_cancelling_a_big_files_preview_deletes_its_file_its_refused_rows_and_its_run(
    client, signed_in_boss, small_runs, django_capture_on_commit_callbacks
):
    lines = [*prospects(5), "not-an-email,Bad,"]
    response, callbacks = upload(client, lines, django_capture_on_commit_callbacks)
    run_the_worker(callbacks)
    assert PendingImport.objects.count() == 2  # the file, and its refused rows

    cancelled = client.post(response.url, {"_cancel": "1"})

    assert cancelled.url == reverse("admin:crm_lead_changelist")
    assert not PendingImport.objects.exists() and not ImportRun.objects.exists()
    assert not Lead.objects.exists()


def test_a_big_file_expired_before_its_confirmation_cannot_be_confirmed(
    client, signed_in_boss, small_runs, django_capture_on_commit_callbacks
):
    response, callbacks = upload(client, prospects(5), django_capture_on_commit_callbacks)
    run_the_worker(callbacks)
    previewed = client.get(response.url)
    PendingImport.objects.all().delete()

    confirmed = client.post(response.url, {**mapping_of(previewed), "_confirm": "1"}, follow=True)

    assert "n’attend plus" in confirmed.content.decode() and not Lead.objects.exists()
    assert ImportRun.objects.get().state == "preview"


def test_a_run_is_shown_only_to_the_user_who_confirmed_it(client, signed_in_boss, boss):
    run = ImportRun.objects.create(user=boss, rows_total=10)

    assert client.get(reverse("admin:crm_lead_import_run", args=[run.pk])).status_code == 404


def test_a_big_file_expired_before_the_worker_read_it_fails_its_run_with_a_sentence(
    client, signed_in_boss, small_runs, django_capture_on_commit_callbacks
):
    response, callbacks = upload(client, prospects(5), django_capture_on_commit_callbacks)
    PendingImport.objects.all().delete()
    run_the_worker(callbacks)

    page = client.get(response.url).content.decode()
    assert ImportRun.objects.get().state == "failed" and "n’attend plus" in page and REFRESH not in page


def test_a_saved_mapping_chosen_at_the_upload_of_a_big_file_fills_its_preview_and_one_is_saved_on_confirm(
    client, signed_in_boss, small_runs, django_capture_on_commit_callbacks
):
    ImportMapping.objects.create(name="Zoho", columns={"enseigne": "brand_name", "courriel": "email"})
    lines = ["courriel,enseigne,remarques"] + [f"p{i}@example.com,B{i},n{i}" for i in range(5)]
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(
            IMPORT_URL, {"import_file": csv_upload(lines), "saved_mapping": ImportMapping.objects.get().pk}
        )
    run_the_worker(callbacks)
    previewed = client.get(response.url)
    assert ImportRun.objects.get().mapping == ["email", "brand_name", "notes"]
    assert previewed.context["save_mapping_form"] is not None

    with django_capture_on_commit_callbacks() as callbacks:
        client.post(response.url, {**mapping_of(previewed), "save_as": "Zoho 2", "_confirm": "1"})
    run_the_worker(callbacks)
    assert ImportMapping.objects.get(name="Zoho 2").columns == {
        "courriel": "email",
        "enseigne": "brand_name",
        "remarques": "notes",
    }
    assert Lead.objects.filter(email__startswith="p").count() == 5


def test_the_cyclic_collector_is_paused_while_a_file_is_imported_and_runs_again_after(boss):
    import gc

    rows = [["a@example.com", "A"], ["b@example.com", "B"]]
    table = background.Table(["email", "brand_name"], rows, [2, 3])
    enabled_during = []
    background.import_in_chunks(
        table, ["email", "brand_name"], boss, lambda done, total: enabled_during.append(gc.isenabled())
    )
    assert enabled_during == [False]
    assert gc.isenabled()
    assert Lead.objects.filter(email__in=["a@example.com", "b@example.com"]).count() == 2


def test_a_collector_the_process_paused_itself_stays_paused_after_an_import(boss):
    import gc

    gc.disable()
    try:
        table = background.Table(["email", "brand_name"], [["a@example.com", "A"]], [2])
        background.import_in_chunks(table, ["email", "brand_name"], boss)
        assert not gc.isenabled()
    finally:
        gc.enable()

"""An export of more than `EXPORT_BACKGROUND_ROWS` prospects is built by the worker
(`crm/export_runs.py`, `crm.tasks.export_in_background`): a run, a page with its progress, then a
download link for the user who asked, holding exactly the rows of their list."""

import csv
import io
from datetime import timedelta

import openpyxl
import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from crm import export_runs
from crm.models import ExportRun, Lead, LeadStage

from .factories import LeadFactory, SalesPersonFactory, UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:crm_lead_changelist")


@pytest.fixture(autouse=True)
def small_threshold(settings, tmp_path):
    settings.EXPORT_BACKGROUND_ROWS = 3
    settings.MEDIA_ROOT = tmp_path / "media"


def export(client, capture, *, query: str = "", action: str = "export_csv", selected=None):
    """POST the export action on the list of `query`, every row of it unless `selected`; the
    response and the jobs queued on commit (not run yet)."""
    data = {"action": action, "select_across": "0" if selected else "1", "index": "0"}
    data["_selected_action"] = selected or [Lead.objects.values_list("pk", flat=True).first()]
    with capture(execute=False) as callbacks:
        response = client.post(f"{CHANGELIST}{query}", data)
    return response, callbacks


def run_worker(callbacks) -> ExportRun:
    for callback in callbacks:
        callback()  # the worker runs the job (the tests' immediate backend)
    return ExportRun.objects.get()


def downloaded_rows(client, run: ExportRun) -> list[dict[str, str]]:
    response = client.get(reverse("admin:crm_lead_export_file", args=[run.pk]))
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    assert content.startswith(b"\xef\xbb\xbf")  # the byte-order mark, as the small export
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def test_an_export_up_to_the_threshold_is_built_in_the_request(
    client, signed_in_boss, django_capture_on_commit_callbacks
):
    LeadFactory.create_batch(3)

    response, callbacks = export(client, django_capture_on_commit_callbacks)

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert len(list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))) == 3
    assert not ExportRun.objects.exists() and not callbacks


def test_above_the_threshold_the_worker_builds_the_file_and_the_page_offers_it(
    client, signed_in_boss, django_capture_on_commit_callbacks
):
    signed_in_boss.email = "boss@example.com"
    signed_in_boss.save()
    leads = LeadFactory.create_batch(5)

    response, callbacks = export(client, django_capture_on_commit_callbacks)

    queued = ExportRun.objects.get()
    assert (queued.state, queued.user, queued.selected, queued.format) == (
        "queued",
        signed_in_boss,
        None,
        "csv",
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:crm_lead_export_run", args=[queued.pk])
    page = client.get(response["Location"]).content.decode()
    assert '<meta http-equiv="refresh" content="2">' in page
    assert reverse("admin:crm_lead_export_file", args=[queued.pk]) not in page

    run = run_worker(callbacks)

    assert (run.state, run.rows_total, run.rows_done) == ("done", 5, 5)
    assert run.expires_at > timezone.now() + timedelta(hours=23)
    page = client.get(response["Location"]).content.decode()
    assert 'http-equiv="refresh"' not in page
    assert reverse("admin:crm_lead_export_file", args=[run.pk]) in page
    rows = downloaded_rows(client, run)
    assert [row["id"] for row in rows] == [str(lead.pk) for lead in reversed(leads)]  # the list's order
    (email,) = mail.outbox
    assert email.to == ["boss@example.com"] and str(run.pk) in email.body


def test_the_file_holds_the_lists_filters_and_search_as_they_were_when_asked(
    client, signed_in_boss, django_capture_on_commit_callbacks
):
    wanted = LeadFactory.create_batch(4, brand_name="Maison Lumière", stage=LeadStage.ATTEMPTING)
    LeadFactory.create_batch(2, brand_name="Maison Lumière", stage=LeadStage.NEW)
    LeadFactory.create_batch(2, brand_name="Other shop", stage=LeadStage.ATTEMPTING)

    _, callbacks = export(
        client, django_capture_on_commit_callbacks, query="?stage__exact=ATTEMPTING&q=lumiere&o=-1"
    )

    run = run_worker(callbacks)
    assert run.query == "stage__exact=ATTEMPTING&q=lumiere&o=-1"
    rows = downloaded_rows(client, run)
    assert sorted(row["id"] for row in rows) == sorted(str(lead.pk) for lead in wanted)
    assert [row["brand_name"] for row in rows] == ["Maison Lumière"] * 4


def test_only_the_ticked_rows_are_exported_when_not_every_row_was_chosen(
    client, signed_in_boss, django_capture_on_commit_callbacks
):
    leads = LeadFactory.create_batch(6)
    ticked = [lead.pk for lead in leads[:4]]

    _, callbacks = export(client, django_capture_on_commit_callbacks, selected=ticked)

    run = run_worker(callbacks)
    assert run.selected == ticked
    assert sorted(int(row["id"]) for row in downloaded_rows(client, run)) == ticked


def test_a_sales_person_gets_only_the_prospects_they_may_see(client, django_capture_on_commit_callbacks):
    seller, colleague = SalesPersonFactory(username="seller"), SalesPersonFactory(username="colleague")
    mine = LeadFactory.create_batch(3, assigned_to=seller)
    unassigned = LeadFactory.create_batch(2, assigned_to=None)
    LeadFactory.create_batch(4, assigned_to=colleague)
    client.force_login(seller)

    _, callbacks = export(client, django_capture_on_commit_callbacks)

    run = run_worker(callbacks)
    assert sorted(int(row["id"]) for row in downloaded_rows(client, run)) == sorted(
        lead.pk for lead in mine + unassigned
    )


def test_the_rows_are_those_the_user_may_see_when_the_worker_runs(client, django_capture_on_commit_callbacks):
    seller, colleague = SalesPersonFactory(username="seller"), SalesPersonFactory(username="colleague")
    leads = LeadFactory.create_batch(5, assigned_to=seller)
    client.force_login(seller)
    _, callbacks = export(client, django_capture_on_commit_callbacks)

    Lead.objects.filter(pk=leads[0].pk).update(assigned_to=colleague)  # reassigned before the worker ran
    run = run_worker(callbacks)

    assert sorted(int(row["id"]) for row in downloaded_rows(client, run)) == [lead.pk for lead in leads[1:]]


def test_another_user_gets_a_404_for_the_page_and_the_file_a_superuser_may_download(
    client, django_capture_on_commit_callbacks
):
    seller = SalesPersonFactory(username="seller")
    LeadFactory.create_batch(5, assigned_to=seller)
    client.force_login(seller)
    _, callbacks = export(client, django_capture_on_commit_callbacks)
    run = run_worker(callbacks)
    page = reverse("admin:crm_lead_export_run", args=[run.pk])
    file = reverse("admin:crm_lead_export_file", args=[run.pk])

    client.force_login(SalesPersonFactory(username="colleague"))
    assert (client.get(page).status_code, client.get(file).status_code) == (404, 404)
    client.force_login(UserFactory(username="manager", is_superuser=True))
    assert len(downloaded_rows(client, run)) == 5
    client.logout()
    assert client.get(file).status_code == 302  # to the login page


def test_a_big_xlsx_export_is_built_by_the_worker_too_every_cell_text(
    client, signed_in_boss, django_capture_on_commit_callbacks
):
    LeadFactory.create_batch(4, notes="=1+1", phone="+972502345678")

    _, callbacks = export(client, django_capture_on_commit_callbacks, action="export_xlsx")

    run = run_worker(callbacks)
    response = client.get(reverse("admin:crm_lead_export_file", args=[run.pk]))
    assert response["Content-Disposition"].endswith('.xlsx"')
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 5 and rows[1][4] == "+972502345678" and rows[1][-1] == "=1+1"


def test_an_xlsx_export_longer_than_a_sheet_is_refused_for_csv(
    client, signed_in_boss, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(export_runs, "XLSX_MAX_ROWS", 5)
    LeadFactory.create_batch(5)

    response, callbacks = export(client, django_capture_on_commit_callbacks, action="export_xlsx")

    assert response.status_code == 302 and response["Location"].startswith(CHANGELIST)
    assert not ExportRun.objects.exists() and not callbacks


def test_a_job_delivered_twice_builds_the_file_once(
    client, signed_in_boss, django_capture_on_commit_callbacks
):
    LeadFactory.create_batch(5)
    _, callbacks = export(client, django_capture_on_commit_callbacks)
    run = run_worker(callbacks)

    LeadFactory()
    again = export_runs.build_export(str(run.pk))

    assert (again.file.name, again.rows_done) == (run.file.name, 5)


def test_a_run_whose_user_is_gone_fails_and_writes_nothing(boss):
    run = export_runs.new_export_run(boss, format="csv", query="", selected=None)
    boss.is_active = False
    boss.save()

    with pytest.raises(PermissionError):
        export_runs.build_export(str(run.pk))

    run.refresh_from_db()
    assert (run.state, run.file.name) == ("failed", "")


def test_expired_runs_and_their_files_are_deleted(client, signed_in_boss, django_capture_on_commit_callbacks):
    LeadFactory.create_batch(5)
    _, callbacks = export(client, django_capture_on_commit_callbacks)
    run = run_worker(callbacks)
    storage, name = run.file.storage, run.file.name
    assert storage.exists(name)

    ExportRun.objects.filter(pk=run.pk).update(expires_at=timezone.now())
    assert export_runs.discard_expired_exports() == 1

    assert not storage.exists(name) and not ExportRun.objects.exists()


def test_the_worker_reports_its_progress_on_the_run_as_it_writes(boss, monkeypatch):
    monkeypatch.setattr("crm.exports.PROGRESS_ROWS", 2)
    LeadFactory.create_batch(5)
    run = export_runs.new_export_run(boss, format="csv", query="", selected=None)
    seen = []
    write = export_runs._write

    def recording_write(format, leads, output, on_progress):
        def recording(done: int) -> None:
            on_progress(done)
            seen.append(ExportRun.objects.values_list("rows_done", flat=True).get(pk=run.pk))

        return write(format, leads, output, recording)

    monkeypatch.setattr(export_runs, "_write", recording_write)
    export_runs.build_export(str(run.pk))

    assert seen == [2, 4, 5]

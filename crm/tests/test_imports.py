"""Importing prospects in the admin (crm/admin/imports.py): upload, preview with the columns'
mapping, counts and refused rows on the page, a partial confirmation, the kept file's life."""

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import DatabaseError, connection
from django.urls import reverse
from django.utils import timezone
from django_tasks import task_backends
from openpyxl import Workbook

from crm.models import Lead, PendingImport, Source
from crm.pending_imports import discard_pending_imports_of, keep_pending_import
from crm.tasks import expire_pending_imports
from mini_analysis.models import Status

from .factories import LeadFactory, SalesPersonFactory, UserFactory
from .spreadsheets import xlsx_bytes, xlsx_with_long_cell

pytestmark = pytest.mark.django_db

IMPORT_URL = reverse("admin:crm_lead_import")
HEADER = ["email", "phone", "brand_name", "sector", "language", "status", "source", "notes"]


def csv_file(rows: list[list[str]], header: list[str] = HEADER) -> io.BytesIO:
    lines = [",".join(header), *(",".join(row) for row in rows)]
    upload = io.BytesIO(("\n".join(lines) + "\n").encode())
    upload.name = "prospects.csv"
    return upload


def xlsx_file(rows: list[list[str]], header: list[str] = HEADER) -> io.BytesIO:
    workbook = Workbook()
    sheet = workbook.active
    for row in [header, *rows]:
        sheet.append(row)
    upload = io.BytesIO()
    workbook.save(upload)
    upload.seek(0)
    upload.name = "prospects.xlsx"
    return upload


def preview(client, upload):
    """The upload, then its preview (nothing is written yet)."""
    response = client.post(IMPORT_URL, {"import_file": upload}, follow=True)
    assert response.status_code == 200
    return response


def mapping_of(response) -> dict:
    form = response.context["mapping_form"]
    return {name: form[name].value() or "" for name in form.fields}


def confirm(client, preview_response, **changes):
    url = preview_response.redirect_chain[-1][0]
    return client.post(url, {**mapping_of(preview_response), **changes, "_confirm": "1"}, follow=True)


def pending_upload(preview_response):
    """The uploaded file kept for the confirmation of this preview (None once discarded)."""
    name = preview_response.redirect_chain[-1][0].rstrip("/").rsplit("/", 1)[-1]
    return PendingImport.objects.filter(pk=name).first()


def row(email="ana@example.com", phone="+972502345678", brand="Maison Lumière", **values) -> list[str]:
    return [
        email,
        phone,
        brand,
        values.get("sector", "food"),
        values.get("language", "fr"),
        values.get("status", ""),
        values.get("source", ""),
        values.get("notes", ""),
    ]


def page_of(response) -> str:
    """The page's text, its no-break spaces (French numbers and sizes) written as spaces."""
    return response.content.decode().replace("\xa0", " ").replace("&nbsp;", " ")


def refused_on_page(response) -> list[tuple[int, str, str]]:
    return [
        (row.line, column, reason)
        for row in response.context["plan"].refused
        for column, reason in row.reasons
    ]


@pytest.mark.parametrize("make_file", [csv_file, xlsx_file])
def test_preview_counts_the_rows_and_shows_each_refused_one_with_its_line_column_and_reason(
    client, signed_in_boss, make_file
):
    LeadFactory(email="same@example.com", brand_name="Same", sector="food", phone="+972502345678")
    rows = [
        row(email="good@example.com"),
        row(email="not-an-email"),
        row(email="bad-phone@example.com", phone="12"),
        row(email="bad-language@example.com", language="de"),
        row(email="same@example.com", brand="Same"),
        row(email="same@example.com", brand="Same", notes="Call back"),
    ]
    response = preview(client, make_file(rows))

    assert response.context["counts"] == {"new": 1, "updated": 1, "unchanged": 0, "refused": 3}
    # Lines as the spreadsheet numbers them: the header is line 1.
    assert refused_on_page(response) == [
        (3, "email", "Saisissez une adresse e-mail valide."),
        (4, "phone", "« 12 » n’est pas un numéro de téléphone."),
        (5, "language", "Langue inconnue « de »."),
    ]
    page = page_of(response)
    assert "Saisissez une adresse e-mail valide." in page and "<td>3</td>" in page
    assert "Même personne et même marque que la ligne 6 : fusionnée avec elle." in page
    assert 'name="_confirm"' in page
    assert Lead.objects.count() == 1


@pytest.mark.parametrize("make_file", [csv_file, xlsx_file])
def test_confirming_a_clean_preview_writes_the_prospects(client, signed_in_boss, make_file):
    rows = [
        row(),
        row(email="dov@example.com", brand="שוקולד תל אביב", language="he", source="mini-analysis"),
    ]
    response = preview(client, make_file(rows))
    assert Lead.objects.count() == 0

    done = confirm(client, response)

    assert done.context["counts"] == {"new": 2, "updated": 0, "unchanged": 0, "refused": 0}
    manual, form = Lead.objects.order_by("email")
    assert (manual.email, manual.brand_name, str(manual.phone)) == (
        "ana@example.com",
        "Maison Lumière",
        "+972502345678",
    )
    assert (manual.source, manual.status, manual.language) == (Source.MANUAL, Status.NEW, "fr")
    assert (form.source, form.language, form.brand_name) == (Source.MINI_ANALYSIS, "he", "שוקולד תל אביב")
    assert manual.history.get().history_change_reason == "imported"


def test_confirming_imports_the_valid_rows_and_offers_the_refused_ones_as_a_file_with_their_reason(
    client, signed_in_boss
):
    response = preview(client, csv_file([row(), row(email="not-an-email", brand="Other")]))

    done = confirm(client, response)

    assert list(Lead.objects.values_list("email", flat=True)) == ["ana@example.com"]
    refused_url = reverse("admin:crm_lead_import_refused", args=[done.context["refused_name"]])
    assert refused_url in page_of(done)
    download = client.get(refused_url)
    text = download.content.decode("utf-8-sig")
    header, refused = list(csv.reader(io.StringIO(text)))
    assert header == [*HEADER, "Motif du refus"]
    assert refused[:3] == ["not-an-email", "+972502345678", "Other"]
    assert refused[-1] == "email: Saisissez une adresse e-mail valide."
    # Fixed and imported again: the reason column is ignored.
    fixed = csv_file([["fixed@example.com", *refused[1:]]], header)
    confirm(client, preview(client, fixed))
    assert Lead.objects.count() == 2


def test_the_manager_changes_the_mapping_on_the_preview_and_can_ignore_a_column(client, signed_in_boss):
    header = ["Courriel", "Enseigne", "Remarques", "Fax"]
    response = preview(client, csv_file([["ana@example.com", "Maison", "Call", "123"]], header))
    assert mapping_of(response) == {"column_0": "email", "column_1": "", "column_2": "notes", "column_3": ""}
    assert "Choisissez les colonnes de nom de marque" in page_of(response)
    assert 'name="_confirm"' not in page_of(response)

    confirm(client, response, column_1="brand_name", column_2="")

    lead = Lead.objects.get()
    assert (lead.brand_name, lead.notes) == ("Maison", "")


def test_reimport_updates_the_prospect_of_the_same_person_and_brand_never_duplicates(client, signed_in_boss):
    lead = LeadFactory(
        email="ana@example.com", brand_name="Maison Lumière", source=Source.MINI_ANALYSIS, notes="Called."
    )
    rows = [row(email="  ANA@Example.com ", brand="maison   LUMIÈRE", status="GENERATED", notes="Call back")]

    confirm(client, preview(client, csv_file(rows)))

    lead.refresh_from_db()
    assert Lead.objects.count() == 1
    assert (lead.status, lead.notes) == (Status.GENERATED, "Call back")
    # An empty source cell leaves the lead's source as it was; the lead keeps its spelling.
    assert (lead.source, lead.email, lead.brand_name) == (Source.MINI_ANALYSIS, lead.email, "Maison Lumière")


def test_import_cannot_set_legacy_id_migration_date_or_identity_keys(client, signed_in_boss):
    header = [*HEADER, "legacy_id", "migrated_at", "email_key", "brand_key"]
    rows = [[*row(), "legacy-1", "2024-01-01T00:00:00Z", "someone@else.example", "other"]]

    confirm(client, preview(client, csv_file(rows, header)))

    lead = Lead.objects.get()
    assert (lead.legacy_id, lead.migrated_at) == (None, None)
    assert (lead.email_key, lead.brand_key) == ("ana@example.com", "maison lumière")


def sales_person_who_imports(client):
    sales = SalesPersonFactory(username="sara")
    sales.user_permissions.add(Permission.objects.get(codename="add_lead"))
    client.force_login(sales)
    return sales


def test_sales_person_cannot_update_through_import_a_prospect_assigned_to_someone_else(client):
    sales_person_who_imports(client)
    theirs = LeadFactory(email="ana@example.com", brand_name="Maison Lumière", assigned_to=UserFactory())
    rows = [row(notes="Taken over"), row(email="new@example.com")]

    response = preview(client, csv_file(rows))

    assert refused_on_page(response) == [(2, "", "Vous ne pouvez pas importer cette ligne.")]
    refused = page_of(response).split('class="import-refused"')[1].split("</table>")[0]
    # Only that: nothing that tells the row's person is someone else's prospect (the page's
    # mapping lists the fields, "étape commerciale" among them; the refusal says nothing more).
    assert "assigné" not in refused and "commercial" not in refused and "sara" not in refused
    confirm(client, response)
    theirs.refresh_from_db()
    assert theirs.notes == ""
    assert Lead.objects.count() == 2


def test_import_needs_the_add_and_change_permissions(client):
    sales = SalesPersonFactory(username="sara")  # the Sales group may change prospects, not add them
    client.force_login(sales)

    assert client.get(IMPORT_URL).status_code == 403
    assert IMPORT_URL not in client.get(reverse("admin:crm_lead_changelist")).content.decode()


def test_boss_sees_the_import_button_on_the_prospects_page(client, signed_in_boss):
    assert IMPORT_URL in client.get(reverse("admin:crm_lead_changelist")).content.decode()


def test_a_preview_is_shown_only_to_the_session_that_uploaded_it(client, signed_in_boss, django_user_model):
    response = preview(client, csv_file([row()]))
    url = response.redirect_chain[-1][0]
    client.force_login(UserFactory(username="other", is_superuser=True))

    assert client.get(url).status_code == 404
    assert client.post(url, {**mapping_of(response), "_confirm": "1"}).status_code == 404
    assert Lead.objects.count() == 0


def test_formula_looking_cell_is_stored_as_text_and_exported_with_the_guard(client, signed_in_boss):
    rows = [row(notes='=HYPERLINK("http://evil.example")')]

    confirm(client, preview(client, csv_file(rows)))

    lead = Lead.objects.get()
    assert lead.notes == '=HYPERLINK("http://evil.example")'
    response = client.post(
        reverse("admin:crm_lead_changelist"), {"action": "export_csv", "_selected_action": [lead.pk]}
    )
    exported = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "'=HYPERLINK" in exported
    # Imported back, the guard is taken off: the notes are unchanged.
    upload = io.BytesIO(exported.encode("utf-8-sig"))
    upload.name = "prospects.csv"
    assert preview(client, upload).context["counts"]["unchanged"] == 1


def test_an_exported_file_imports_back_without_duplicates_or_errors(client, signed_in_boss):
    lead = LeadFactory(email="ana@example.com", brand_name="Maison Lumière", notes="Called.")
    exported = client.post(
        reverse("admin:crm_lead_changelist"), {"action": "export_csv", "_selected_action": [lead.pk]}
    )
    upload = io.BytesIO(b"".join(exported.streaming_content))
    upload.name = "prospects.csv"

    response = preview(client, upload)

    assert response.context["counts"] == {"new": 0, "updated": 0, "unchanged": 1, "refused": 0}
    confirm(client, response)
    assert Lead.objects.get() == lead


@pytest.mark.parametrize("make_file", [csv_file, xlsx_file])
def test_discarding_the_pending_imports_of_a_person_deletes_only_the_uploads_that_mention_them(
    client, signed_in_boss, make_file
):
    hers = preview(client, make_file([row(email="Ana@Example.com")]))
    others = preview(client, make_file([row(email="dov@example.com", brand="Dov")]))

    assert discard_pending_imports_of({"ana@example.COM"}, dry_run=True) == 1
    assert discard_pending_imports_of({"nobody@example.com", "054-999-9999"}) == 0
    assert discard_pending_imports_of({"ana@example.com"}) == 1
    assert discard_pending_imports_of({"ana@example.com"}) == 0

    assert pending_upload(hers) is None
    assert pending_upload(others) is not None
    confirm(client, others)
    assert list(Lead.objects.values_list("email", flat=True)) == ["dov@example.com"]


# --- Limits, errors and the file kept for the confirmation (trust issue, items 4, 8 and 9) ---------

TRACEBACK_MARKERS = ["Traceback", "site-packages", 'File "', "/work/", ".py"]


def upload(content: bytes, name: str = "prospects.csv") -> io.BytesIO:
    file = io.BytesIO(content)
    file.name = name
    return file


def assert_nothing_kept_or_written() -> None:
    assert PendingImport.objects.count() == 0
    assert Lead.objects.count() == 0
    assert Lead.history.model.objects.count() == 0


def test_the_import_page_states_the_limits_of_a_file(client, signed_in_boss):
    page = page_of(client.get(IMPORT_URL))

    assert "Un fichier de 16,0 Mio au plus, 100000 lignes et 10000 caractères par cellule." in page


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"PK\x03\x04 truncated", "prospects.xlsx", "n’est pas un classeur Excel (.xlsx)"),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100,
            "prospects.xls",
            "Ce classeur ne peut pas être lu.",
        ),
        (b"", "prospects.csv", None),  # Django's own "Le fichier soumis est vide."
        (b"email,brand_name\n", "prospects.csv", "aucune ligne en dessous"),
    ],
    ids=["unreadable", "unreadable xls", "empty", "no row"],
)
def test_every_error_of_reading_the_file_is_a_sentence_never_a_traceback(
    client, signed_in_boss, content, name, message
):
    response = preview(client, upload(content, name))

    page = page_of(response)
    assert response.context["form"].errors["import_file"]
    if message is not None:
        assert message in page
    assert [marker for marker in TRACEBACK_MARKERS if marker in page] == []
    assert_nothing_kept_or_written()


def test_a_file_without_the_email_or_brand_columns_asks_for_them_and_cannot_be_confirmed(
    client, signed_in_boss
):
    response = preview(client, upload(b"email,phone\nana@example.com,+972502345678\n"))

    assert "Choisissez les colonnes de nom de marque : un prospect est retrouvé par elles." in page_of(
        response
    )
    assert confirm(client, response).context["mapping_error"]
    assert Lead.objects.count() == 0
    assert PendingImport.objects.count() == 1  # kept: the manager may still choose the column


def test_an_error_inside_the_import_is_told_in_a_sentence_and_its_traceback_only_logged(
    client, signed_in_boss, monkeypatch, caplog
):
    def broken(*args, **kwargs):
        raise RuntimeError("/srv/igv/secret.py exploded")

    monkeypatch.setattr("crm.admin.imports.plan_import", broken)

    response = preview(client, csv_file([row()]))

    page = page_of(response)
    assert "Le fichier n’a pas pu être importé et rien n’a été écrit." in page
    assert [marker for marker in [*TRACEBACK_MARKERS, "/srv/igv", "exploded"] if marker in page] == []
    assert "/srv/igv/secret.py exploded" in caplog.text
    assert_nothing_kept_or_written()


def test_an_error_while_writing_writes_nothing_is_told_in_a_sentence_and_its_traceback_only_logged(
    client, signed_in_boss, monkeypatch, caplog
):
    response = preview(client, csv_file([row(), row(email="dov@example.com")]))

    def broken(*args, **kwargs):
        raise DatabaseError("value too long for /srv/igv/column")

    monkeypatch.setattr("crm.services.leads.insert_history", broken)  # after the leads are inserted
    done = confirm(client, response)

    page = page_of(done)
    assert "Le fichier n’a pas pu être importé et rien n’a été écrit." in page
    assert [marker for marker in [*TRACEBACK_MARKERS, "/srv/igv", "too long"] if marker in page] == []
    assert "value too long for /srv/igv/column" in caplog.text
    assert_nothing_kept_or_written()


def test_a_file_over_the_size_limit_is_refused_by_its_size_without_being_read(
    client, signed_in_boss, settings, monkeypatch
):
    settings.IMPORT_MAX_FILE_SIZE = 200

    def read(*args, **kwargs):
        raise AssertionError("the file was read")

    monkeypatch.setattr("crm.admin.imports.read_table", read)

    response = preview(client, upload(b"email,brand_name\n" + b"ana@example.com,Maison\n" * 20))

    assert "Ce fichier fait 477 octets ; un import accepte des fichiers de 200 octets au plus." in page_of(
        response
    )
    assert_nothing_kept_or_written()


def test_a_file_of_more_rows_than_the_limit_is_refused(client, signed_in_boss, settings):
    settings.IMPORT_MAX_ROWS = 2

    response = preview(client, csv_file([row(email=f"p{i}@example.com") for i in range(3)]))

    assert "Ce fichier a plus de 2 lignes : découpez-le en fichiers de 2 lignes au plus." in page_of(response)
    assert_nothing_kept_or_written()


@pytest.mark.parametrize("make_file", [csv_file, xlsx_file])
def test_a_cell_longer_than_the_limit_is_refused_naming_its_line_and_column(
    client, signed_in_boss, make_file
):
    response = preview(client, make_file([row(), row(email="dov@example.com", notes="n" * 10_001)]))

    assert (
        "Ligne 3, colonne « notes » : 10 001 caractères ; une cellule en contient 10 000 au plus."
        in page_of(response)
    )
    assert_nothing_kept_or_written()


def test_the_issues_workbook_with_a_100_mb_cell_is_refused_and_nothing_of_it_is_stored(
    client, signed_in_boss
):
    response = preview(client, upload(xlsx_with_long_cell(100 * 1024 * 1024), "attack.xlsx"))

    assert "Ce classeur fait 100,0 Mio une fois décompressé" in page_of(response)
    assert_nothing_kept_or_written()


def test_notes_longer_than_their_column_refuse_the_row_before_the_database_refuses_them(
    client, signed_in_boss, settings
):
    settings.IMPORT_MAX_CELL_LENGTH = 20_000

    response = preview(client, csv_file([row(notes="n" * 10_001)]))

    assert refused_on_page(response) == [
        (2, "notes", "Assurez-vous que cette valeur comporte au plus 10000 caractères (actuellement 10001).")
    ]
    assert Lead.objects.count() == 0


def test_a_preview_keeps_the_file_less_than_an_hour(client, signed_in_boss):
    response = preview(client, csv_file([row()]))

    kept = PendingImport.objects.get()
    assert pending_upload(response) == kept
    assert timedelta(0) < kept.expires_at - kept.created_at <= timedelta(hours=1)
    assert "Le fichier est conservé 30 minutes pour cette confirmation, puis supprimé." in page_of(response)


def test_confirming_deletes_the_kept_file_and_nothing_of_it_remains(client, signed_in_boss):
    confirm(client, preview(client, csv_file([row()])))

    assert Lead.objects.count() == 1
    assert PendingImport.objects.count() == 0
    assert not [key for key in cache_keys() if "import" in key]


def test_cancelling_deletes_the_kept_file_and_imports_nothing(client, signed_in_boss):
    response = preview(client, csv_file([row()]))

    cancelled = client.post(response.redirect_chain[-1][0], {"_cancel": "1"}, follow=True)

    assert "Import annulé : le fichier a été supprimé." in page_of(cancelled)
    assert_nothing_kept_or_written()


def test_a_confirmation_sent_twice_imports_once_then_says_the_file_is_gone(client, signed_in_boss):
    response = preview(client, csv_file([row()]))
    confirm(client, response)

    again = confirm(client, response)

    assert "Ce fichier n’attend plus de confirmation (importé, annulé ou expiré)" in page_of(again)
    assert Lead.objects.count() == 1


def test_a_row_that_no_longer_imports_at_the_confirmation_is_refused_there_and_the_others_imported(client):
    sales_person_who_imports(client)
    response = preview(client, csv_file([row(), row(email="dov@example.com")]))
    taken = LeadFactory(email="ana@example.com", brand_name="Maison Lumière", assigned_to=UserFactory())

    confirmed = confirm(client, response)

    assert refused_on_page(confirmed) == [(2, "", "Vous ne pouvez pas importer cette ligne.")]
    assert sorted(Lead.objects.values_list("email", flat=True)) == ["ana@example.com", "dov@example.com"]
    taken.refresh_from_db()
    assert taken.sector == "Retail"
    assert PendingImport.objects.count() == 1  # the refused rows, to download


def test_an_expired_file_cannot_be_confirmed_and_the_worker_deletes_it(client, signed_in_boss):
    response = preview(client, csv_file([row()]))
    PendingImport.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    assert "Ce fichier n’attend plus de confirmation" in page_of(confirm(client, response))
    assert Lead.objects.count() == 0

    assert expire_pending_imports.call() == 1
    assert_nothing_kept_or_written()


def test_each_kept_file_has_its_deletion_queued_for_when_it_expires(client, signed_in_boss, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}

    preview(client, csv_file([row()]))

    (job,) = task_backends["default"].results
    assert job.task.func is expire_pending_imports.func
    assert job.task.run_after == PendingImport.objects.get().expires_at


def test_a_new_upload_deletes_the_files_that_expired(client, signed_in_boss):
    old = keep_pending_import(b"email,brand_name\nold@example.com,Old\n")
    PendingImport.objects.filter(pk=old.pk).update(expires_at=timezone.now())

    preview(client, csv_file([row()]))

    assert not PendingImport.objects.filter(pk=old.pk).exists()


def cache_keys() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT cache_key FROM django_cache")
        return [key for (key,) in cursor.fetchall()]


# --- Erasure: `discard_pending_imports_of` ---------------------------------------------------------


def test_discarding_a_persons_pending_imports_deletes_the_files_that_mention_them_and_no_other():
    theirs = keep_pending_import(b'email,brand_name,phone\n"ANA@Example.com",Maison,"+972502345678"\n')
    by_phone = keep_pending_import(b'email,brand_name,notes\nbob@example.com,Bob,"call +972502345678"\n')
    other = keep_pending_import(b"email,brand_name\nbob@example.com,Bob\n")

    assert discard_pending_imports_of({"ana@example.com", "+972502345678"}) == 2

    assert list(PendingImport.objects.values_list("pk", flat=True)) == [other.pk]
    assert not PendingImport.objects.filter(pk__in=[theirs.pk, by_phone.pk]).exists()


@pytest.mark.parametrize(
    "workbook",
    [
        xlsx_bytes([row(email="ANA@example.com")]),
        xlsx_bytes(
            [row(email="bob@example.com")], extra_sheet=[["written on another sheet: ana@example.com"]]
        ),
    ],
    ids=["first sheet", "another sheet"],
)
def test_a_workbook_is_searched_in_every_sheet(workbook):
    keep_pending_import(workbook)
    keep_pending_import(xlsx_bytes([row(email="bob@example.com")]))

    assert discard_pending_imports_of({"ana@example.com"}) == 1
    assert PendingImport.objects.count() == 1


def test_a_brand_is_found_whatever_its_case_and_accents_as_written():
    keep_pending_import("email,brand_name\nx@example.com,MAISON LUMIÈRE\n".encode())

    assert discard_pending_imports_of({"Maison Lumière"}) == 1


def test_a_workbook_that_cannot_be_searched_is_discarded_too():
    keep_pending_import(b"PK\x03\x04 broken workbook")

    assert discard_pending_imports_of({"ana@example.com"}) == 1


def test_discarding_with_no_value_deletes_nothing():
    keep_pending_import(b"email,brand_name\nana@example.com,Maison\n")

    assert discard_pending_imports_of({"", "  "}) == 0
    assert discard_pending_imports_of(set()) == 0
    assert PendingImport.objects.count() == 1

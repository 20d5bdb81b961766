"""Importing prospects from a spreadsheet in the admin: preview, errors by row, update by identity."""

import io
import re

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from openpyxl import Workbook

from crm.models import Lead, Source
from mini_analysis.models import Status

from .factories import LeadFactory, SalesPersonFactory, UserFactory

pytestmark = pytest.mark.django_db

IMPORT_URL = reverse("admin:crm_lead_import")
PROCESS_URL = reverse("admin:crm_lead_process_import")
CSV_FORMAT, XLSX_FORMAT = "0", "1"  # their places in LeadAdmin.import_formats
HEADER = ["email", "phone", "brand_name", "sector", "language", "status", "source", "notes"]


@pytest.fixture
def boss(client):
    user = UserFactory(username="boss", is_superuser=True)
    client.force_login(user)
    return user


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


def preview(client, upload, file_format: str = CSV_FORMAT):
    """The upload step: the library's dry run, which shows the rows and writes nothing."""
    response = client.post(IMPORT_URL, {"resource": "0", "format": file_format, "import_file": upload})
    assert response.status_code == 200
    return response


def confirm(client, preview_response):
    form = preview_response.context["confirm_form"]
    return client.post(PROCESS_URL, {name: form[name].value() for name in form.fields}, follow=True)


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


@pytest.mark.parametrize(("make_file", "file_format"), [(csv_file, CSV_FORMAT), (xlsx_file, XLSX_FORMAT)])
def test_preview_shows_each_bad_row_with_its_number_and_writes_nothing(client, boss, make_file, file_format):
    rows = [
        row(email="good@example.com"),
        row(email="not-an-email"),
        row(email="bad-phone@example.com", phone="12"),
        row(email="bad-language@example.com", language="de"),
    ]
    response = preview(client, make_file(rows), file_format)

    result = response.context["result"]
    assert result.has_validation_errors()
    assert [invalid.number for invalid in result.invalid_rows] == [2, 3, 4]
    page = response.content.decode()
    # The library numbers data rows from 1 (the header is not counted).
    assert re.findall(r"<td>\s*(\d+)\s*</td>\s*<td class=\"errors\">", page) == ["2", "3", "4"]
    assert "Saisissez une adresse e-mail valide." in page
    assert "confirm_form" not in response.context
    assert Lead.objects.count() == 0


@pytest.mark.parametrize(("make_file", "file_format"), [(csv_file, CSV_FORMAT), (xlsx_file, XLSX_FORMAT)])
def test_confirming_a_clean_preview_writes_the_prospects(client, boss, make_file, file_format):
    rows = [
        row(),
        row(email="dov@example.com", brand="שוקולד תל אביב", language="he", source="mini-analysis"),
    ]
    response = preview(client, make_file(rows), file_format)
    assert Lead.objects.count() == 0

    confirm(client, response)

    manual, form = Lead.objects.order_by("email")
    assert (manual.email, manual.brand_name, str(manual.phone)) == (
        "ana@example.com",
        "Maison Lumière",
        "+972502345678",
    )
    assert (manual.source, manual.status, manual.language) == (Source.MANUAL, Status.NEW, "fr")
    assert (form.source, form.language, form.brand_name) == (Source.MINI_ANALYSIS, "he", "שוקולד תל אביב")


def test_reimport_updates_the_prospect_of_the_same_person_and_brand_never_duplicates(client, boss):
    lead = LeadFactory(
        email="ana@example.com", brand_name="Maison Lumière", source=Source.MINI_ANALYSIS, notes="Called."
    )
    rows = [row(email="  ANA@Example.com ", brand="maison   LUMIÈRE", status="GENERATED", notes="Call back")]

    confirm(client, preview(client, csv_file(rows)))

    lead.refresh_from_db()
    assert Lead.objects.count() == 1
    assert (lead.status, lead.notes) == (Status.GENERATED, "Call back")
    # An empty source cell leaves the lead's source as it was.
    assert lead.source == Source.MINI_ANALYSIS


def test_import_cannot_set_legacy_id_migration_date_or_identity_keys(client, boss):
    header = [*HEADER, "legacy_id", "migrated_at", "email_key", "brand_key"]
    rows = [[*row(), "legacy-1", "2024-01-01T00:00:00Z", "someone@else.example", "other"]]

    confirm(client, preview(client, csv_file(rows, header)))

    lead = Lead.objects.get()
    assert (lead.legacy_id, lead.migrated_at) == (None, None)
    assert (lead.email_key, lead.brand_key) == ("ana@example.com", "maison lumière")


def test_sales_person_cannot_update_through_import_a_prospect_assigned_to_someone_else(client):
    sales = SalesPersonFactory(username="sara")
    sales.user_permissions.add(Permission.objects.get(codename="add_lead"))
    client.force_login(sales)
    theirs = LeadFactory(email="ana@example.com", brand_name="Maison Lumière", assigned_to=UserFactory())
    rows = [row(notes="Taken over"), row(email="new@example.com")]

    response = preview(client, csv_file(rows))

    result = response.context["result"]
    assert [invalid.number for invalid in result.invalid_rows] == [1]
    page = response.content.decode()
    assert "Vous ne pouvez pas importer cette ligne." in page
    # Only that: nothing that tells the row's person is someone else's prospect.
    assert "assigné" not in page and "commercial" not in page
    theirs.refresh_from_db()
    assert theirs.notes == ""
    assert Lead.objects.count() == 1


def test_import_needs_the_add_and_change_permissions(client):
    sales = SalesPersonFactory(username="sara")  # the Sales group may change prospects, not add them
    client.force_login(sales)

    assert client.get(IMPORT_URL).status_code == 403
    assert IMPORT_URL not in client.get(reverse("admin:crm_lead_changelist")).content.decode()


def test_boss_sees_the_import_button_on_the_prospects_page(client, boss):
    assert IMPORT_URL in client.get(reverse("admin:crm_lead_changelist")).content.decode()


def test_formula_looking_cell_is_stored_as_text_and_exported_with_the_guard(client, boss):
    rows = [row(notes='=HYPERLINK("http://evil.example")')]

    confirm(client, preview(client, csv_file(rows)))

    lead = Lead.objects.get()
    assert lead.notes == '=HYPERLINK("http://evil.example")'
    response = client.post(
        reverse("admin:crm_lead_changelist"), {"action": "export_csv", "_selected_action": [lead.pk]}
    )
    assert "'=HYPERLINK" in b"".join(response.streaming_content).decode()


def test_an_exported_file_imports_back_without_duplicates_or_errors(client, boss):
    lead = LeadFactory(email="ana@example.com", brand_name="Maison Lumière", notes="Called.")
    exported = client.post(
        reverse("admin:crm_lead_changelist"), {"action": "export_csv", "_selected_action": [lead.pk]}
    )
    upload = io.BytesIO(b"".join(exported.streaming_content))
    upload.name = "prospects.csv"

    response = preview(client, upload)

    assert not response.context["result"].has_errors()
    assert not response.context["result"].has_validation_errors()
    confirm(client, response)
    assert Lead.objects.get() == lead

"""`import_prospects` and `export_prospects`: the admin's import and export at the shell."""

import io

import pytest
from django.core.management import CommandError, call_command

from crm.models import ImportMapping, Lead

from .factories import LeadFactory, SalesPersonFactory, UserFactory

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def prospects_file(tmp_path):
    path = tmp_path / "prospects.csv"
    path.write_text(
        "Courriel;Enseigne;Fax\nana@example.com;Maison;1\ndov@example.com;Dov;2\n", encoding="cp1252"
    )
    return path


def test_import_maps_columns_given_with_map_and_prints_a_summary(prospects_file):
    out, _err = run("import_prospects", str(prospects_file), "--map", "Enseigne=brand_name", "--map", "Fax=")

    assert "Courriel -> email, Enseigne -> brand_name, Fax -> (ignored)" in out
    assert "Imported prospects.csv: 2 new, 0 updated, 0 unchanged, 0 refused." in out
    assert sorted(Lead.objects.values_list("brand_name", flat=True)) == ["Dov", "Maison"]
    # Written as the `import` account, the command's own name in the history.
    assert {entry.history_user.username for entry in Lead.history.all()} == {"import"}


def test_a_dry_run_says_what_would_be_done_and_writes_nothing(prospects_file):
    out, _err = run("import_prospects", str(prospects_file), "--map", "Enseigne=brand_name", "--dry-run")

    assert "Would import prospects.csv: 2 new, 0 updated, 0 unchanged, 0 refused." in out
    assert Lead.objects.count() == 0


def test_refused_rows_are_listed_written_with_their_reason_and_the_exit_is_non_zero(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("email,brand_name\nana@example.com,Maison\nnot-an-email,Bad\n")
    refused = tmp_path / "refused.csv"

    with pytest.raises(CommandError, match="1 rows refused"):
        run("import_prospects", str(path), "--refused", str(refused))

    assert Lead.objects.count() == 1  # the valid row is imported
    text = refused.read_text(encoding="utf-8-sig")
    assert text.splitlines()[1].startswith("not-an-email,Bad,email: ")


def test_as_a_sales_person_a_prospect_they_may_not_see_is_refused(tmp_path):
    SalesPersonFactory(username="sara")
    LeadFactory(email="ana@example.com", brand_name="Maison", assigned_to=UserFactory(), notes="")
    path = tmp_path / "in.csv"
    path.write_text("email,brand_name,notes\nana@example.com,Maison,Taken\n")

    with pytest.raises(CommandError):
        run("import_prospects", str(path), "--as", "sara")

    assert Lead.objects.get().notes == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--map", "Nope=email"], "No column 'Nope'"),
        (["--map", "Enseigne=nope"], "Unknown field 'nope'"),
        (["--map", "Enseigne"], "--map takes COLUMN=FIELD"),
        (["--as", "ghost"], "No active user 'ghost'"),
        ([], "Choose the columns of brand name"),  # "Enseigne" is no brand header: said, not guessed
    ],
)
def test_bad_input_is_a_clear_error(prospects_file, args, message):
    with pytest.raises(CommandError, match=message):
        run("import_prospects", str(prospects_file), *args)
    assert Lead.objects.count() == 0


def test_a_mapping_saved_in_the_admin_maps_the_columns_and_map_changes_it_further(prospects_file):
    ImportMapping.objects.create(name="Notre outil", columns={"enseigne": "brand_name", "fax": "notes"})

    out, _err = run("import_prospects", str(prospects_file), "--mapping", "Notre outil", "--map", "Fax=")

    assert "Courriel -> email, Enseigne -> brand_name, Fax -> (ignored)" in out
    assert sorted(Lead.objects.values_list("brand_name", "notes")) == [("Dov", ""), ("Maison", "")]


def test_a_saved_mapping_is_the_same_as_in_the_admin_columns_it_does_not_know_matched_by_headers(
    prospects_file,
):
    ImportMapping.objects.create(name="Outil", columns={"enseigne": "brand_name"})

    out, _err = run("import_prospects", str(prospects_file), "--mapping", "Outil", "--dry-run")

    assert "Courriel -> email, Enseigne -> brand_name, Fax -> (ignored)" in out
    assert "Would import prospects.csv: 2 new" in out


def test_an_unknown_saved_mapping_is_a_clear_error_naming_the_saved_ones(prospects_file):
    ImportMapping.objects.create(name="Zoho", columns={})

    with pytest.raises(CommandError, match=r"No saved mapping 'HubSpot' \(saved mappings: Zoho\)\."):
        run("import_prospects", str(prospects_file), "--mapping", "HubSpot")

    assert Lead.objects.count() == 0


def test_export_writes_the_csv_with_a_byte_order_mark_and_imports_back_unchanged(tmp_path):
    LeadFactory(email="ana@example.com", brand_name="=Maison", notes="-1+1")
    path = tmp_path / "out.csv"

    out, _err = run("export_prospects", "--output", str(path))

    assert "1 prospects exported to" in out
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert "'=Maison" in path.read_text(encoding="utf-8-sig")
    out, _err = run("import_prospects", str(path))
    assert "0 new, 0 updated, 1 unchanged, 0 refused." in out


def test_export_to_xlsx_and_as_a_sales_person_only_what_they_may_see(tmp_path):
    sales = SalesPersonFactory(username="sara")
    LeadFactory(assigned_to=sales)
    LeadFactory(assigned_to=UserFactory())
    path = tmp_path / "out.xlsx"

    out, _err = run("export_prospects", "--format", "xlsx", "--output", str(path), "--as", "sara")

    assert "1 prospects exported to" in out
    assert path.read_bytes().startswith(b"PK")

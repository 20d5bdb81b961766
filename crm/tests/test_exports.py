"""The export of leads (`crm/exports.py`): its CSV lines, the formula guard, the text it writes,
and the .xlsx workbook."""

import csv
import io

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from crm.exports import (
    CSV_COLUMNS,
    FORMULA_PREFIXES,
    lead_csv_lines,
    lead_xlsx_file,
    spreadsheet_safe,
    write_lead_csv,
    write_lead_xlsx,
)
from crm.models import DisqualificationReason, Lead, LeadStage

from .factories import ContactFactory, LeadFactory, UserFactory

pytestmark = pytest.mark.django_db

HEADER = (
    "\ufeffid,email,first_name,last_name,phone,brand_name,sector,language,status,source,stage,"
    "disqualification_reason,next_action,next_action_at,assigned_to,assigned_to_name,contact,"
    "created_at,updated_at,pdf_url,notes\r\n"
)


def exported(leads=None) -> list[dict[str, str]]:
    text = "".join(lead_csv_lines(Lead.objects.order_by("id") if leads is None else leads))
    assert text.startswith("\ufeff")  # the byte-order mark: Excel reads the file as UTF-8
    return list(csv.DictReader(io.StringIO(text[1:])))


# --- the formula guard --------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_quoted_with_an_apostrophe(prefix):
    assert spreadsheet_safe(f"{prefix}SUM(A1:A9)") == f"'{prefix}SUM(A1:A9)"


def test_the_guarded_prefixes_are_exactly_the_six_of_csv_injection():
    assert set(FORMULA_PREFIXES) == {"=", "+", "-", "@", "\t", "\r"}


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("Acme", "Acme"),
        ("a=b+c", "a=b+c"),  # a sign inside the text is no formula
        (" =1", " =1"),
        ("'=1", "'=1"),  # already quoted: left as it is
        ("", ""),
        (None, ""),
        (42, "42"),
        (-3, "-3"),  # a plain number is no formula, whatever its type
        ("+972502345678", "+972502345678"),  # nor is an international phone number
        ("-1.5", "-1.5"),
        ("+1+cmd", "'+1+cmd"),  # but a sign followed by anything else is
        ("-2+3", "'-2+3"),
        ("+", "'+"),
    ],
)
def test_any_other_value_is_written_as_its_text_unchanged(value, cell):
    assert spreadsheet_safe(value) == cell


# --- the lines ----------------------------------------------------------------------------------


def test_the_first_line_is_the_field_names_untranslated_whatever_the_language():
    LeadFactory()
    for language in ["fr", "en", "he"]:
        with translation.override(language):
            assert next(lead_csv_lines(Lead.objects.all())) == HEADER
    assert HEADER.lstrip("\ufeff").rstrip("\r\n").split(",") == CSV_COLUMNS


def test_an_empty_selection_is_the_header_alone():
    assert list(lead_csv_lines(Lead.objects.all())) == [HEADER]


def test_each_lead_is_one_line_of_its_columns_in_order():
    dana = UserFactory(username="dana", first_name="Dana", last_name="Levi")
    lead = LeadFactory(
        email="ana@example.com",
        first_name="Ana",
        last_name="Cohen",
        phone="+972502345678",
        brand_name="Ana's shop",
        sector="Retail",
        assigned_to=dana,
        pdf_url="https://example.com/a.pdf",
        notes="Call back",
    )
    lead.refresh_from_db()

    (row,) = exported()

    assert row == {
        "id": str(lead.pk),
        "email": "ana@example.com",
        "first_name": "Ana",
        "last_name": "Cohen",
        "phone": "+972502345678",  # a number to a spreadsheet, not a formula: no apostrophe
        "brand_name": "Ana's shop",
        "sector": "Retail",
        "language": "fr",
        "status": "NEW",
        "source": lead.source,
        "stage": "NEW",
        "disqualification_reason": "",
        "next_action": "",
        "next_action_at": "",
        "assigned_to": "dana",
        "assigned_to_name": "Dana Levi",
        "contact": "",
        "created_at": lead.created_at.isoformat(),
        "updated_at": lead.updated_at.isoformat(),
        "pdf_url": "https://example.com/a.pdf",
        "notes": "Call back",
    }


def test_an_unassigned_lead_has_an_empty_assignee_and_every_cell_goes_through_the_guard():
    LeadFactory(brand_name="=HYPERLINK(evil)", notes="@SUM(1)", email="-x@example.com", assigned_to=None)
    (row,) = exported()
    assert row["assigned_to"] == ""
    assert (row["brand_name"], row["notes"], row["email"]) == (
        "'=HYPERLINK(evil)",
        "'@SUM(1)",
        "'-x@example.com",
    )


def test_commas_quotes_and_line_breaks_in_a_cell_stay_inside_their_cell():
    notes = 'Said "call me", then:\nnot before 10, please'
    LeadFactory(notes=notes, brand_name="Smith, Jones & Co")
    lines = list(lead_csv_lines(Lead.objects.all()))
    assert len(lines) == 2  # the header and one record, whatever its text holds
    (row,) = exported()
    assert (row["notes"], row["brand_name"]) == (notes, "Smith, Jones & Co")


def test_hebrew_accents_and_emoji_are_written_as_they_are_typed():
    """The lines are text; the admin's response encodes them as UTF-8 (its charset)."""
    LeadFactory(brand_name="שוקו \U0001fae8", notes="Crème brûlée")
    lines = list(lead_csv_lines(Lead.objects.all()))
    assert all(isinstance(line, str) for line in lines)
    assert "".join(lines).encode("utf-8").startswith(b"\xef\xbb\xbf")
    assert "שוקו \U0001fae8,".encode() in "".join(lines).encode("utf-8")
    (row,) = exported()
    assert (row["brand_name"], row["notes"]) == ("שוקו \U0001fae8", "Crème brûlée")


def test_only_the_given_leads_are_written_in_the_queryset_order():
    first, _, third = LeadFactory.create_batch(3)
    rows = exported(Lead.objects.filter(pk__in=[first.pk, third.pk]).order_by("-id"))
    assert [row["id"] for row in rows] == [str(third.pk), str(first.pk)]


def test_the_lines_are_streamed_the_header_before_any_query_the_rows_in_one():
    for index in range(3):
        LeadFactory(assigned_to=UserFactory(username=f"seller{index}"))
    lines = lead_csv_lines(Lead.objects.all())
    with CaptureQueriesContext(connection) as queries:
        assert next(lines) == HEADER
    assert len(queries) == 0
    with CaptureQueriesContext(connection) as queries:
        rows = list(lines)
    assert len(rows) == 3
    assert len(queries) == 1  # the assignees, reasons and contacts come with their leads


def test_the_stage_reason_next_action_and_contact_are_exported():
    reason = DisqualificationReason.objects.get(name="No budget")
    lead = LeadFactory(stage=LeadStage.DISQUALIFIED, disqualification_reason=reason, next_action="Call back")
    Lead.objects.filter(pk=lead.pk).update(next_action_at=timezone.now())
    lead.refresh_from_db()

    (row,) = exported()

    assert (row["stage"], row["disqualification_reason"], row["next_action"]) == (
        "DISQUALIFIED",
        "No budget",
        "Call back",
    )
    assert row["next_action_at"] == lead.next_action_at.isoformat()


def test_the_xlsx_export_holds_every_cell_as_text_so_no_formula_runs_and_no_phone_loses_its_plus():
    LeadFactory(email="ana@example.com", phone="+972502345678", notes="=1+1", brand_name="שוקולד")

    with lead_xlsx_file(Lead.objects.all()) as output:
        sheet = openpyxl.load_workbook(output).worksheets[0]
        header, row = [[cell for cell in line] for line in sheet.iter_rows()]

    assert [cell.value for cell in header] == CSV_COLUMNS
    values = {column: cell for column, cell in zip(CSV_COLUMNS, row, strict=True)}
    assert (values["phone"].value, values["notes"].value, values["brand_name"].value) == (
        "+972502345678",
        "=1+1",
        "שוקולד",
    )
    assert not {cell.data_type for cell in row} & {"f", "n"}  # no formula, no number


def test_the_rows_are_read_as_tuples_never_as_lead_objects(monkeypatch):
    """A million `Lead` objects would be a million models built for nothing: the file is text."""
    LeadFactory.create_batch(2)

    def refused(*args, **kwargs):
        raise AssertionError("a Lead object was built")

    monkeypatch.setattr(Lead, "from_db", classmethod(refused))
    assert len(list(lead_csv_lines(Lead.objects.all()))) == 3


def test_the_owner_is_named_by_their_login_without_a_name_and_the_contact_by_first_and_last_name():
    lead = LeadFactory(assigned_to=UserFactory(username="noname", first_name="", last_name=""))
    Lead.objects.filter(pk=lead.pk).update(contact=ContactFactory(first_name="Yael", last_name="Cohen"))

    (row,) = exported()

    assert (row["assigned_to"], row["assigned_to_name"], row["contact"]) == ("noname", "noname", "Yael Cohen")


def test_the_csv_writer_reports_its_progress_every_so_many_rows_then_at_the_end(monkeypatch):
    monkeypatch.setattr("crm.exports.PROGRESS_ROWS", 2)
    LeadFactory.create_batch(5)
    progress, target = [], io.StringIO()

    count = write_lead_csv(Lead.objects.order_by("pk"), target, progress.append)

    assert (count, progress) == (5, [2, 4, 5])
    assert target.getvalue() == "".join(lead_csv_lines(Lead.objects.order_by("pk")))


def test_the_xlsx_writer_reports_its_rows_without_the_header():
    LeadFactory.create_batch(3)
    progress, target = [], io.BytesIO()

    assert write_lead_xlsx(Lead.objects.all(), target, progress.append) == 3

    assert progress == [3]
    assert len(list(openpyxl.load_workbook(target).worksheets[0].iter_rows())) == 4

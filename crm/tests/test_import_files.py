"""Any usual file imports: CSV in each encoding and separator, .xlsx and .xls with formulas, and
phones as a spreadsheet leaves them (`crm.csv_text`, `crm.uploads`, `crm.imports.values`)."""

import codecs

import pytest
import xlwt
from django.forms.models import model_to_dict
from django.utils import timezone

from crm.csv_text import csv_encoding, csv_separator
from crm.imports import guess_mapping, import_table
from crm.imports.plan import PlannedLead
from crm.imports.values import _read_phone
from crm.imports.writes import new_leads
from crm.models import DisqualificationReason, Lead, LeadStage
from crm.uploads import read_table

from .factories import LeadFactory, UserFactory
from .spreadsheets import xls_bytes, xlsx_with_cached_formulas

pytestmark = pytest.mark.django_db

HEADER = ["Email", "Prénom", "Nom", "Téléphone", "Société", "Notes"]
ROWS = [
    ["ana@example.com", "Anaïs", "Lefèvre", "0502345678", "Crème brûlée & Cie", "À rappeler"],
    ["bob@example.com", "Björn", "Müller", "+972502345678", "Straße", "œuvre – “quoted”"],
]
HEBREW_ROWS = [["dov@example.com", "דב", "כהן", "0502345678", "שוקולד תל אביב", "להתקשר מחר"]]


def csv_bytes(
    rows: list[list[str]], encoding: str, separator: str = ",", header: list[str] = HEADER
) -> bytes:
    lines = [separator.join(header), *(separator.join(row) for row in rows)]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def imported(content: bytes, user) -> list[Lead]:
    table = read_table(content)
    plan = import_table(table, guess_mapping(table.headers), user)
    assert plan.refused == []
    return list(Lead.objects.order_by("email"))


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8-sig"),
        ("utf-16", "utf-16"),  # Excel's "Unicode text": a byte-order mark, then UTF-16 LE
        ("cp1252", "cp1252"),
    ],
)
def test_each_encoding_is_detected_and_every_accent_read_as_typed(encoding, expected, boss):
    content = csv_bytes(ROWS, encoding)

    assert csv_encoding(content) == expected
    ana, bob = imported(content, boss)

    assert (ana.first_name, ana.last_name, ana.brand_name, ana.notes) == (
        "Anaïs",
        "Lefèvre",
        "Crème brûlée & Cie",
        "À rappeler",
    )
    assert (bob.first_name, bob.brand_name, bob.notes) == ("Björn", "Straße", "œuvre – “quoted”")


@pytest.mark.parametrize("bom", [codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE])
def test_utf16_with_either_byte_order_mark_is_read(bom, boss):
    encoding = "utf-16-le" if bom == codecs.BOM_UTF16_LE else "utf-16-be"
    content = bom + csv_bytes(ROWS + HEBREW_ROWS, encoding, "\t")

    leads = imported(content, boss)

    assert [lead.brand_name for lead in leads] == ["Crème brûlée & Cie", "Straße", "שוקולד תל אביב"]


def test_latin1_is_read_as_latin1():
    content = csv_bytes([["ana@example.com", "Anaïs", "Lefèvre", "", "Crème", "déjà vu"]], "latin-1")

    table = read_table(content)

    assert table.rows[0][1:3] == ["Anaïs", "Lefèvre"]
    assert table.headers[1:4] == ["Prénom", "Nom", "Téléphone"]


def test_windows_1255_hebrew_is_told_from_windows_1252_french(boss):
    content = csv_bytes(
        HEBREW_ROWS, "cp1255", header=["Email", "שם פרטי", "שם משפחה", "טלפון", "חברה", "הערות"]
    )

    assert csv_encoding(content) == "cp1255"
    assert csv_encoding(csv_bytes(ROWS, "cp1252")) == "cp1252"
    (dov,) = imported(content, boss)

    assert (dov.first_name, dov.last_name, dov.brand_name, str(dov.phone)) == (
        "דב",
        "כהן",
        "שוקולד תל אביב",
        "+972502345678",
    )


@pytest.mark.parametrize("separator", [",", ";", "\t"])
def test_comma_semicolon_and_tab_separators_are_detected(separator, boss):
    rows = [["ana@example.com", "Ana", "Levi", "", "Maison, Paris", "a; b"]]
    quoted = [
        [f'"{cell}"' if separator in cell or "," in cell or ";" in cell else cell for cell in row]
        for row in rows
    ]
    content = csv_bytes(quoted, "utf-8", separator)

    assert csv_separator(content.decode()) == separator
    (ana,) = imported(content, boss)
    assert (ana.brand_name, ana.notes) == ("Maison, Paris", "a; b")


def test_an_xlsx_formula_cell_is_imported_as_its_computed_value(boss):
    content = xlsx_with_cached_formulas(
        ["email", "brand_name", "phone", "notes"],
        [["ana@example.com", '=CONCAT("Maison", " Lumière")', '="+33"&"612345678"', "=1+1"]],
        {"B2": "Maison Lumière", "C2": "+33612345678", "D2": "2"},
    )

    (ana,) = imported(content, boss)

    assert (ana.brand_name, str(ana.phone), ana.notes) == ("Maison Lumière", "+33612345678", "2")


def test_an_xls_workbook_is_read_its_formula_as_its_computed_value(boss):
    content = xls_bytes(
        ["E-mail", "Company", "Mobile", "Created"],
        [["ana@example.com", "Maison Lumière", xlwt.Formula("502345678*1"), "2024-03-01"]],
        cached_numbers={(1, 2): 502345678.0},
    )

    (ana,) = imported(content, boss)

    # The formula's number lost its leading zero in the spreadsheet: read as the national number.
    assert (ana.brand_name, str(ana.phone)) == ("Maison Lumière", "+972502345678")
    assert timezone.localtime(ana.created_at).date().isoformat() == "2024-03-01"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("'+972502345678", "+972502345678"),  # the apostrophe that keeps a "+" in a spreadsheet
        ("972502345678", "+972502345678"),  # the "+" lost
        ("502345678", "+972502345678"),  # the leading zero lost
        (502345678.0, "+972502345678"),  # a number cell
        ("050-234-5678", "+972502345678"),  # national form, as typed
        ("+33 6 12 34 56 78", "+33612345678"),
    ],
)
def test_a_phone_is_read_as_a_spreadsheet_leaves_it(typed, stored, boss):
    content = xls_bytes(["email", "brand", "phone"], [["ana@example.com", "Maison", typed]])

    (ana,) = imported(content, boss)

    assert str(ana.phone) == stored


# Lost "+" or 0, national and international forms, another country's, and no number at all.
TRICKY_PHONES = ["972502345678", "502345678", "050-234-5678", "+33 6 12 34 56 78", "0612345678", "12", "abc"]


@pytest.mark.parametrize("region", ["IL", "FR"])
def test_a_phone_read_from_the_cache_is_the_one_read_afresh(region):
    _read_phone.cache_clear()
    for text in TRICKY_PHONES * 2:  # the second time from the cache
        cached, fresh = _read_phone(text, region), _read_phone.__wrapped__(text, region)
        assert (cached, getattr(cached, "checked", None)) == (fresh, getattr(fresh, "checked", None))
        assert str(cached) == str(fresh)
    assert _read_phone.cache_info().hits == len(TRICKY_PHONES)


def test_a_new_prospect_of_an_import_is_built_as_its_values_would_build_it(monkeypatch):
    owner = UserFactory()
    reason = DisqualificationReason.objects.first()
    values = {
        "email": "ana@example.com", "brand_name": "Maison", "first_name": "Anaïs", "sector": "Food",
        "phone": _read_phone("050-234-5678", "IL"), "assigned_to": owner, "stage": LeadStage.DISQUALIFIED,
        "disqualification_reason": reason, "created_at": timezone.now() - timezone.timedelta(days=3),
    }  # fmt: skip
    rows = [PlannedLead(2, None, list(values), values), *(PlannedLead(line, None, [], {}) for line in [3, 4])]
    dates = ["created_at", "updated_at"]  # the time each is built, unless given
    lead, *blanks = new_leads(rows)

    assert model_to_dict(lead, exclude=dates[1:]) == model_to_dict(Lead(**values), exclude=dates[1:])
    assert (lead.assigned_to, lead.disqualification_reason, lead._state.adding) == (owner, reason, True)
    assert model_to_dict(blanks[0], exclude=dates) == model_to_dict(Lead(), exclude=dates)
    assert blanks[0]._state is not lead._state

    clock = iter(timezone.now() + timezone.timedelta(seconds=second) for second in range(10))
    monkeypatch.setattr(Lead._meta.get_field("created_at"), "_get_default", lambda: next(clock))
    first, second = new_leads(rows[1:])
    assert first.created_at < second.created_at  # each its own time, not a shared one's


def test_a_phone_that_is_no_number_refuses_its_row_unless_it_is_the_prospects_own(boss):
    LeadFactory(email="kept@example.com", brand_name="Kept", phone="+97235550100")
    Lead.objects.filter(email="kept@example.com").update(phone="12")  # stored before the checks
    content = csv_bytes(
        [["kept@example.com", "", "", "12", "Kept", ""], ["new@example.com", "", "", "12", "New", ""]],
        "utf-8",
    )
    table = read_table(content)

    plan = import_table(table, guess_mapping(table.headers), boss)

    assert plan.counts == {"new": 0, "updated": 0, "unchanged": 1, "refused": 1}
    (refused,) = plan.refused
    assert (refused.line, refused.reasons[0][0]) == (3, "Téléphone")

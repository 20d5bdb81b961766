"""The import of the legacy MongoDB collections (`crm.legacy`, `import_legacy`)."""

import datetime as dt
import io
import json
import uuid

import mongomock
import pymongo.errors
import pytest
from bson import ObjectId
from django.core.management import CommandError, call_command

from crm.models import Lead, Source
from crm.tests.factories import UserFactory
from mini_analysis.models import MiniAnalysis

pytestmark = pytest.mark.django_db

OID = "65a1b2c3d4e5f60718293a4b"
WHEN = dt.datetime(2025, 1, 2, 3, 4, 5, 678000, tzinfo=dt.UTC)
MILLIS = int(WHEN.timestamp() * 1000)


def run_import(path, collection: str = "mini_analyses", *args: str) -> tuple[str, int]:
    out = io.StringIO()
    arguments = ([str(path)] if path else []) + ["--collection", collection, *args]
    try:
        call_command("import_legacy", *arguments, stdout=out)
    except CommandError as error:
        return out.getvalue(), error.returncode
    return out.getvalue(), 0


def write_lines(tmp_path, *lines: str):
    path = tmp_path / "export.json"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def document(**fields) -> dict:
    return {
        "_id": {"$oid": OID},
        "email": "ana@example.com",
        "phone": "+33612345678",
        "nom_de_marque": "Ma Marque",
        "secteur": "Restauration / Food",
        "language": "fr",
        "status": "GENERATED",
        "analysis_text": "Premier aperçu",
        "pdf_url": "/media/ma-marque.pdf",
        "created_at": {"$date": "2025-01-02T03:04:05.678Z"},
        **fields,
    }


@pytest.mark.parametrize("fraction", ["520434", "000001", "999999", "5"])
def test_a_date_string_keeps_its_exact_microseconds(tmp_path, fraction):
    """bson's own reader turns .520434 into 520433 µs; a restored backup must give back its dates."""
    date = {"$date": f"2025-01-02T03:04:05.{fraction}Z"}
    path = write_lines(tmp_path, json.dumps(document(created_at=date)))

    run_import(path)

    expected = dt.datetime(2025, 1, 2, 3, 4, 5, int(fraction.ljust(6, "0")), tzinfo=dt.UTC)
    assert MiniAnalysis.objects.get().created_at == expected


@pytest.mark.parametrize(
    ("oid", "date"),
    [
        ({"$oid": OID}, {"$date": "2025-01-02T03:04:05.678Z"}),  # relaxed
        ({"$oid": OID}, {"$date": {"$numberLong": str(MILLIS)}}),  # canonical
        (OID, {"$date": MILLIS}),  # legacy mongoexport: milliseconds as a number
    ],
    ids=["relaxed", "canonical", "legacy"],
)
def test_each_extended_json_form_imports_the_same_mini_analysis(tmp_path, oid, date):
    path = write_lines(tmp_path, json.dumps(document(_id=oid, created_at=date)))

    output, status = run_import(path)

    assert status == 0
    request = MiniAnalysis.objects.get()
    assert request.legacy_id == OID
    assert request.created_at == WHEN
    assert (request.email, request.brand_name, request.sector) == (
        "ana@example.com",
        "Ma Marque",
        "Restauration / Food",
    )
    assert (request.status, request.analysis_text, request.pdf_url) == (
        "GENERATED",
        "Premier aperçu",
        "/media/ma-marque.pdf",
    )
    assert (request.email_key, request.brand_key) == ("ana@example.com", "ma marque")
    assert "Imported: 1" in output


def test_english_field_names_are_accepted_too(tmp_path):
    fields = document()
    fields["brand_name"], fields["sector"] = fields.pop("nom_de_marque"), fields.pop("secteur")
    run_import(write_lines(tmp_path, json.dumps(fields)))
    assert MiniAnalysis.objects.values_list("brand_name", "sector").get() == (
        "Ma Marque",
        "Restauration / Food",
    )


def test_a_json_array_is_read_like_json_lines(tmp_path):
    path = tmp_path / "export.json"
    second = document(_id={"$oid": "65a1b2c3d4e5f60718293a4c"}, email="bob@example.com")
    path.write_text(json.dumps([document(), second]))
    _, status = run_import(path)
    assert (status, MiniAnalysis.objects.count()) == (0, 2)


def test_importing_mini_analyses_creates_no_lead(tmp_path):
    run_import(write_lines(tmp_path, json.dumps(document())))
    assert MiniAnalysis.objects.count() == 1
    assert Lead.objects.count() == 0


def test_reimport_changes_nothing(tmp_path):
    path = write_lines(tmp_path, json.dumps(document()))
    run_import(path)
    before = list(MiniAnalysis.objects.values())

    output, status = run_import(path)

    assert status == 0
    assert list(MiniAnalysis.objects.values()) == before
    assert "Imported: 0" in output
    assert "Unchanged (already imported): 1" in output


def test_missing_created_at_comes_from_the_object_id(tmp_path):
    fields = document()
    del fields["created_at"]
    run_import(write_lines(tmp_path, json.dumps(fields)))
    assert MiniAnalysis.objects.get().created_at == ObjectId(OID).generation_time


def test_legacy_request_id_is_kept_when_it_is_a_uuid(tmp_path):
    request_id = uuid.uuid4()
    run_import(write_lines(tmp_path, json.dumps(document(request_id=str(request_id)))))
    assert MiniAnalysis.objects.get().request_id == request_id


def test_malformed_lines_are_reported_with_their_numbers_and_skipped(tmp_path):
    path = write_lines(
        tmp_path,
        json.dumps(document()),
        '{"_id": {"$oid": "65a1b2c3d4e5f60718293a4c"}, "email": ',
        json.dumps(document(_id={"$oid": "65a1b2c3d4e5f60718293a4d"}, language="de")),
        "[1, 2]",
        json.dumps(document(_id={"$oid": "65a1b2c3d4e5f60718293a4e"}, email="bob@example.com")),
    )

    output, status = run_import(path)

    assert status == 1
    assert "[ERROR] line 2: malformed JSON" in output
    assert "[ERROR] line 3: language:" in output
    assert "[ERROR] line 4: not a JSON object" in output
    assert "Imported: 2" in output
    assert "Rejected: 3" in output
    assert MiniAnalysis.objects.count() == 2


def test_a_document_without_email_or_brand_is_rejected(tmp_path):
    fields = document()
    del fields["nom_de_marque"]
    output, status = run_import(write_lines(tmp_path, json.dumps(fields)))
    assert status == 1
    assert "[ERROR] line 1: brand_name:" in output


def test_leads_import_keeps_dates_assignee_and_link(tmp_path):
    run_import(write_lines(tmp_path, json.dumps(document())))
    sales = UserFactory(username="dana", email="dana@igv.example")
    lead = {
        "_id": {"$oid": "75a1b2c3d4e5f60718293a4b"},
        "email": "Ana@Example.com",
        "brand_name": "Ma Marque",
        "sector": "Restauration / Food",
        "language": "he",
        "status": "GENERATED",
        "source": "mini-analysis",
        "assigned_to": "dana@igv.example",
        "mini_analysis_id": {"$oid": OID},
        "notes": "Rappeler lundi",
        "created_at": {"$date": "2025-01-02T03:04:05.678Z"},
        "updated_at": {"$date": "2025-01-03T00:00:00Z"},
    }
    path = tmp_path / "leads.json"
    path.write_text(json.dumps(lead))

    output, status = run_import(path, "leads")

    assert status == 0, output
    imported = Lead.objects.get()
    assert (imported.legacy_id, imported.assigned_to, imported.notes) == (
        "75a1b2c3d4e5f60718293a4b",
        sales,
        "Rappeler lundi",
    )
    assert imported.mini_analysis == MiniAnalysis.objects.get()
    assert (imported.created_at, imported.updated_at) == (WHEN, dt.datetime(2025, 1, 3, tzinfo=dt.UTC))
    assert (imported.source, imported.language, imported.email_key) == (
        Source.MINI_ANALYSIS,
        "he",
        "ana@example.com",
    )


def test_a_second_lead_of_the_same_person_and_brand_is_rejected(tmp_path):
    first = {"_id": "a", "email": "ana@x.com", "brand_name": "Brand", "created_at": {"$date": MILLIS}}
    second = {**first, "_id": "b", "email": "ANA@x.com ", "brand_name": " brand"}
    path = write_lines(tmp_path, json.dumps(first), json.dumps(second))

    output, status = run_import(path, "leads")

    assert status == 1
    assert "[ERROR] line 2: a lead with this email and brand name already exists" in output
    assert Lead.objects.get().legacy_id == "a"


def test_a_lead_assigned_to_an_unknown_user_is_rejected(tmp_path):
    lead = {
        "_id": "a",
        "email": "ana@x.com",
        "brand_name": "Brand",
        "assigned_to": "ghost",
        "created_at": {"$date": MILLIS},
    }
    output, status = run_import(write_lines(tmp_path, json.dumps(lead)), "leads")
    assert status == 1
    assert "no user 'ghost'" in output


def test_mongo_uri_reads_the_collection_from_the_server(monkeypatch):
    client = mongomock.MongoClient()
    fields = json.loads(json.dumps(document()))
    fields.update(_id=ObjectId(OID), created_at=WHEN)
    client["igv"]["mini_analyses"].insert_one(fields)
    monkeypatch.setattr("pymongo.MongoClient", lambda *args, **kwargs: client)

    output, status = run_import(
        None, "mini_analyses", "--mongo-uri", "mongodb://legacy.example/igv", "--db", "igv"
    )

    assert status == 0, output
    request = MiniAnalysis.objects.get()
    assert (request.legacy_id, request.brand_name, request.created_at) == (OID, "Ma Marque", WHEN)


def test_file_and_mongo_uri_are_exclusive(tmp_path):
    with pytest.raises(CommandError, match="either FILE or --mongo-uri"):
        call_command("import_legacy", "--collection", "leads", stdout=io.StringIO())


def test_an_unreachable_mongo_server_is_a_clear_error(monkeypatch):
    def unreachable(*args, **kwargs):
        raise pymongo.errors.ServerSelectionTimeoutError("legacy.example:27017: timed out")

    monkeypatch.setattr("pymongo.MongoClient", unreachable)
    with pytest.raises(CommandError, match=r"MongoDB: legacy\.example:27017: timed out"):
        call_command("import_legacy", "--collection", "leads", "--mongo-uri", "mongodb://legacy.example/igv")


# --- Malformed input ------------------------------------------------------------------------------


def oid(number: int) -> dict:
    return {"$oid": f"{number:024x}"}


def test_a_line_that_is_not_utf8_is_rejected_with_its_number_and_the_rest_imported(tmp_path):
    lines = [json.dumps(document(_id=oid(number))).encode() for number in range(1, 5001)]
    lines[3500] = lines[3500].replace(b"Ma Marque", b"Ma Marqu\xe9")  # Latin-1, line 3501
    path = tmp_path / "export.json"
    path.write_bytes(b"\n".join(lines) + b"\n")

    output, status = run_import(path)

    assert status == 1
    assert "[ERROR] line 3501: not valid UTF-8" in output
    assert "Imported: 4999" in output
    assert "Rejected: 1" in output
    assert MiniAnalysis.objects.count() == 4999


def test_a_byte_order_mark_is_not_part_of_the_first_line(tmp_path):
    path = tmp_path / "export.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(document()).encode() + b"\n")
    output, status = run_import(path)
    assert status == 0, output
    assert MiniAnalysis.objects.count() == 1


def test_a_json_array_that_is_not_utf8_is_refused_with_the_line_of_the_bad_byte(tmp_path):
    path = tmp_path / "export.json"
    path.write_bytes(b'[\n{"_id": "a"},\n{"_id": "b", "email": "\xe9"}\n]\n')
    output, status = run_import(path)
    assert status == 1
    assert "[ERROR] line 3: not valid UTF-8" in output
    assert MiniAnalysis.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value", "kind"),
    [
        ("nom_de_marque", {"a": 1}, "an object"),
        ("email", ["ana@example.com"], "an array"),
        ("secteur", True, "a boolean"),
        ("pdf_url", {"$date": "2025-01-02T03:04:05Z"}, "a date"),
    ],
)
def test_a_nested_value_where_a_string_is_expected_is_rejected_with_the_field_name(
    tmp_path, field, value, kind
):
    good = json.dumps(document(_id=oid(1)))
    bad = json.dumps(document(_id=oid(2), **{field: value}))
    output, status = run_import(write_lines(tmp_path, good, bad))
    assert status == 1
    assert f"[ERROR] line 2: {field}: expected a string, not {kind}" in output
    assert MiniAnalysis.objects.count() == 1


def test_a_number_where_a_string_is_expected_is_kept_as_text(tmp_path):
    output, status = run_import(write_lines(tmp_path, json.dumps(document(secteur=42))))
    assert status == 0, output
    assert MiniAnalysis.objects.get().sector == "42"


def test_an_id_that_is_an_object_is_rejected(tmp_path):
    output, status = run_import(write_lines(tmp_path, json.dumps(document(_id={"a": 1}))))
    assert status == 1
    assert "[ERROR] line 1: _id: expected an ObjectId, a string or a number, not an object" in output


def test_an_assignee_that_is_not_a_name_is_rejected(tmp_path):
    lead = {
        "_id": "a",
        "email": "ana@x.com",
        "brand_name": "B",
        "assigned_to": {"a": 1},
        "created_at": WHEN.isoformat(),
    }
    output, status = run_import(write_lines(tmp_path, json.dumps(lead)), "leads")
    assert status == 1
    assert "[ERROR] line 1: assigned_to: expected a user name or email, not an object" in output


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(document.cookie)",
        "JavaScript:alert(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "//evil.example/x.pdf",
        "/\\evil.example/x.pdf",
        "java\nscript:alert(1)",
        "ftp://files.example/x.pdf",
        "x.pdf",
    ],
)
def test_a_pdf_url_that_is_not_http_or_a_site_path_is_rejected(tmp_path, url):
    for collection, fields in [
        ("mini_analyses", document(pdf_url=url)),
        (
            "leads",
            {
                "_id": "a",
                "email": "ana@x.com",
                "brand_name": "B",
                "pdf_url": url,
                "created_at": WHEN.isoformat(),
            },
        ),
    ]:
        output, status = run_import(write_lines(tmp_path, json.dumps(fields)), collection)
        assert status == 1
        assert "[ERROR] line 1: pdf_url:" in output
    assert (MiniAnalysis.objects.count(), Lead.objects.count()) == (0, 0)


@pytest.mark.parametrize(
    "url",
    ["https://cdn.example/a.pdf", "http://old.example/a.pdf", "/media/a.pdf", "/fr/mini-analysis/x/pdf/"],
)
def test_http_urls_and_site_paths_are_imported(tmp_path, url):
    output, status = run_import(write_lines(tmp_path, json.dumps(document(pdf_url=url))))
    assert status == 0, output
    assert MiniAnalysis.objects.get().pdf_url == url

"""The import of the legacy MongoDB collections (`crm.legacy`, `import_legacy`)."""

import datetime as dt
import io
import json
import uuid

import pytest
from bson import ObjectId, json_util
from django.core.management import CommandError, call_command

from crm import legacy
from crm.models import Lead, Source
from crm.tests.factories import UserFactory
from crm.tests.mongo import MongoServer, free_port
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
        return out.getvalue() + str(error), error.returncode
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


def test_file_and_mongo_uri_are_exclusive(tmp_path):
    with pytest.raises(CommandError, match="either FILE or --mongo-uri"):
        call_command("import_legacy", "--collection", "leads", stdout=io.StringIO())


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


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        (
            "secteur",
            {"$numberDecimal": "1e999999"},
            "secteur: expected a string, not an unreadable $numberDecimal",
        ),
        (
            "nom_de_marque",
            "Ma Marque \ud800",
            "nom_de_marque: contains a lone surrogate ('\\ud800' at character 11)",
        ),
        ("email", "ana\u0000@example.com", "email: contains a NUL character"),
        ("analysis_text", "a\u0000b", "analysis_text: contains a NUL character"),
        ("phone", 33612345678, "phone: expected a string, not a number"),
    ],
    ids=["decimal-overflow", "lone-surrogate", "nul-email", "nul-analysis", "numeric-phone"],
)
def test_a_bad_value_rejects_its_document_by_field_and_the_batch_imports(tmp_path, field, value, reason):
    lines = [json.dumps(document(_id=oid(number), email=f"{number}@example.com")) for number in (1, 3)]
    bad = json.dumps(document(_id=oid(2), **{field: value}))
    output, status = run_import(write_lines(tmp_path, lines[0], bad, lines[1]))

    assert status == 1
    assert f"[ERROR] line 2: {reason}" in output
    assert "Imported: 2" in output
    assert sorted(MiniAnalysis.objects.values_list("legacy_id", flat=True)) == [
        oid(1)["$oid"],
        oid(3)["$oid"],
    ]


def test_a_bad_value_in_a_lead_rejects_that_lead_only(tmp_path):
    lead = {"_id": "a", "email": "ana@x.com", "brand_name": "B", "created_at": WHEN.isoformat()}
    bad = {**lead, "_id": "b", "email": "bob@x.com", "notes": "x\u0000"}
    output, status = run_import(write_lines(tmp_path, json.dumps(lead), json.dumps(bad)), "leads")
    assert status == 1
    assert "[ERROR] line 2: notes: contains a NUL character" in output
    assert Lead.objects.get().legacy_id == "a"


def test_a_value_in_a_field_the_import_does_not_read_is_ignored(tmp_path):
    output, status = run_import(
        write_lines(tmp_path, json.dumps(document(extra={"$numberDecimal": "1e999999"})))
    )
    assert status == 0, output


# --- From a MongoDB server (a real one, `mongo_server`: crm/tests/mongo.py) -----------------------


def mongo_import(uri: str, *args: str, collection: str = "mini_analyses") -> tuple[str, int]:
    return run_import(None, collection, "--mongo-uri", uri, *args)


def stored(number: int, **fields) -> dict:
    """A legacy document as the server holds it (BSON types, not Extended JSON)."""
    return {
        **json_util.loads(json.dumps(document(_id=oid(number), email=f"{number}@example.com"))),
        **fields,
    }


def test_mongo_uri_reads_the_collection_from_the_server(mongo_db):
    mongo_db["mini_analyses"].insert_many([stored(1), stored(2, nom_de_marque="חנות דנה", language="he")])

    output, status = mongo_import(f"{uri_of(mongo_db)}{mongo_db.name}")

    assert status == 0, output
    assert "Imported: 2" in output
    request = MiniAnalysis.objects.get(legacy_id=oid(2)["$oid"])
    assert (request.brand_name, request.language, request.created_at) == ("חנות דנה", "he", WHEN)
    assert mongo_import(uri_of(mongo_db), "--db", mongo_db.name)[0].count("Unchanged (already imported): 2")


def test_a_bad_document_on_the_server_is_rejected_by_id_and_field(mongo_db):
    mongo_db["mini_analyses"].insert_many([stored(1), stored(2, phone=33612345678), stored(3)])

    output, status = mongo_import(uri_of(mongo_db), "--db", mongo_db.name)

    assert status == 1
    assert f"[ERROR] document {oid(2)['$oid']}: phone: expected a string, not a number" in output
    assert "Imported: 2" in output


def uri_of(database) -> str:
    host, port = database.client.address
    return f"mongodb://{host}:{port}/"


def test_a_refused_connection_is_a_clear_error_and_imports_nothing(monkeypatch):
    monkeypatch.setattr("crm.legacy_server.SERVER_TIMEOUT_MS", 300)
    port = free_port()  # nothing listens there

    output, status = mongo_import(f"mongodb://127.0.0.1:{port}/igv")

    assert status == 1
    assert f"MongoDB: 127.0.0.1:{port}: [Errno 111] Connection refused" in output
    assert "Imported: 0" in output
    assert "Traceback" not in output


def test_a_wrong_database_is_a_clear_error(mongo_db):
    mongo_db["mini_analyses"].insert_one(stored(1))

    output, status = mongo_import(uri_of(mongo_db), "--db", "igv_typo")

    assert status == 1
    assert (
        "MongoDB: database 'igv_typo' has no collection 'mini_analyses'; is it the right database?" in output
    )
    assert "Imported: 0" in output


def test_a_uri_without_a_database_asks_for_one(mongo_server):
    output, status = mongo_import(mongo_server.uri)
    assert status == 1
    assert "name the database with --db NAME" in output


def test_an_authentication_failure_is_a_clear_error(tmp_path):
    server = MongoServer(tmp_path / "data").start()
    try:
        with server.client() as client:
            client["igv"].command("createUser", "igv", pwd="right", roles=["readWrite"])
            client["igv"]["mini_analyses"].insert_one(stored(1))
        server.stop()
        server.extra = ("--auth",)
        server.start()

        output, status = mongo_import(f"mongodb://igv:wrong@127.0.0.1:{server.port}/igv")

        assert status == 1
        assert "MongoDB refused access to database 'igv': authentication failed" in output.lower().replace(
            "mongodb", "MongoDB"
        )
        assert "wrong" not in output.replace("is it the right database", "")
        assert "Imported: 0" in output
        assert mongo_import(f"mongodb://igv:right@127.0.0.1:{server.port}/igv")[1] == 0
    finally:
        server.stop()


def test_a_server_that_dies_mid_read_is_a_clear_error_and_what_was_imported_is_said(monkeypatch):
    server = MongoServer().start()
    try:
        with server.client() as client:
            client["igv"]["mini_analyses"].insert_many([stored(number) for number in range(1, 1001)])
        write_batch = legacy._write_batch

        def the_server_dies_after_the_first_batch(*args, **kwargs):
            write_batch(*args, **kwargs)
            server.kill()

        monkeypatch.setattr(legacy, "_write_batch", the_server_dies_after_the_first_batch)
        monkeypatch.setattr("crm.legacy_server.SERVER_TIMEOUT_MS", 500)

        output, status = mongo_import(f"{server.uri}igv", "--batch-size", "100")
    finally:
        server.stop()

    assert status == 1
    assert "MongoDB: " in output
    assert "Imported: 100" in output
    assert "the 100 document(s) counted above are imported" in output
    assert MiniAnalysis.objects.count() == 100

"""Reading an uploaded spreadsheet within its limits: refused as early as possible, memory bounded."""

import io
import tracemalloc
import zipfile

import pytest
from django.core.files.uploadhandler import MemoryFileUploadHandler
from django.http.multipartparser import MultiPartParser
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.utils import translation

from crm import uploads
from crm.uploads import OversizedUpload, UploadLimits, UploadRefused, UploadSizeLimitHandler, read_table

from .spreadsheets import xlsx_bytes, xlsx_with_long_cell


@pytest.fixture(autouse=True)
def _in_french():
    """The messages are for the person who uploads, in their language: here the site's, French."""
    with translation.override("fr"):
        yield


LIMITS = UploadLimits(max_file_size=100_000, max_unpacked_size=1_000_000, max_rows=3, max_cell_length=20)


def refusal(data: bytes, kind: str, limits: UploadLimits = LIMITS) -> str:
    """The message, its no-break spaces (French numbers and sizes) written as spaces."""
    with pytest.raises(UploadRefused) as refused:
        read_table(data, kind, limits)
    return refused.value.message.replace("\xa0", " ")


def test_csv_is_read_with_its_header_trimmed_rows_fitted_to_it_and_empty_lines_left_out():
    data = "\ufeff email , brand_name\nana@x.com,Maison,extra\n\n,,\nbob@y.com\n".encode()

    table = read_table(data, "csv", LIMITS)

    assert table.headers == ["email", "brand_name"]
    assert [list(row) for row in table] == [["ana@x.com", "Maison"], ["bob@y.com", None]]


def test_xlsx_reads_the_first_sheet_with_the_same_rules():
    data = xlsx_bytes([["ana@x.com", "Maison", None], [None, None, None]], header=[" email", "brand_name"])

    table = read_table(data, "xlsx", LIMITS)

    assert table.headers == ["email", "brand_name"]
    assert [list(row) for row in table] == [["ana@x.com", "Maison"]]


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_file_larger_than_the_limit_is_refused_by_its_size(kind):
    assert "un import accepte des fichiers de 97,7 Kio au plus" in refusal(b"x" * 100_001, kind)


def test_more_rows_than_the_limit_are_refused_and_reading_stops_at_the_first_row_over():
    # Far past the fourth row the file is not even UTF-8: reading stopped before it.
    limits = UploadLimits(max_file_size=100_000, max_unpacked_size=0, max_rows=3, max_cell_length=60_000)
    rows = b"a@x.com,B\n" * 4 + b"a@x.com," + b"B" * 50_000 + b"\n"
    data = b"email,brand_name\n" + rows + b"\xff\xfe broken"

    assert refusal(data, "csv", limits) == (
        "Ce fichier a plus de 3 lignes : découpez-le en fichiers de 3 lignes au plus."
    )


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_cell_longer_than_the_limit_is_refused_naming_its_line_and_column(kind):
    rows = [["a@x.com", "Maison"], ["b@x.com", "M" * 21]]
    data = (
        xlsx_bytes(rows, ["email", "brand_name"]) if kind == "xlsx" else _csv(["email", "brand_name"], rows)
    )

    assert refusal(data, kind) == (
        "Ligne 3, colonne « brand_name » : 21 caractères ; une cellule en contient 20 au plus."
    )


def test_a_csv_cell_longer_than_the_csv_modules_own_limit_is_refused_as_too_long():
    limits = UploadLimits(max_file_size=1_000_000, max_unpacked_size=0, max_rows=3, max_cell_length=500_000)

    message = refusal(b"email,notes\na@x.com," + b"n" * 200_000 + b"\n", "csv", limits)

    assert message == "Ligne 2 : une cellule dépasse 500 000 caractères."


def test_a_workbook_that_unpacks_past_the_limit_is_refused_before_anything_is_unpacked(monkeypatch):
    data = xlsx_with_long_cell(2_000_000)
    assert len(data) < 10_000  # the attack: a small file, a large cell

    def unpack(*args, **kwargs):
        raise AssertionError("the workbook was opened")

    monkeypatch.setattr(uploads.openpyxl, "load_workbook", unpack)

    assert refusal(data, "xlsx").startswith("Ce classeur fait 1,9 Mio une fois décompressé")


def test_the_issues_workbook_with_a_100_mb_cell_is_refused_in_constant_memory():
    data = xlsx_with_long_cell(100 * 1024 * 1024)  # 107 KB, as reported
    tracemalloc.start()
    try:
        with pytest.raises(UploadRefused):
            read_table(data, "xlsx")  # the default limits
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2 * 1024 * 1024


def test_memory_while_reading_a_workbook_is_bounded_by_its_unpacked_limit_not_by_its_cells():
    limits = UploadLimits(
        max_file_size=100_000, max_unpacked_size=4_000_000, max_rows=10, max_cell_length=100
    )
    data = xlsx_with_long_cell(3_900_000)  # just under the unpacked limit, its cell far over the cell limit
    tracemalloc.start()
    try:
        with pytest.raises(UploadRefused, match="3\xa0900\xa0000 caractères"):
            read_table(data, "xlsx", limits)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 3 * limits.max_unpacked_size


@pytest.mark.parametrize(
    ("data", "kind", "message"),
    [
        (xlsx_bytes([["a@x.com", "B"]]), "csv", "Ce fichier est un classeur Excel, pas un fichier CSV"),
        (b"email,brand_name\na@x.com,B\n", "xlsx", "Ce fichier n’est pas un classeur Excel (.xlsx)"),
        (uploads.OLE2_MAGIC + b"\0" * 100, "xlsx", "Ce classeur ne peut pas être lu."),
        (uploads.OLE2_MAGIC + b"\0" * 100, None, "Ce classeur ne peut pas être lu."),
        (b"PK\x03\x04 not really a zip", "xlsx", "Ce fichier n’est pas un classeur Excel (.xlsx)"),
        (b"", "csv", "Ce fichier est vide."),
        (b"\n\n", "csv", "Ce fichier est vide."),
        (b"email,brand_name\n", "csv", "Ce fichier a une ligne d’en-tête mais aucune ligne en dessous."),
        (
            b"email,notes\na@x.com,a\x00b\n",
            "csv",
            "Ligne 2, colonne « notes » : une cellule contient un caractère NUL",
        ),
        (b"a," * 201 + b"\nx\n", "csv", "La ligne 1 a plus de 200 colonnes."),
    ],
)
def test_each_unreadable_file_is_refused_with_a_sentence(data, kind, message):
    assert refusal(data, kind).startswith(message)


def test_a_workbook_whose_parts_are_not_a_spreadsheet_is_refused_as_unreadable():
    content = io.BytesIO()
    with zipfile.ZipFile(content, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<not a workbook")

    assert refusal(content.getvalue(), "xlsx").startswith("Ce classeur ne peut pas être lu.")


def test_a_workbook_with_an_entity_expansion_is_refused_as_unreadable():
    template = xlsx_bytes([["a@x.com", "Maison"]], ["email", "brand_name"])
    content = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(template)) as source, zipfile.ZipFile(content, "w") as target:
        for member in source.infolist():
            data = source.read(member)
            if member.filename == "xl/worksheets/sheet1.xml":
                entities = b'<!DOCTYPE w [<!ENTITY l "lol"><!ENTITY l2 "&l;&l;&l;&l;&l;&l;&l;&l;">]>'
                data = entities + data.replace(b"Maison", b"&l2;")
            target.writestr(member, data)

    assert refusal(content.getvalue(), "xlsx").startswith("Ce classeur ne peut pas être lu.")


def test_the_upload_handler_keeps_nothing_of_a_file_past_the_limit(settings):
    settings.IMPORT_MAX_FILE_SIZE = 1000
    received = []

    class RecordingMemoryHandler(MemoryFileUploadHandler):
        def receive_data_chunk(self, raw_data, start):
            received.append(len(raw_data))
            return super().receive_data_chunk(raw_data, start)

    body = _multipart(b"x" * 5000)
    meta = {"CONTENT_TYPE": MULTIPART_CONTENT, "CONTENT_LENGTH": str(len(body))}
    handlers = [UploadSizeLimitHandler(), RecordingMemoryHandler()]
    for handler in handlers:
        handler.chunk_size = 512

    _post, files = MultiPartParser(meta, io.BytesIO(body), handlers).parse()

    upload = files["import_file"]
    assert isinstance(upload, OversizedUpload)
    assert (upload.size, upload.read()) == (5000, b"")
    assert sum(received) <= 1000


def test_the_upload_handler_lets_a_file_within_the_limit_through(settings):
    settings.IMPORT_MAX_FILE_SIZE = 1000
    body = _multipart(b"x" * 1000)
    meta = {"CONTENT_TYPE": MULTIPART_CONTENT, "CONTENT_LENGTH": str(len(body))}

    _post, files = MultiPartParser(
        meta, io.BytesIO(body), [UploadSizeLimitHandler(), MemoryFileUploadHandler()]
    ).parse()

    assert files["import_file"].read() == b"x" * 1000


def _csv(header: list[str], rows: list[list[str]]) -> bytes:
    return "\n".join(",".join(row) for row in [header, *rows]).encode()


def _multipart(content: bytes) -> bytes:
    upload = io.BytesIO(content)
    upload.name = "prospects.csv"
    return encode_multipart(BOUNDARY, {"import_file": upload})

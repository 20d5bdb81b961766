"""Spreadsheets written for the tests (and `bench/upload_memory.py`), hostile ones included."""

import io
import zipfile

from openpyxl import Workbook

HEADER = ["email", "phone", "brand_name", "sector", "language", "status", "source", "notes"]
PLACEHOLDER = "LONG-CELL-PLACEHOLDER"


def xlsx_bytes(
    rows: list[list], header: list[str] = HEADER, *, extra_sheet: list[list] | None = None
) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in [header, *rows]:
        sheet.append(row)
    if extra_sheet is not None:
        other = workbook.create_sheet("Other")
        for row in extra_sheet:
            other.append(row)
    content = io.BytesIO()
    workbook.save(content)
    return content.getvalue()


def xlsx_with_long_cell(length: int, chunk: int = 1 << 20) -> bytes:
    """A workbook of one prospect whose `notes` cell holds `length` characters: the attack of the
    trust issue (a 100 MB cell in a 107 KB file). The cell is written in chunks, so building it
    never holds the long text in memory."""
    template = xlsx_bytes([["ana@example.com", "", "Maison Lumière", "", "", "", "", PLACEHOLDER]])
    result = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(template)) as source,
        zipfile.ZipFile(result, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for member in source.infolist():
            content = source.read(member)
            if PLACEHOLDER.encode() not in content:
                target.writestr(member, content)
                continue
            before, after = content.split(PLACEHOLDER.encode())
            with target.open(member.filename, "w") as stream:
                stream.write(before)
                for start in range(0, length, chunk):
                    stream.write(b"a" * min(chunk, length - start))
                stream.write(after)
    return result.getvalue()

"""Spreadsheets written for the tests (and `bench/upload_memory.py`), hostile ones included."""

import io
import re
import struct
import zipfile

import xlwt
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


def xlsx_with_cached_formulas(header: list[str], rows: list[list], cached: dict[str, str]) -> bytes:
    """A workbook whose formula cells (written "=…") hold `cached[cell]` as their last computed
    value, as Excel saves them (openpyxl writes formulas with no value: Excel computes on open)."""
    content = xlsx_bytes(rows, header)
    result = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(content)) as source,
        zipfile.ZipFile(result, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for member in source.infolist():
            data = source.read(member)
            if member.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                for cell, value in cached.items():
                    text = re.sub(
                        rf'<c r="{cell}"><f>(.*?)</f><v ?/>',
                        rf'<c r="{cell}" t="str"><f>\1</f><v>{value}</v>',
                        text,
                    )
                data = text.encode()
            target.writestr(member, data)
    return result.getvalue()


def xls_bytes(
    header: list[str], rows: list[list], cached_numbers: dict[tuple[int, int], float] | None = None
) -> bytes:
    """An Excel 97-2003 workbook (xlwt). A cell given as `xlwt.Formula` gets the number
    `cached_numbers[(row, column)]` as its computed value, as Excel would have saved it (xlwt
    writes none); rows are counted from 0, the header being row 0."""
    workbook = xlwt.Workbook()
    sheet = workbook.add_sheet("prospects")
    for row_index, row in enumerate([header, *rows]):
        for column, value in enumerate(row):
            if value is not None:
                sheet.write(row_index, column, value)
    content = io.BytesIO()
    workbook.save(content)
    data = bytearray(content.getvalue())
    for (row_index, column), number in (cached_numbers or {}).items():
        # The FORMULA record (0x0006): length, row, column, format, then the 8-byte result.
        for index in range(len(data) - 18):
            if data[index : index + 2] == b"\x06\x00" and data[index + 4 : index + 8] == struct.pack(
                "<HH", row_index, column
            ):
                data[index + 10 : index + 18] = struct.pack("<d", number)
                break
        else:
            raise AssertionError(f"no formula at {row_index},{column}")
    return bytes(data)

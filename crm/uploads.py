"""Reading an uploaded spreadsheet (CSV, .xlsx or .xls) within limits, before anything is done with it.

An upload is untrusted: a 107 KB .xlsx can unpack to a 100 MB cell, and a web process that parses
it whole grows by gigabytes. Each limit is a setting (docs/operations.md, "Settings") and is checked as
early as it can be:

- the file's size (`IMPORT_MAX_FILE_SIZE`) while it is received: `UploadSizeLimitHandler` keeps
  nothing past the limit, and the form refuses the file by its size without reading it;
- an .xlsx's unpacked size (`IMPORT_MAX_UNPACKED_SIZE`) from its zip directory, before anything
  is unpacked (a zip member never unpacks to more than its declared size: Python checks it);
- the rows (`IMPORT_MAX_ROWS`) and every cell's length (`IMPORT_MAX_CELL_LENGTH`) while the rows
  are streamed (csv reader, openpyxl's read-only mode), stopping at the first one over.

A refusal is an `UploadRefused` whose message is for the person who uploaded, in their language.
"""

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import openpyxl
import xlrd
from defusedxml.ElementTree import ParseError, iterparse
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.template.defaultfilters import filesizeformat
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from .csv_text import csv_encoding, csv_separator

# Columns read from a row: wider rows are cut here (a spreadsheet has 16 384, each cell a slot).
MAX_COLUMNS = 200
ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, .doc: the formats before Office 2007


@dataclass
class Table:
    """A file's header and its rows (each cut or padded to the header's width)."""

    headers: list[str]
    rows: list[list]
    # Each row's line in the file (the header's is 1 when it is first), as a spreadsheet numbers it.
    lines: list[int] = field(default_factory=list)

    def __iter__(self) -> Iterator[list]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


class UploadRefused(Exception):
    """The upload is refused; `message` says why, for the person who sent it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TooManyRows(UploadRefused):
    """The file has more rows than the limit (a big file's upload reads no further: the worker does)."""


@dataclass(frozen=True)
class UploadLimits:
    max_file_size: int
    max_unpacked_size: int
    max_rows: int
    max_cell_length: int

    @classmethod
    def from_settings(cls) -> "UploadLimits":
        return cls(
            max_file_size=settings.IMPORT_MAX_FILE_SIZE,
            max_unpacked_size=settings.IMPORT_MAX_UNPACKED_SIZE,
            max_rows=settings.IMPORT_MAX_ROWS,
            max_cell_length=settings.IMPORT_MAX_CELL_LENGTH,
        )


def check_file_size(size: int, limits: UploadLimits | None = None) -> None:
    """Refuse a file by its size alone, before reading it."""
    limits = limits or UploadLimits.from_settings()
    if size > limits.max_file_size:
        raise UploadRefused(
            _("This file is %(size)s; an import takes files of at most %(limit)s.")
            % {"size": filesizeformat(size), "limit": filesizeformat(limits.max_file_size)}
        )


def file_kind(data: bytes) -> str:
    """ "xlsx", "xls" or "csv", by the file's first bytes (its name or the form may say otherwise)."""
    if data.startswith(ZIP_MAGIC):
        return "xlsx"
    return "xls" if data.startswith(OLE2_MAGIC) else "csv"


def read_table(data: bytes, kind: str | None = None, limits: UploadLimits | None = None) -> Table:
    """The uploaded file as a table: its first non-empty row is the header (names trimmed), the
    rows below it are cut or padded to the header's width, and empty rows are left out.

    `kind` is "csv" (its encoding and separator detected: `crm.csv_text`), "xlsx" or "xls" (the
    first sheet; formulas give their last computed value); None reads it from the file's bytes.
    """
    limits = limits or UploadLimits.from_settings()
    check_file_size(len(data), limits)
    kind = kind or file_kind(data)
    if kind == "csv" and file_kind(data) != "csv":
        raise UploadRefused(_("This file is an Excel workbook, not a CSV file: choose the xlsx format."))
    if kind == "xlsx" and data.startswith(OLE2_MAGIC):
        kind = "xls"
    readers = {"xlsx": _xlsx_rows, "xls": _xls_rows}
    rows = readers.get(kind, _csv_rows)(data, limits)
    try:
        return _table(rows, limits)
    finally:
        rows.close()  # a workbook is closed at once, also when a row was refused


def _csv_rows(data: bytes, limits: UploadLimits) -> Iterator[tuple[int, list]]:
    try:
        text = data.decode(csv_encoding(data))
    except UnicodeDecodeError:
        raise UploadRefused(
            _("This file is not UTF-8 text. In Excel, save it as “CSV UTF-8 (comma delimited)”.")
        ) from None
    number = 0
    try:
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=csv_separator(text)):
            number += 1
            yield number, row
    except csv.Error as error:
        if "field larger than field limit" in str(error):
            raise _cell_too_long(number + 1, None, limits) from None
        raise UploadRefused(_("Line %(line)s is not valid CSV.") % {"line": number + 1}) from None


def _xlsx_rows(data: bytes, limits: UploadLimits) -> Iterator[tuple[int, tuple]]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            _check_unpacked_size(archive, limits)
    except zipfile.BadZipFile:
        raise UploadRefused(_("This file is not an Excel workbook (.xlsx): choose the CSV format.")) from None
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        raise _unreadable_workbook() from None
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # the size a workbook declares may be wrong: read what is there
        yield from enumerate(sheet.iter_rows(max_col=MAX_COLUMNS + 1, values_only=True), start=1)
    except UploadRefused:
        raise
    except Exception:
        raise _unreadable_workbook() from None
    finally:
        workbook.close()


def _xls_rows(data: bytes, limits: UploadLimits) -> Iterator[tuple[int, list]]:
    """An Excel 97-2003 workbook's first sheet (xlrd): a formula gives its cached value, a date
    cell a datetime. Not compressed: its size is the file's, already within the limit."""
    try:
        book = xlrd.open_workbook(file_contents=data, on_demand=True)
        sheet = book.sheet_by_index(0)
    except Exception:
        raise _unreadable_workbook() from None
    try:
        for index in range(sheet.nrows):
            yield index + 1, [_xls_value(cell, book.datemode) for cell in sheet.row(index)[: MAX_COLUMNS + 1]]
    finally:
        book.release_resources()


def _xls_value(cell: xlrd.sheet.Cell, datemode: int):
    if cell.ctype == xlrd.XL_CELL_DATE:
        try:
            return xlrd.xldate.xldate_as_datetime(cell.value, datemode)
        except (ValueError, OverflowError, xlrd.xldate.XLDateError):
            return cell.value
    if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
        return None
    return cell.value


def workbook_texts(data: bytes, limits: UploadLimits | None = None) -> Iterator[str]:
    """Every text of an .xlsx workbook, whatever part holds it (each sheet, shared strings,
    properties, links): the text and attributes of every XML element, read as a stream.
    `UploadRefused` when it cannot be read, or unpacks to more than the limit."""
    limits = limits or UploadLimits.from_settings()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            _check_unpacked_size(archive, limits)
            for member in archive.infolist():
                with archive.open(member) as stream:
                    for _event, element in iterparse(stream):
                        yield from (text for text in (element.text, element.tail) if text)
                        yield from element.attrib.values()
                        element.clear()
    except (zipfile.BadZipFile, ParseError, EOFError, ValueError, RuntimeError):
        raise _unreadable_workbook() from None


def _check_unpacked_size(archive: zipfile.ZipFile, limits: UploadLimits) -> None:
    """By the sizes the zip's directory declares: Python unpacks no member to more than its own."""
    unpacked = sum(member.file_size for member in archive.infolist())
    if unpacked > limits.max_unpacked_size:
        raise UploadRefused(
            _("This workbook unpacks to %(size)s; an import takes at most %(limit)s: save it as CSV.")
            % {"size": filesizeformat(unpacked), "limit": filesizeformat(limits.max_unpacked_size)}
        )


def _unreadable_workbook() -> UploadRefused:
    return UploadRefused(_("This workbook cannot be read. Open it in Excel and save it again as .xlsx."))


def _table(numbered_rows: Iterable[tuple[int, Iterable]], limits: UploadLimits) -> Table:
    header: list[str] | None = None
    rows: list[list] = []
    lines: list[int] = []
    for number, cells in numbered_rows:
        cells = _trimmed(list(cells))
        if not cells:
            continue
        if len(cells) > MAX_COLUMNS:
            raise UploadRefused(
                _("Line %(line)s has more than %(limit)s columns.") % {"line": number, "limit": MAX_COLUMNS}
            )
        for index, value in enumerate(cells):
            _check_cell(value, number, header[index] if header and index < len(header) else None, limits)
        if header is None:
            header = ["" if value is None else str(value).strip() for value in cells]
            continue
        if len(rows) == limits.max_rows:
            raise TooManyRows(
                _("This file has more than %(limit)s rows: split it into files of at most %(limit)s rows.")
                % {"limit": number_format(limits.max_rows, force_grouping=True)}
            )
        rows.append((cells + [None] * len(header))[: len(header)])
        lines.append(number)
    if header is None:
        raise UploadRefused(_("This file is empty."))
    if not rows:
        raise UploadRefused(_("This file has a header but no rows under it."))
    return Table(headers=header, rows=rows, lines=lines)


def _trimmed(cells: list) -> list:
    """The row without its trailing empty cells (a spreadsheet pads rows to its widest one)."""
    while cells and (cells[-1] is None or cells[-1] == ""):
        cells.pop()
    return cells


def _check_cell(value, line: int, column: str | None, limits: UploadLimits) -> None:
    if value is None:
        return
    text = value if isinstance(value, str) else str(value)
    if len(text) > limits.max_cell_length:
        raise _cell_too_long(line, column, limits, len(text))
    if "\x00" in text:
        raise UploadRefused(
            _("Line %(line)s, column “%(column)s”: a cell holds a NUL character, which cannot be imported.")
            % {"line": line, "column": column or "?"}
        )


def _cell_too_long(line: int, column: str | None, limits: UploadLimits, length: int | None = None):
    limit = number_format(limits.max_cell_length, force_grouping=True)
    if length is None:
        return UploadRefused(
            _("Line %(line)s: a cell is longer than %(limit)s characters.") % {"line": line, "limit": limit}
        )
    return UploadRefused(
        _("Line %(line)s, column “%(column)s”: %(length)s characters; a cell holds at most %(limit)s.")
        % {
            "line": line,
            "column": column or "?",
            "length": number_format(length, force_grouping=True),
            "limit": limit,
        }
    )


class OversizedUpload(UploadedFile):
    """What is left of a file received past `IMPORT_MAX_FILE_SIZE`: its name and size, no content."""

    def __init__(self, name: str, size: int) -> None:
        super().__init__(file=io.BytesIO(), name=name, size=size)


class UploadSizeLimitHandler(FileUploadHandler):
    """The first upload handler (settings.FILE_UPLOAD_HANDLERS): past `IMPORT_MAX_FILE_SIZE` it
    passes no more of the file to the handlers after it (memory, temporary file), which keep nothing
    more, and the form gets an `OversizedUpload`, refused by its size (`check_file_size`).

    The site's only upload is the import, so its limit is the site's.
    """

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.oversized = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if self.oversized or start + len(raw_data) > settings.IMPORT_MAX_FILE_SIZE:
            self.oversized = True
            return None
        return raw_data

    def file_complete(self, file_size: int) -> UploadedFile | None:
        return OversizedUpload(self.file_name, file_size) if self.oversized else None

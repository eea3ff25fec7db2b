"""Spreadsheet imports (CSV or Excel): reading the file, its limits, the checked rows.

An import is a job (``accounts.import_jobs``).  The upload is read here
twice: in the request, its first rows for the preview plus a count of every
row (``ImportSheet.preview``); after the user confirms, by the worker, every
row as a stream of records (``ImportSheet.read``) that it checks and commits
chunk by chunk.  A record is a dict per non-blank line, keyed by the import's
columns, plus ``line``, the line number in the file (header = 1).

Limits (``ImportLimits``, from ``IMPORT_MAX_FILE_BYTES`` and
``IMPORT_MAX_ROWS``): the file's bytes, its data rows, and while reading its
lines — counted as they stream, blank ones and the gaps an Excel sheet leaves
between row numbers included — and its cells.  Reading stops at the first
limit.  An Excel sheet is scanned first with a streaming XML parser that
counts rows and cells without building them (a million empty rows are
refused after ``max_lines``, within a second); its declared dimension is
ignored, so a sheet that claims 1,048,576 rows but holds three is read as
three rows.  An Excel archive is also refused when it would unpack to more
than the limits allow (zip bombs).

This module knows files, headers and limits.  What a row means and what
importing it does stay in the app (``leads.imports`` with
``leads.services.imports``, ``membership.imports`` with
``membership.services.transactions_bulk``); the portal page flow is
``accounts.portal.imports``.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from xml.parsers import expat

from django.conf import settings
from django.utils.translation import gettext_lazy
from openpyxl import load_workbook

MAX_XLSX_COLUMNS = 20  # columns read from a sheet (headers beyond are ignored)
BLANK_LINE_ALLOWANCE = 1000  # blank lines tolerated besides the header and the data rows
CELLS_PER_LINE = 64  # cells read (Excel: parsed) per line, on average, before the file is refused
MAX_LINE_CHARS = 64 * 1024  # one CSV line
UNPACKED_BYTES_PER_ROW = 1024  # what an Excel archive may unpack to, per allowed row
SHARED_STRING_BYTES_PER_ROW = 256  # the same for its table of strings (loaded whole by openpyxl)
READ_BLOCK = 1 << 20

FILE_TOO_BIG = gettext_lazy("文件过大，请拆分后再导入（最大 %(mb)s MB）。")
TOO_MANY_ROWS = gettext_lazy("行数过多，请拆分后再导入（最多 %(rows)s 行）。")
TOO_MANY_CELLS = gettext_lazy("文件中的单元格过多（可能含大量空行、空列或超长的行），请删除后再导入。")
UNSUPPORTED_FILE = gettext_lazy("仅支持 CSV 或 Excel（.xlsx）文件。")
UNREADABLE_FILE = gettext_lazy("无法读取该文件，请确认文件格式和编码（UTF-8 或 GBK）。")
EMPTY_FILE = gettext_lazy("文件中没有数据行。")
PREVIEW_EXPIRED = gettext_lazy("预览已失效，请重新上传文件。")


class ImportFileError(Exception):
    """The file as a whole cannot be read (too big, wrong type, a needed column
    missing, a limit reached), or the preview is no longer valid."""

    def __init__(self, message):
        self.message = message
        super().__init__(str(message))


@dataclass(frozen=True)
class ImportLimits:
    max_bytes: int
    max_rows: int

    @property
    def max_lines(self) -> int:
        """Lines read, blank ones included (header + data rows + an allowance)."""
        return self.max_rows + 1 + BLANK_LINE_ALLOWANCE

    @property
    def max_cells(self) -> int:
        return self.max_lines * CELLS_PER_LINE

    @property
    def max_unpacked_bytes(self) -> int:
        return max(32 * 1024 * 1024, self.max_rows * UNPACKED_BYTES_PER_ROW)

    @property
    def max_shared_string_bytes(self) -> int:
        return max(16 * 1024 * 1024, self.max_rows * SHARED_STRING_BYTES_PER_ROW)

    def too_big(self) -> ImportFileError:
        return ImportFileError(FILE_TOO_BIG % {"mb": self.max_bytes // (1024 * 1024)})

    def too_many_rows(self) -> ImportFileError:
        return ImportFileError(TOO_MANY_ROWS % {"rows": self.max_rows})


def import_limits() -> ImportLimits:
    """The configured limits (read per call, so a deployment or a test can change them)."""
    return ImportLimits(max_bytes=settings.IMPORT_MAX_FILE_BYTES, max_rows=settings.IMPORT_MAX_ROWS)


def cell_text(value) -> str:
    """A CSV or Excel cell as trimmed text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel stores 13800138000 as a number
    return str(value).strip()


def is_xlsx(*, name: str, head: bytes) -> bool:
    return (name or "").lower().endswith(".xlsx") or head[:4] == b"PK\x03\x04"


def file_kind(*, name: str, head: bytes) -> str:
    """``"xlsx"`` or ``"csv"`` by name and first bytes; anything else is refused."""
    if is_xlsx(name=name, head=head):
        return "xlsx"
    if (name or "").lower().endswith((".csv", ".txt")):
        return "csv"
    raise ImportFileError(UNSUPPORTED_FILE)


# --- CSV ------------------------------------------------------------------------------------------


def _encoding(fileobj) -> str:
    """UTF-8 (with or without BOM), else GB18030 (a superset of GBK), checked
    over the whole file in blocks."""
    for encoding in ("utf-8-sig", "gb18030"):
        fileobj.seek(0)
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            while block := fileobj.read(READ_BLOCK):
                decoder.decode(block)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        fileobj.seek(0)
        return encoding
    raise ImportFileError(UNREADABLE_FILE)


@contextlib.contextmanager
def _text(fileobj, encoding: str):
    """The binary file as text, without closing it afterwards."""
    fileobj.seek(0)
    wrapper = io.TextIOWrapper(fileobj, encoding=encoding, newline="")
    try:
        yield wrapper
    finally:
        with contextlib.suppress(ValueError):  # the file was closed first
            wrapper.detach()


def _bounded_lines(text) -> Iterator[str]:
    while line := text.readline(MAX_LINE_CHARS + 1):
        if len(line) > MAX_LINE_CHARS:
            raise ImportFileError(TOO_MANY_CELLS)
        yield line


def csv_rows(fileobj) -> Iterator[list[str]]:
    """The rows of a CSV file (comma, semicolon or tab separated), streamed."""
    encoding = _encoding(fileobj)
    with _text(fileobj, encoding) as text:
        sample = text.read(4096)
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    with _text(fileobj, encoding) as text:
        try:
            yield from csv.reader(_bounded_lines(text), dialect)
        except (csv.Error, UnicodeDecodeError) as exc:
            raise ImportFileError(UNREADABLE_FILE) from exc


# --- Excel ----------------------------------------------------------------------------------------


def _check_archive(fileobj, limits: ImportLimits) -> None:
    """A zip whose members unpack within the limits (the sizes a zip declares
    bound what Python's zipfile will unpack: more fails the CRC check)."""
    fileobj.seek(0)
    try:
        with zipfile.ZipFile(fileobj) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ImportFileError(UNREADABLE_FILE) from exc
    if sum(info.file_size for info in members) > limits.max_unpacked_bytes:
        raise limits.too_big()
    strings = sum(info.file_size for info in members if info.filename.lower().endswith("sharedstrings.xml"))
    if strings > limits.max_shared_string_bytes:
        raise limits.too_big()
    fileobj.seek(0)


class _SheetScan:
    """Counts a worksheet's rows and cells from its XML with expat (no cell is
    built), stopping at the first limit.  ``rows`` ends as the number of rows
    that hold at least one value (the header included)."""

    def __init__(self, limits: ImportLimits):
        self.limits = limits
        self.line = 0
        self.cells = 0
        self.rows = 0
        self._has_value = False

    def start(self, name, attrs):
        local = name.rpartition(" ")[2]
        if local == "c":
            self.cells += 1
            if self.cells > self.limits.max_cells:
                raise ImportFileError(TOO_MANY_CELLS)
        elif local == "row":
            number = attrs.get("r", "")
            self.line = int(number) if number.isascii() and number.isdigit() else self.line + 1
            if self.line > self.limits.max_lines:
                raise self.limits.too_many_rows()
            self._has_value = False
        elif local in ("v", "is"):
            self._has_value = True

    def end(self, name):
        if name.rpartition(" ")[2] == "row" and self._has_value:
            self.rows += 1

    def run(self, source) -> _SheetScan:
        parser = expat.ParserCreate(namespace_separator=" ")
        parser.StartElementHandler = self.start
        parser.EndElementHandler = self.end
        try:
            while block := source.read(READ_BLOCK):
                parser.Parse(block, False)
            parser.Parse(b"", True)
        except expat.ExpatError as exc:
            raise ImportFileError(UNREADABLE_FILE) from exc
        return self


@contextlib.contextmanager
def _workbook(fileobj, limits: ImportLimits):
    """The first worksheet, opened read-only, after the archive check and the scan."""
    _check_archive(fileobj, limits)
    try:
        workbook = load_workbook(fileobj, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise ImportFileError(UNREADABLE_FILE) from exc
    try:
        if not workbook.worksheets:
            raise ImportFileError(EMPTY_FILE)
        sheet = workbook.worksheets[0]
        # openpyxl 3.1 (pinned): the read-only sheet's part in the archive.
        with workbook._archive.open(sheet._worksheet_path) as source:
            scan = _SheetScan(limits).run(source)
        sheet.reset_dimensions()  # a declared dimension is not trusted: only rows present are read
        yield sheet, scan
    finally:
        workbook.close()


def xlsx_rows(sheet) -> Iterator[tuple]:
    try:
        yield from sheet.iter_rows(values_only=True, max_col=MAX_XLSX_COLUMNS)
    except ImportFileError:
        raise
    except Exception as exc:  # a cell openpyxl cannot convert
        raise ImportFileError(UNREADABLE_FILE) from exc


# --- the sheet of one kind of import --------------------------------------------------------------


@dataclass(frozen=True)
class SheetPreview:
    records: list[dict]  # the first rows
    total: int  # every data row of the file


@dataclass(frozen=True)
class ImportSheet:
    """What one kind of import file looks like.

    ``aliases`` maps a header (as written, or lower-cased without spaces) to
    a column.  A file without one of the ``required`` columns is refused with
    ``missing_message``, formatted with ``%(columns)s`` (the missing ones; a
    message for a single required column may name it outright instead).
    """

    columns: tuple[str, ...]
    max_lengths: Mapping[str, int]
    aliases: Mapping[str, str]
    required: tuple[str, ...]
    missing_message: str

    def column(self, header) -> str | None:
        text = cell_text(header)
        return self.aliases.get(text.lower().replace(" ", "")) or self.aliases.get(text)

    def records(self, table: Iterable, *, limits: ImportLimits | None = None) -> Iterator[dict]:
        """``table`` yields rows of cells, the first is the header.  Blank rows
        are skipped; every record keeps the line it came from.  Lines and
        cells are counted as they stream and the first limit stops the read."""
        limits = limits or import_limits()
        iterator = iter(table)
        header = next(iterator, None)
        if header is None:
            raise ImportFileError(EMPTY_FILE)
        columns = [self.column(h) for h in header]
        missing = [c for c in self.required if c not in columns]
        if missing:
            raise ImportFileError(self.missing_message % {"columns": ", ".join(missing)})
        cells_read, rows = len(header), 0
        for number, cells in enumerate(iterator, start=2):
            if number > limits.max_lines:
                raise limits.too_many_rows()
            cells_read += len(cells)
            if cells_read > limits.max_cells:
                raise ImportFileError(TOO_MANY_CELLS)
            cells = [cell_text(c) for c in cells]
            if not any(cells):
                continue
            rows += 1
            if rows > limits.max_rows:
                raise limits.too_many_rows()
            values = dict.fromkeys(self.columns, "")
            for column, cell in zip(columns, cells):
                if column and not values[column]:
                    values[column] = cell[: self.max_lengths[column]]
            yield {"line": number, **values}
        if not rows:
            raise ImportFileError(EMPTY_FILE)

    @contextlib.contextmanager
    def open(self, fileobj, *, name: str, limits: ImportLimits | None = None):
        """The file's records as a stream (a context manager, so an Excel
        workbook is closed however far the caller reads).  Yields
        ``(records, scanned_rows)``: for Excel the data rows the scan counted,
        for CSV ``None`` (counted by reading)."""
        limits = limits or import_limits()
        fileobj.seek(0)
        kind = file_kind(name=name, head=fileobj.read(4))
        if kind == "xlsx":
            with _workbook(fileobj, limits) as (sheet, scan):
                records = self.records(xlsx_rows(sheet), limits=limits)
                try:
                    yield records, max(0, scan.rows - 1)
                finally:
                    records.close()
        else:
            records = self.records(csv_rows(fileobj), limits=limits)
            try:
                yield records, None
            finally:
                records.close()

    def read(self, fileobj, *, name: str, limits: ImportLimits | None = None) -> Iterator[dict]:
        """Every record of the file, streamed (read it to the end, or close it)."""
        with self.open(fileobj, name=name, limits=limits) as (records, _scanned):
            yield from records

    def preview(self, fileobj, *, name: str, rows: int, limits: ImportLimits | None = None) -> SheetPreview:
        """The first ``rows`` records and the number of data rows, every limit
        checked.  CSV: every line is read.  Excel: the scan has counted the
        rows (and checked the limits), only the first rows are built."""
        limits = limits or import_limits()
        with self.open(fileobj, name=name, limits=limits) as (records, scanned):
            first, total = [], 0
            for record in records:
                total += 1
                if len(first) < rows:
                    first.append(record)
                elif scanned is not None:
                    break
            if scanned is not None:
                if scanned > limits.max_rows:
                    raise limits.too_many_rows()
                total = max(total, scanned)
        return SheetPreview(records=first, total=total)

    def parse_csv(self, raw: bytes, *, limits: ImportLimits | None = None) -> list[dict]:
        """CSV bytes → every record (small files and tests)."""
        return list(self.read(io.BytesIO(raw), name="import.csv", limits=limits))

    def values(self, record: dict) -> dict[str, str]:
        """A record's values as validation reads them: every column, trimmed and
        cut to length (records may also come from a caller, not only a file)."""
        return {c: str(record.get(c) or "").strip()[: self.max_lengths[c]] for c in self.columns}


# --- the checked rows, as the preview and the job report them ---------------------------------


@dataclass
class ImportRow:
    """One line of the file with what the app's check found; an app's row
    class adds the parsed values its commit needs."""

    line: int  # the line number in the file (header = 1)
    values: dict
    errors: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    @classmethod
    def from_record(cls, record: dict, *, sheet: ImportSheet):
        return cls(line=int(record.get("line") or 0), values=sheet.values(record))

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class ImportPreview:
    rows: list[ImportRow]

    @property
    def valid(self) -> bool:
        return bool(self.rows) and all(row.ok for row in self.rows)

    @property
    def error_count(self) -> int:
        return sum(1 for row in self.rows if not row.ok)

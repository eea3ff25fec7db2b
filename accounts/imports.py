"""Spreadsheet imports (CSV or Excel): what every import shares.

An import has two steps.  Step 1 (preview) reads the upload into plain
records — one dict per non-blank line, keyed by the import's columns, plus
``line``, the line number in the file (header = 1) — and the app checks every
row; the records travel to step 2 signed (``ImportSheet.sign``/``unsign``), so
the commit imports exactly what the user saw and nobody can slip in other
rows.  Step 2 is the app's service: all rows or none.

This module knows files, headers, limits and signing.  What a row means and
what importing it does stay in the app (``leads.imports`` with
``leads.services.imports``, ``membership.imports``); the portal page flow is
``accounts.portal.imports``.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.core import signing
from django.utils.translation import gettext_lazy

from accounts.models import User

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_XLSX_COLUMNS = 20
SIGN_MAX_AGE = 60 * 60  # a preview stays valid for an hour

FILE_TOO_BIG = gettext_lazy("文件过大，请拆分后再导入（最大 %(mb)s MB）。")
TOO_MANY_ROWS = gettext_lazy("行数过多，请拆分后再导入（最多 %(rows)s 行）。")
UNSUPPORTED_FILE = gettext_lazy("仅支持 CSV 或 Excel（.xlsx）文件。")
UNREADABLE_FILE = gettext_lazy("无法读取该文件，请确认文件格式和编码（UTF-8 或 GBK）。")
EMPTY_FILE = gettext_lazy("文件中没有数据行。")
PREVIEW_EXPIRED = gettext_lazy("预览已失效，请重新上传文件。")


class ImportFileError(Exception):
    """The file as a whole cannot be read (too big, wrong type, a needed column
    missing), or the signed preview is no longer valid."""

    def __init__(self, message):
        self.message = message
        super().__init__(str(message))


def _too_big() -> ImportFileError:
    return ImportFileError(FILE_TOO_BIG % {"mb": MAX_FILE_BYTES // (1024 * 1024)})


def cell_text(value) -> str:
    """A CSV or Excel cell as trimmed text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel stores 13800138000 as a number
    return str(value).strip()


def decode_text(raw: bytes) -> str:
    """CSV bytes as text: UTF-8 (with or without BOM), else GB18030 (a superset of GBK)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError(UNREADABLE_FILE)


@dataclass(frozen=True)
class ImportSheet:
    """What one kind of import file looks like, and its limits.

    ``aliases`` maps a header (as written, or lower-cased without spaces) to
    a column.  A file without one of the ``required`` columns is refused with
    ``missing_message``, formatted with ``%(columns)s`` (the missing ones; a
    message for a single required column may name it outright instead).
    ``max_rows`` also bounds what a signed preview may carry.
    """

    columns: tuple[str, ...]
    max_lengths: Mapping[str, int]
    aliases: Mapping[str, str]
    required: tuple[str, ...]
    missing_message: str
    max_rows: int
    sign_salt: str

    # --- reading ---

    def column(self, header) -> str | None:
        text = cell_text(header)
        return self.aliases.get(text.lower().replace(" ", "")) or self.aliases.get(text)

    def records(self, table: Iterable, *, max_rows: int | None = None) -> list[dict]:
        """``table`` yields rows of cells, the first is the header.  Blank rows
        are skipped; every record keeps the line it came from."""
        max_rows = self.max_rows if max_rows is None else max_rows
        iterator = iter(table)
        header = next(iterator, None)
        if header is None:
            raise ImportFileError(EMPTY_FILE)
        columns = [self.column(h) for h in header]
        missing = [c for c in self.required if c not in columns]
        if missing:
            raise ImportFileError(self.missing_message % {"columns": ", ".join(missing)})
        records = []
        for number, cells in enumerate(iterator, start=2):
            cells = [cell_text(c) for c in cells]
            if not any(cells):
                continue
            if len(records) >= max_rows:
                raise ImportFileError(TOO_MANY_ROWS % {"rows": max_rows})
            values = dict.fromkeys(self.columns, "")
            for column, cell in zip(columns, cells):
                if column and not values[column]:
                    values[column] = cell[: self.max_lengths[column]]
            records.append({"line": number, **values})
        if not records:
            raise ImportFileError(EMPTY_FILE)
        return records

    def parse_csv(self, raw: bytes, *, max_rows: int | None = None) -> list[dict]:
        text = decode_text(raw)
        try:
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        try:
            return self.records(csv.reader(io.StringIO(text, newline=""), dialect), max_rows=max_rows)
        except csv.Error as exc:
            raise ImportFileError(UNREADABLE_FILE) from exc

    def parse_xlsx(self, raw: bytes, *, max_rows: int | None = None) -> list[dict]:
        from openpyxl import load_workbook

        try:
            with zipfile.ZipFile(io.BytesIO(raw)) as archive:
                # A zip bomb would unpack to far more than any real import file.
                if sum(info.file_size for info in archive.infolist()) > 40 * MAX_FILE_BYTES:
                    raise _too_big()
            workbook = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
        except ImportFileError:
            raise
        except Exception as exc:  # openpyxl raises many kinds for a broken file
            raise ImportFileError(UNREADABLE_FILE) from exc
        try:
            sheet = workbook.worksheets[0]
            return self.records(sheet.iter_rows(values_only=True, max_col=MAX_XLSX_COLUMNS), max_rows=max_rows)
        finally:
            workbook.close()

    def parse_upload(self, upload, *, max_rows: int | None = None) -> list[dict]:
        """An UploadedFile (or anything with ``name``, ``size`` and ``read``) to records."""
        if upload.size > MAX_FILE_BYTES:
            raise _too_big()
        name = (upload.name or "").lower()
        raw = upload.read(MAX_FILE_BYTES + 1)
        if len(raw) > MAX_FILE_BYTES:
            raise _too_big()
        if name.endswith(".xlsx") or raw[:4] == b"PK\x03\x04":
            return self.parse_xlsx(raw, max_rows=max_rows)
        if name.endswith((".csv", ".txt")):
            return self.parse_csv(raw, max_rows=max_rows)
        raise ImportFileError(UNSUPPORTED_FILE)

    def values(self, record: dict) -> dict[str, str]:
        """A record's values as validation reads them: every column, trimmed and
        cut to length (records may also come from a caller, not only a file)."""
        return {c: str(record.get(c) or "").strip()[: self.max_lengths[c]] for c in self.columns}

    # --- carrying the records from preview to commit ---

    def sign(self, *, records: list[dict], actor: User) -> str:
        return signing.dumps(records, salt=f"{self.sign_salt}:{actor.pk}", compress=True)

    def unsign(self, *, token: str, actor: User) -> list[dict]:
        """The records signed at preview by this same user, within the hour."""
        try:
            records = signing.loads(token or "", salt=f"{self.sign_salt}:{actor.pk}", max_age=SIGN_MAX_AGE)
        except signing.BadSignature as exc:  # includes SignatureExpired
            raise ImportFileError(PREVIEW_EXPIRED) from exc
        if not isinstance(records, list) or not records or len(records) > self.max_rows:
            raise ImportFileError(PREVIEW_EXPIRED)
        return records


# --- the checked rows, as the preview shows them ----------------------------------------------


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

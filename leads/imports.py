"""Lead import files (CSV or Excel): parsing and per-row validation.

Step 1 (preview) parses the upload into plain rows and checks every row;
the rows travel to step 2 signed (``rows_sign``/``rows_unsign``), so the
commit imports exactly what the user saw and nobody can slip in other rows.
Step 2 is ``leads.services.imports.leads_import``: all rows or none.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field

from django.core import signing
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy

from accounts.models import Store, User
from accounts.scoping import store_ids_for
from accounts.validators import normalize_mobile
from leads import exceptions as errors
from leads.models import Channel, Lead

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_ROWS = 1000
COLUMNS = ("mobile", "name", "store", "channel", "model_interest", "note")
MAX_LENGTHS = {"mobile": 32, "name": 64, "store": 16, "channel": 32, "model_interest": 100, "note": 1000}
HEADER_ALIASES = {
    "mobile": "mobile", "手机号": "mobile", "手机": "mobile", "手机号码": "mobile", "电话": "mobile",
    "name": "name", "姓名": "name", "客户姓名": "name",
    "store": "store", "门店": "store", "门店代码": "store",
    "channel": "channel", "渠道": "channel", "渠道代码": "channel",
    "model_interest": "model_interest", "意向车型": "model_interest", "车型": "model_interest",
    "note": "note", "备注": "note",
}
SIGN_SALT = "leads.import"
SIGN_MAX_AGE = 60 * 60  # the preview stays valid for an hour

FILE_TOO_BIG = gettext_lazy("文件过大，请拆分后再导入（最大 %(mb)s MB）。")
TOO_MANY_ROWS = gettext_lazy("行数过多，请拆分后再导入（最多 %(rows)s 行）。")
UNSUPPORTED_FILE = gettext_lazy("仅支持 CSV 或 Excel（.xlsx）文件。")
UNREADABLE_FILE = gettext_lazy("无法读取该文件，请确认文件格式和编码（UTF-8 或 GBK）。")
NO_MOBILE_COLUMN = gettext_lazy("缺少“手机号”（mobile）列。")
EMPTY_FILE = gettext_lazy("文件中没有数据行。")
PREVIEW_EXPIRED = gettext_lazy("预览已失效，请重新上传文件。")
STORE_REQUIRED = gettext_lazy("请填写门店代码。")
CHANNEL_REQUIRED = gettext_lazy("请填写渠道代码。")
DUPLICATE_IN_FILE = gettext_lazy("与第 %(line)s 行手机号相同，将合并为一条线索。")
MERGE_EXISTING = gettext_lazy("该手机号已有进行中的线索，将合并到该线索。")


class ImportFileError(Exception):
    """The file as a whole cannot be read (too big, wrong type, no mobile column)."""

    def __init__(self, message):
        self.message = message
        super().__init__(str(message))


@dataclass
class ImportRow:
    line: int  # the line number in the file (header = 1)
    values: dict
    errors: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    mobile: str = ""  # normalised

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

    @property
    def merge_count(self) -> int:
        return sum(1 for row in self.rows if row.ok and row.notices)

    def as_data(self) -> list[dict]:
        return [{"line": row.line, **row.values} for row in self.rows]


# --- parsing ----------------------------------------------------------------------------------


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel stores 13800138000 as a number
    return str(value).strip()


def _records(table, *, max_rows: int) -> list[dict]:
    """``table`` yields rows of cells, the first is the header."""
    iterator = iter(table)
    header = next(iterator, None)
    if header is None:
        raise ImportFileError(EMPTY_FILE)
    columns = [HEADER_ALIASES.get(_cell(h).lower().replace(" ", ""), HEADER_ALIASES.get(_cell(h))) for h in header]
    if "mobile" not in columns:
        raise ImportFileError(NO_MOBILE_COLUMN)
    records = []
    for number, cells in enumerate(iterator, start=2):
        cells = [_cell(c) for c in cells]
        if not any(cells):
            continue
        if len(records) >= max_rows:
            raise ImportFileError(TOO_MANY_ROWS % {"rows": max_rows})
        values = dict.fromkeys(COLUMNS, "")
        for column, cell in zip(columns, cells):
            if column and not values[column]:
                values[column] = cell[: MAX_LENGTHS[column]]
        records.append({"line": number, **values})
    if not records:
        raise ImportFileError(EMPTY_FILE)
    return records


def _decode(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError(UNREADABLE_FILE)


def parse_csv(raw: bytes, *, max_rows: int = MAX_ROWS) -> list[dict]:
    text = _decode(raw)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        return _records(csv.reader(io.StringIO(text, newline=""), dialect), max_rows=max_rows)
    except csv.Error as exc:
        raise ImportFileError(UNREADABLE_FILE) from exc


def parse_xlsx(raw: bytes, *, max_rows: int = MAX_ROWS) -> list[dict]:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            # A zip bomb would unpack to far more than any real lead list.
            if sum(info.file_size for info in archive.infolist()) > 40 * MAX_FILE_BYTES:
                raise ImportFileError(FILE_TOO_BIG % {"mb": MAX_FILE_BYTES // (1024 * 1024)})
        workbook = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except ImportFileError:
        raise
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise ImportFileError(UNREADABLE_FILE) from exc
    try:
        sheet = workbook.worksheets[0]
        return _records(sheet.iter_rows(values_only=True, max_col=20), max_rows=max_rows)
    finally:
        workbook.close()


def parse_upload(upload, *, max_rows: int = MAX_ROWS) -> list[dict]:
    """An UploadedFile (or anything with ``name``, ``size`` and ``read``) to raw rows."""
    if upload.size > MAX_FILE_BYTES:
        raise ImportFileError(FILE_TOO_BIG % {"mb": MAX_FILE_BYTES // (1024 * 1024)})
    name = (upload.name or "").lower()
    raw = upload.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES:
        raise ImportFileError(FILE_TOO_BIG % {"mb": MAX_FILE_BYTES // (1024 * 1024)})
    if name.endswith(".xlsx") or raw[:4] == b"PK\x03\x04":
        return parse_xlsx(raw, max_rows=max_rows)
    if name.endswith((".csv", ".txt")):
        return parse_csv(raw, max_rows=max_rows)
    raise ImportFileError(UNSUPPORTED_FILE)


# --- validation -------------------------------------------------------------------------------


def rows_validate(*, records: list[dict], actor: User) -> ImportPreview:
    """Check every row as ``lead_ingest`` would (mobile, channel, store and the
    actor's scope) and mark duplicates within the file and mobiles with an
    open lead as merges.  Reads only; the service re-checks at commit."""
    channels = {c.code: c for c in Channel.objects.filter(is_active=True)}
    stores = {s.code: s for s in Store.objects.filter(is_active=True)}
    allowed = store_ids_for(actor)
    default_store = actor.store if actor.store_id and not actor.is_group_wide else None
    rows: list[ImportRow] = []
    first_line: dict[str, int] = {}
    for record in records:
        values = {column: str(record.get(column) or "").strip()[: MAX_LENGTHS[column]] for column in COLUMNS}
        row = ImportRow(line=int(record.get("line") or 0), values=values)
        try:
            row.mobile = normalize_mobile(values["mobile"])
        except ValidationError as exc:
            row.errors.extend(str(m) for m in exc.messages)
        code = values["channel"].lower()
        if not code:
            row.errors.append(str(CHANNEL_REQUIRED))
        elif code not in channels:
            row.errors.append(str(errors.UNKNOWN_CHANNEL))
        store_code = values["store"].upper()
        if not store_code:
            if default_store is None:
                row.errors.append(str(STORE_REQUIRED))
        elif store_code not in stores:
            row.errors.append(str(errors.UNKNOWN_STORE))
        elif allowed is not None and stores[store_code].pk not in allowed:
            row.errors.append(str(errors.STORE_NOT_ALLOWED))
        if row.mobile:
            if row.mobile in first_line:
                row.notices.append(str(DUPLICATE_IN_FILE % {"line": first_line[row.mobile]}))
            else:
                first_line[row.mobile] = row.line
        rows.append(row)
    existing = set(Lead.objects.filter(mobile__in=list(first_line), is_open=True).values_list("mobile", flat=True))
    for row in rows:
        if row.mobile in existing and row.line == first_line.get(row.mobile):
            row.notices.append(str(MERGE_EXISTING))
    return ImportPreview(rows=rows)


# --- carrying the rows from preview to commit ---------------------------------------------------


def rows_sign(*, records: list[dict], actor: User) -> str:
    return signing.dumps(records, salt=f"{SIGN_SALT}:{actor.pk}", compress=True)


def rows_unsign(*, token: str, actor: User) -> list[dict]:
    """The rows signed at preview by this same user, within the hour."""
    try:
        records = signing.loads(token or "", salt=f"{SIGN_SALT}:{actor.pk}", max_age=SIGN_MAX_AGE)
    except signing.BadSignature as exc:  # includes SignatureExpired
        raise ImportFileError(PREVIEW_EXPIRED) from exc
    if not isinstance(records, list) or not records or len(records) > MAX_ROWS:
        raise ImportFileError(PREVIEW_EXPIRED)
    return records


"""Lead import files (CSV or Excel): the file layout and per-row validation.

Reading the file and its limits are shared with every import
(``accounts.imports``), and so is the job that checks and commits every row
(``accounts.import_jobs``, kind ``leads.leads``, defined in
``leads.services.imports``); this module says which columns a lead file has
and checks each row.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy

from accounts.imports import (  # noqa: F401  (the file-level errors, also named here by the lead import tests)
    EMPTY_FILE,
    FILE_TOO_BIG,
    PREVIEW_EXPIRED,
    TOO_MANY_ROWS,
    UNREADABLE_FILE,
    UNSUPPORTED_FILE,
    ImportFileError,
    ImportPreview,
    ImportRow,
    ImportSheet,
)
from accounts.models import Store, User
from accounts.scoping import store_ids_for
from accounts.validators import normalize_mobile
from leads import exceptions as errors
from leads.models import Channel, Lead

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

NO_MOBILE_COLUMN = gettext_lazy("缺少“手机号”（mobile）列。")
STORE_REQUIRED = gettext_lazy("请填写门店代码。")
CHANNEL_REQUIRED = gettext_lazy("请填写渠道代码。")
DUPLICATE_IN_FILE = gettext_lazy("与第 %(line)s 行手机号相同，将合并为一条线索。")
MERGE_EXISTING = gettext_lazy("该手机号已有进行中的线索，将合并到该线索。")

SHEET = ImportSheet(
    columns=COLUMNS, max_lengths=MAX_LENGTHS, aliases=HEADER_ALIASES, required=("mobile",),
    missing_message=NO_MOBILE_COLUMN,
)
parse_csv = SHEET.parse_csv  # CSV bytes → records, as an upload would give them


@dataclass
class LeadImportRow(ImportRow):
    mobile: str = ""  # normalised


@dataclass
class LeadImportPreview(ImportPreview):
    @property
    def merge_count(self) -> int:
        return sum(1 for row in self.rows if row.ok and row.notices)

    def as_data(self) -> list[dict]:
        return [{"line": row.line, **row.values} for row in self.rows]


# --- validation -------------------------------------------------------------------------------


def rows_validate(*, records: list[dict], actor: User) -> LeadImportPreview:
    """Check every row as ``lead_ingest`` would (mobile, channel, store and the
    actor's scope) and mark duplicates within the file and mobiles with an
    open lead as merges.  Reads only; the service re-checks at commit."""
    channels = {c.code: c for c in Channel.objects.filter(is_active=True)}
    stores = {s.code: s for s in Store.objects.filter(is_active=True)}
    allowed = store_ids_for(actor)
    default_store = actor.store if actor.store_id and not actor.is_group_wide else None
    rows: list[LeadImportRow] = []
    first_line: dict[str, int] = {}
    for record in records:
        row = LeadImportRow.from_record(record, sheet=SHEET)
        values = row.values
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
    return LeadImportPreview(rows=rows)


def leads_validate_chunk(*, records: list[dict], actor: User, state: dict) -> LeadImportPreview:
    """``rows_validate`` for one chunk of a file, plus a mobile already met in
    an earlier chunk (a merge, like a duplicate within the chunk).  ``state``
    carries the first line of each mobile over the file."""
    preview = rows_validate(records=records, actor=actor)
    seen: dict[str, int] = state.setdefault("mobiles", {})
    first_line = preview.rows[0].line if preview.rows else 0
    for row in preview.rows:
        if not row.mobile:
            continue
        earlier = seen.setdefault(row.mobile, row.line)
        if earlier < first_line:
            row.notices = [str(DUPLICATE_IN_FILE % {"line": earlier})]
    return preview

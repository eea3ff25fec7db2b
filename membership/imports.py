"""DMS transaction files (CSV or Excel): the file layout, per-row validation
and the commit.

An import is a job of the worker (``accounts.import_jobs``, kind
``membership.transactions``, registered in ``MembershipConfig.ready``): the
preview checks the first rows, then the worker checks every row
(``transactions_validate_chunk``: ``rows_validate`` plus references repeated
across chunks) and, if none has an error, commits chunk by chunk
(``transactions_commit_chunk``: the same checks of each row and of the
references already imported, as scope or data may have changed, then
``membership.services.transactions_bulk.transactions_record_bulk``).  A
reference that is already imported, or repeated in the file with the same
values, is shown as "already imported, skipped": re-importing a file adds
nothing.  ``transactions_import`` does the same for a list of records in one
transaction (all rows or none).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy

from accounts.audit import audit_record
from accounts.import_jobs import ImportKind
from accounts.imports import ImportPreview, ImportRow, ImportSheet
from accounts.bulk import KeysIn
from accounts.models import Member, Store, User
from accounts.scoping import store_ids_for
from accounts.validators import normalize_mobile
from membership.exceptions import MembershipError
from membership.models import Transaction
from membership.services import transactions as txn_services
from membership.services.transactions_bulk import transactions_record_bulk

COLUMNS = ("mobile", "store_code", "occurred_at", "kind", "amount", "reference")
MAX_LENGTHS = {"mobile": 32, "store_code": 16, "occurred_at": 32, "kind": 32, "amount": 32, "reference": 80}
HEADER_ALIASES = {
    "mobile": "mobile", "手机号": "mobile", "手机": "mobile", "手机号码": "mobile", "电话": "mobile",
    "store_code": "store_code", "store": "store_code", "门店": "store_code", "门店代码": "store_code",
    "occurred_at": "occurred_at", "date": "occurred_at", "时间": "occurred_at", "日期": "occurred_at",
    "发生时间": "occurred_at", "业务时间": "occurred_at", "消费时间": "occurred_at",
    "kind": "kind", "type": "kind", "类型": "kind", "业务类型": "kind",
    "amount": "amount", "金额": "amount", "消费金额": "amount", "金额（元）": "amount", "金额(元)": "amount",
    "reference": "reference", "ref": "reference", "单据号": "reference", "单号": "reference", "工单号": "reference",
    "订单号": "reference",
}
# Chinese kind names the DMS exports use, besides the codes themselves.
KIND_ALIASES = {
    "维保": "service", "保养": "service", "维修": "service", "维保工单": "service", "售后": "service",
    "配件": "parts", "保险": "insurance", "续保": "insurance", "购车": "car_purchase", "新车": "car_purchase",
    "商城": "mall", "商城订单": "mall", "核销券": "coupon", "核销": "coupon", "试驾": "test_drive",
    "到店": "checkin", "到店签到": "checkin", "签到": "checkin",
}
DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y/%m/%d %H:%M:%S",
                "%Y/%m/%d %H:%M", "%Y-%m-%d", "%Y/%m/%d", "%Y%m%d")

NO_COLUMNS = gettext_lazy("缺少必需的列：%(columns)s。")
STORE_REQUIRED = gettext_lazy("请填写门店代码。")
MOBILE_REQUIRED = gettext_lazy("请填写手机号。")
DUPLICATE_IN_FILE = gettext_lazy("与第 %(line)s 行单据号相同，已跳过。")
DUPLICATE_DIFFERS = gettext_lazy("与第 %(line)s 行单据号相同但内容不同。")
ALREADY_IMPORTED = gettext_lazy("已导入，跳过。")
NEW_MEMBER = gettext_lazy("新会员，将归属该门店（未授权营销）。")
HELD = gettext_lazy("金额超过审核线：导入后待店总或集团审核，批准前不累积积分和成长值。")
IMPORT_REFUSED = gettext_lazy("文件中有 %(count)s 行存在错误，未导入任何记录。请修改后重新上传。")

SHEET = ImportSheet(
    columns=COLUMNS, max_lengths=MAX_LENGTHS, aliases=HEADER_ALIASES,
    required=tuple(c for c in COLUMNS if c != "store_code"),  # store staff may leave the store out
    missing_message=NO_COLUMNS,
)
parse_csv = SHEET.parse_csv  # CSV bytes → records, as an upload would give them


@dataclass
class TransactionImportRow(ImportRow):
    skip: bool = False  # already imported / repeated in the file
    held: bool = False  # above the review threshold: recorded held (transaction_policy)
    mobile: str = ""
    reference: str = ""  # cleaned (clean_reference)
    store: Store | None = None
    occurred_at: dt.datetime | None = None
    kind: str = ""
    amount: object = None


@dataclass
class TransactionImportPreview(ImportPreview):
    @property
    def skip_count(self) -> int:
        return sum(1 for row in self.rows if row.ok and row.skip)

    @property
    def new_count(self) -> int:
        return sum(1 for row in self.rows if row.ok and not row.skip)

    @property
    def held_count(self) -> int:
        return sum(1 for row in self.rows if row.ok and not row.skip and row.held)


# --- parsing ----------------------------------------------------------------------------------


def parse_occurred_at(value: str, *, tz=None) -> dt.datetime | None:
    """A DMS time as an aware datetime (naive ones in ``tz``, default the
    current time zone), or None."""
    tz = tz or timezone.get_current_timezone()
    text = (value or "").strip()
    if text.endswith(".0"):
        text = text[:-2]
    try:  # ISO 8601, most DMS exports (fast); what it reads, the formats below read the same
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        pass
    else:
        return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, tz)
    for fmt in DATE_FORMATS:
        try:
            parsed = dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
        return timezone.make_aware(parsed, tz)
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, tz)


# --- validation -------------------------------------------------------------------------------


def _check_rows(*, records: list[dict], actor: User) -> tuple[list[TransactionImportRow], dict]:
    """Every row's fields and the posting policy, as ``transaction_record``
    checks them, and references repeated in these records.  Returns the rows
    and the first row of each reference.  Reads the stores and the policy's
    limits once."""
    stores = {s.code.upper(): s for s in Store.objects.filter(is_active=True)}
    policy = txn_services.transaction_policy_context(actor=actor)
    default_store = actor.store if actor.store_id and not actor.is_group_wide else None
    tz = timezone.get_current_timezone()
    now = timezone.now()
    held_notice = str(HELD)
    kinds: dict[str, tuple[str, str]] = {}  # a file has a handful of kinds: each is checked once
    rows: list[TransactionImportRow] = []
    first: dict[str, TransactionImportRow] = {}
    for record in records:
        row = TransactionImportRow.from_record(record, sheet=SHEET)
        values = row.values
        if not values["mobile"]:
            row.errors.append(str(MOBILE_REQUIRED))
        else:
            try:
                row.mobile = normalize_mobile(values["mobile"])
            except ValidationError as exc:
                row.errors.extend(str(m) for m in exc.messages)
        code = values["store_code"].upper()
        store = stores.get(code) if code else default_store
        if not code and store is None:
            row.errors.append(str(STORE_REQUIRED))
        elif store is None:
            row.errors.append(str(txn_services.STORE_NOT_ALLOWED))
        raw_kind = values["kind"]
        if raw_kind not in kinds:
            try:
                kinds[raw_kind] = (txn_services.clean_kind(KIND_ALIASES.get(raw_kind, raw_kind.lower())), "")
            except MembershipError as exc:
                kinds[raw_kind] = ("", str(exc.message))
        row.kind, kind_error = kinds[raw_kind]
        if kind_error:
            row.errors.append(kind_error)
        try:
            row.amount = txn_services.clean_amount(values["amount"])
        except MembershipError as exc:
            row.errors.append(str(exc.message))
        if store is not None and row.kind and row.amount is not None:
            try:
                row.held = txn_services.transaction_policy(actor=actor, store=store, kind=row.kind, amount=row.amount,
                                                           context=policy)
            except MembershipError as exc:
                row.errors.append(str(exc.message))
            else:
                row.store = store
                if row.held:
                    row.notices.append(held_notice)
        occurred_at = parse_occurred_at(values["occurred_at"], tz=tz)
        if occurred_at is None:
            row.errors.append(str(txn_services.OCCURRED_AT_INVALID))
        else:
            try:
                row.occurred_at = txn_services.clean_occurred_at(occurred_at, now=now)
            except MembershipError as exc:
                row.errors.append(str(exc.message))
        try:
            row.reference = txn_services.clean_reference(values["reference"])
        except MembershipError as exc:
            row.errors.append(str(exc.message))
        if row.reference:
            earlier = first.get(row.reference)
            if earlier is None:
                first[row.reference] = row
            elif earlier.values == values:
                row.skip = True
                row.notices.append(str(DUPLICATE_IN_FILE % {"line": earlier.line}))
            else:
                row.errors.append(str(DUPLICATE_DIFFERS % {"line": earlier.line}))
        rows.append(row)
    return rows, first


def _check_references(first: dict[str, TransactionImportRow], *, actor: User) -> None:
    """A reference already recorded is skipped ("already imported"), or an
    error when it is another store's (the actor may not see it)."""
    allowed = store_ids_for(actor)
    existing = Transaction.objects.filter(KeysIn(F("reference"), list(first))).order_by()
    already = str(ALREADY_IMPORTED)
    for reference, store_id in existing.values_list("reference", "store_id"):
        row = first.get(reference)
        if row is None:  # a database comparing references more loosely than Python
            continue
        if allowed is not None and store_id not in allowed:
            row.errors.append(str(txn_services.REFERENCE_TAKEN))
        else:
            row.skip = True
            row.notices.append(already)


def rows_validate(*, records: list[dict], actor: User) -> TransactionImportPreview:
    """Check every row as ``transaction_record`` would (the rule itself is
    ``transaction_policy``: who, which stores, ceilings, holds), mark the
    references already imported, and say which mobiles become new members.
    Reads only."""
    rows, first = _check_rows(records=records, actor=actor)
    _check_references(first, actor=actor)
    new_mobiles = {row.mobile for row in rows if row.ok and not row.skip and row.mobile}
    known = set(Member.objects.filter(KeysIn(F("mobile"), list(new_mobiles))).order_by()
                .values_list("mobile", flat=True))
    announced = set()
    new_member = str(NEW_MEMBER)
    for row in rows:
        if row.ok and not row.skip and row.mobile and row.mobile not in known and row.mobile not in announced:
            announced.add(row.mobile)
            row.notices.append(new_member)
    return TransactionImportPreview(rows=rows)


# --- the import job -------------------------------------------------------------------------


def _fingerprint(values: dict) -> int:
    return hash(tuple(sorted(values.items())))


def transactions_validate_chunk(*, records: list[dict], actor: User, state: dict) -> TransactionImportPreview:
    """``rows_validate`` for one chunk of a file, plus what one chunk cannot
    see: a reference repeated in an earlier chunk (the same values: skipped;
    other values: an error).  ``state`` carries the references over the file."""
    preview = rows_validate(records=records, actor=actor)
    seen: dict[str, tuple[int, int]] = state.setdefault("references", {})
    first_line = preview.rows[0].line if preview.rows else 0
    for row in preview.rows:
        reference = row.values["reference"].strip()
        if not reference:
            continue
        earlier = seen.get(reference)
        if earlier is None:
            seen[reference] = (row.line, _fingerprint(row.values))
        elif earlier[0] < first_line:  # in this chunk rows_validate has compared them
            if earlier[1] != _fingerprint(row.values):
                row.errors.append(str(DUPLICATE_DIFFERS % {"line": earlier[0]}))
            elif not row.skip:
                row.skip = True
                row.notices = [str(DUPLICATE_IN_FILE % {"line": earlier[0]})]
    return preview


def _refused(preview: TransactionImportPreview) -> MembershipError | None:
    bad = {str(row.line): row.errors for row in preview.rows if not row.ok}
    if bad or not preview.rows:
        return MembershipError(IMPORT_REFUSED % {"count": len(bad)}, code="invalid", fields={"rows": bad})
    return None


def transactions_commit_chunk(*, records: list[dict], actor: User) -> dict:
    """Check one chunk again (scope or data may have changed since the
    validation: ``rows_validate`` without the notices of new members, which
    the writer finds itself) and record it in bulk; the caller holds the
    transaction."""
    rows, first = _check_rows(records=records, actor=actor)
    _check_references(first, actor=actor)
    preview = TransactionImportPreview(rows=rows)
    refusal = _refused(preview)
    if refusal is not None:
        raise refusal
    result = transactions_record_bulk(rows=preview.rows, actor=actor, source="import")
    return {"created": result.created, "skipped": result.skipped, "new_members": result.new_members}


IMPORT_KIND = ImportKind(
    code="membership.transactions",
    label=gettext_lazy("导入到店与消费"),
    sheet=SHEET,
    validate=transactions_validate_chunk,
    commit=transactions_commit_chunk,
    page="portal:membership:transaction-import",
    audit_action="membership.transaction.imported",
    counters=(("created", gettext_lazy("新增记录")), ("skipped", gettext_lazy("已导入，跳过")),
              ("new_members", gettext_lazy("新建会员"))),
    retry_hint=gettext_lazy("修改后重新上传整个文件即可：已导入的单据会自动跳过。"),
    # Set-based: a fixed number of statements per chunk, so large chunks.  A chunk's transaction holds its
    # members' cards (about a second and a half for 10,000 rows); a spend at the counter waits that long.
    commit_rows=10_000,
)


# --- commit of a list of records (one transaction) -----------------------------------------


@dataclass
class ImportResult:
    created: int = 0
    skipped: int = 0
    new_members: int = 0


def transactions_import(*, records: list[dict], actor: User) -> ImportResult:
    """Record every row of a checked list of records in one transaction, or
    none (the bulk writer of the import job, for one chunk).  Rows are checked
    again first (scope or data may have changed since preview)."""
    preview = rows_validate(records=records, actor=actor)
    refusal = _refused(preview)
    if refusal is not None:
        raise refusal
    with transaction.atomic():
        bulk = transactions_record_bulk(rows=preview.rows, actor=actor, source="import")
        result = ImportResult(created=bulk.created, skipped=bulk.skipped, new_members=bulk.new_members)
        audit_record(actor=actor, action="membership.transaction.imported", store=actor.store,
                     data={"rows": len(preview.rows), "created": result.created, "skipped": result.skipped,
                           "new_members": result.new_members})
    return result

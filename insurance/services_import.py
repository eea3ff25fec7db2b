"""Policy import (保单导入): an insurer's spreadsheet of policies through the
one spreadsheet import (``accounts.imports`` reads the file,
``accounts.import_jobs`` previews, checks every row, then commits; kind
``insurance.policies``, registered in ``InsuranceConfig.ready``), and the
linking of unmatched policies to a vehicle.

A row is one policy: insurer (code, name or short name), policy number,
kind (交强险/商业险), plate and/or VIN, start and end dates, premium, the
store (its code; a store's staff may leave it out: their store), and
optionally the coverages (商业险: ``车损险:3200;三者险:1000000:850`` —
险种 code or name, optional sum insured, premium), the specialist (username
or name of a staff member of that store) and the policy year's at-fault
claims.

- **Matching.**  The vehicle is looked up by VIN, then by plate (accounts'
  normalisers), among the vehicles the importer may see.  A row that matches
  none is imported with ``vehicle`` empty and listed on the portal page
  待匹配保单 (``policies_unmatched_for_staff``), where staff link it
  (``policy_link_vehicle``).
- **Idempotent.**  The same insurer and number updates the policy on file,
  never a second one (the unique constraint backs it): its dates, premium,
  store, specialist and claims follow the file, and its coverages when the
  row lists some; a vehicle linked by staff stays when the row matches none.  The same policy twice in one
  file: the same values are skipped, other values are an error.  A policy
  number of a store the importer does not see is an error (it is not
  revealed which).
- **Nothing half-imported.**  The job checks every row first; one bad row
  and nothing is imported.  Each chunk is checked again at commit, in its
  transaction; a job stopped half-way is finished by uploading the whole file
  again (rows on file are updated, not duplicated).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy

from accounts.audit import audit_record
from accounts.import_jobs import ImportKind
from accounts.imports import ImportPreview, ImportRow, ImportSheet
from accounts.models import STAFF_ROLES, Store, User, Vehicle
from accounts.scoping import scope, store_ids_for
from accounts.validators import clean_vin, normalize_plate, normalize_vin, validate_plate
from insurance.exceptions import InsuranceError
from insurance.models import Coverage, Insurer, Policy, PolicyCoverage, PolicyKind, PolicySource, PolicyStatus

COLUMNS = ("insurer", "number", "kind", "plate", "vin", "start_date", "end_date", "premium", "coverages",
           "store_code", "specialist", "at_fault_claims")
MAX_LENGTHS = {"insurer": 64, "number": 64, "kind": 16, "plate": 16, "vin": 32, "start_date": 32, "end_date": 32,
               "premium": 32, "coverages": 1000, "store_code": 16, "specialist": 64, "at_fault_claims": 8}
HEADER_ALIASES = {
    "insurer": "insurer", "保险公司": "insurer", "承保公司": "insurer", "保险公司代码": "insurer",
    "number": "number", "policy_number": "number", "保单号": "number", "保单号码": "number",
    "kind": "kind", "险别": "kind", "险种类别": "kind", "险类": "kind",
    "plate": "plate", "车牌": "plate", "车牌号": "plate", "号牌号码": "plate",
    "vin": "vin", "车架号": "vin", "车辆识别代号": "vin", "vin码": "vin",
    "start_date": "start_date", "start": "start_date", "起保日期": "start_date", "保险起期": "start_date",
    "end_date": "end_date", "end": "end_date", "终保日期": "end_date", "保险止期": "end_date", "到期日期": "end_date",
    "premium": "premium", "保费": "premium", "保费合计": "premium", "保费（元）": "premium", "保费(元)": "premium",
    "coverages": "coverages", "险种": "coverages", "险种明细": "coverages", "承保险种": "coverages",
    "store_code": "store_code", "store": "store_code", "门店": "store_code", "门店代码": "store_code",
    "specialist": "specialist", "续保专员": "specialist", "专员": "specialist",
    "at_fault_claims": "at_fault_claims", "claims": "at_fault_claims", "出险次数": "at_fault_claims",
    "有责出险次数": "at_fault_claims", "有责赔案次数": "at_fault_claims",
}
KIND_ALIASES = {
    "交强险": PolicyKind.COMPULSORY, "交强": PolicyKind.COMPULSORY, "compulsory": PolicyKind.COMPULSORY,
    "商业险": PolicyKind.COMMERCIAL, "商业": PolicyKind.COMMERCIAL, "commercial": PolicyKind.COMMERCIAL,
}
# What insurers' sheets call the coverages, besides their codes and full names.
COVERAGE_ALIASES = {
    "车损险": "vehicle_damage", "车损": "vehicle_damage", "三者险": "third_party", "三者": "third_party",
    "司机险": "driver_seat", "司机座位险": "driver_seat", "乘客险": "passenger_seat", "乘客座位险": "passenger_seat",
    "医保外": "medical_beyond_nhi", "道路救援": "roadside_assistance", "车轮险": "wheel_damage",
}
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")
MAX_PREMIUM = Decimal("9999999999.99")
MAX_CLAIMS = 99

NO_COLUMNS = gettext_lazy("缺少必需的列：%(columns)s。")
INSURER_REQUIRED = gettext_lazy("请填写保险公司。")
INSURER_UNKNOWN = gettext_lazy("没有这家保险公司：%(value)s。")
NUMBER_REQUIRED = gettext_lazy("请填写保单号。")
KIND_INVALID = gettext_lazy("险别应为“交强险”或“商业险”。")
PLATE_OR_VIN = gettext_lazy("请填写车牌号或车架号。")
PLATE_INVALID = gettext_lazy("车牌号格式不正确。")
DATE_INVALID = gettext_lazy("%(field)s应为日期，如 2026-01-31。")
DATES_ORDER = gettext_lazy("终保日期应晚于起保日期。")
PREMIUM_INVALID = gettext_lazy("保费应为不小于 0 的金额。")
CLAIMS_INVALID = gettext_lazy("出险次数应为 0–99 的整数。")
STORE_REQUIRED = gettext_lazy("请填写门店代码。")
STORE_UNKNOWN = gettext_lazy("没有这个门店：%(value)s。")
STORE_NOT_ALLOWED = gettext_lazy("无权导入该门店的保单。")
SPECIALIST_UNKNOWN = gettext_lazy("该门店没有这位员工：%(value)s。")
SPECIALIST_AMBIGUOUS = gettext_lazy("该门店有多位员工叫 %(value)s，请填写用户名。")
COVERAGE_INVALID = gettext_lazy("险种明细“%(item)s”应写作“险种:保费”或“险种:保额:保费”。")
COVERAGE_UNKNOWN = gettext_lazy("未知的险种：%(value)s。")
COVERAGE_TWICE = gettext_lazy("同一险种只能出现一次：%(value)s。")
COVERAGE_COMPULSORY = gettext_lazy("交强险没有险种明细。")
NUMBER_TAKEN = gettext_lazy("该保险公司的这个保单号已由其他门店登记。")
DUPLICATE_IN_FILE = gettext_lazy("与第 %(line)s 行是同一保单，已跳过。")
DUPLICATE_DIFFERS = gettext_lazy("与第 %(line)s 行保单号相同但内容不同。")
WILL_UPDATE = gettext_lazy("已有该保单，将更新。")
MATCHED_VIN = gettext_lazy("按车架号匹配到车辆 %(vehicle)s。")
MATCHED_PLATE = gettext_lazy("按车牌号匹配到车辆 %(vehicle)s。")
UNMATCHED = gettext_lazy("未匹配到车辆：导入后列入“待匹配保单”。")
IMPORT_REFUSED = gettext_lazy("文件中有 %(count)s 行存在错误，未导入任何保单。请修改后重新上传。")

FIELD_NAMES = {"start_date": gettext_lazy("起保日期"), "end_date": gettext_lazy("终保日期")}

SHEET = ImportSheet(
    columns=COLUMNS, max_lengths=MAX_LENGTHS, aliases=HEADER_ALIASES,
    required=("insurer", "number", "kind", "start_date", "end_date", "premium"),
    missing_message=NO_COLUMNS,
)
parse_csv = SHEET.parse_csv  # CSV bytes → records, as an upload would give them

_COVERAGE_SPLIT = re.compile(r"[;；\n]+")
_COVERAGE_PARTS = re.compile(r"[:：]")


@dataclass
class PolicyImportRow(ImportRow):
    skip: bool = False  # the same policy earlier in the file
    insurer: Insurer | None = None
    number: str = ""
    kind: str = ""
    plate: str = ""
    vin: str = ""
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    premium: Decimal | None = None
    store: Store | None = None
    specialist: User | None = None
    at_fault_claims: int = 0
    coverages: list[tuple[Coverage, Decimal | None, Decimal]] = field(default_factory=list)
    vehicle: Vehicle | None = None
    existing: Policy | None = None

    @property
    def key(self) -> tuple[int, str] | None:
        return (self.insurer.pk, self.number) if self.insurer is not None and self.number else None


@dataclass
class PolicyImportPreview(ImportPreview):
    @property
    def new_count(self) -> int:
        return sum(1 for row in self.rows if row.ok and not row.skip and row.existing is None)

    @property
    def update_count(self) -> int:
        return sum(1 for row in self.rows if row.ok and not row.skip and row.existing is not None)

    @property
    def unmatched_count(self) -> int:
        return sum(1 for row in self.rows if row.ok and not row.skip and row.vehicle is None)


# --- parsing ------------------------------------------------------------------------------------


def parse_date(value: str) -> dt.date | None:
    """A date cell: ISO (an Excel date reads as ``2026-01-31 00:00:00``), or one of ``DATE_FORMATS``."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        pass
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def parse_amount(value: str) -> Decimal | None:
    text = (value or "").replace(",", "").replace("，", "").replace("¥", "").replace("￥", "").strip()
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount < 0 or amount > MAX_PREMIUM:
        return None
    return amount.quantize(Decimal("0.01"))


class _Lookups:
    """What a chunk's rows refer to, read once per chunk."""

    def __init__(self, actor: User):
        self.allowed = store_ids_for(actor)
        self.default_store = actor.store if actor.store_id and not actor.is_group_wide else None
        self.insurers: dict[str, Insurer] = {}
        for insurer in Insurer.objects.all():
            for name in (insurer.code, insurer.name, insurer.short_name):
                if name:
                    self.insurers.setdefault(name.lower(), insurer)
        self.stores = {s.code.upper(): s for s in Store.objects.filter(is_active=True)}
        self.coverages: dict[str, Coverage] = {}
        for coverage in Coverage.objects.all():
            self.coverages.setdefault(coverage.code.lower(), coverage)
            self.coverages.setdefault(coverage.name.lower(), coverage)
        by_code = {c.code: c for c in self.coverages.values()}
        for alias, code in COVERAGE_ALIASES.items():
            if code in by_code:
                self.coverages.setdefault(alias, by_code[code])
        self._staff: dict[int, tuple[dict, dict]] = {}

    def staff_of(self, store: Store) -> tuple[dict[str, User], dict[str, list[User]]]:
        if store.pk not in self._staff:
            by_username, by_name = {}, {}
            for user in User.objects.filter(store=store, role__in=STAFF_ROLES, is_active=True):
                by_username[user.username.lower()] = user
                full = f"{user.last_name}{user.first_name}".strip()
                if full:
                    by_name.setdefault(full, []).append(user)
            self._staff[store.pk] = (by_username, by_name)
        return self._staff[store.pk]


def _check_coverages(row: PolicyImportRow, text: str, lookups: _Lookups) -> None:
    seen = set()
    for item in filter(None, (part.strip() for part in _COVERAGE_SPLIT.split(text))):
        parts = [p.strip() for p in _COVERAGE_PARTS.split(item)]
        if len(parts) not in (2, 3) or not parts[0]:
            row.errors.append(str(COVERAGE_INVALID % {"item": item}))
            continue
        coverage = lookups.coverages.get(parts[0].lower())
        if coverage is None:
            row.errors.append(str(COVERAGE_UNKNOWN % {"value": parts[0]}))
            continue
        if coverage.pk in seen:
            row.errors.append(str(COVERAGE_TWICE % {"value": parts[0]}))
            continue
        seen.add(coverage.pk)
        premium = parse_amount(parts[-1])
        sum_insured = parse_amount(parts[1]) if len(parts) == 3 else None
        if premium is None or (len(parts) == 3 and sum_insured is None):
            row.errors.append(str(COVERAGE_INVALID % {"item": item}))
            continue
        row.coverages.append((coverage, sum_insured, premium))


def _check_row(record: dict, lookups: _Lookups) -> PolicyImportRow:
    row = PolicyImportRow.from_record(record, sheet=SHEET)
    values = row.values
    if not values["insurer"]:
        row.errors.append(str(INSURER_REQUIRED))
    else:
        row.insurer = lookups.insurers.get(values["insurer"].lower())
        if row.insurer is None:
            row.errors.append(str(INSURER_UNKNOWN % {"value": values["insurer"]}))
    row.number = values["number"].replace(" ", "").upper()
    if not row.number:
        row.errors.append(str(NUMBER_REQUIRED))
    row.kind = KIND_ALIASES.get(values["kind"].lower(), "")
    if not row.kind:
        row.errors.append(str(KIND_INVALID))
    row.plate, vin = normalize_plate(values["plate"]), normalize_vin(values["vin"])
    if not row.plate and not vin:
        row.errors.append(str(PLATE_OR_VIN))
    if row.plate:
        try:
            validate_plate(row.plate)
        except ValidationError:
            row.errors.append(str(PLATE_INVALID))
    if vin:
        try:
            row.vin = clean_vin(vin)
        except ValidationError as exc:
            row.errors.extend(str(m) for m in exc.messages)
    for name in ("start_date", "end_date"):
        parsed = parse_date(values[name])
        if parsed is None:
            row.errors.append(str(DATE_INVALID % {"field": FIELD_NAMES[name]}))
        setattr(row, name, parsed)
    if row.start_date and row.end_date and row.end_date <= row.start_date:
        row.errors.append(str(DATES_ORDER))
    row.premium = parse_amount(values["premium"])
    if row.premium is None:
        row.errors.append(str(PREMIUM_INVALID))
    claims = values["at_fault_claims"]
    if claims:
        if claims.endswith(".0"):
            claims = claims[:-2]
        if not claims.isascii() or not claims.isdigit() or int(claims) > MAX_CLAIMS:
            row.errors.append(str(CLAIMS_INVALID))
        else:
            row.at_fault_claims = int(claims)
    code = values["store_code"].upper()
    store = lookups.stores.get(code) if code else lookups.default_store
    if not code and store is None:
        row.errors.append(str(STORE_REQUIRED))
    elif store is None:
        row.errors.append(str(STORE_UNKNOWN % {"value": values["store_code"]}))
    elif lookups.allowed is not None and store.pk not in lookups.allowed:
        row.errors.append(str(STORE_NOT_ALLOWED))
    else:
        row.store = store
    if row.store is not None and values["specialist"]:
        by_username, by_name = lookups.staff_of(row.store)
        name = values["specialist"]
        named = by_name.get(name, [])
        row.specialist = by_username.get(name.lower()) or (named[0] if len(named) == 1 else None)
        if row.specialist is None:
            message = SPECIALIST_AMBIGUOUS if len(named) > 1 else SPECIALIST_UNKNOWN
            row.errors.append(str(message % {"value": name}))
    if values["coverages"]:
        if row.kind == PolicyKind.COMPULSORY:
            row.errors.append(str(COVERAGE_COMPULSORY))
        else:
            _check_coverages(row, values["coverages"], lookups)
    return row


def _match_vehicles(rows: list[PolicyImportRow], actor: User) -> None:
    """Each row's vehicle: by VIN, then by plate, among the vehicles the actor sees (two queries)."""
    visible = scope(Vehicle.objects.select_related("member").order_by(), actor, store_field="member__store")
    vins = {row.vin for row in rows if row.vin}
    plates = {row.plate for row in rows if row.plate}
    by_vin = {v.vin: v for v in visible.filter(vin__in=sorted(vins))} if vins else {}
    by_plate = {v.plate: v for v in visible.filter(plate__in=sorted(plates))} if plates else {}
    for row in rows:
        if row.vin and row.vin in by_vin:
            row.vehicle = by_vin[row.vin]
        elif row.plate and row.plate in by_plate:
            row.vehicle = by_plate[row.plate]


def _check_existing(rows: list[PolicyImportRow], actor: User) -> None:
    """A policy on file with the same insurer and number: updated (when the actor sees its store)."""
    keys = {row.key for row in rows if row.key}
    if not keys:
        return
    # Both lists: the unique index (insurer, number) answers them; the pairs are picked out below.
    insurers, numbers = sorted({i for i, _n in keys}), sorted({n for _i, n in keys})
    candidates = Policy.objects.filter(insurer_id__in=insurers, number__in=numbers).order_by()
    existing = {(p.insurer_id, p.number): p for p in candidates if (p.insurer_id, p.number) in keys}
    allowed = store_ids_for(actor)
    for row in rows:
        policy = existing.get(row.key) if row.key else None
        if policy is None:
            continue
        if allowed is not None and policy.store_id not in allowed:
            row.errors.append(str(NUMBER_TAKEN))
        else:
            row.existing = policy


def _fingerprint(values: dict) -> int:
    return hash(tuple(sorted(values.items())))


def rows_validate(*, records: list[dict], actor: User, seen: dict | None = None) -> PolicyImportPreview:
    """Check every row (reads only): its fields, the store in the actor's scope,
    the policy on file, the vehicle it matches, and the same policy twice
    (``seen`` carries ``{key: (line, fingerprint)}`` across chunks)."""
    lookups = _Lookups(actor)
    rows = [_check_row(record, lookups) for record in records]
    seen = {} if seen is None else seen
    for row in rows:
        if row.key is None:
            continue
        earlier = seen.get(row.key)
        if earlier is None:
            seen[row.key] = (row.line, _fingerprint(row.values))
        elif earlier[1] == _fingerprint(row.values):
            row.skip = True
            row.notices.append(str(DUPLICATE_IN_FILE % {"line": earlier[0]}))
        else:
            row.errors.append(str(DUPLICATE_DIFFERS % {"line": earlier[0]}))
    _check_existing(rows, actor)
    _match_vehicles(rows, actor)
    for row in rows:
        if not row.ok or row.skip:
            continue
        if row.existing is not None:
            row.notices.append(str(WILL_UPDATE))
        if row.vehicle is None:
            row.notices.append(str(UNMATCHED))
        else:
            label = row.vehicle.plate or row.vehicle.vin
            matched = MATCHED_VIN if row.vin and row.vehicle.vin == row.vin else MATCHED_PLATE
            row.notices.append(str(matched % {"vehicle": label}))
    return PolicyImportPreview(rows=rows)


def policies_validate_chunk(*, records: list[dict], actor: User, state: dict) -> PolicyImportPreview:
    """``rows_validate`` for one chunk of a file; ``state`` carries the policies met so far."""
    return rows_validate(records=records, actor=actor, seen=state.setdefault("policies", {}))


# --- the commit ---------------------------------------------------------------------------------


def _checked(records: list[dict], actor: User) -> PolicyImportPreview:
    preview = rows_validate(records=records, actor=actor)
    bad = {str(row.line): row.errors for row in preview.rows if not row.ok}
    if bad or not preview.rows:
        raise InsuranceError(IMPORT_REFUSED % {"count": len(bad)}, code="invalid", fields={"rows": bad})
    return preview


_UPDATED_FIELDS = ["plate", "vin", "kind", "start_date", "end_date", "premium", "store", "specialist",
                   "at_fault_claims", "vehicle", "updated_at"]


def _write(preview: PolicyImportPreview) -> dict:
    """Create the new policies and update those on file, in bulk; replace the
    coverages of the rows that list some.  The caller holds the transaction."""
    rows = [row for row in preview.rows if not row.skip]
    now = timezone.now()
    new, changed = [], []
    for row in rows:
        policy = row.existing or Policy(insurer=row.insurer, number=row.number, source=PolicySource.IMPORTED,
                                        status=PolicyStatus.ACTIVE)
        policy.plate, policy.vin, policy.kind = row.plate, row.vin, row.kind
        policy.start_date, policy.end_date, policy.premium = row.start_date, row.end_date, row.premium
        policy.store, policy.specialist, policy.at_fault_claims = row.store, row.specialist, row.at_fault_claims
        if row.vehicle is not None:
            policy.vehicle = row.vehicle
        if row.existing is None:
            new.append(policy)
        else:
            policy.updated_at = now  # bulk_update does not apply auto_now
            changed.append(policy)
        row.existing = policy
    Policy.objects.bulk_create(new, batch_size=500)
    if changed:
        Policy.objects.bulk_update(changed, _UPDATED_FIELDS, batch_size=500)
    # A row listing coverages replaces those on file; a row without leaves them.
    listed = [row for row in rows if row.coverages]
    if listed:
        PolicyCoverage.objects.filter(policy__in=[row.existing.pk for row in listed]).delete()
        PolicyCoverage.objects.bulk_create([
            PolicyCoverage(policy=row.existing, coverage=coverage, sum_insured=sum_insured, premium=premium)
            for row in listed for coverage, sum_insured, premium in row.coverages
        ], batch_size=500)
    return {"created": len(new), "updated": len(changed), "skipped": len(preview.rows) - len(rows),
            "unmatched": sum(1 for row in rows if row.existing.vehicle_id is None)}


def policies_commit_chunk(*, records: list[dict], actor: User) -> dict:
    """One chunk of the import job: checked again (scope, insurers, vehicles
    or the policies on file may have changed), then written in bulk; the job
    holds the transaction."""
    return _write(_checked(records, actor))


def policies_import(*, records: list[dict], actor: User) -> dict:
    """Import a list of records in one transaction, or nothing (``InsuranceError`` naming the rows)."""
    preview = _checked(records, actor)
    with transaction.atomic():
        counts = _write(preview)
        audit_record(actor=actor, action="insurance.policy.imported", store=actor.store,
                     data={"rows": len(preview.rows), **counts})
    return counts


IMPORT_KIND = ImportKind(
    code="insurance.policies",
    label=gettext_lazy("保单导入"),
    sheet=SHEET,
    validate=policies_validate_chunk,
    commit=policies_commit_chunk,
    page="portal:insurance:policy-import",
    audit_action="insurance.policy.imported",
    counters=(("created", gettext_lazy("新增保单")), ("updated", gettext_lazy("更新保单")),
              ("skipped", gettext_lazy("重复行，跳过")), ("unmatched", gettext_lazy("待匹配车辆"))),
    retry_hint=gettext_lazy("修改后重新上传整个文件即可：已导入的保单会被更新，不会重复。"),
    commit_rows=2000,
)


# --- unmatched policies: staff link them to a vehicle -------------------------------------------

VEHICLE_NOT_FOUND = gettext_lazy("没有找到该车牌号或车架号的车辆。")
VEHICLE_REQUIRED = gettext_lazy("请填写车牌号或车架号。")


def vehicle_find_for_staff(*, actor: User, plate_or_vin: str) -> Vehicle:
    """The vehicle with this VIN or plate among those ``actor`` sees, else ``InsuranceError``."""
    text = (plate_or_vin or "").strip()
    if not text:
        raise InsuranceError(VEHICLE_REQUIRED, code="required", fields={"vehicle": [VEHICLE_REQUIRED]})
    visible = scope(Vehicle.objects.select_related("member"), actor, store_field="member__store")
    vehicle = visible.filter(Q(vin=normalize_vin(text)) | Q(plate=normalize_plate(text))).order_by("pk").first()
    if vehicle is None:
        raise InsuranceError(VEHICLE_NOT_FOUND, code="not_found", fields={"vehicle": [VEHICLE_NOT_FOUND]})
    return vehicle


def policy_link_vehicle(*, actor: User, policy: Policy, plate_or_vin: str) -> Policy:
    """Link a policy (already fetched through the actor's scope) to a vehicle
    the actor sees; the policy's plate and VIN are filled from the vehicle
    where the file left them empty.  Audited."""
    vehicle = vehicle_find_for_staff(actor=actor, plate_or_vin=plate_or_vin)
    with transaction.atomic():
        policy.vehicle = vehicle
        policy.plate = policy.plate or vehicle.plate or ""
        policy.vin = policy.vin or vehicle.vin or ""
        policy.save(update_fields=["vehicle", "plate", "vin", "updated_at"])
        audit_record(actor=actor, action="insurance.policy.vehicle_linked", obj=policy, store=policy.store,
                     data={"number": policy.number, "plate": vehicle.plate or "", "vin": vehicle.vin or ""})
    return policy

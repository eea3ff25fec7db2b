"""The premium calculator (保费自动计算), following ../shared/INSURANCE.md.

- 交强险 = base premium of the vehicle class × (1 + floating rate of the
  region's scheme and the history level).
- 车船税 by the region's (else its province's, else the default) displacement band.
- 商业险, per coverage = benchmark × NCD coefficient × pricing coefficient
  (× traffic-violation coefficient where the region uses one).
- Every line is rounded half up to the fen; a total is the sum of rounded lines.

Each rule is the row in force on the start date (``effective_from`` on or
before it, the latest per key).  One query per table, whatever the coverages:
the queries per quote are constant.

The history level (A0–A6) and the NCD level (−4…+5) come from the vehicle's
policies on record (``at_fault_claims``/``fatal_claim`` per policy year) unless
the specialist gives the value read from the industry platform."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _g

from accounts.models import Vehicle
from accounts.validators import normalize_plate
from insurance import exceptions as errors
from insurance.exceptions import InsuranceError
from insurance.models import (
    NCD_LEVELS,
    USAGE_BAND_UNIT,
    BandUnit,
    CommercialBenchmark,
    CompulsoryBasePremium,
    CompulsoryFloatingRate,
    Coverage,
    HistoryLevel,
    Insurer,
    NcdCoefficient,
    PlatePrefix,
    Policy,
    PolicyKind,
    PolicyStatus,
    PricingCoefficientRange,
    Region,
    Usage,
    VehicleTaxRate,
    ViolationCoefficientRange,
)

FEN = Decimal("0.01")
ZERO = Decimal("0.00")
ONE = Decimal("1.00")
# A break in cover longer than this loses the history (NCD: "a lapse over 6 months resets to 0").
LAPSE = datetime.timedelta(days=183)
# A policy overlapping the next one by more than this covers the same year (e.g. replaced mid-year).
OVERLAP = datetime.timedelta(days=31)
# The history an NCD level looks at: the last three policy years.
NCD_YEARS = 3


def round_fen(value: Decimal) -> Decimal:
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


def coefficient(value: Decimal) -> str:
    """A coefficient with at least two places (``0.85``, ``1.00``, ``0.8525``)."""
    value = Decimal(value)
    return str(value.quantize(FEN)) if value == value.quantize(FEN) else f"{value.normalize():f}"


def money(value: Decimal) -> str:
    """A yuan amount as the API shows it: a decimal string with two places."""
    return str(round_fen(value))


@dataclass
class CoverageRequest:
    code: str
    sum_insured: Decimal | None = None
    seats: int | None = None


@dataclass
class RatingInput:
    usage: str
    start_date: datetime.date
    pricing_coefficient: Decimal = ONE
    plate: str = ""
    region: str = ""  # a region code or name: overrides the plate's
    vehicle: Vehicle | None = None
    seats: int | None = None
    tonnage: Decimal | None = None
    engine_cc: int | None = None
    displacement: Decimal | None = None  # litres; empty for a car without an engine (exempt from the tax)
    vehicle_price: Decimal | None = None  # 新车购置价, yuan
    history_level: str | None = None
    ncd_level: int | None = None
    violation_coefficient: Decimal | None = None
    coverages: list[CoverageRequest] = field(default_factory=list)
    insurer: Insurer | None = None  # its own benchmark rows win over the common ones


@dataclass
class CommercialLine:
    coverage: Coverage
    sum_insured: Decimal | None
    seats: int | None
    benchmark: Decimal
    ncd: Decimal
    pricing_coefficient: Decimal
    violation_coefficient: Decimal | None
    premium: Decimal

    def as_dict(self) -> dict:
        return {
            "code": self.coverage.code,
            "name": self.coverage.name,
            "sum_insured": money(self.sum_insured) if self.sum_insured is not None else None,
            "seats": self.seats,
            "benchmark": money(self.benchmark),
            "ncd": coefficient(self.ncd),
            "pricing_coefficient": coefficient(self.pricing_coefficient),
            "violation_coefficient": coefficient(self.violation_coefficient) if self.violation_coefficient is not None else None,
            "premium": money(self.premium),
        }


@dataclass
class Rating:
    region: Region
    vehicle_class: CompulsoryBasePremium
    history_level: str
    history_from_record: bool
    ncd_level: int
    ncd_from_record: bool
    compulsory_base: Decimal
    floating_rate: Decimal
    compulsory_premium: Decimal
    vehicle_tax: Decimal
    lines: list[CommercialLine]
    pricing_range: PricingCoefficientRange | None
    violation_range: ViolationCoefficientRange | None

    @property
    def commercial_total(self) -> Decimal:
        return sum((line.premium for line in self.lines), ZERO)

    @property
    def total(self) -> Decimal:
        return self.compulsory_premium + self.vehicle_tax + self.commercial_total

    def as_dict(self) -> dict:
        """The API's answer (every amount a decimal string in yuan, two places)."""
        return {
            "compulsory": {
                "vehicle_class": self.vehicle_class.name,
                "base": money(self.compulsory_base),
                "floating_rate": coefficient(self.floating_rate),
                "premium": money(self.compulsory_premium),
            },
            "vehicle_tax": money(self.vehicle_tax),
            "commercial": {"lines": [line.as_dict() for line in self.lines], "total": money(self.commercial_total)},
            "total": money(self.total),
            "region": self.region.code,
            "region_name": self.region.name,
            "region_scheme": self.region.scheme,
            "history_level": self.history_level,
            "history_level_from_record": self.history_from_record,
            "ncd_level": self.ncd_level,
            "ncd_level_from_record": self.ncd_from_record,
            "pricing_coefficient_range": (
                [coefficient(self.pricing_range.minimum), coefficient(self.pricing_range.maximum)] if self.pricing_range else None
            ),
        }


def _refuse(message, field_name: str, *, code: str = "invalid", **params) -> InsuranceError:
    text = str(message) % params if params else str(message)
    return InsuranceError(text, code=code, fields={field_name: [text]})


def _in_force(rows, key) -> dict:
    """The row of each key in force: ``rows`` are ordered by ``-effective_from``."""
    chosen = {}
    for row in rows:
        chosen.setdefault(key(row), row)
    return chosen


# --- region, class, history ---------------------------------------------------------------------


def region_for(*, plate: str = "", region: str = "") -> Region:
    """The rating region: ``region`` (code or name) if given, else the plate's
    two-character prefix (a city rated on its own: 粤B 深圳) or its first
    character (the province)."""
    if region:
        found = Region.objects.filter(code=region).first() or Region.objects.filter(name=region).first()
        if found is None:
            raise _refuse(errors.REGION_UNKNOWN, "region", code="region_unknown")
        return found
    plate = normalize_plate(plate or "")
    if not plate:
        raise _refuse(errors.REGION_REQUIRED, "plate", code="region_required")
    prefixes = {p.prefix: p for p in PlatePrefix.objects.select_related("region").filter(prefix__in=[plate[:2], plate[:1]])}
    match = prefixes.get(plate[:2]) or prefixes.get(plate[:1])
    if match is None:
        raise _refuse(errors.REGION_UNKNOWN, "plate", code="region_unknown")
    return match.region


def _measure(inp: RatingInput) -> tuple[str, Decimal | None]:
    unit = USAGE_BAND_UNIT[Usage(inp.usage)]
    value = {BandUnit.SEATS: inp.seats, BandUnit.TONNES: inp.tonnage, BandUnit.CC: inp.engine_cc}[unit]
    return unit, (Decimal(value) if value is not None else None)


_MEASURE_FIELD = {BandUnit.SEATS: "seats", BandUnit.TONNES: "tonnage", BandUnit.CC: "engine_cc"}
_MEASURE_NAME = {BandUnit.SEATS: "座位数", BandUnit.TONNES: "核定载质量（吨）", BandUnit.CC: "排量（CC）"}


def vehicle_class_for(inp: RatingInput) -> CompulsoryBasePremium:
    """The 交强险 vehicle class of the usage and its seats, tonnage or cc."""
    if inp.usage not in Usage.values:
        raise _refuse(errors.USAGE_UNKNOWN, "usage", code="usage_unknown")
    unit, value = _measure(inp)
    name = _g(_MEASURE_NAME[unit])
    if value is None or value <= 0:
        raise _refuse(errors.VEHICLE_MEASURE_REQUIRED, _MEASURE_FIELD[unit], code="vehicle_class_unknown", measure=name)
    rows = CompulsoryBasePremium.objects.filter(usage=inp.usage, effective_from__lte=inp.start_date).order_by(
        "-effective_from", "id")
    in_force = _in_force(rows, lambda r: (r.min_value, r.max_value))
    if not in_force:
        raise _refuse(errors.RULE_MISSING, "start_date", code="rule_missing", date=inp.start_date,
                      table=_g("交强险基础保费"))
    for row in in_force.values():
        if row.contains(value):
            return row
    raise _refuse(errors.VEHICLE_CLASS_UNKNOWN, _MEASURE_FIELD[unit], code="vehicle_class_unknown", measure=name,
                  value=f"{value.normalize():f}")


def _chain(policies: list[Policy], start_date: datetime.date) -> list[Policy]:
    """The vehicle's unbroken run of policy years before ``start_date``,
    latest first: each ends no more than six months before the next starts."""
    chain: list[Policy] = []
    next_start = start_date
    for policy in policies:  # latest end first
        if policy.start_date >= next_start or policy.end_date - next_start > OVERLAP:
            continue  # the year being rated, a later one, or a policy overlapping the next (same year)
        if next_start - policy.end_date > LAPSE:
            break
        chain.append(policy)
        next_start = policy.start_date
    return chain


def history_level_from(policies: list[Policy], start_date: datetime.date) -> str:
    """交强险 history level from the compulsory policy years on record.

    A fatal at-fault accident last year: A6; two or more at-fault accidents:
    A5; one: A4 (the higher rising ratio wins where several apply); else one,
    two, three or more claim-free years: A1, A2, A3; no record (or a lapse): A0."""
    chain = _chain(policies, start_date)
    if not chain:
        return HistoryLevel.A0
    last = chain[0]
    if last.fatal_claim:
        return HistoryLevel.A6
    if last.at_fault_claims >= 2:
        return HistoryLevel.A5
    if last.at_fault_claims == 1:
        return HistoryLevel.A4
    free = 0
    for policy in chain:
        if policy.at_fault_claims or policy.fatal_claim:
            break
        free += 1
    return (HistoryLevel.A1, HistoryLevel.A2, HistoryLevel.A3)[min(free, 3) - 1]


def ncd_level_from(policies: list[Policy], start_date: datetime.date) -> int:
    """NCD level (2020 scheme) from the commercial policy years on record:
    claims in the last three years minus the consecutive insured years among
    them, −4 for four or more claim-free years, 0 with no record or after a
    lapse of over six months; within −4…+5."""
    chain = _chain(policies, start_date)
    if not chain:
        return 0
    if len(chain) >= 4 and not any(p.at_fault_claims for p in chain[:4]):
        return -4
    recent = chain[:NCD_YEARS]
    level = sum(p.at_fault_claims for p in recent) - len(recent)
    return max(-4, min(5, level))


def levels_on_record(vehicle: Vehicle | None, start_date: datetime.date) -> tuple[str, int]:
    """(history level, NCD level) of ``vehicle`` for a year starting on ``start_date`` (one query)."""
    if vehicle is None:
        return HistoryLevel.A0, 0
    policies = list(
        Policy.objects.filter(vehicle=vehicle, status=PolicyStatus.ACTIVE, start_date__lt=start_date)
        .only("kind", "start_date", "end_date", "at_fault_claims", "fatal_claim")
        .order_by("-end_date", "-id")
    )
    compulsory = [p for p in policies if p.kind == PolicyKind.COMPULSORY]
    commercial = [p for p in policies if p.kind == PolicyKind.COMMERCIAL]
    return history_level_from(compulsory, start_date), ncd_level_from(commercial, start_date)


# --- the tables ----------------------------------------------------------------------------------


def _floating_rate(region: Region, level: str, on: datetime.date) -> Decimal:
    if level == HistoryLevel.A0:
        return Decimal("0")  # a new vehicle or one with no history
    row = (CompulsoryFloatingRate.objects.filter(scheme=region.scheme, level=level, effective_from__lte=on)
           .order_by("-effective_from").first())
    if row is None:
        raise _refuse(errors.RULE_MISSING, "start_date", code="rule_missing", date=on, table=_g("交强险浮动比率"))
    return row.rate


def vehicle_tax_for(inp: RatingInput, region: Region) -> Decimal:
    """车船税 of a passenger car by displacement; none for a car without an
    engine (new energy, exempt) and none computed here for trucks and motorcycles."""
    if USAGE_BAND_UNIT[Usage(inp.usage)] != BandUnit.SEATS or not inp.displacement:
        return ZERO
    regions = [region.pk] + ([region.parent_id] if region.parent_id else [])
    rows = (VehicleTaxRate.objects.filter(effective_from__lte=inp.start_date)
            .filter(region_id__in=regions) | VehicleTaxRate.objects.filter(effective_from__lte=inp.start_date,
                                                                          region__isnull=True))
    rows = list(rows.order_by("-effective_from", "id"))
    for region_id in [*regions, None]:
        own = [r for r in rows if r.region_id == region_id]
        if own:
            for row in _in_force(own, lambda r: (r.min_value, r.max_value)).values():
                if row.contains(Decimal(inp.displacement)):
                    return round_fen(row.amount)
            break
    raise _refuse(errors.RULE_MISSING, "start_date", code="rule_missing", date=inp.start_date, table=_g("车船税税额"))


def _range_for(model, region: Region, on: datetime.date, *, national: bool):
    """The range in force on ``on`` for the region (or, where ``national``, the
    country): the latest ``effective_from``; the region's own row wins a tie."""
    regions = [region.pk] + ([region.parent_id] if region.parent_id else [])
    rows = model.objects.filter(effective_from__lte=on, region_id__in=regions)
    if national:
        rows = rows | model.objects.filter(effective_from__lte=on, region__isnull=True)
    rank = {region.pk: 0, region.parent_id: 1, None: 2}
    rows = sorted(rows, key=lambda r: (-r.effective_from.toordinal(), rank.get(r.region_id, 3)))
    return rows[0] if rows else None


def _check_pricing(inp: RatingInput, region: Region) -> PricingCoefficientRange:
    found = _range_for(PricingCoefficientRange, region, inp.start_date, national=True)
    if found is None:
        raise _refuse(errors.RULE_MISSING, "start_date", code="rule_missing", date=inp.start_date,
                      table=_g("自主定价系数范围"))
    if not (found.minimum <= inp.pricing_coefficient <= found.maximum):
        raise _refuse(errors.PRICING_OUT_OF_RANGE, "pricing_coefficient", code="pricing_coefficient_out_of_range",
                      min=found.minimum, max=found.maximum, date=found.effective_from)
    return found


def _check_violation(inp: RatingInput, region: Region) -> tuple[ViolationCoefficientRange | None, Decimal | None]:
    found = _range_for(ViolationCoefficientRange, region, inp.start_date, national=False)
    if found is None:
        if inp.violation_coefficient is not None and inp.violation_coefficient != ONE:
            raise _refuse(errors.VIOLATION_NOT_USED, "violation_coefficient", code="violation_coefficient_not_used",
                          region=region.name)
        return None, None
    value = inp.violation_coefficient if inp.violation_coefficient is not None else ONE
    if not (found.minimum <= value <= found.maximum):
        raise _refuse(errors.VIOLATION_OUT_OF_RANGE, "violation_coefficient",
                      code="violation_coefficient_out_of_range", min=found.minimum, max=found.maximum)
    return found, value


def _ncd_coefficient(level: int, on: datetime.date) -> Decimal:
    row = NcdCoefficient.objects.filter(level=level, effective_from__lte=on).order_by("-effective_from").first()
    if row is None:
        raise _refuse(errors.RULE_MISSING, "start_date", code="rule_missing", date=on, table=_g("无赔款优待系数"))
    return row.coefficient


def _fmt_sum(value) -> str:
    return f"{Decimal(value):,.0f}"


def _check_coverages(inp: RatingInput) -> list[tuple[Coverage, Decimal | None, int | None]]:
    """The requested coverages, checked: known, once each, their base taken,
    a sum insured offered, seats where a seat cover needs them."""
    codes = [c.code for c in inp.coverages]
    known = {c.code: c for c in Coverage.objects.filter(code__in=codes, is_active=True).select_related("requires")}
    checked = []
    seen = set()
    for n, wanted in enumerate(inp.coverages):
        where = f"coverages.{n}"
        coverage = known.get(wanted.code)
        if coverage is None:
            text = str(errors.COVERAGE_UNKNOWN) % {"code": wanted.code}
            raise InsuranceError(text, code="coverage_unknown", fields={f"{where}.code": [text]})
        if coverage.code in seen:
            text = str(errors.COVERAGE_TWICE) % {"code": coverage.code}
            raise InsuranceError(text, code="coverage_twice", fields={f"{where}.code": [text]})
        seen.add(coverage.code)
        if coverage.requires_id and coverage.requires.code not in codes:
            raise _refuse(errors.COVERAGE_NEEDS_BASE, f"{where}.code", code="coverage_needs_base",
                          coverage=coverage.name, base=coverage.requires.name)
        seats = None
        if coverage.per_seat:
            most = 1 if coverage.code == "driver_seat" else max((inp.seats or 1) - 1, 0)
            seats = wanted.seats if wanted.seats is not None else most
            if seats < 1:
                raise _refuse(errors.COVERAGE_NEEDS_SEATS, f"{where}.seats", code="coverage_needs_seats",
                              coverage=coverage.name)
            if seats > most:
                raise _refuse(errors.COVERAGE_TOO_MANY_SEATS, f"{where}.seats", code="coverage_needs_seats",
                              coverage=coverage.name, max=most)
        offered = [Decimal(str(s)) for s in coverage.offered_sums or []]
        if offered:
            if wanted.sum_insured is None or Decimal(wanted.sum_insured) not in offered:
                raise _refuse(errors.SUM_NOT_OFFERED, f"{where}.sum_insured", code="sum_not_offered",
                              coverage=coverage.name, sum=_fmt_sum(wanted.sum_insured or 0),
                              offered="、".join(_fmt_sum(s) for s in offered))
        elif wanted.sum_insured is not None:
            raise _refuse(errors.SUM_NOT_ASKED, f"{where}.sum_insured", code="sum_not_offered", coverage=coverage.name)
        if coverage.code == "vehicle_damage" and not inp.vehicle_price:
            raise _refuse(errors.VEHICLE_PRICE_REQUIRED, "vehicle_price", code="vehicle_price_required")
        checked.append((coverage, Decimal(wanted.sum_insured) if wanted.sum_insured is not None else None, seats))
    return checked


def _benchmark(rows, coverage: Coverage, sum_insured, seats, inp: RatingInput) -> Decimal:
    seat_count = Decimal(inp.seats or 0)
    for row in rows:
        if row.coverage_id != coverage.pk or not row.contains(seat_count) or not row.in_price_band(inp.vehicle_price):
            continue
        if row.sum_insured is not None and row.sum_insured != sum_insured:
            continue
        if coverage.per_seat:
            measure = (sum_insured or 0) * seats
        elif coverage.offered_sums:
            measure = sum_insured if row.sum_insured is None else Decimal("0")
        else:
            measure = inp.vehicle_price or Decimal("0")
        return round_fen(row.base + row.rate * Decimal(measure))
    raise _refuse(errors.BENCHMARK_MISSING, "coverages", code="benchmark_missing", coverage=coverage.name)


# --- the calculator ------------------------------------------------------------------------------


def calculate(inp: RatingInput, *, today: datetime.date | None = None) -> Rating:
    """The premium of ``inp`` or an ``InsuranceError`` saying which input is refused."""
    today = today or timezone.localdate()
    if inp.start_date < today:
        raise _refuse(errors.START_DATE_PAST, "start_date", code="start_date_past")
    vehicle_class = vehicle_class_for(inp)
    region = region_for(plate=inp.plate or (inp.vehicle.plate if inp.vehicle else "") or "", region=inp.region)

    if inp.history_level is not None and inp.history_level not in HistoryLevel.values:
        raise _refuse(errors.HISTORY_LEVEL_INVALID, "compulsory_history")
    if inp.ncd_level is not None and inp.ncd_level not in NCD_LEVELS:
        raise _refuse(errors.NCD_LEVEL_INVALID, "ncd_level")
    record_history, record_ncd = (
        levels_on_record(inp.vehicle, inp.start_date) if inp.history_level is None or inp.ncd_level is None
        else (None, None)
    )
    history = inp.history_level if inp.history_level is not None else record_history
    ncd_level = inp.ncd_level if inp.ncd_level is not None else record_ncd

    rate = _floating_rate(region, history, inp.start_date)
    compulsory = round_fen(vehicle_class.premium * (1 + rate))
    tax = vehicle_tax_for(inp, region)

    checked = _check_coverages(inp)
    lines: list[CommercialLine] = []
    pricing_range = violation_range = None
    if checked:
        pricing_range = _check_pricing(inp, region)
        violation_range, violation = _check_violation(inp, region)
        ncd = _ncd_coefficient(ncd_level, inp.start_date)
        insurers = Q(insurer__isnull=True) | (Q(insurer=inp.insurer) if inp.insurer is not None else Q())
        rows = list(
            CommercialBenchmark.objects.filter(insurers, coverage__in=[c for c, _s, _n in checked], usage=inp.usage,
                                               effective_from__lte=inp.start_date)
            .order_by("-effective_from", "id")
        )
        rows = list(_in_force(rows, lambda r: (r.coverage_id, r.insurer_id, r.min_value, r.max_value, r.price_min,
                                               r.price_max, r.sum_insured)).values())
        rows.sort(key=lambda r: r.insurer_id is None)  # the insurer's own rows first
        for coverage, sum_insured, seats in checked:
            benchmark = _benchmark(rows, coverage, sum_insured, seats, inp)
            premium = benchmark * ncd * inp.pricing_coefficient * (violation if violation is not None else 1)
            lines.append(CommercialLine(coverage, sum_insured, seats, benchmark, ncd, inp.pricing_coefficient,
                                        violation, round_fen(premium)))
    return Rating(
        region=region, vehicle_class=vehicle_class, history_level=str(history),
        history_from_record=inp.history_level is None, ncd_level=ncd_level, ncd_from_record=inp.ncd_level is None,
        compulsory_base=vehicle_class.premium, floating_rate=rate, compulsory_premium=compulsory, vehicle_tax=tax,
        lines=lines, pricing_range=pricing_range, violation_range=violation_range,
    )

"""Insurance reports (续保报表) resting on ``Policy`` alone: every figure is a
set-based SQL aggregate, scoped through ``accounts.scoping`` (a store's
staff: their store; HQ: every store, or the one chosen by ``filters.store``).
Python only shapes the few aggregated rows (the months of the range, the
stores, insurers and specialists).

Definitions (the page and its CSV exports show the same):

- **Months** are calendar months of the policy's own dates (``end_date``,
  ``start_date`` are dates as written on the policy, China time); "this
  month" and the default range come from the Asia/Shanghai date.
- **Due** in a month: policies whose ``end_date`` falls in it, cancelled
  ones excluded.
- **Renewed with us**: a due policy that another policy (not cancelled) names
  as ``renewal_of`` — whichever of the group's stores wrote the renewal.
- **Renewal rate** = renewed ÷ due; **last year** is the same month (or the
  same range of months) a year earlier, beside it.
- **By specialist**: the due policy's ``specialist`` (who looks after its
  renewal); none recorded: "未指定".
- **Premium**: policies (not cancelled) by the month of ``start_date``:
  how many and their premium (``premium``, the vehicle tax apart), by
  insurer, store and month, last year beside the months.

- **Pipeline by stage** (a snapshot, today): the renewals still being worked
  on (``Renewal`` in stage to contact, quoted, accepted or paid — renewed and
  lost ones are closed), how many in each stage per store, and how many of
  them have passed their end date; the month range does not apply.
- **Lost reasons**: the renewals lost (stage *lost*) whose ``end_date`` falls
  in the range, per reason and competitor (``lost_to``, the other insurer or
  dealer as the specialist wrote it; none: "—").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Case, Count, DecimalField, Exists, OuterRef, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.dates import add_months
from accounts.labels import person_name
from accounts.models import Store, User
from accounts.scoping import scope
from insurance.models import LostReason, Policy, PolicyStatus, Renewal, RenewalStage

REPORT_SECTIONS = {
    "months": gettext_lazy("续保率（按月）"),
    "stores": gettext_lazy("续保率（按门店）"),
    "insurers": gettext_lazy("续保率（按保险公司）"),
    "specialists": gettext_lazy("续保率（按续保专员）"),
    "premium_insurers": gettext_lazy("保费（按保险公司）"),
    "premium_stores": gettext_lazy("保费（按门店）"),
    "premium_months": gettext_lazy("保费（按月）"),
    "pipeline": gettext_lazy("续保跟进（按阶段）"),
    "lost_reasons": gettext_lazy("流失原因"),
}
# The stages of a renewal still being worked on, in the order of the pipeline.
PIPELINE_STAGES = (RenewalStage.TO_CONTACT, RenewalStage.QUOTED, RenewalStage.ACCEPTED, RenewalStage.PAID)
ZERO = Decimal("0.00")
CENT = Decimal("0.01")
_MONEY = DecimalField(max_digits=16, decimal_places=2)


@dataclass(frozen=True)
class InsuranceReportFilters:
    month_from: dt.date  # the first day of the first month
    month_to: dt.date  # the first day of the last month
    store: Store | None = None  # HQ's store filter; None = every store the actor sees

    @property
    def start(self) -> dt.date:
        return self.month_from

    @property
    def end(self) -> dt.date:
        """The day after the range (exclusive)."""
        return add_months(self.month_to, 1)

    @property
    def months(self) -> list[dt.date]:
        months, month = [], self.month_from
        while month <= self.month_to:
            months.append(month)
            month = add_months(month, 1)
        return months

    def as_dict(self) -> dict:
        return {"month_from": f"{self.month_from:%Y-%m}", "month_to": f"{self.month_to:%Y-%m}",
                "store": self.store.code if self.store else ""}


def _rate(renewed: int, due: int) -> Decimal | None:
    return (Decimal(renewed) / Decimal(due)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP) if due else None


def _money(value) -> Decimal:
    return Decimal(value or 0).quantize(CENT, rounding=ROUND_HALF_UP)


def _store_label(code, name) -> str:
    return f"{code} {name}" if code else "—"


def report_policies(*, actor: User, filters: InsuranceReportFilters) -> QuerySet[Policy]:
    """The actor's stores' policies (the chosen store), cancelled ones excluded."""
    policies = scope(Policy.objects.all(), actor).exclude(status=PolicyStatus.CANCELLED)
    if filters.store is not None:
        policies = policies.filter(store=filters.store)
    return policies.order_by()


# --- renewal rate ------------------------------------------------------------------------------

_RENEWED = Exists(Policy.objects.filter(renewal_of=OuterRef("pk")).exclude(status=PolicyStatus.CANCELLED))


def _due(policies: QuerySet[Policy], filters: InsuranceReportFilters) -> QuerySet[Policy]:
    """Policies due in the range or in the same range a year earlier, each
    marked ``this_year`` and ``renewed``."""
    start, end = filters.start, filters.end
    last_start, last_end = add_months(start, -12), add_months(end, -12)
    in_range = Q(end_date__gte=start, end_date__lt=end) | Q(end_date__gte=last_start, end_date__lt=last_end)
    return (policies.filter(in_range)
            .annotate(renewed=_RENEWED,
                      this_year=Case(When(end_date__gte=start, then=Value(True)), default=Value(False))))


_DUE_SUMS = {"n_due": Count("pk"), "n_renewed": Count("pk", filter=Q(renewed=True))}


def _renewal_figures(current: dict, last: dict) -> dict:
    due, renewed = int(current.get("n_due") or 0), int(current.get("n_renewed") or 0)
    last_due, last_renewed = int(last.get("n_due") or 0), int(last.get("n_renewed") or 0)
    return {"due": due, "renewed": renewed, "rate": _rate(renewed, due),
            "last_due": last_due, "last_renewed": last_renewed, "last_rate": _rate(last_renewed, last_due)}


def _renewal_total(rows: list[dict]) -> dict:
    due, renewed = sum(r["due"] for r in rows), sum(r["renewed"] for r in rows)
    last_due, last_renewed = sum(r["last_due"] for r in rows), sum(r["last_renewed"] for r in rows)
    return {"label": _("合计"), "due": due, "renewed": renewed, "rate": _rate(renewed, due), "last_due": last_due,
            "last_renewed": last_renewed, "last_rate": _rate(last_renewed, last_due)}


def _split(grouped, key) -> tuple[dict, dict]:
    """Aggregated rows by ``key(row)``: this year's and last year's."""
    current, last = {}, {}
    for row in grouped:
        (current if row["this_year"] else last)[key(row)] = row
    return current, last


def report_renewal_by_month(policies: QuerySet[Policy], *, filters: InsuranceReportFilters) -> dict:
    """Every month of the range (empty ones too): due, renewed, rate, and the same month last year."""
    grouped = _due(policies, filters).annotate(month=TruncMonth("end_date")).values("month", "this_year").annotate(
        **_DUE_SUMS)
    current, last = _split(grouped, lambda row: (row["month"].year, row["month"].month))
    rows = []
    for month in filters.months:
        figures = _renewal_figures(current.get((month.year, month.month), {}),
                                   last.get((month.year - 1, month.month), {}))
        rows.append({"month": month, "label": f"{month:%Y-%m}", **figures})
    return {"rows": rows, "total": _renewal_total(rows)}


def _renewal_by(policies, filters, fields: tuple[str, ...], label) -> dict:
    grouped = _due(policies, filters).values(*fields, "this_year").annotate(**_DUE_SUMS)
    current, last = _split(grouped, lambda row: row[fields[0]])
    names = {}
    for row in grouped:
        names.setdefault(row[fields[0]], row)
    rows = [{"key": key, "label": label(names[key]), **_renewal_figures(current.get(key, {}), last.get(key, {}))}
            for key in names]
    rows.sort(key=lambda row: (-row["due"], row["label"]))
    return {"rows": rows, "total": _renewal_total(rows)}


def report_renewal_by_store(policies: QuerySet[Policy], *, filters: InsuranceReportFilters) -> dict:
    return _renewal_by(policies, filters, ("store_id", "store__code", "store__name"),
                       lambda row: _store_label(row["store__code"], row["store__name"]))


def report_renewal_by_insurer(policies: QuerySet[Policy], *, filters: InsuranceReportFilters) -> dict:
    return _renewal_by(policies, filters, ("insurer_id", "insurer__name", "insurer__short_name"),
                       lambda row: row["insurer__short_name"] or row["insurer__name"])


def report_renewal_by_specialist(policies: QuerySet[Policy], *, filters: InsuranceReportFilters) -> dict:
    data = _renewal_by(policies, filters, ("specialist_id",), lambda row: "")
    people = User.objects.in_bulk([row["key"] for row in data["rows"] if row["key"] is not None])
    for row in data["rows"]:
        person = people.get(row["key"])
        row["label"] = person_name(person) if person else _("未指定")
    data["rows"].sort(key=lambda row: (-row["due"], row["label"]))
    return data


# --- premium -----------------------------------------------------------------------------------

_PREMIUM_SUMS = {"n_policies": Count("pk"), "sum_premium": Coalesce(Sum("premium"), Value(ZERO), output_field=_MONEY)}


def _written(policies: QuerySet[Policy], start: dt.date, end: dt.date) -> QuerySet[Policy]:
    return policies.filter(start_date__gte=start, start_date__lt=end)


def _premium_figures(row: dict) -> dict:
    return {"policies": int(row.get("n_policies") or 0), "premium": _money(row.get("sum_premium"))}


def _premium_total(rows: list[dict]) -> dict:
    return {"label": _("合计"), "policies": sum(r["policies"] for r in rows),
            "premium": sum((r["premium"] for r in rows), ZERO)}


def report_premium_by_insurer(policies: QuerySet[Policy], *, filters: InsuranceReportFilters) -> dict:
    grouped = (_written(policies, filters.start, filters.end)
               .values("insurer_id", "insurer__name", "insurer__short_name").annotate(**_PREMIUM_SUMS)
               .order_by("-sum_premium", "insurer_id"))
    rows = [{"key": row["insurer_id"], "label": row["insurer__short_name"] or row["insurer__name"],
             **_premium_figures(row)} for row in grouped]
    return {"rows": rows, "total": _premium_total(rows)}


def report_premium_by_store(policies: QuerySet[Policy], *, filters: InsuranceReportFilters) -> dict:
    grouped = (_written(policies, filters.start, filters.end).values("store_id", "store__code", "store__name")
               .annotate(**_PREMIUM_SUMS).order_by("store__code"))
    rows = [{"key": row["store_id"], "label": _store_label(row["store__code"], row["store__name"]),
             **_premium_figures(row)} for row in grouped]
    return {"rows": rows, "total": _premium_total(rows)}


def report_premium_by_month(policies: QuerySet[Policy], *, filters: InsuranceReportFilters) -> dict:
    """Every month of the range, and the same month last year beside it."""
    last_start = add_months(filters.start, -12)
    grouped = (policies.filter(Q(start_date__gte=filters.start, start_date__lt=filters.end)
                               | Q(start_date__gte=last_start, start_date__lt=add_months(filters.end, -12)))
               .annotate(month=TruncMonth("start_date")).values("month").annotate(**_PREMIUM_SUMS))
    by_month = {(row["month"].year, row["month"].month): row for row in grouped}
    rows = []
    for month in filters.months:
        this, last = _premium_figures(by_month.get((month.year, month.month), {})), _premium_figures(
            by_month.get((month.year - 1, month.month), {}))
        rows.append({"month": month, "label": f"{month:%Y-%m}", **this,
                     "last_policies": last["policies"], "last_premium": last["premium"]})
    total = _premium_total(rows)
    total.update(last_policies=sum(r["last_policies"] for r in rows),
                 last_premium=sum((r["last_premium"] for r in rows), ZERO))
    return {"rows": rows, "total": total}


# --- the pipeline: stages and lost reasons ------------------------------------------------------


def report_renewals(*, actor: User, filters: InsuranceReportFilters) -> QuerySet[Renewal]:
    """The actor's stores' renewals (the chosen store)."""
    renewals = scope(Renewal.objects.all(), actor)
    if filters.store is not None:
        renewals = renewals.filter(store=filters.store)
    return renewals.order_by()


def report_pipeline_by_stage(renewals: QuerySet[Renewal], *, filters: InsuranceReportFilters,
                             today: dt.date | None = None) -> dict:
    """Per store (one aggregate query): the open renewals in each stage of
    ``PIPELINE_STAGES``, their sum and how many of them have ended already."""
    today = today or timezone.localdate()
    sums = {f"n_{stage}": Count("pk", filter=Q(stage=stage)) for stage in PIPELINE_STAGES}
    grouped = (renewals.filter(stage__in=PIPELINE_STAGES).values("store_id", "store__code", "store__name")
               .annotate(**sums, n_overdue=Count("pk", filter=Q(end_date__lt=today))).order_by("store__code"))
    rows = []
    for row in grouped:
        counts = [int(row[f"n_{stage}"]) for stage in PIPELINE_STAGES]
        rows.append({"key": row["store_id"], "label": _store_label(row["store__code"], row["store__name"]),
                     "stages": counts, "open": sum(counts), "overdue": int(row["n_overdue"])})
    totals = [sum(row["stages"][i] for row in rows) for i in range(len(PIPELINE_STAGES))]
    return {"stages": [(str(stage), str(stage.label)) for stage in PIPELINE_STAGES], "rows": rows,
            "total": {"label": _("合计"), "stages": totals, "open": sum(totals),
                      "overdue": sum(row["overdue"] for row in rows)}}


def report_lost_reasons(renewals: QuerySet[Renewal], *, filters: InsuranceReportFilters) -> dict:
    """Renewals lost with an end date in the range, per reason and competitor, the most first."""
    grouped = (renewals.filter(stage=RenewalStage.LOST, end_date__gte=filters.start, end_date__lt=filters.end)
               .values("lost_reason", "lost_to").annotate(n_lost=Count("pk"))
               .order_by("-n_lost", "lost_reason", "lost_to"))
    labels = dict(LostReason.choices)
    rows = [{"reason": row["lost_reason"], "label": str(labels.get(row["lost_reason"], _("其他原因"))),
             "lost_to": row["lost_to"] or "—", "lost": int(row["n_lost"])} for row in grouped]
    lost = sum(row["lost"] for row in rows)
    for row in rows:
        row["share"] = _rate(row["lost"], lost)
    return {"rows": rows, "total": {"label": _("合计"), "lost_to": "", "lost": lost, "share": _rate(lost, lost)}}


_POLICY_SECTIONS = {
    "months": report_renewal_by_month, "stores": report_renewal_by_store,
    "insurers": report_renewal_by_insurer, "specialists": report_renewal_by_specialist,
    "premium_insurers": report_premium_by_insurer, "premium_stores": report_premium_by_store,
    "premium_months": report_premium_by_month,
}
_RENEWAL_SECTIONS = {"pipeline": report_pipeline_by_stage, "lost_reasons": report_lost_reasons}


def report_sections(codes, *, actor: User, filters: InsuranceReportFilters) -> dict:
    """The figures of the sections ``codes``: over one scoped set of policies
    (renewal rate, premium) and one of renewals (pipeline, lost reasons)."""
    codes = list(codes)
    data = {}
    if any(code in _POLICY_SECTIONS for code in codes):
        policies = report_policies(actor=actor, filters=filters)
        data.update({code: _POLICY_SECTIONS[code](policies, filters=filters) for code in codes if code in _POLICY_SECTIONS})
    if any(code in _RENEWAL_SECTIONS for code in codes):
        renewals = report_renewals(actor=actor, filters=filters)
        data.update({code: _RENEWAL_SECTIONS[code](renewals, filters=filters) for code in codes if code in _RENEWAL_SECTIONS})
    return data

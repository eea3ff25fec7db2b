"""Mall reports (商城报表): every figure is a set-based SQL aggregate, scoped
through ``accounts.scoping`` (a store's staff: their store; HQ: every store,
or the one chosen by ``filters.store``); nothing loops over orders in Python.
Python only shapes the few aggregated rows (days of the range, stores, top 20).

Definitions (the portal page and its CSV exports show the same):

- **Counted orders.**  Orders that were paid (``paid`` / ``fulfilled`` /
  ``completed``, and ``refunded`` ones, which were paid first), by the local
  (Asia/Shanghai) date of ``paid_at``, inclusive range.  Pending and cancelled
  orders never count.
- **Refunds** belong to the order they refund and to its paid date (cohort,
  not the refund's own day).  Gross = what was paid (``cash_due``,
  ``points_spent``); refunded = ``refunded_cash`` / ``refunded_points``;
  net = gross − refunded.  A fully refunded order still counts as an order,
  with all of it refunded.
- **Payment type** of an order: cash only, points only, or both (mixed).
- **Per product** (and per deposit): the lines' subtotals; an order's refund is
  shared out over its lines by their share of the order (cash: ``line_cash /
  cash_total``; points: ``line_points / points_spent``, whole points).
- **Flash-sale sell-through** per occurrence starting in the range: ``sold /
  sale_stock`` over its items (group-wide: the sale stock is shared by every
  store; ``sold`` holds units of orders not cancelled, unpaid ones included),
  beside the units, cash and points of the viewer's counted orders from it.
  A store's staff see the items of group products and of their store's own.
- **Deposits** (new-car deposit products) by store and the product's series.
- **Top sharing employees**: counted orders by their referring employee
  (``Order.referral``).
- **Commissions** of the counted orders (cohort, like refunds), by the
  order's store: pending, payable and paid amounts (a reversal line counts in
  its own status, negative), the reversals on their own, and the net.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Func,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.dates import day_start
from accounts.labels import person_name
from accounts.models import User
from accounts.scoping import scope, store_ids_for
from leads.selectors.reports import ReportFilters
from mall.models import (
    Commission, CommissionKind, CommissionStatus, FlashSaleItem, Order, OrderLine, OrderStatus, ProductKind,
)

__all__ = [
    "COUNTED_STATUSES",
    "PAY_TYPES",
    "REPORT_SECTIONS",
    "ReportFilters",
    "report_commissions",
    "report_deposits",
    "report_flash_sales",
    "report_orders",
    "report_pay_types",
    "report_products",
    "report_referrals",
    "report_sales_by_day",
    "report_sales_by_store",
]

COUNTED_STATUSES = (OrderStatus.PAID, OrderStatus.FULFILLED, OrderStatus.COMPLETED, OrderStatus.REFUNDED)
CENT = Decimal("0.01")
ZERO = Decimal("0.00")
TOP = 20

# An order's payment type (code → label).
PAY_CASH, PAY_POINTS, PAY_MIXED = "cash", "points", "mixed"
PAY_TYPES = {PAY_CASH: gettext_lazy("纯现金"), PAY_POINTS: gettext_lazy("纯积分"), PAY_MIXED: gettext_lazy("现金+积分")}

# The report's sections (code → title): the page's headings, the CSV exports and their audit rows.
REPORT_SECTIONS = {
    "daily": gettext_lazy("每日销售"),
    "stores": gettext_lazy("门店销售"),
    "pay": gettext_lazy("支付方式"),
    "products": gettext_lazy("商品销售 TOP 20"),
    "flash": gettext_lazy("秒杀售罄率"),
    "deposits": gettext_lazy("新车订金"),
    "referrals": gettext_lazy("员工分享排行"),
    "commissions": gettext_lazy("分销提成"),
}

_MONEY = DecimalField(max_digits=14, decimal_places=2)
# Sums over orders: how many, what was paid and what went back.
_ORDER_SUMS = {  # named apart from the model's fields (an annotation must not shadow one)
    "n_orders": Count("pk"),
    "sum_cash": Coalesce(Sum("cash_due"), Value(ZERO), output_field=_MONEY),
    "sum_refunded_cash": Coalesce(Sum("refunded_cash"), Value(ZERO), output_field=_MONEY),
    "sum_points": Coalesce(Sum("points_spent"), Value(0)),
    "sum_refunded_points": Coalesce(Sum("refunded_points"), Value(0)),
    "n_refunded": Count("pk", filter=Q(refunded_cash__gt=0) | Q(refunded_points__gt=0)),
}


class _RealOnSQLite(Func):
    """The amount itself; on SQLite as REAL, because SQLite keeps a whole
    amount (100.00) as an integer and would then divide as integers."""

    function = ""
    template = "(%(expressions)s)"

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, template="CAST(%(expressions)s AS REAL)", **extra_context)


# A line's share of its order's refund.
_LINE_REFUNDED_CASH = Case(
    When(order__cash_total__gt=0,
         then=ExpressionWrapper(_RealOnSQLite(F("line_cash"), output_field=_MONEY) * F("order__refunded_cash")
                                / F("order__cash_total"), output_field=_MONEY)),
    default=Value(ZERO), output_field=_MONEY,
)
_LINE_REFUNDED_POINTS = Case(
    When(order__points_spent__gt=0,
         # 64-bit: 60,000 points × 60,000 refunded overflows PostgreSQL's integer.
         then=ExpressionWrapper(Cast("line_points", BigIntegerField()) * F("order__refunded_points")
                                / F("order__points_spent"), output_field=BigIntegerField())),
    default=Value(0), output_field=BigIntegerField(),
)
_LINE_SUMS = {
    "n_orders": Count("order", distinct=True),
    "sum_quantity": Coalesce(Sum("quantity"), Value(0)),
    "sum_cash": Coalesce(Sum("line_cash"), Value(ZERO), output_field=_MONEY),
    "sum_refunded_cash": Coalesce(Sum(_LINE_REFUNDED_CASH), Value(ZERO), output_field=_MONEY),
    "sum_points": Coalesce(Sum("line_points"), Value(0)),
    "sum_refunded_points": Coalesce(Sum(_LINE_REFUNDED_POINTS), Value(0)),
    "n_refunded": Count("order", distinct=True, filter=Q(order__refunded_cash__gt=0) | Q(order__refunded_points__gt=0)),
}


def _money(value) -> Decimal:
    return Decimal(value or 0).quantize(CENT, rounding=ROUND_HALF_UP)


def _figures(row: dict) -> dict:
    """Gross, refunded and net cash and points of an aggregated row (``_ORDER_SUMS``
    or ``_LINE_SUMS``; an empty row is all zeros)."""
    cash, refunded_cash = _money(row.get("sum_cash")), _money(row.get("sum_refunded_cash"))
    points, refunded_points = int(row.get("sum_points") or 0), int(row.get("sum_refunded_points") or 0)
    return {
        "orders": int(row.get("n_orders") or 0), "refunded_orders": int(row.get("n_refunded") or 0),
        "quantity": int(row.get("sum_quantity") or 0),
        "cash": cash, "refunded_cash": refunded_cash, "net_cash": cash - refunded_cash,
        "points": points, "refunded_points": refunded_points, "net_points": points - refunded_points,
    }


def _total(rows: list[dict], label: str) -> dict:
    zeros = _figures({})
    return {"label": label, **{key: sum((row[key] for row in rows), zero) for key, zero in zeros.items()}}


def _store_label(code, name) -> str:
    return f"{code} {name}" if code else "—"


# --- what is counted ---------------------------------------------------------------------------


def report_orders(*, actor: User, filters: ReportFilters) -> QuerySet[Order]:
    """The counted orders (module docstring) of the actor's stores paid in the range."""
    start = day_start(filters.date_from)
    end = day_start(filters.date_to + dt.timedelta(days=1))
    orders = scope(Order.objects.all(), actor).filter(
        status__in=COUNTED_STATUSES, paid_at__gte=start, paid_at__lt=end)
    if filters.store is not None:
        orders = orders.filter(store=filters.store)
    return orders.order_by()


def _lines(orders: QuerySet[Order]) -> QuerySet[OrderLine]:
    return OrderLine.objects.filter(order__in=orders).order_by()


# --- sales -------------------------------------------------------------------------------------


def report_sales_by_day(orders: QuerySet[Order], *, filters: ReportFilters) -> dict:
    """Every local day of the range (days without sales too) with its figures, and a total."""
    grouped = (orders.annotate(day=TruncDate("paid_at", tzinfo=timezone.get_default_timezone()))
               .values("day").annotate(**_ORDER_SUMS).order_by("day"))
    by_day = {row["day"]: row for row in grouped}
    rows = []
    day = filters.date_from
    while day <= filters.date_to:
        rows.append({"day": day, **_figures(by_day.get(day, {}))})
        day += dt.timedelta(days=1)
    return {"rows": rows, "total": _total(rows, _("合计"))}


def report_sales_by_store(orders: QuerySet[Order]) -> dict:
    grouped = (orders.values("store_id", "store__code", "store__name").annotate(**_ORDER_SUMS)
               .order_by("store__code"))
    rows = [{"store_id": row["store_id"], "label": _store_label(row["store__code"], row["store__name"]),
             **_figures(row)} for row in grouped]
    return {"rows": rows, "total": _total(rows, _("合计"))}


def report_pay_types(orders: QuerySet[Order]) -> dict:
    """Orders by how they were paid: cash only, points only, or both."""
    pay = Case(
        When(cash_due__gt=0, points_spent__gt=0, then=Value(PAY_MIXED)),
        When(points_spent__gt=0, then=Value(PAY_POINTS)),
        default=Value(PAY_CASH), output_field=CharField(),
    )
    grouped = {row["pay"]: row for row in orders.annotate(pay=pay).values("pay").annotate(**_ORDER_SUMS)}
    rows = [{"code": code, "label": str(label), **_figures(grouped.get(code, {}))} for code, label in PAY_TYPES.items()]
    return {"rows": rows, "total": _total(rows, _("合计"))}


def report_products(orders: QuerySet[Order], *, limit: int = TOP) -> dict:
    """The ``limit`` products that sold the most units (then the most cash)."""
    grouped = (_lines(orders).values("product_id", "product__name", "product__kind").annotate(**_LINE_SUMS)
               .order_by("-sum_quantity", "-sum_cash", "product_id")[:limit])
    kinds = dict(ProductKind.choices)
    rows = [{"product_id": row["product_id"], "label": row["product__name"],
             "kind": str(kinds.get(row["product__kind"], "")), **_figures(row)} for row in grouped]
    return {"rows": rows, "limit": limit}


# --- flash sales -------------------------------------------------------------------------------


def report_flash_sales(*, actor: User, filters: ReportFilters) -> dict:
    """Sell-through per flash-sale occurrence starting in the range (module docstring)."""
    start = day_start(filters.date_from)
    end = day_start(filters.date_to + dt.timedelta(days=1))
    items = FlashSaleItem.objects.filter(sale__starts_at__gte=start, sale__starts_at__lt=end)
    store_ids = [filters.store.pk] if filters.store is not None else store_ids_for(actor)
    if store_ids is not None:
        items = items.filter(Q(sku__product__store__isnull=True) | Q(sku__product__store_id__in=store_ids))
    sales = (items.values("sale_id", "sale__name", "sale__starts_at", "sale__ends_at")
             .annotate(n_items=Count("pk"), sum_stock=Coalesce(Sum("sale_stock"), Value(0)),
                       sum_sold=Coalesce(Sum("sold"), Value(0)))
             .order_by("sale__starts_at", "sale_id"))
    # What the viewer's counted orders bought from those items (one more aggregate).
    bought = {
        row["flash_sale_item__sale_id"]: row
        for row in OrderLine.objects.filter(order__in=_scoped_counted(actor, filters), flash_sale_item__in=items)
        .order_by().values("flash_sale_item__sale_id").annotate(**_LINE_SUMS)
    }
    rows = []
    for sale in sales:
        stock, sold = int(sale["sum_stock"]), int(sale["sum_sold"])
        rows.append({
            "sale_id": sale["sale_id"], "label": sale["sale__name"],
            "starts_at": timezone.localtime(sale["sale__starts_at"]), "ends_at": timezone.localtime(sale["sale__ends_at"]),
            "items": sale["n_items"], "sale_stock": stock, "sold": sold,
            "sell_through": round(sold / stock, 4) if stock else None,
            **_figures(bought.get(sale["sale_id"], {})),
        })
    return {"rows": rows}


def _scoped_counted(actor: User, filters: ReportFilters) -> QuerySet[Order]:
    """Counted orders of the actor's stores (and the chosen store), paid at any time."""
    orders = scope(Order.objects.all(), actor).filter(status__in=COUNTED_STATUSES)
    if filters.store is not None:
        orders = orders.filter(store=filters.store)
    return orders.order_by()


# --- deposits and referrals --------------------------------------------------------------------


def report_deposits(orders: QuerySet[Order]) -> dict:
    """New-car deposits by store and car series: orders, amount, refunded."""
    grouped = (
        _lines(orders).filter(product__kind=ProductKind.DEPOSIT)
        .values("order__store_id", "order__store__code", "order__store__name", "product__car_series_id",
                "product__car_series__name", "product__car_series__brand__name")
        .annotate(**_LINE_SUMS)
        .order_by("order__store__code", "product__car_series__brand__name", "product__car_series__name")
    )
    rows = []
    for row in grouped:
        series = " ".join(filter(None, [row["product__car_series__brand__name"], row["product__car_series__name"]]))
        rows.append({"store": _store_label(row["order__store__code"], row["order__store__name"]),
                     "series": series or _("未指定车系"), **_figures(row)})
    return {"rows": rows, "total": _total(rows, _("合计"))}


def report_referrals(orders: QuerySet[Order], *, limit: int = TOP) -> dict:
    """The ``limit`` employees whose shares brought the most counted orders."""
    grouped = (orders.filter(referral__isnull=False)
               .values("referral_id").annotate(**_ORDER_SUMS)
               .order_by("-n_orders", "-sum_cash", "referral_id")[:limit])
    grouped = list(grouped)
    people = User.objects.select_related("store").in_bulk([row["referral_id"] for row in grouped])
    rows = []
    for row in grouped:
        person = people.get(row["referral_id"])
        rows.append({"user_id": row["referral_id"], "label": person_name(person) if person else "—",
                     "store": person.store.name if person and person.store_id else _("集团"), **_figures(row)})
    return {"rows": rows, "limit": limit}


def _amount_sum(condition: Q | None = None):
    return Coalesce(Sum("amount", filter=condition), Value(ZERO), output_field=_MONEY)


_COMMISSION_SUMS = {
    "n_staff": Count("staff", distinct=True),
    "n_lines": Count("pk"),
    "sum_pending": _amount_sum(Q(status=CommissionStatus.PENDING)),
    "sum_payable": _amount_sum(Q(status=CommissionStatus.PAYABLE)),
    "sum_paid": _amount_sum(Q(status=CommissionStatus.PAID)),
    "sum_reversed": _amount_sum(Q(kind=CommissionKind.REVERSAL)),
    "sum_net": _amount_sum(),
}


def _commission_figures(row: dict) -> dict:
    return {"staff": row["n_staff"], "lines": row["n_lines"], "pending": _money(row["sum_pending"]),
            "payable": _money(row["sum_payable"]), "paid": _money(row["sum_paid"]),
            "reversed": _money(row["sum_reversed"]), "net": _money(row["sum_net"])}


def report_commissions(orders: QuerySet[Order]) -> dict:
    """Commission totals of the counted orders, by the order's store, and overall."""
    lines = Commission.objects.filter(order__in=orders.values("pk"))
    grouped = (lines.values("order__store_id", "order__store__code", "order__store__name")
               .annotate(**_COMMISSION_SUMS).order_by("order__store__code"))
    rows = [{"label": _store_label(row["order__store__code"], row["order__store__name"]), **_commission_figures(row)}
            for row in grouped]
    total = {"label": _("合计"), **_commission_figures(lines.aggregate(**_COMMISSION_SUMS))}
    return {"rows": rows, "total": total}

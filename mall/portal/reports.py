"""Portal: the mall report (商城报表) — sales by day, store, product and
payment type, flash-sale sell-through, deposits, top sharing employees —
with charts, and each section as CSV (``?export=<section>``, audited).

Store managers see their store, HQ every store or one.  The figures and
their definitions live in ``mall.selectors_reports``."""

from __future__ import annotations

from django.http import HttpResponseBadRequest
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import View

from accounts.exports import csv_response
from accounts.portal.mixins import PortalMixin
from accounts.services import export_record
from mall import selectors_reports as reports
from mall.portal.forms import MallReportFilterForm
from mall.portal.views import MALL_ROLES

SECTIONS = reports.REPORT_SECTIONS


def _sections(codes, *, actor, filters) -> dict:
    """The figures of the sections ``codes``, over one scoped set of counted orders."""
    orders = reports.report_orders(actor=actor, filters=filters)
    builders = {
        "daily": lambda: reports.report_sales_by_day(orders, filters=filters),
        "stores": lambda: reports.report_sales_by_store(orders),
        "pay": lambda: reports.report_pay_types(orders),
        "products": lambda: reports.report_products(orders),
        "flash": lambda: reports.report_flash_sales(actor=actor, filters=filters),
        "deposits": lambda: reports.report_deposits(orders),
        "referrals": lambda: reports.report_referrals(orders),
        "commissions": lambda: reports.report_commissions(orders),
    }
    return {code: builders[code]() for code in codes}


def _pct(value) -> str:
    return "" if value is None else f"{value * 100:.1f}%"


class ReportView(PortalMixin, View):
    """The page (GET) or one section as CSV (GET ``?export=<section>``)."""

    roles = MALL_ROLES
    template_name = "portal/mall/reports.html"

    def get(self, request):
        form = MallReportFilterForm(request.GET, actor=request.user)
        section = request.GET.get("export")
        if section is not None:
            return self._export(request, form, section)
        context = {"form": form, "sections": SECTIONS}
        if form.is_valid():
            filters = form.report_filters()
            data = _sections(SECTIONS, actor=request.user, filters=filters)
            query = request.GET.copy()
            query.pop("export", None)
            context.update(data)
            context.update({"filters": filters, "export_query": query.urlencode(), "chart_data": _chart_data(data),
                            "show_store": form.fields.get("store") is not None and filters.store is None})
        return render(request, self.template_name, context)

    def _export(self, request, form, section):
        if section not in SECTIONS or not form.is_valid():
            return HttpResponseBadRequest(_("筛选条件无效。"))
        filters = form.report_filters()
        data = _sections([section], actor=request.user, filters=filters)[section]
        heading, rows, total = CSV_SHEETS[section](data)
        title = [str(SECTIONS[section]), f"{filters.date_from} ~ {filters.date_to}",
                 filters.store.name if filters.store else ""]
        export_record(actor=request.user, what="mall.report", rows=len(rows),
                      filters={**filters.as_dict(), "section": section})
        return csv_response([title, heading, *rows, *([total] if total else [])],
                            filename=f"mall-{section}-{filters.date_from:%Y%m%d}-{filters.date_to:%Y%m%d}.csv")


def _chart_data(data: dict) -> dict:
    daily, stores, pay = data["daily"]["rows"], data["stores"]["rows"], data["pay"]["rows"]
    return {
        "daily": {"labels": [row["day"].strftime("%m-%d") for row in daily],
                  "cash": [float(row["net_cash"]) for row in daily], "points": [row["net_points"] for row in daily],
                  "cash_label": _("净现金（元）"), "points_label": _("净积分")},
        "stores": {"labels": [row["label"] for row in stores], "cash": [float(row["net_cash"]) for row in stores],
                   "points": [row["net_points"] for row in stores],
                   "cash_label": _("净现金（元）"), "points_label": _("净积分")},
        "pay": {"labels": [row["label"] for row in pay], "values": [row["orders"] for row in pay]},
    }


# --- CSV sheets: (heading, rows, total row or None); counts and amounts stay numbers -------------


def _money_heading() -> list[str]:
    return [_("订单数"), _("现金（元）"), _("退款现金（元）"), _("净现金（元）"), _("积分"), _("退回积分"), _("净积分")]


def _money_cells(row: dict) -> list:
    return [row["orders"], row["cash"], row["refunded_cash"], row["net_cash"],
            row["points"], row["refunded_points"], row["net_points"]]


def _daily_sheet(data):
    rows = [[row["day"].isoformat(), *_money_cells(row)] for row in data["rows"]]
    return [_("日期"), *_money_heading()], rows, [data["total"]["label"], *_money_cells(data["total"])]


def _stores_sheet(data):
    rows = [[row["label"], *_money_cells(row)] for row in data["rows"]]
    return [_("门店"), *_money_heading()], rows, [data["total"]["label"], *_money_cells(data["total"])]


def _pay_sheet(data):
    rows = [[row["label"], *_money_cells(row)] for row in data["rows"]]
    return [_("支付方式"), *_money_heading()], rows, [data["total"]["label"], *_money_cells(data["total"])]


def _products_sheet(data):
    rows = [[row["label"], row["kind"], row["quantity"], *_money_cells(row)] for row in data["rows"]]
    return [_("商品"), _("类型"), _("数量"), *_money_heading()], rows, None


def _flash_sheet(data):
    rows = [[row["label"], f"{row['starts_at']:%Y-%m-%d %H:%M}", f"{row['ends_at']:%Y-%m-%d %H:%M}", row["items"],
             row["sale_stock"], row["sold"], _pct(row["sell_through"]), row["quantity"],
             *_money_cells(row)] for row in data["rows"]]
    return [_("秒杀活动"), _("开始时间"), _("结束时间"), _("商品数"), _("秒杀库存"), _("已售（全集团）"), _("售罄率"),
            _("本范围售出件数"), *_money_heading()], rows, None


def _deposit_cells(row: dict) -> list:
    return [row["orders"], row["refunded_orders"], row["cash"], row["refunded_cash"], row["net_cash"]]


def _deposits_sheet(data):
    rows = [[row["store"], row["series"], *_deposit_cells(row)] for row in data["rows"]]
    total = data["total"]
    return ([_("门店"), _("车系"), _("订单数"), _("有退款订单"), _("订金（元）"), _("已退（元）"), _("净额（元）")], rows,
            [total["label"], "", *_deposit_cells(total)])


def _referrals_sheet(data):
    rows = [[row["label"], row["store"], *_money_cells(row)] for row in data["rows"]]
    return [_("员工"), _("所属门店"), *_money_heading()], rows, None


def _commission_cells(row: dict) -> list:
    return [row["staff"], row["lines"], row["pending"], row["payable"], row["paid"], row["reversed"], row["net"]]


def _commissions_sheet(data):
    rows = [[row["label"], *_commission_cells(row)] for row in data["rows"]]
    return ([_("门店"), _("员工数"), _("提成明细数"), _("待结算（元）"), _("可结算（元）"), _("已发放（元）"),
             _("退款冲回（元）"), _("净额（元）")], rows, [data["total"]["label"], *_commission_cells(data["total"])])


CSV_SHEETS = {
    "daily": _daily_sheet, "stores": _stores_sheet, "pay": _pay_sheet, "products": _products_sheet,
    "flash": _flash_sheet, "deposits": _deposits_sheet, "referrals": _referrals_sheet,
    "commissions": _commissions_sheet,
}

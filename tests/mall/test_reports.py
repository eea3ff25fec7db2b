"""The mall report (商城报表): figures on a small fixture (paid orders count,
pending and cancelled ones do not, refunds are netted and shown, days are
Asia/Shanghai days), scoping (store A's manager never sees store B, on the
page or in a CSV), audited CSV exports, and a query count that does not grow
with the orders."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.labels import audit_action_label, audit_data_items
from accounts.models import AuditLog, Role
from leads.selectors.reports import ReportFilters
from mall import selectors_reports as reports
from mall.models import FlashSaleItem, Order, OrderLine, OrderStatus, ProductKind
from mall.services_orders import APPLIED, order_cancel, order_create
from mall.services_refunds import order_refund
from tests.mall.conftest import make_product
from tests.mall.flash_helpers import make_flash_item
from tests.mall.orders_helpers import card, mixed_sku, points_sku, rich, send_callback  # noqa: F401  (fixtures)
from tests.test_web_zh_code_words import CODE_WORDS, _choice_codes, _code_words_in, _text

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
URL = "/portal/mall/reports/"
RANGE = {"date_from": "2026-03-01", "date_to": "2026-03-03"}
_numbers = itertools.count(1)


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A local (Shanghai) time in March 2026."""
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=SHANGHAI)


def order(member, store, lines, *, paid_at=None, status=OrderStatus.PAID, refunded_cash="0", refunded_points=0,
          referral=None) -> Order:
    """An order written directly: ``lines`` are (sku, quantity) at the SKU's prices."""
    cash = sum((sku.price_cash or Decimal("0")) * q for sku, q in lines)
    points = sum((sku.price_points or 0) * q for sku, q in lines)
    created = Order.objects.create(
        number=f"T{next(_numbers):08d}", member=member, store=store, status=status, cash_total=cash, cash_due=cash,
        points_spent=points, refunded_cash=Decimal(refunded_cash), refunded_points=refunded_points,
        paid_at=paid_at, referral=referral)
    for sku, q in lines:
        OrderLine.objects.create(
            order=created, sku=sku, product=sku.product, product_name=sku.product.name, sku_name=sku.name, quantity=q,
            unit_cash=sku.price_cash or 0, unit_points=sku.price_points or 0,
            line_cash=(sku.price_cash or Decimal("0")) * q, line_points=(sku.price_points or 0) * q)
    return created


@pytest.fixture
def skus(hq):
    def sku(name, cash=None, points=None, **fields):
        return make_product(hq, name=name, skus=[{"name": "标准", "price_cash": cash, "price_points": points,
                                                    "stock": 100}], **fields).skus.get()

    return {
        "cash": sku("行车记录仪", cash=Decimal("100")),
        "points": sku("车载香薰", points=1000),
        "mixed": sku("全包围脚垫", cash=Decimal("50"), points=500),
    }


@pytest.fixture
def manager_b(make_staff, store_b):
    return make_staff(Role.MANAGER, store_b, username="s02_manager", last_name="王", first_name="店长")


def filters(store=None, date_from=dt.date(2026, 3, 1), date_to=dt.date(2026, 3, 3)) -> ReportFilters:
    return ReportFilters(date_from=date_from, date_to=date_to, store=store)


def read_csv(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.getvalue().decode("utf-8-sig"))))


class TestFigures:
    def test_days_are_shanghai_days_and_only_paid_orders_count(self, hq, member_a, store_a, skus):
        # 23:30 and 00:10 local are the same UTC date (15:30 / 16:10 on 1 March) but two local days.
        order(member_a, store_a, [(skus["cash"], 1)], paid_at=at(1, 23, 30))
        order(member_a, store_a, [(skus["cash"], 2)], paid_at=at(2, 0, 10))
        order(member_a, store_a, [(skus["cash"], 5)], status=OrderStatus.PENDING_PAYMENT)
        order(member_a, store_a, [(skus["cash"], 7)], status=OrderStatus.CANCELLED)
        order(member_a, store_a, [(skus["cash"], 9)], paid_at=at(4, 0, 0))  # the day after the range
        order(member_a, store_a, [(skus["cash"], 3)], paid_at=at(1, 0, 0), status=OrderStatus.COMPLETED)
        assert at(1, 23, 30).astimezone(dt.UTC).date() == at(2, 0, 10).astimezone(dt.UTC).date()

        orders = reports.report_orders(actor=hq, filters=filters())
        daily = reports.report_sales_by_day(orders, filters=filters())

        assert [(r["day"], r["orders"], r["cash"]) for r in daily["rows"]] == [
            (dt.date(2026, 3, 1), 2, Decimal("400.00")),
            (dt.date(2026, 3, 2), 1, Decimal("200.00")),
            (dt.date(2026, 3, 3), 0, Decimal("0.00")),
        ]
        assert daily["total"]["orders"] == 3 and daily["total"]["net_cash"] == Decimal("600.00")

    def test_refunds_are_netted_on_the_orders_paid_day_and_shown(self, hq, member_a, store_a, skus):
        order(member_a, store_a, [(skus["mixed"], 2)], paid_at=at(1, 10), refunded_cash="30.00", refunded_points=200)
        order(member_a, store_a, [(skus["cash"], 1)], paid_at=at(1, 11), status=OrderStatus.REFUNDED,
              refunded_cash="100.00")

        day = reports.report_sales_by_day(reports.report_orders(actor=hq, filters=filters()), filters=filters())["rows"][0]

        assert day["orders"] == 2 and day["refunded_orders"] == 2
        assert (day["cash"], day["refunded_cash"], day["net_cash"]) == (Decimal("200.00"), Decimal("130.00"),
                                                                         Decimal("70.00"))
        assert (day["points"], day["refunded_points"], day["net_points"]) == (1000, 200, 800)

    def test_payment_types_split_cash_only_points_only_and_mixed(self, hq, member_a, store_a, skus):
        order(member_a, store_a, [(skus["cash"], 1)], paid_at=at(1, 9))
        order(member_a, store_a, [(skus["cash"], 2)], paid_at=at(1, 9), refunded_cash="50")
        order(member_a, store_a, [(skus["points"], 3)], paid_at=at(2, 9), refunded_points=1000)
        order(member_a, store_a, [(skus["mixed"], 1), (skus["cash"], 1)], paid_at=at(3, 9))

        pay = reports.report_pay_types(reports.report_orders(actor=hq, filters=filters()))
        rows = {r["code"]: r for r in pay["rows"]}

        assert [r["code"] for r in pay["rows"]] == ["cash", "points", "mixed"]
        assert (rows["cash"]["orders"], rows["cash"]["cash"], rows["cash"]["net_cash"], rows["cash"]["points"]) == (
            2, Decimal("300.00"), Decimal("250.00"), 0)
        assert (rows["points"]["orders"], rows["points"]["cash"], rows["points"]["points"],
                rows["points"]["net_points"]) == (1, Decimal("0.00"), 3000, 2000)
        assert (rows["mixed"]["orders"], rows["mixed"]["cash"], rows["mixed"]["points"]) == (1, Decimal("150.00"), 500)
        assert pay["total"]["orders"] == 4 and pay["total"]["net_cash"] == Decimal("400.00")

    def test_products_rank_by_units_and_share_an_orders_refund_by_line(self, hq, member_a, store_a, skus):
        # 100 cash + 50 cash/500 points; 60 of the 150 refunded → 40 and 20; 250 of 500 points back.
        order(member_a, store_a, [(skus["cash"], 1), (skus["mixed"], 1)], paid_at=at(1, 9), refunded_cash="60",
              refunded_points=250)
        order(member_a, store_a, [(skus["mixed"], 3)], paid_at=at(2, 9))
        order(member_a, store_a, [(skus["points"], 9)], status=OrderStatus.CANCELLED)

        rows = reports.report_products(reports.report_orders(actor=hq, filters=filters()))["rows"]

        assert [(r["label"], r["quantity"], r["orders"]) for r in rows] == [("全包围脚垫", 4, 2), ("行车记录仪", 1, 1)]
        mat, recorder = rows
        assert (mat["cash"], mat["refunded_cash"], mat["net_cash"]) == (Decimal("200.00"), Decimal("20.00"),
                                                                        Decimal("180.00"))
        assert (mat["points"], mat["refunded_points"], mat["net_points"]) == (2000, 250, 1750)
        assert (recorder["cash"], recorder["refunded_cash"]) == (Decimal("100.00"), Decimal("40.00"))

    def test_a_refund_share_keeps_its_cents_of_whole_amounts(self, hq, member_a, store_a, skus):
        # 100 + 50 paid, 50 back: 33.33 and 16.67 (SQLite keeps whole amounts as integers).
        order(member_a, store_a, [(skus["cash"], 1), (skus["mixed"], 1)], paid_at=at(1, 9), refunded_cash="50")

        rows = reports.report_products(reports.report_orders(actor=hq, filters=filters()))["rows"]

        assert {r["label"]: r["refunded_cash"] for r in rows} == {"行车记录仪": Decimal("33.33"),
                                                                  "全包围脚垫": Decimal("16.67")}

    def test_a_large_points_refund_is_shared_without_overflow(self, hq, member_a, store_a):
        sku = make_product(hq, name="积分大礼包", skus=[{"name": "标准", "price_points": 60_000, "stock": 5}]).skus.get()
        order(member_a, store_a, [(sku, 2)], paid_at=at(1, 9), refunded_points=90_000)

        row = reports.report_products(reports.report_orders(actor=hq, filters=filters()))["rows"][0]

        assert (row["points"], row["refunded_points"], row["net_points"]) == (120_000, 90_000, 30_000)

    def test_products_keep_the_top_twenty(self, hq, member_a, store_a):
        for n in range(22):
            sku = make_product(hq, name=f"商品{n:02d}",
                               skus=[{"name": "标准", "price_cash": Decimal("10"), "stock": 50}]).skus.get()
            order(member_a, store_a, [(sku, n + 1)], paid_at=at(1, 9))

        rows = reports.report_products(reports.report_orders(actor=hq, filters=filters()))["rows"]

        assert len(rows) == 20 and rows[0]["label"] == "商品21" and rows[-1]["label"] == "商品02"

    def test_deposits_by_store_and_series_with_refunds(self, hq, brand, member_a, member_b, store_a, store_b):
        lavida, passat = brand.series.order_by("pk")[:2]

        def deposit(series):
            return make_product(hq, name=f"{series.name} 新车订金", kind=ProductKind.DEPOSIT, car_series=series,
                                delivery_pickup=False,
                                skus=[{"name": "订金", "price_cash": Decimal("2000"), "stock": 10}]).skus.get()

        lavida_sku, passat_sku = deposit(lavida), deposit(passat)
        order(member_a, store_a, [(lavida_sku, 1)], paid_at=at(1, 9))
        order(member_a, store_a, [(lavida_sku, 1)], paid_at=at(2, 9), status=OrderStatus.REFUNDED,
              refunded_cash="2000")
        order(member_b, store_b, [(passat_sku, 1)], paid_at=at(2, 9))
        order(member_a, store_a, [(passat_sku, 1)], status=OrderStatus.PENDING_PAYMENT)

        deposits = reports.report_deposits(reports.report_orders(actor=hq, filters=filters()))

        assert [(r["store"], r["series"], r["orders"], r["refunded_orders"], r["cash"], r["refunded_cash"],
                 r["net_cash"]) for r in deposits["rows"]] == [
            ("S01 广州天河大众", f"{brand.name} {lavida.name}", 2, 1, Decimal("4000.00"), Decimal("2000.00"),
             Decimal("2000.00")),
            ("S02 上海浦东大众", f"{brand.name} {passat.name}", 1, 0, Decimal("2000.00"), Decimal("0.00"),
             Decimal("2000.00")),
        ]
        assert deposits["total"]["net_cash"] == Decimal("4000.00")

    def test_top_sharing_employees_by_referred_orders(self, hq, member_a, store_a, skus, consultant_a, make_staff):
        consultant_a.last_name, consultant_a.first_name = "陈", "晓"
        consultant_a.save()
        other = make_staff(Role.CONSULTANT, store_a, username="s01_other", last_name="刘", first_name="洋")
        order(member_a, store_a, [(skus["cash"], 1)], paid_at=at(1, 9), referral=consultant_a)
        order(member_a, store_a, [(skus["points"], 1)], paid_at=at(1, 9), referral=consultant_a,
              refunded_points=1000, status=OrderStatus.REFUNDED)
        order(member_a, store_a, [(skus["mixed"], 4)], paid_at=at(2, 9), referral=other)
        order(member_a, store_a, [(skus["cash"], 9)], status=OrderStatus.CANCELLED, referral=other)
        order(member_a, store_a, [(skus["cash"], 1)], paid_at=at(2, 9))  # no referral

        rows = reports.report_referrals(reports.report_orders(actor=hq, filters=filters()))["rows"]

        assert [(r["label"], r["store"], r["orders"], r["net_cash"], r["points"], r["net_points"]) for r in rows] == [
            ("陈晓", store_a.name, 2, Decimal("100.00"), 1000, 0),
            ("刘洋", store_a.name, 1, Decimal("200.00"), 2000, 2000),
        ]

    def test_commission_totals_by_status_with_reversals_and_scoped(self, hq, manager_a, member_a, member_b, store_a,
                                                                    store_b, skus, consultant_a, consultant_b):
        from mall.models import Commission, CommissionKind, CommissionStatus, OrderRefund

        def line(the_order, staff, amount, status, kind=CommissionKind.EARNED, refund=None):
            return Commission.objects.create(staff=staff, store=staff.store, order=the_order, kind=kind,
                                             status=status, amount=Decimal(amount), refund=refund)

        first = order(member_a, store_a, [(skus["cash"], 1)], paid_at=at(1, 9), referral=consultant_a)
        second = order(member_a, store_a, [(skus["cash"], 2)], paid_at=at(2, 9), referral=consultant_a)
        line(first, consultant_a, "5.00", CommissionStatus.PAID)
        refund = OrderRefund.objects.create(order=first, number="R-T1", cash=Decimal("50"), points=0, actor=hq,
                                            reason="质量问题")
        line(first, consultant_a, "-2.50", CommissionStatus.PAYABLE, kind=CommissionKind.REVERSAL, refund=refund)
        line(second, consultant_a, "10.00", CommissionStatus.PENDING)
        outside = order(member_a, store_a, [(skus["cash"], 1)], paid_at=at(5, 9), referral=consultant_a)
        line(outside, consultant_a, "5.00", CommissionStatus.PENDING)  # paid after the range
        at_b = order(member_b, store_b, [(skus["cash"], 3)], paid_at=at(1, 9), referral=consultant_b)
        line(at_b, consultant_b, "15.00", CommissionStatus.PAYABLE)

        every = reports.report_commissions(reports.report_orders(actor=hq, filters=filters()))
        assert [(r["label"].split()[0], r["staff"], r["pending"], r["payable"], r["paid"], r["reversed"], r["net"])
                for r in every["rows"]] == [
            (store_a.code, 1, Decimal("10.00"), Decimal("-2.50"), Decimal("5.00"), Decimal("-2.50"), Decimal("12.50")),
            (store_b.code, 1, Decimal("0.00"), Decimal("15.00"), Decimal("0.00"), Decimal("0.00"), Decimal("15.00")),
        ]
        assert every["total"]["net"] == Decimal("27.50") and every["total"]["staff"] == 2
        mine = reports.report_commissions(reports.report_orders(actor=manager_a, filters=filters()))
        assert [r["net"] for r in mine["rows"]] == [Decimal("12.50")] and mine["total"]["net"] == Decimal("12.50")

    def test_flash_sale_sell_through_per_occurrence(self, hq, manager_a, member_a, store_a, store_b):
        item = make_flash_item(hq, sale_stock=4, points=500, cash=None)
        FlashSaleItem.objects.filter(pk=item.pk).update(sold=3)
        order(member_a, store_a, [(item.sku, 2)], paid_at=at(1, 9))
        OrderLine.objects.filter(sku=item.sku).update(flash_sale_item=item, line_points=1000, line_cash=0)
        # store B's own product in a sale: not shown to store A's manager.
        own_b = make_product(hq, name="浦东店 秒杀洗车", store=store_b,
                             skus=[{"name": "标准", "price_points": 800, "stock": 5}]).skus.get()
        FlashSaleItem.objects.create(sale=item.sale, sku=own_b, sale_price_points=400, sale_stock=6, sold=6)
        today = item.sale.starts_at.astimezone(SHANGHAI).date()
        span = filters(date_from=today - dt.timedelta(days=1), date_to=today + dt.timedelta(days=1))

        as_hq = reports.report_flash_sales(actor=hq, filters=span)["rows"]
        as_manager = reports.report_flash_sales(actor=manager_a, filters=span)["rows"]
        elsewhere = reports.report_flash_sales(actor=hq, filters=filters())["rows"]

        assert [(r["items"], r["sale_stock"], r["sold"], r["sell_through"]) for r in as_hq] == [(2, 10, 9, 0.9)]
        assert [(r["label"], r["items"], r["sale_stock"], r["sold"], r["sell_through"], r["quantity"],
                 r["net_points"]) for r in as_manager] == [("周四积分秒杀", 1, 4, 3, 0.75, 2, 1000)]
        assert elsewhere == []  # the sale does not start in March 2026


class TestThroughTheServices:
    def test_orders_placed_paid_and_refunded_by_the_mall_show_as_such(self, hq, manager_a, rich, store_a, mixed_sku,
                                                                       points_sku):
        """The same figures from real orders: paid by the payment callback,
        one refunded in part by the store's manager, one cancelled."""
        mixed = order_create(member=rich, store=store_a, lines=[{"sku": mixed_sku.pk, "quantity": 2}])
        assert send_callback(mixed.number, 19800).notification.outcome == APPLIED
        points_only = order_create(member=rich, store=store_a, lines=[{"sku": points_sku.pk, "quantity": 1}])
        cancelled = order_create(member=rich, store=store_a, lines=[{"sku": mixed_sku.pk, "quantity": 1}])
        order_cancel(order=cancelled)
        order_refund(order=Order.objects.get(pk=mixed.pk), actor=manager_a, amount=Decimal("99"), points=2000,
                     reason="退一件")
        unpaid = order_create(member=rich, store=store_a, lines=[{"sku": mixed_sku.pk, "quantity": 1}])
        assert Order.objects.get(pk=unpaid.pk).status == OrderStatus.PENDING_PAYMENT
        today = Order.objects.get(pk=mixed.pk).paid_at.astimezone(SHANGHAI).date()
        span = filters(date_from=today, date_to=today)

        orders = reports.report_orders(actor=manager_a, filters=span)
        pay = {r["code"]: r for r in reports.report_pay_types(orders)["rows"]}
        product = {r["label"]: r for r in reports.report_products(orders)["rows"]}

        assert sorted(orders.values_list("pk", flat=True)) == sorted([mixed.pk, points_only.pk])
        assert (pay["mixed"]["orders"], pay["mixed"]["cash"], pay["mixed"]["refunded_cash"], pay["mixed"]["net_cash"],
                pay["mixed"]["points"], pay["mixed"]["net_points"]) == (1, Decimal("198.00"), Decimal("99.00"),
                                                                       Decimal("99.00"), 4000, 2000)
        assert (pay["points"]["orders"], pay["points"]["net_points"], pay["cash"]["orders"]) == (1, 1500, 0)
        # neither the cancelled nor the unpaid order's unit is counted
        assert (product["全包围脚垫"]["quantity"], product["全包围脚垫"]["net_cash"]) == (2, Decimal("99.00"))
        assert (product["车载香薰"]["quantity"], product["车载香薰"]["net_points"]) == (1, 1500)


class TestChinese:
    def test_the_report_and_its_audit_row_show_no_codes(self, client, hq, brand, member_a, store_a, skus,
                                                        consultant_a):
        consultant_a.last_name, consultant_a.first_name = "陈", "晓"
        consultant_a.save()
        series = brand.series.order_by("pk").first()
        deposit = make_product(hq, name="新车订金", kind=ProductKind.DEPOSIT, car_series=series, delivery_pickup=False,
                               skus=[{"name": "订金", "price_cash": Decimal("2000"), "stock": 10}]).skus.get()
        order(member_a, store_a, [(skus["cash"], 1)], paid_at=at(1, 9), referral=consultant_a)
        order(member_a, store_a, [(skus["points"], 1)], paid_at=at(2, 9), status=OrderStatus.REFUNDED,
              refunded_points=1000)
        order(member_a, store_a, [(skus["mixed"], 1), (deposit, 1)], paid_at=at(3, 9))
        client.force_login(hq)
        words = CODE_WORDS | _choice_codes()

        page = client.get(URL, RANGE, HTTP_ACCEPT_LANGUAGE="zh-hans")
        client.get(URL, {**RANGE, "export": "deposits"})
        audit = client.get(reverse("portal:audit"), HTTP_ACCEPT_LANGUAGE="zh-hans")

        for response in (page, audit):
            text = _text(response.content.decode())
            assert response.status_code == 200
            assert _code_words_in(text, words) == [] and "mall." not in text
        page_text = _text(page.content.decode())
        assert all(label in page_text for label in ("纯现金", "纯积分", "现金+积分", "陈晓", series.name, "新车订金"))
        assert "导出商城报表" in _text(audit.content.decode())


class TestScoping:
    def test_store_staff_see_their_store_hq_all_or_the_chosen_one(self, hq, manager_a, member_a, member_b, store_a,
                                                                 store_b, skus):
        order(member_a, store_a, [(skus["cash"], 1)], paid_at=at(1, 9))
        order(member_b, store_b, [(skus["cash"], 3)], paid_at=at(1, 9))

        def store_rows(actor, store=None):
            orders = reports.report_orders(actor=actor, filters=filters(store))
            return [(r["label"], r["cash"]) for r in reports.report_sales_by_store(orders)["rows"]]

        assert store_rows(manager_a) == [("S01 广州天河大众", Decimal("100.00"))]
        assert store_rows(hq) == [("S01 广州天河大众", Decimal("100.00")), ("S02 上海浦东大众", Decimal("300.00"))]
        assert store_rows(hq, store_b) == [("S02 上海浦东大众", Decimal("300.00"))]
        assert store_rows(manager_a, store_b) == []  # a forged store filter never widens the scope

    def test_the_page_shows_a_manager_their_store_only(self, client, manager_a, member_a, member_b, store_a, store_b,
                                                       skus, make_staff):
        seller_b = make_staff(Role.CONSULTANT, store_b, username="s02_seller", last_name="赵", first_name="云")
        order(member_a, store_a, [(skus["cash"], 1)], paid_at=at(1, 9))
        order(member_b, store_b, [(skus["points"], 2)], paid_at=at(1, 9), referral=seller_b)
        client.force_login(manager_a)

        response = client.get(URL, {**RANGE, "store": store_b.pk})

        body = response.content.decode()
        assert response.status_code == 200
        assert store_a.name in body and store_b.name not in body and "赵云" not in body and "车载香薰" not in body
        assert response.context["stores"]["total"]["orders"] == 1
        assert 'name="store"' not in body  # store staff get no store filter

    def test_hq_sees_every_store_and_filters_one(self, client, hq, member_a, member_b, store_a, store_b, skus):
        order(member_a, store_a, [(skus["cash"], 1)], paid_at=at(1, 9))
        order(member_b, store_b, [(skus["cash"], 2)], paid_at=at(2, 9))
        client.force_login(hq)

        every = client.get(URL, RANGE)
        one = client.get(URL, {**RANGE, "store": store_b.pk})

        assert [r["label"] for r in every.context["stores"]["rows"]] == ["S01 广州天河大众", "S02 上海浦东大众"]
        assert [r["label"] for r in one.context["stores"]["rows"]] == ["S02 上海浦东大众"]
        assert one.context["daily"]["total"]["cash"] == Decimal("200.00")
        assert [r["net_cash"] for r in every.context["daily"]["rows"]] == [Decimal("100.00"), Decimal("200.00"),
                                                                           Decimal("0.00")]

    def test_consultants_do_not_open_the_report(self, client, consultant_a):
        client.force_login(consultant_a)
        assert client.get(URL).status_code == 403
        assert client.get(URL, {"export": "stores"}).status_code == 403
        assert not AuditLog.objects.filter(action="mall.report.exported").exists()

    def test_the_default_range_is_the_last_thirty_days(self, client, manager_a):
        client.force_login(manager_a)
        response = client.get(URL)
        rows = response.context["daily"]["rows"]
        assert response.status_code == 200 and len(rows) == 30
        assert (rows[-1]["day"] - rows[0]["day"]).days == 29

    def test_an_invalid_range_shows_the_error_and_no_figures(self, client, manager_a):
        client.force_login(manager_a)
        response = client.get(URL, {"date_from": "2026-03-05", "date_to": "2026-03-01"})
        assert response.status_code == 200 and "daily" not in response.context
        assert "开始日期不能晚于结束日期" in response.content.decode()


class TestExport:
    def test_a_section_exports_scoped_and_audited(self, client, manager_a, member_a, member_b, store_a, store_b,
                                                  skus):
        order(member_a, store_a, [(skus["mixed"], 2)], paid_at=at(1, 9), refunded_cash="25.50")
        order(member_b, store_b, [(skus["cash"], 3)], paid_at=at(1, 9))
        client.force_login(manager_a)

        response = client.get(URL, {**RANGE, "store": store_b.pk, "export": "stores"})

        rows = read_csv(response)
        assert response.status_code == 200 and 'filename="mall-stores-20260301-20260303.csv"' in response[
            "Content-Disposition"]
        assert rows[1][:4] == ["门店", "订单数", "现金（元）", "退款现金（元）"]
        assert rows[2:] == [["S01 广州天河大众", "1", "100.00", "25.50", "74.50", "1000", "0", "1000"],
                            ["合计", "1", "100.00", "25.50", "74.50", "1000", "0", "1000"]]
        assert store_b.name not in response.getvalue().decode("utf-8-sig")
        log = AuditLog.objects.get(action="mall.report.exported")
        assert log.actor == manager_a and log.store == store_a
        assert log.data == {"rows": 1, "filters": {"date_from": "2026-03-01", "date_to": "2026-03-03", "store": "",
                                                   "section": "stores"}}

    def test_every_section_exports(self, client, hq, member_a, store_a, skus):
        order(member_a, store_a, [(skus["cash"], 1)], paid_at=at(1, 9), referral=hq)
        client.force_login(hq)
        for section in reports.REPORT_SECTIONS:
            response = client.get(URL, {**RANGE, "export": section})
            rows = read_csv(response)
            assert response.status_code == 200, section
            assert rows[0][0] == str(reports.REPORT_SECTIONS[section]) and rows[0][1] == "2026-03-01 ~ 2026-03-03"
        assert AuditLog.objects.filter(action="mall.report.exported").count() == len(reports.REPORT_SECTIONS)

    def test_formula_looking_names_are_written_as_text(self, client, hq, member_a, store_a):
        sku = make_product(hq, name="=HYPERLINK(\"http://x\")",
                           skus=[{"name": "标准", "price_cash": Decimal("10"), "stock": 5}]).skus.get()
        order(member_a, store_a, [(sku, 1)], paid_at=at(1, 9))
        client.force_login(hq)

        rows = read_csv(client.get(URL, {**RANGE, "export": "products"}))

        assert rows[2][0] == "'=HYPERLINK(\"http://x\")"

    def test_an_unknown_section_or_bad_range_is_refused_unaudited(self, client, hq, store_a):
        client.force_login(hq)
        assert client.get(URL, {**RANGE, "export": "members"}).status_code == 400
        assert client.get(URL, {"date_from": "2026-03-05", "date_to": "2026-03-01", "export": "daily"}).status_code == 400
        assert client.get(URL, {**RANGE, "store": "999999", "export": "daily"}).status_code == 400
        assert not AuditLog.objects.filter(action="mall.report.exported").exists()

    def test_the_export_audit_row_reads_in_chinese(self):
        assert audit_action_label("mall.report.exported") == "导出商城报表"
        items = dict(audit_data_items("mall.report.exported", {"rows": 3, "filters": {"section": "flash"}}))
        assert items["筛选条件"] == "报表 秒杀售罄率"


class TestQueries:
    def test_the_page_costs_the_same_queries_for_few_or_many_orders(self, client, hq, member_a, member_b, store_a,
                                                                    store_b, skus, consultant_a):
        client.force_login(hq)

        def queries() -> int:
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(URL, RANGE).status_code == 200
            return len(ctx.captured_queries)

        order(member_a, store_a, [(skus["cash"], 1)], paid_at=at(1, 9), referral=consultant_a)
        few = queries()
        for n in range(30):
            member, store = (member_a, store_a) if n % 2 else (member_b, store_b)
            order(member, store, [(skus["cash"], 1), (skus["mixed"], 2)], paid_at=at(1 + n % 3, 9),
                  referral=consultant_a if n % 3 else hq, refunded_cash="10" if n % 5 == 0 else "0")
        many = queries()

        assert many == few
        assert many <= 20

    def test_an_export_costs_a_few_queries(self, client, manager_a, member_a, store_a, skus):
        for n in range(10):
            order(member_a, store_a, [(skus["cash"], 1)], paid_at=at(1, 9))
        client.force_login(manager_a)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(URL, {**RANGE, "export": "daily"})
            read_csv(response)
        assert len(ctx.captured_queries) <= 8

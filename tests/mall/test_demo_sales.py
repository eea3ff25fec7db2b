"""The mall's demo sales (``seed_demo`` steps ``mall.demo_sales``): the
weekly Thursday points flash sale scheduled ahead, last Thursday's occurrence
sold through real orders, and orders in every state (points, cash paid
through the local backend's callback, a referral, a deposit's lead, a
voucher's coupon, a cancel, a refund); running the demo again adds nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.db.models import F, Sum
from django.utils import timezone

from mall.demo_sales import FLASH_NAME, FLASH_SERIES, FLASH_WEEKS, seed_flash_sales, seed_mall_orders
from mall.models import FlashSale, FlashSaleItem, Order, OrderLine, OrderStatus, ProductKind
from mall.models_refunds import OrderLead
from membership.models import Coupon, EntryKind, PointsEntry
from membership.services.points import points_balance_verify

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    call_command("seed_demo", members=40, no_progress=True)


def test_demo_schedules_the_thursday_flash_sale_ahead_and_last_thursdays_sold(demo):
    now = timezone.localtime()
    ahead = FlashSale.objects.filter(series=FLASH_SERIES).order_by("starts_at")
    assert ahead.count() == FLASH_WEEKS
    for sale in ahead:
        starts = timezone.localtime(sale.starts_at)
        assert (starts.weekday(), starts.hour, starts.minute) == (3, 20, 0)
        assert sale.ends_at - sale.starts_at == dt.timedelta(hours=2) and sale.ends_at > now
        assert sale.items.count() == 4 and not sale.items.filter(sold__gt=0).exists()
    last = FlashSale.objects.get(name=FLASH_NAME, series="", starts_at__lt=now)
    assert timezone.localtime(last.starts_at).weekday() == 3 and now - last.starts_at <= dt.timedelta(days=7)
    sold = last.items.aggregate(s=Sum("sold"))["s"]
    lines = OrderLine.objects.filter(flash_sale_item__sale=last).exclude(order__status=OrderStatus.CANCELLED)
    assert sold > 0 and lines.aggregate(s=Sum("quantity"))["s"] == sold
    for line in lines.select_related("order", "flash_sale_item"):
        assert last.starts_at <= line.order.created_at < last.ends_at
        assert line.order.status == OrderStatus.PAID and line.order.points_spent == line.flash_sale_item.sale_price_points


def test_demo_orders_show_every_state_and_keep_the_ledger(demo):
    orders = Order.objects.all()
    statuses = set(orders.values_list("status", flat=True))
    assert {OrderStatus.PAID, OrderStatus.FULFILLED, OrderStatus.CANCELLED, OrderStatus.REFUNDED,
            OrderStatus.PENDING_PAYMENT} <= statuses
    assert orders.filter(points_spent__gt=0, status=OrderStatus.PAID).exists()
    assert orders.filter(cash_total__gt=0, status=OrderStatus.PAID).exists()  # paid through the callback
    referred = orders.exclude(referral=None)
    assert referred.exists() and all(o.referral.store_id == o.store_id for o in referred)
    # Spread over weeks, not all today.
    assert orders.filter(created_at__lt=timezone.now() - dt.timedelta(days=2)).exists()
    # A paid deposit made its lead; a paid car-wash voucher its coupon.
    deposits = orders.filter(status=OrderStatus.PAID, lines__product__kind=ProductKind.DEPOSIT)
    assert deposits.exists() and OrderLead.objects.filter(order__in=deposits).count() == deposits.count()
    vouchers = orders.filter(status=OrderStatus.PAID, lines__product__kind=ProductKind.SERVICE_VOUCHER)
    assert vouchers.exists()
    assert Coupon.objects.filter(member__in=vouchers.values("member")).count() >= vouchers.count()
    # Cancelled and refunded orders gave their points back; the ledger agrees with the orders.
    for order in orders.filter(status__in=[OrderStatus.CANCELLED, OrderStatus.REFUNDED], points_spent__gt=0):
        assert order.refunded_points == order.points_spent
    spent = -(PointsEntry.objects.filter(kind=EntryKind.SPEND, source_type="mall_order")
              .aggregate(s=Sum("points"))["s"] or 0)
    assert spent == orders.aggregate(s=Sum("points_spent"))["s"]
    assert points_balance_verify() == []
    # Stock: no flash item above its sale stock.
    assert not FlashSaleItem.objects.filter(sold__gt=F("sale_stock")).exists()




def test_demo_sales_run_twice_add_nothing(demo):
    sales, orders, entries = FlashSale.objects.count(), Order.objects.count(), PointsEntry.objects.count()
    assert orders > 0
    assert seed_flash_sales() == {"flash_sales": 0}
    assert seed_mall_orders() == {"orders": 0}
    call_command("seed_demo", members=40, no_progress=True)
    assert (FlashSale.objects.count(), Order.objects.count(), PointsEntry.objects.count()) == (sales, orders, entries)

"""Flash sales: orders at the sale price, the refusals (not_started, ended,
sold_out, limit_reached), cancel and expiry giving the sale stock back, weekly
occurrences each with their own stock, and the Redis gate (answers a rush
without the database, gives back units of an order that failed)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from mall import flash_gate
from mall.exceptions import MallForbidden, OrderError
from mall.models import FlashSale, FlashSaleItem, OrderStatus, Sku
from mall.services_flash import flash_sale_create, flash_sale_schedule_weekly
from mall.services_orders import order_cancel, order_create, orders_expire
from tests.mall.conftest import make_product
from tests.mall.flash_helpers import make_flash_item, redis_gate  # noqa: F401  (fixture)
from tests.mall.orders_helpers import assert_ledger_consistent, balance, card, rich  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db


def flash_buy(member, store, item, quantity=1, **kwargs):
    return order_create(member=member, store=store, lines=[{"flash_sale_item": item.pk, "quantity": quantity}],
                        **kwargs)


def sold(item) -> int:
    return FlashSaleItem.objects.get(pk=item.pk).sold


def sku_stock(item) -> int:
    return Sku.objects.get(pk=item.sku_id).stock


def test_an_order_at_the_sale_price_takes_sale_and_sku_stock(rich, store_a, hq):
    item = make_flash_item(hq, cash=Decimal("9.90"), points=500, sale_stock=3, limit=2)
    order = flash_buy(rich, store_a, item, 2)
    assert (order.cash_total, order.points_spent, order.status) == (Decimal("19.80"), 1000, OrderStatus.PENDING_PAYMENT)
    line = order.lines.get()
    assert (line.flash_sale_item_id, line.unit_cash, line.unit_points) == (item.pk, Decimal("9.90"), 500)
    assert sold(item) == 2 and sku_stock(item) == 18 and balance(rich) == 9000
    assert_ledger_consistent(rich)


@pytest.mark.parametrize(("starts", "ends", "code"), [(1, 2, "not_started"), (-2, -1, "ended")])
def test_outside_the_window_is_refused(rich, store_a, hq, starts, ends, code):
    item = make_flash_item(hq, starts=starts, ends=ends)
    with pytest.raises(OrderError) as excinfo:
        flash_buy(rich, store_a, item)
    assert excinfo.value.code == code and excinfo.value.status_code == 409
    assert sold(item) == 0 and sku_stock(item) == 20 and balance(rich) == 10_000


def test_sold_out_and_limit_reached(rich, member_b, store_a, hq, tiers):
    from membership.models import MembershipCard
    from tests.mall.orders_helpers import give_points

    item = make_flash_item(hq, sale_stock=2, limit=1)
    flash_buy(rich, store_a, item)
    with pytest.raises(OrderError) as excinfo:
        flash_buy(rich, store_a, item)
    assert excinfo.value.code == "limit_reached"
    MembershipCard.objects.create(member=member_b, tier=tiers["normal"])
    give_points(member_b, 5000)
    with pytest.raises(OrderError) as excinfo:
        flash_buy(member_b, store_a, item, 2)
    assert excinfo.value.code == "limit_reached"
    flash_buy(member_b, store_a, item)
    assert sold(item) == 2 and sku_stock(item) == 18


def test_sold_out_when_the_sale_stock_is_gone(rich, store_a, hq):
    item = make_flash_item(hq, sale_stock=1, limit=5)
    with pytest.raises(OrderError) as excinfo:
        flash_buy(rich, store_a, item, 2)
    assert excinfo.value.code == "sold_out"
    assert sold(item) == 0 and sku_stock(item) == 20 and balance(rich) == 10_000


def test_sold_out_when_the_skus_own_stock_is_gone(rich, store_a, hq):
    item = make_flash_item(hq, stock=1, sale_stock=3, limit=3)
    with pytest.raises(OrderError) as excinfo:
        flash_buy(rich, store_a, item, 2)
    assert excinfo.value.code == "sold_out"
    assert sold(item) == 0 and sku_stock(item) == 1 and balance(rich) == 10_000


def test_cancel_gives_the_sale_stock_back_and_the_limit_frees(rich, store_a, hq):
    item = make_flash_item(hq, cash=Decimal("9.90"), points=500, sale_stock=1, limit=1)
    order = flash_buy(rich, store_a, item)
    order_cancel(order=order)
    assert sold(item) == 0 and sku_stock(item) == 20 and balance(rich) == 10_000
    again = flash_buy(rich, store_a, item)
    assert again.status == OrderStatus.PENDING_PAYMENT and sold(item) == 1


def test_expiry_gives_the_sale_stock_back(rich, store_a, hq):
    item = make_flash_item(hq, cash=Decimal("9.90"), points=500, sale_stock=1)
    order = flash_buy(rich, store_a, item)
    assert orders_expire(now=order.expires_at + dt.timedelta(seconds=1)) == 1
    assert sold(item) == 0 and sku_stock(item) == 20 and balance(rich) == 10_000
    assert_ledger_consistent(rich)


def test_a_failed_points_spend_leaves_the_sale_stock(card, member_a, store_a, hq):
    item = make_flash_item(hq, points=500)
    with pytest.raises(OrderError) as excinfo:
        flash_buy(member_a, store_a, item)
    assert excinfo.value.code == "insufficient_points"
    assert sold(item) == 0 and sku_stock(item) == 20


def test_weekly_occurrences_each_have_their_own_stock(hq):
    sku = make_product(hq, name="周四秒杀").skus.get()
    now = timezone.make_aware(dt.datetime(2026, 12, 7, 12, 0))  # a Monday
    items = [{"sku": sku.pk, "sale_price_points": 100, "sale_stock": 50, "limit_per_member": 1}]
    made = flash_sale_schedule_weekly(actor=hq, name="周四积分秒杀", series="thursday", weekday=3,
                                      start=dt.time(20), end=dt.time(22), items=items, weeks=3, now=now)
    assert [timezone.localtime(s.starts_at).date() for s in made] == [
        dt.date(2026, 12, 10), dt.date(2026, 12, 17), dt.date(2026, 12, 24)]
    assert all(timezone.localtime(s.starts_at).hour == 20 and timezone.localtime(s.ends_at).hour == 22 for s in made)
    assert FlashSaleItem.objects.filter(sale__series="thursday", sale_stock=50, sold=0).count() == 3
    again = flash_sale_schedule_weekly(actor=hq, name="周四积分秒杀", series="thursday", weekday=3,
                                       start=dt.time(20), end=dt.time(22), items=items, weeks=4, now=now)
    assert len(again) == 1 and FlashSale.objects.filter(series="thursday").count() == 4


def test_a_manager_sells_only_their_stores_products(manager_a, store_a, store_b, hq):
    own = make_product(hq, name="本店", store=store_a).skus.get()
    other = make_product(hq, name="他店", store=store_b).skus.get()
    now = timezone.now()
    window = {"starts_at": now, "ends_at": now + dt.timedelta(hours=1)}
    sale = flash_sale_create(actor=manager_a, name="本店秒杀", items=[{"sku": own.pk, "sale_price_points": 1,
                                                                      "sale_stock": 1}], **window)
    assert sale.items.count() == 1
    with pytest.raises(MallForbidden):
        flash_sale_create(actor=manager_a, name="他店秒杀",
                          items=[{"sku": other.pk, "sale_price_points": 1, "sale_stock": 1}], **window)


class TestRedisGate:
    def test_sold_out_is_answered_by_redis_without_the_database(self, rich, store_a, hq, redis_gate,
                                                                django_assert_max_num_queries):
        item = make_flash_item(hq, sale_stock=1, limit=5)
        flash_buy(rich, store_a, item)
        assert int(redis_gate.get(f"mall:flash:{item.pk}:left")) == 0
        assert int(redis_gate.hget(f"mall:flash:{item.pk}:taken", rich.pk)) == 1
        # the database would still refuse; the gate refuses first, before any write
        with django_assert_max_num_queries(8) as captured:
            with pytest.raises(OrderError) as excinfo:
                flash_buy(rich, store_a, item)
        assert excinfo.value.code == "sold_out"
        assert not [q for q in captured.captured_queries if q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT"))]

    def test_limit_reached_from_redis_and_units_back_when_the_order_fails(self, card, member_a, store_a, hq,
                                                                          redis_gate):
        item = make_flash_item(hq, sale_stock=3, limit=1)
        with pytest.raises(OrderError) as excinfo:  # no points: the transaction fails after the gate
            flash_buy(member_a, store_a, item)
        assert excinfo.value.code == "insufficient_points"
        assert int(redis_gate.get(f"mall:flash:{item.pk}:left")) == 3
        assert int(redis_gate.hget(f"mall:flash:{item.pk}:taken", member_a.pk)) == 0
        assert flash_gate.take(item.pk, member_a.pk, 1, 1, stock_left=3, held=0) == flash_gate.OK
        assert flash_gate.take(item.pk, member_a.pk, 1, 1, stock_left=3, held=0) == flash_gate.LIMIT_REACHED
        flash_gate.give_back(item.pk, member_a.pk, 1)
        assert int(redis_gate.get(f"mall:flash:{item.pk}:left")) == 3

    def test_cancel_gives_the_units_back_to_redis(self, rich, store_a, hq, redis_gate, django_capture_on_commit_callbacks):
        item = make_flash_item(hq, cash=Decimal("9.90"), sale_stock=1, limit=1)
        order = flash_buy(rich, store_a, item)
        assert int(redis_gate.get(f"mall:flash:{item.pk}:left")) == 0
        with django_capture_on_commit_callbacks(execute=True):
            order_cancel(order=order)
        assert int(redis_gate.get(f"mall:flash:{item.pk}:left")) == 1
        assert int(redis_gate.hget(f"mall:flash:{item.pk}:taken", rich.pk)) == 0
        assert flash_buy(rich, store_a, item).status == OrderStatus.PENDING_PAYMENT and sold(item) == 1

    def test_without_redis_url_the_gate_passes(self, settings):
        settings.REDIS_URL = ""
        assert flash_gate.take(1, 1, 1, 1, stock_left=0, held=0) == flash_gate.PASSED

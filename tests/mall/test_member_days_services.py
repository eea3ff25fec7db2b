"""Member days (会员日): the price of each tier on the day (Asia/Shanghai
midnights), never the day before or after; rounding; which products a day
covers; orders priced at the member price (flash-sale lines not); mall
orders earning points × the day's multiplier once paid, and giving back the
refunded share; the limits and who may run which day."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from accounts.models import AuditLog, Role
from mall import exceptions as errors
from mall.exceptions import MallError, MallForbidden, OrderError
from mall.models import Category, MemberDay, Order
from mall.selectors_member_days import member_day_get_for_staff, member_day_list_for_staff
from mall.services_member_days import (
    discounted_cash, discounted_points, member_day_offer, member_day_price, member_day_update,
)
from mall.services_orders import APPLIED, order_create
from mall.services_refunds import order_paid_effects, order_refund
from membership.models import EarningRule, EarningRuleKind, MembershipCard, PointsEntry
from tests.mall.conftest import make_product
from tests.mall.flash_helpers import make_flash_item
from tests.mall.member_days_helpers import (
    BEFORE, DAY, DAY_END, DAY_START, LAST_SECOND, ON_THE_DAY, discount, make_member_day,
)
from tests.mall.orders_helpers import (  # noqa: F401  (fixtures)
    assert_ledger_consistent, balance, card, cash_sku, mixed_sku, rich, send_callback,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def silver(card, tiers):
    MembershipCard.objects.filter(pk=card.pk).update(tier=tiers["silver"])
    return card


@pytest.fixture
def day_on_mixed(hq, tiers, mixed_sku):
    """银卡 95折 on cash and 9折 on points, 金卡 9折, on the mixed SKU's product (99 元 + 2,000 积分)."""
    return make_member_day(hq, products=[mixed_sku.product],
                           discounts=[discount(tiers["silver"], 5, 10), discount(tiers["gold"], 10)])


@pytest.fixture
def mall_rule(db):
    return EarningRule.objects.create(kind=EarningRuleKind.PER_YUAN_MALL, points=Decimal("1"))


# --- prices ------------------------------------------------------------------------------------


def test_price_by_tier_on_the_day(day_on_mixed, silver, member_a, store_a, mixed_sku, tiers):
    price = member_day_price(sku=mixed_sku, member=member_a, store=store_a, now=ON_THE_DAY)
    assert (price.cash, price.points) == (Decimal("94.05"), 1800)
    assert price.member_day == day_on_mixed and price.cash_off_percent == Decimal("5.00")
    MembershipCard.objects.filter(member=member_a).update(tier=tiers["gold"])
    price = member_day_price(sku=mixed_sku, member=member_a, store=store_a, now=ON_THE_DAY)
    assert (price.cash, price.points) == (Decimal("89.10"), 1800)


def test_a_tier_without_a_discount_or_a_member_without_a_card_pays_the_list_price(day_on_mixed, card, member_a,
                                                                                  member_b, store_a, mixed_sku):
    assert member_day_price(sku=mixed_sku, member=member_a, store=store_a, now=ON_THE_DAY) is None  # 普卡
    assert member_day_price(sku=mixed_sku, member=member_b, store=store_a, now=ON_THE_DAY) is None  # no card


@pytest.mark.parametrize(("now", "discounted"), [
    (BEFORE, False), (DAY_START, True), (LAST_SECOND, True), (DAY_END, False),
    (DAY_START - dt.timedelta(days=1), False), (DAY_END + dt.timedelta(hours=12), False),
])
def test_price_only_on_the_day_in_shanghai(day_on_mixed, silver, member_a, store_a, mixed_sku, now, discounted):
    price = member_day_price(sku=mixed_sku, member=member_a, store=store_a, now=now)
    assert (price is not None) is discounted
    offer = member_day_offer(member=member_a, store=store_a, now=now)
    assert (offer is not None) is discounted
    if discounted:
        assert offer.date == DAY and offer.multiplier == Decimal("2.00")


def test_rounding_half_up_to_the_fen_points_floored_never_free():
    assert discounted_cash(Decimal("0.30"), Decimal("5")) == Decimal("0.29")  # 0.285: half up, not half even
    assert discounted_cash(Decimal("99.99"), Decimal("5")) == Decimal("94.99")
    assert discounted_cash(Decimal("0.01"), Decimal("50")) == Decimal("0.01")
    assert discounted_cash(None, Decimal("5")) is None
    assert discounted_points(1999, Decimal("10")) == 1799
    assert discounted_points(15, Decimal("50")) == 7
    assert discounted_points(1, Decimal("50")) == 1
    assert discounted_points(None, Decimal("10")) is None


def test_categories_cover_their_sub_categories(hq, tiers, silver, member_a, store_a):
    parent = Category.objects.create(name="汽车精品")
    child = Category.objects.create(name="脚垫", parent=parent)
    inside = make_product(hq, name="脚垫", category=child).skus.get()
    outside = make_product(hq, name="香薰", category=Category.objects.create(name="生活好物")).skus.get()
    make_member_day(hq, categories=[parent], discounts=[discount(tiers["silver"], 10)])
    assert member_day_price(sku=inside, member=member_a, store=store_a, now=ON_THE_DAY).cash == Decimal("89.10")
    assert member_day_price(sku=outside, member=member_a, store=store_a, now=ON_THE_DAY) is None


def test_group_day_limited_to_stores_and_a_store_day_on_its_own_products(hq, tiers, store_a, store_b, member_a,
                                                                         silver, product_a, mixed_sku):
    make_member_day(hq, products=[mixed_sku.product], stores=[store_b], discounts=[discount(tiers["silver"], 10)])
    assert member_day_price(sku=mixed_sku, member=member_a, store=store_a, now=ON_THE_DAY) is None
    assert member_day_price(sku=mixed_sku, member=member_a, store=store_b, now=ON_THE_DAY) is not None
    make_member_day(hq, store=store_a, products=[product_a], discounts=[discount(tiers["silver"], 20)],
                    multiplier="3.00")
    own = product_a.skus.get()
    assert member_day_price(sku=own, member=member_a, store=store_a, now=ON_THE_DAY).cash == Decimal("134.40")
    offer = member_day_offer(member=member_a, store=store_a, now=ON_THE_DAY)
    assert offer.multiplier == Decimal("3.00") and offer.price(mixed_sku) is None


def test_group_and_store_day_on_one_date_give_the_better_discount(hq, tiers, store_a, member_a, silver, product_a):
    sku = product_a.skus.get()  # 168 元
    make_member_day(hq, products=[product_a], discounts=[discount(tiers["silver"], 10, 0)], multiplier="1.50")
    make_member_day(hq, store=store_a, products=[product_a], discounts=[discount(tiers["silver"], 5)],
                    multiplier="1.00")
    offer = member_day_offer(member=member_a, store=store_a, now=ON_THE_DAY)
    assert offer.price(sku).cash == Decimal("151.20") and offer.multiplier == Decimal("1.50")


# --- orders ------------------------------------------------------------------------------------


def test_order_lines_at_the_member_price(day_on_mixed, silver, rich, store_a, mixed_sku):
    order = order_create(member=rich, store=store_a, lines=[{"sku": mixed_sku.pk, "quantity": 2}], now=ON_THE_DAY)
    line = order.lines.get()
    assert (line.unit_cash, line.unit_points) == (Decimal("94.05"), 1800)
    assert (line.line_cash, line.line_points) == (Decimal("188.10"), 3600)
    assert order.cash_total == order.cash_due == Decimal("188.10") and order.points_spent == 3600
    assert balance(rich) == 10_000 - 3600


def test_order_the_day_before_is_at_the_list_price(day_on_mixed, silver, rich, store_a, mixed_sku):
    order = order_create(member=rich, store=store_a, lines=[{"sku": mixed_sku.pk, "quantity": 1}], now=BEFORE)
    assert order.cash_due == Decimal("99.00") and order.points_spent == 2000


def test_order_confirms_the_member_points(day_on_mixed, silver, rich, store_a, mixed_sku):
    with pytest.raises(OrderError) as caught:
        order_create(member=rich, store=store_a, lines=[{"sku": mixed_sku.pk, "quantity": 1}], points=2000,
                     now=ON_THE_DAY)
    assert caught.value.code == "points_mismatch"
    order = order_create(member=rich, store=store_a, lines=[{"sku": mixed_sku.pk, "quantity": 1}], points=1800,
                         now=ON_THE_DAY)
    assert order.points_spent == 1800


def test_flash_sale_lines_are_not_discounted_further(hq, tiers, silver, rich, store_a):
    item = make_flash_item(hq, points=500)
    today = timezone.localdate()
    make_member_day(hq, day=today, products=[item.sku.product], discounts=[discount(tiers["silver"], 50)])
    order = order_create(member=rich, store=store_a, lines=[{"flash_sale_item": item.pk, "quantity": 1},
                                                            {"sku": item.sku.pk, "quantity": 1}])
    flash_line = order.lines.get(flash_sale_item=item)
    sku_line = order.lines.get(flash_sale_item__isnull=True)
    assert flash_line.unit_points == 500 and flash_line.unit_cash == 0
    assert (sku_line.unit_cash, sku_line.unit_points) == (Decimal("49.50"), 1000)


# --- points for mall orders --------------------------------------------------------------------


def pay(order) -> Order:
    assert send_callback(order.number, int(order.cash_due * 100)).notification.outcome == APPLIED
    return Order.objects.get(pk=order.pk)


def earned(order) -> PointsEntry | None:
    return PointsEntry.objects.filter(idempotency_key=f"mall-order-earn:{order.number}").first()


def test_paid_cash_earns_points_by_the_rule_and_tier_on_any_day(mall_rule, card, member_a, store_a, cash_sku):
    order = pay(order_create(member=member_a, store=store_a, lines=[{"sku": cash_sku.pk, "quantity": 1}],
                             now=BEFORE))
    entry = earned(order)
    assert entry.points == 399 and balance(member_a) == 399  # 399.50 × 1 × 1.00, floored
    order_paid_effects(order)  # a repeated callback: no second earn
    assert PointsEntry.objects.filter(member=member_a, kind="earn").count() == 1 and balance(member_a) == 399
    assert_ledger_consistent(member_a)


def test_member_day_multiplies_the_earned_points(hq, mall_rule, silver, member_a, store_a, cash_sku):
    make_member_day(hq, multiplier="2.00")  # a multiplier-only day: no discounts
    order = pay(order_create(member=member_a, store=store_a, lines=[{"sku": cash_sku.pk, "quantity": 1}],
                             now=ON_THE_DAY))
    assert order.cash_due == Decimal("399.50")
    assert earned(order).points == 958  # 399.50 × 1 × 1.20 (银卡) × 2, floored
    assert "会员日 2 倍积分" in earned(order).reason


def test_no_earning_without_the_rule_or_cash(hq, card, rich, store_a, cash_sku):
    order = pay(order_create(member=rich, store=store_a, lines=[{"sku": cash_sku.pk, "quantity": 1}]))
    assert earned(order) is None  # no per_yuan_mall rule
    EarningRule.objects.create(kind=EarningRuleKind.PER_YUAN_MALL, points=Decimal("1"))
    points_only = make_product(hq, name="香薰", skus=[{"name": "标准", "price_points": 100, "stock": 3}]).skus.get()
    order = order_create(member=rich, store=store_a, lines=[{"sku": points_only.pk, "quantity": 1}])
    assert order.status == "paid" and earned(order) is None


def test_refund_takes_back_the_refunded_share(hq, mall_rule, silver, member_a, store_a, cash_sku, manager_a):
    make_member_day(hq, multiplier="2.00")
    order = pay(order_create(member=member_a, store=store_a, lines=[{"sku": cash_sku.pk, "quantity": 1}],
                             now=ON_THE_DAY))
    assert balance(member_a) == 958
    order_refund(order=order, actor=manager_a, amount=Decimal("199.75"), reason="部分退款")
    assert balance(member_a) == 958 - 479  # half the cash: floor(958 / 2)
    order_refund(order=Order.objects.get(pk=order.pk), actor=manager_a, amount=Decimal("199.75"), reason="余款")
    assert balance(member_a) == 0
    reversals = PointsEntry.objects.filter(member=member_a, source_type="earn_reversal")
    assert sorted(e.points for e in reversals) == [-479, -479]
    assert AuditLog.objects.filter(action="membership.points.earn_reversed").count() == 2
    assert_ledger_consistent(member_a)


def test_refund_never_takes_more_than_the_member_has(hq, mall_rule, card, member_a, store_a, cash_sku, manager_a):
    order = pay(order_create(member=member_a, store=store_a, lines=[{"sku": cash_sku.pk, "quantity": 1}]))
    assert balance(member_a) == 399
    gift = make_product(hq, name="保温杯", skus=[{"name": "白色", "price_points": 300, "stock": 3}]).skus.get()
    order_create(member=member_a, store=store_a, lines=[{"sku": gift.pk, "quantity": 1}])  # spends 300 of them
    order_refund(order=order, actor=manager_a, amount=Decimal("399.50"), reason="退货")
    assert balance(member_a) == 0  # 99 taken back, not 399: never below zero
    reversal = PointsEntry.objects.get(member=member_a, source_type="earn_reversal")
    assert reversal.points == -99
    assert AuditLog.objects.get(action="membership.points.earn_reversed").data["wanted"] == 399
    assert_ledger_consistent(member_a)


# --- limits and who may ------------------------------------------------------------------------


@pytest.mark.parametrize(("kwargs", "field", "message"), [
    ({"discounts": "over"}, "cash_off_silver", errors.MEMBER_DAY_DISCOUNT_RANGE),
    ({"discounts": "negative"}, "points_off_silver", errors.MEMBER_DAY_DISCOUNT_RANGE),
    ({"multiplier": "0.50"}, "points_multiplier", errors.MEMBER_DAY_MULTIPLIER_RANGE),
    ({"multiplier": "10.01"}, "points_multiplier", errors.MEMBER_DAY_MULTIPLIER_RANGE),
    ({"multiplier": "1.00"}, "points_multiplier", errors.MEMBER_DAY_NEEDS_BENEFIT),
    ({"day": dt.date(2020, 1, 18)}, "day", errors.MEMBER_DAY_PAST),
    ({"products": "none"}, "products", errors.MEMBER_DAY_NEEDS_PRODUCTS),
])
def test_limits_are_refused_on_their_field(hq, tiers, mixed_sku, kwargs, field, message):
    values = {"products": [mixed_sku.product], "discounts": [discount(tiers["silver"], 10)]}
    if kwargs.get("discounts") == "over":
        kwargs = {"discounts": [discount(tiers["silver"], "50.01", 0)]}
    elif kwargs.get("discounts") == "negative":
        kwargs = {"discounts": [discount(tiers["silver"], 0, -1)]}
    elif kwargs.get("products") == "none":
        kwargs = {"products": []}
    elif kwargs.get("multiplier") == "1.00":
        kwargs = {"multiplier": "1.00", "discounts": []}
    with pytest.raises(MallError) as caught:
        make_member_day(hq, **{**values, **kwargs})
    assert caught.value.fields == {field: [str(message)]}
    assert not MemberDay.objects.exists()


def test_fifty_percent_and_ten_times_are_allowed(hq, tiers, mixed_sku):
    day = make_member_day(hq, products=[mixed_sku.product], discounts=[discount(tiers["silver"], 50)],
                          multiplier="10")
    assert day.points_multiplier == Decimal("10.00") and day.discounts.get().cash_off_percent == Decimal("50.00")


def test_one_member_day_per_date_and_scope(hq, store_a, store_b):
    make_member_day(hq)
    with pytest.raises(MallError) as caught:
        make_member_day(hq)
    assert caught.value.fields == {"day": [str(errors.MEMBER_DAY_TAKEN)]}
    make_member_day(hq, store=store_a)  # a store's day on the group's date is another scope
    make_member_day(hq, store=store_b)
    with pytest.raises(MallError):
        make_member_day(hq, store=store_a)
    assert MemberDay.objects.count() == 3


def test_the_database_refuses_a_second_day_in_one_scope(store_a):
    MemberDay.objects.create(day=DAY)
    with pytest.raises(IntegrityError), transaction.atomic():
        MemberDay.objects.create(day=DAY)
    MemberDay.objects.create(day=DAY, store=store_a)
    with pytest.raises(IntegrityError), transaction.atomic():
        MemberDay.objects.create(day=DAY, store=store_a)
    with pytest.raises(IntegrityError), transaction.atomic():
        MemberDay.objects.create(day=DAY + dt.timedelta(days=1), points_multiplier=Decimal("11"))


def test_manager_runs_their_stores_day_only(make_staff, manager_a, store_a, store_b, tiers, product_a, product_b,
                                            mixed_sku):
    with pytest.raises(MallForbidden):
        make_member_day(manager_a)  # a group day is HQ's
    with pytest.raises(MallForbidden):
        make_member_day(manager_a, store=store_b)
    with pytest.raises(MallError) as caught:
        make_member_day(manager_a, store=store_a, products=[mixed_sku.product],
                        discounts=[discount(tiers["silver"], 10)])
    assert caught.value.fields == {"products": [str(errors.MEMBER_DAY_STORE_PRODUCTS)]}
    day = make_member_day(manager_a, store=store_a, products=[product_a], discounts=[discount(tiers["gold"], 10)])
    assert AuditLog.objects.filter(action="mall.member_day.created", store=store_a).count() == 1
    manager_b = make_staff(Role.MANAGER, store_b, username="s02_manager")
    with pytest.raises(MallForbidden):
        member_day_update(actor=manager_b, member_day=day, day=DAY, products=[product_b],
                          discounts=[discount(tiers["gold"], 10)])


def test_staff_see_their_stores_days_another_stores_is_404(hq, make_staff, manager_a, store_a, store_b, consultant_b):
    group = make_member_day(hq)
    own = make_member_day(hq, store=store_a)
    other = make_member_day(hq, store=store_b)
    elsewhere = make_member_day(hq, day=DAY + dt.timedelta(days=1), stores=[store_b])
    assert set(member_day_list_for_staff(actor=manager_a)) == {group, own}
    assert set(member_day_list_for_staff(actor=consultant_b)) == {group, other, elsewhere}
    assert set(member_day_list_for_staff(actor=hq)) == {group, own, other, elsewhere}
    for day in (other, elsewhere):
        with pytest.raises(Http404):
            member_day_get_for_staff(actor=manager_a, pk=day.pk)


def test_update_changes_the_day_and_refuses_a_past_one(hq, tiers, mixed_sku):
    day = make_member_day(hq)
    member_day_update(actor=hq, member_day=day, day=DAY, name="年货会员日", products=[mixed_sku.product],
                      points_multiplier=Decimal("3"), discounts=[discount(tiers["gold"], 12)])
    day.refresh_from_db()
    assert day.name == "年货会员日" and day.points_multiplier == Decimal("3.00")
    assert [(d.tier.code, d.cash_off_percent) for d in day.discounts.all()] == [("gold", Decimal("12.00"))]
    with pytest.raises(MallError) as caught:
        member_day_update(actor=hq, member_day=day, day=DAY, points_multiplier=Decimal("2"),
                          now=DAY_END + dt.timedelta(days=1))
    assert caught.value.fields == {"day": [str(errors.MEMBER_DAY_PAST)]}

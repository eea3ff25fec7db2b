"""Shared parts of the referral (分销) tests: a commission rule, a referred
order paid through the local backend's signed callback, fulfilled at the
counter."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Sum

from mall.models import Commission, CommissionKind, CommissionRule, Order
from mall.services_orders import APPLIED, order_create, order_fulfil
from tests.mall.orders_helpers import send_callback


@pytest.fixture
def rule(mixed_sku):
    """10 % of the cash paid + 5 yuan per 1,000 points on the mixed SKU's product."""
    return CommissionRule.objects.create(product=mixed_sku.product, cash_percent=Decimal("10"),
                                         per_1000_points=Decimal("5"))


def referred_order(member, store, sku, staff, *, quantity=1, now=None, code=True) -> Order:
    """An order of ``sku`` by ``member`` referred by ``staff`` (their code sent with it), paid."""
    order = order_create(member=member, store=store, lines=[{"sku": sku.pk, "quantity": quantity}],
                         referral=staff.referral_code if code else "", now=now)
    if order.cash_due:
        assert send_callback(order.number, int(order.cash_due * 100)).notification.outcome == APPLIED
    return Order.objects.get(pk=order.pk)


def fulfilled(order, actor, now=None) -> Order:
    return order_fulfil(actor=actor, order=order, pickup_code=order.pickup_code, now=now)


def earned(order) -> Commission:
    return Commission.objects.get(order=order, kind=CommissionKind.EARNED)


def net(order) -> Decimal:
    """What the referrer keeps of the order: the earned line plus its reversal lines."""
    total = Commission.objects.filter(order=order).aggregate(s=Sum("amount"))["s"] or Decimal("0")
    return total.quantize(Decimal("0.01"))  # SQLite sums decimals as floats


def days(n: float) -> dt.timedelta:
    return dt.timedelta(days=n)

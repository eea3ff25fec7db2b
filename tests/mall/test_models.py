"""The catalogue's constraints: stock never below zero, a SKU always has a price."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.db.models import F

from mall.models import PayKind, Product, Sku

pytestmark = pytest.mark.django_db


@pytest.fixture
def product(db):
    return Product.objects.create(name="脚垫")


def test_stock_cannot_go_below_zero(product):
    sku = Sku.objects.create(product=product, name="黑色", price_cash=Decimal("99"), stock=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        Sku.objects.filter(pk=sku.pk).update(stock=F("stock") - 3)
    # The conditional UPDATE orders will use: 0 rows when not enough is left.
    assert Sku.objects.filter(pk=sku.pk, stock__gte=3).update(stock=F("stock") - 3) == 0
    assert Sku.objects.filter(pk=sku.pk, stock__gte=2).update(stock=F("stock") - 2) == 1
    sku.refresh_from_db()
    assert sku.stock == 0


def test_a_sku_needs_a_cash_or_points_price(product):
    with pytest.raises(IntegrityError), transaction.atomic():
        Sku.objects.create(product=product, name="无价", stock=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Sku.objects.create(product=product, name="零元", price_cash=Decimal("0"), stock=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Sku.objects.create(product=product, name="零积分", price_points=0, stock=1)


def test_pay_kind_and_price_text(product):
    cash = Sku(product=product, name="a", price_cash=Decimal("99.00"))
    points = Sku(product=product, name="b", price_points=2000)
    mixed = Sku(product=product, name="c", price_cash=Decimal("99"), price_points=2000)
    cents = Sku(product=product, name="d", price_cash=Decimal("1299.50"))
    assert (cash.pay_kind, points.pay_kind, mixed.pay_kind) == (PayKind.CASH, PayKind.POINTS, PayKind.MIXED)
    assert cash.price_text == "99 元"
    assert points.price_text == "2,000 积分"
    assert mixed.price_text == "99 元 + 2,000 积分"
    assert cents.price_text == "1,299.50 元"


def test_a_product_without_store_is_a_group_product(product, store_a):
    assert product.is_group
    assert not Product(name="x", store=store_a).is_group

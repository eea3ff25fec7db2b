"""Orders under a rush: threads released together, each on its own
connection, on SQLite (IMMEDIATE transactions serialise the writers) and on
PostgreSQL (conditional UPDATEs and row locks):

    .venv/bin/python -m pytest tests/mall/test_orders_concurrency.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dealerops .venv/bin/python -m pytest tests/mall/test_orders_concurrency.py

Never oversold, never over a member's limit, never points without an order
or an order without its points; a late callback racing the expiry ends in
exactly one outcome."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Sum

from mall.exceptions import OrderError
from mall.models import Order, OrderLine, OrderStatus, Sku
from mall.models_payments import PaymentNotification
from mall.services_orders import AMOUNT_MISMATCH, APPLIED, REFUND_STARTED, order_create, orders_expire
from membership.models import MembershipCard, PointsEntry
from tests.concurrency import run_together
from tests.mall.conftest import make_product
from tests.mall.orders_helpers import assert_ledger_consistent, give_points, send_callback

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 8


@pytest.fixture
def buyers(make_member, store_a, tiers):
    members = []
    for i in range(THREADS):
        member = make_member(store_a, name=f"买家{i}", with_vehicle=False)
        MembershipCard.objects.create(member=member, tier=tiers["normal"])
        give_points(member, 3000, key=f"seed-{i}")
        members.append(member)
    return members


def test_concurrent_buyers_of_the_last_units_never_oversell(buyers, store_a, hq):
    sku = make_product(hq, name="秒杀脚垫", skus=[{"name": "黑色", "price_cash": Decimal("9.90"),
                                                  "price_points": 2000, "stock": 3}]).skus.get()

    results = run_together(
        lambda i: order_create(member=buyers[i], store=store_a, lines=[{"sku": sku.pk, "quantity": 1}]), THREADS)

    orders = [r for r in results if isinstance(r, Order)]
    refused = [r for r in results if isinstance(r, OrderError)]
    assert len(orders) == 3 and len(refused) == THREADS - 3, results
    assert {r.code for r in refused} == {"sold_out"}
    assert Sku.objects.get(pk=sku.pk).stock == 0
    assert OrderLine.objects.aggregate(q=Sum("quantity"))["q"] == 3
    spent = -(PointsEntry.objects.filter(kind="spend").aggregate(s=Sum("points"))["s"] or 0)
    assert spent == Order.objects.aggregate(s=Sum("points_spent"))["s"] == 6000
    for member in buyers:
        has_order = Order.objects.filter(member=member).exists()
        assert MembershipCard.objects.get(member=member).points_balance == (1000 if has_order else 3000)
        assert_ledger_consistent(member)


def test_one_member_racing_themselves_stays_within_the_limit(buyers, store_a, hq):
    member = buyers[0]
    sku = make_product(hq, name="限购一件", limit_per_member=1,
                       skus=[{"name": "A", "price_points": 100, "stock": 50}]).skus.get()

    results = run_together(
        lambda i: order_create(member=member, store=store_a, lines=[{"sku": sku.pk, "quantity": 1}]), THREADS)

    orders = [r for r in results if isinstance(r, Order)]
    assert len(orders) == 1, results
    assert {r.code for r in results if isinstance(r, OrderError)} == {"limit_reached"}
    assert Sku.objects.get(pk=sku.pk).stock == 49
    assert MembershipCard.objects.get(member=member).points_balance == 2900
    assert_ledger_consistent(member)


@pytest.mark.parametrize("round_", range(3))
def test_a_late_callback_racing_the_expiry_ends_in_one_outcome(buyers, store_a, hq, monkeypatch, round_):
    from mall.payments.local import LocalPaymentBackend

    refunds = []
    monkeypatch.setattr(LocalPaymentBackend, "refund",
                        lambda self, number, refund_no, amount, total, reason="", notify_url="": refunds.append(number))
    member = buyers[0]
    sku = make_product(hq, name=f"竞态商品{round_}", skus=[{"name": "A", "price_cash": Decimal("9.90"),
                                                          "price_points": 500, "stock": 1}]).skus.get()
    order = order_create(member=member, store=store_a, lines=[{"sku": sku.pk, "quantity": 1}])
    after = order.expires_at + dt.timedelta(seconds=1)

    results = run_together(
        lambda i: orders_expire(now=after) if i == 0 else send_callback(order.number, 990).notification.outcome, 2)

    assert not [r for r in results if isinstance(r, Exception)], results
    order.refresh_from_db()
    outcome = PaymentNotification.objects.get().outcome
    assert outcome in (APPLIED, REFUND_STARTED) and outcome != AMOUNT_MISMATCH
    if outcome == APPLIED:  # the payment won: the order is paid, nothing given back
        assert results[0] == 0 and order.status == OrderStatus.PAID and not refunds
        assert Sku.objects.get(pk=sku.pk).stock == 0 and order.refunded_points == 0
        assert MembershipCard.objects.get(member=member).points_balance == 2500
    else:  # the expiry won: cancelled, stock and points back, the payment refunded
        assert results[0] == 1 and order.status == OrderStatus.CANCELLED and refunds == [order.number]
        assert Sku.objects.get(pk=sku.pk).stock == 1
        assert MembershipCard.objects.get(member=member).points_balance == 3000
    assert_ledger_consistent(member)

"""Referral commission under races, threads released together on their own
connections, on SQLite (IMMEDIATE transactions serialise the writers) and on
PostgreSQL (compare-and-set updates and row locks):

    .venv/bin/python -m pytest tests/mall/test_referrals_concurrency.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dealerops .venv/bin/python -m pytest tests/mall/test_referrals_concurrency.py

Settling a month twice at once never puts a line on two statements nor pays
it twice; a refund racing the completion job never loses its reversal,
whichever commits first."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone

from accounts.models import Role
from mall.models import Commission, CommissionStatement, CommissionStatus, Order, OrderStatus, StatementStatus
from mall.services_referrals import month_start, orders_complete, statement_mark_paid, statements_generate
from mall.services_refunds import order_refund
from tests.concurrency import run_together
from tests.mall.orders_helpers import card, give_points, mixed_sku, rich  # noqa: F401  (fixtures)
from tests.mall.referrals_helpers import days, earned, fulfilled, net, referred_order, rule  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _no_refund_callbacks(monkeypatch):
    """The local backend's refund callback is not what these tests race."""
    monkeypatch.setattr("mall.payments.local._enqueue", lambda *args, **kwargs: None)


@pytest.fixture
def staff(make_staff, store_a, consultant_a):
    return [consultant_a, make_staff(Role.CONSULTANT, store_a, username="s01_consultant2")]


def test_settling_a_month_twice_at_once_puts_each_line_on_one_statement(rich, store_a, mixed_sku, staff, manager_a,
                                                                        hq, rule):
    now = timezone.now()
    give_points(rich, 10_000, key="more")
    for member_staff in (staff[0], staff[0], staff[1]):
        fulfilled(referred_order(rich, store_a, mixed_sku, member_staff), manager_a, now=now - days(8))
    assert orders_complete(now=now) == 3
    month = month_start(timezone.localdate())

    results = run_together(lambda i: statements_generate(actor=hq, month=month), 4)

    assert not [r for r in results if isinstance(r, Exception)], results
    statements = {s.staff_id: s for s in CommissionStatement.objects.all()}
    assert set(statements) == {staff[0].pk, staff[1].pk}
    assert Commission.objects.filter(statement__isnull=True).count() == 0
    for statement in statements.values():
        on_it = Commission.objects.filter(statement=statement).aggregate(s=Sum("amount"))["s"]
        assert statement.total == on_it
    assert statements[staff[0].pk].total == Decimal("39.80") and statements[staff[1].pk].total == Decimal("19.90")

    paid = run_together(lambda i: statement_mark_paid(actor=hq, statement=statements[staff[0].pk]), 4)
    assert sorted(paid, key=str) == [False, False, False, True], paid
    assert CommissionStatement.objects.get(pk=statements[staff[0].pk].pk).status == StatementStatus.PAID


@pytest.mark.parametrize("attempt", range(3))
def test_a_refund_racing_the_completion_job_never_loses_the_reversal(rich, store_a, mixed_sku, consultant_a,
                                                                    manager_a, rule, attempt):
    now = timezone.now()
    order = fulfilled(referred_order(rich, store_a, mixed_sku, consultant_a), manager_a, now=now - days(8))

    def work(i):
        if i == 0:
            return order_refund(order=Order.objects.get(pk=order.pk), actor=manager_a, amount=Decimal("49.50"),
                                reason="部分退款")
        return orders_complete(now=now)

    results = run_together(work, 2)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert Order.objects.get(pk=order.pk).status == OrderStatus.COMPLETED
    # Whichever came first: 19.90 earned, 4.95 (half the cash part) taken back, nothing left pending.
    assert net(order) == Decimal("14.95")
    assert earned(order).status == CommissionStatus.PAYABLE
    assert set(Commission.objects.filter(order=order).values_list("status", flat=True)) == {CommissionStatus.PAYABLE}


def test_a_full_refund_racing_the_completion_job_leaves_nothing_to_pay(rich, store_a, mixed_sku, consultant_a,
                                                                      manager_a, rule):
    now = timezone.now()
    order = fulfilled(referred_order(rich, store_a, mixed_sku, consultant_a), manager_a, now=now - days(8))

    def work(i):
        if i == 0:
            return order_refund(order=Order.objects.get(pk=order.pk), actor=manager_a, amount=Decimal("99"),
                                points=2000, reason="全额退款")
        return orders_complete(now=now)

    results = run_together(work, 2)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert net(order) == Decimal("0.00")
    assert Order.objects.get(pk=order.pk).status == OrderStatus.REFUNDED

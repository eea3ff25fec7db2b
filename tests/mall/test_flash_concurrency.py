"""Flash-sale buyers under a rush: threads released together, each on its
own connection, on SQLite and PostgreSQL, with the database alone guarding
and with the Redis gate in front:

    .venv/bin/python -m pytest tests/mall/test_flash_concurrency.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dealerops .venv/bin/python -m pytest tests/mall/test_flash_concurrency.py

Never more than the sale stock, never a member over the limit, points spent
equal to the orders' points, the SKU's stock consistent with what was sold."""

from __future__ import annotations

import pytest
from django.db.models import Sum

from mall.exceptions import OrderError
from mall.models import FlashSaleItem, Order, OrderLine, Sku
from mall.services_orders import order_create
from membership.models import MembershipCard, PointsEntry
from tests.concurrency import run_together
from tests.mall.flash_helpers import make_flash_item, redis_gate  # noqa: F401  (fixture)
from tests.mall.orders_helpers import assert_ledger_consistent, give_points

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 12
SALE_STOCK = 5


@pytest.fixture
def buyers(make_member, store_a, tiers):
    members = []
    for i in range(THREADS // 2):
        member = make_member(store_a, name=f"秒杀买家{i}", with_vehicle=False)
        MembershipCard.objects.create(member=member, tier=tiers["normal"])
        give_points(member, 3000, key=f"seed-{i}")
        members.append(member)
    return members


def _rush(buyers, store, item):
    """Two threads per member, each buying one unit."""
    def work(i):
        return order_create(member=buyers[i % len(buyers)], store=store,
                            lines=[{"flash_sale_item": item.pk, "quantity": 1}])
    return run_together(work, THREADS)


def _assert_consistent(results, buyers, item):
    orders = [r for r in results if isinstance(r, Order)]
    refused = [r for r in results if isinstance(r, OrderError)]
    assert len(orders) + len(refused) == THREADS, results  # nothing else went wrong
    assert len(orders) == SALE_STOCK, results
    assert {r.code for r in refused} <= {"sold_out", "limit_reached"}, [r.code for r in refused]
    assert FlashSaleItem.objects.get(pk=item.pk).sold == SALE_STOCK
    assert Sku.objects.get(pk=item.sku_id).stock == 20 - SALE_STOCK
    assert OrderLine.objects.filter(flash_sale_item=item).aggregate(q=Sum("quantity"))["q"] == SALE_STOCK
    spent = -(PointsEntry.objects.filter(kind="spend").aggregate(s=Sum("points"))["s"] or 0)
    assert spent == Order.objects.aggregate(s=Sum("points_spent"))["s"] == SALE_STOCK * 500
    for member in buyers:
        count = Order.objects.filter(member=member).count()
        assert count <= 1
        assert MembershipCard.objects.get(member=member).points_balance == 3000 - 500 * count
        assert_ledger_consistent(member)


def test_the_database_alone_never_oversells_nor_breaks_a_limit(buyers, store_a, hq):
    item = make_flash_item(hq, sale_stock=SALE_STOCK, limit=1, points=500)
    _assert_consistent(_rush(buyers, store_a, item), buyers, item)


def test_with_the_redis_gate_never_oversells_nor_breaks_a_limit(buyers, store_a, hq, redis_gate):
    item = make_flash_item(hq, sale_stock=SALE_STOCK, limit=1, points=500)
    results = _rush(buyers, store_a, item)
    _assert_consistent(results, buyers, item)
    assert int(redis_gate.get(f"mall:flash:{item.pk}:left")) == 0
    taken = {int(k): int(v) for k, v in redis_gate.hgetall(f"mall:flash:{item.pk}:taken").items()}
    assert taken == {m.pk: Order.objects.filter(member=m).count() for m in buyers if m.pk in taken}
    assert sum(taken.values()) == SALE_STOCK

"""Shared parts of the flash-sale tests: a running sale of one SKU and the
Redis gate pointed at a test database (db 14, flushed; Redis must be
reachable: a test using it fails, never skips, when it is not)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import redis
from django.utils import timezone

from mall.services_flash import flash_sale_create
from tests.mall.conftest import make_product

REDIS_TEST_URL = "redis://127.0.0.1:6379/14"


def make_flash_item(actor, *, stock=20, sale_stock=3, limit=1, cash=None, points=500, starts=-1, ends=1,
                    name="秒杀脚垫"):
    """A sale of one SKU (its own stock ``stock``) from ``starts`` to ``ends`` hours from now."""
    sku = make_product(actor, name=name, skus=[{"name": "黑色", "price_cash": Decimal("99"), "price_points": 2000,
                                                "stock": stock}]).skus.get()
    now = timezone.now()
    sale = flash_sale_create(actor=actor, name="周四积分秒杀", starts_at=now + dt.timedelta(hours=starts),
                             ends_at=now + dt.timedelta(hours=ends),
                             items=[{"sku": sku.pk, "sale_price_cash": cash, "sale_price_points": points,
                                     "sale_stock": sale_stock, "limit_per_member": limit}])
    return sale.items.get()


@pytest.fixture
def redis_gate(settings):
    """``REDIS_URL`` set to the test Redis database, flushed before and after."""
    client = redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:  # fail clearly: the gate's tests need Redis
        pytest.fail(f"Redis is not reachable at {REDIS_TEST_URL}: {exc}")
    client.flushdb()
    settings.REDIS_URL = REDIS_TEST_URL
    yield client
    client.flushdb()

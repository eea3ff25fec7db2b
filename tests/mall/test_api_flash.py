"""Flash-sale API: the running and upcoming sales with their items and the
stock left, a manager adding a sale of their store's SKU, and an owner
buying a flash-sale item through the orders API (error codes the
mini-program shows)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from mall.models import FlashSale, Order
from mall.services_flash import flash_sale_create
from tests.mall.conftest import make_product
from tests.mall.flash_helpers import make_flash_item, redis_gate  # noqa: F401  (fixture)
from tests.mall.orders_helpers import balance, card, rich  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db

URL = "/api/v1/mall/flash-sales/"
ORDERS = "/api/v1/me/orders/"


@pytest.fixture
def owner_api(api_as, owner_a):
    return api_as(owner_a)


def test_url():
    assert reverse("api:mall:flash-sale-list") == URL


def test_running_and_upcoming_sales_with_stock_left(owner_api, rich, store_a, hq):
    running = make_flash_item(hq, sale_stock=3, limit=2, cash=Decimal("9.90"), points=500)
    upcoming = make_flash_item(hq, name="下周秒杀", starts=24, ends=26)
    make_flash_item(hq, name="已结束", starts=-3, ends=-1)
    owner_api.post(ORDERS, {"lines": [{"flash_sale_item": running.pk, "quantity": 2}], "store": "S01"}, format="json")
    body = owner_api.get(URL).json()
    sales = body["results"] if isinstance(body, dict) else body
    assert [s["id"] for s in sales] == [running.sale_id, upcoming.sale_id]
    item = sales[0]["items"][0]
    assert {k: item[k] for k in ("id", "sku", "sale_price_cash", "sale_price_points", "stock_left",
                                 "limit_per_member")} == {
        "id": running.pk, "sku": running.sku_id, "sale_price_cash": "9.90", "sale_price_points": 500,
        "stock_left": 1, "limit_per_member": 2}
    assert {"starts_at", "ends_at"} <= set(sales[0])


@pytest.mark.parametrize(("starts", "ends", "sale_stock", "code"), [
    (1, 2, 3, "not_started"), (-2, -1, 3, "ended"), (-1, 1, 0, "sold_out"),
])
def test_an_owner_is_told_why_not(owner_api, rich, store_a, hq, starts, ends, sale_stock, code):
    item = make_flash_item(hq, starts=starts, ends=ends, sale_stock=sale_stock)
    response = owner_api.post(ORDERS, {"lines": [{"flash_sale_item": item.pk, "quantity": 1}], "store": "S01"},
                              format="json")
    assert response.status_code == 409 and response.json()["code"] == code, response.json()
    assert not Order.objects.exists() and balance(rich) == 10_000


def test_an_owner_buys_once_then_limit_reached(owner_api, rich, store_a, hq):
    item = make_flash_item(hq, sale_stock=3, limit=1, points=500)
    body = {"lines": [{"flash_sale_item": item.pk, "quantity": 1}], "store": "S01", "points": 500}
    first = owner_api.post(ORDERS, body, format="json", HTTP_IDEMPOTENCY_KEY="flash-1")
    assert first.status_code == 201 and first.json()["status"] == "paid" and first.json()["points_spent"] == 500
    replay = owner_api.post(ORDERS, body, format="json", HTTP_IDEMPOTENCY_KEY="flash-1")
    assert replay.json()["id"] == first.json()["id"]
    second = owner_api.post(ORDERS, body, format="json")
    assert second.status_code == 409 and second.json()["code"] == "limit_reached"
    assert balance(rich) == 9500


def test_a_line_names_a_sku_or_a_flash_item_not_both(owner_api, rich, hq):
    item = make_flash_item(hq)
    response = owner_api.post(ORDERS, {"lines": [{"flash_sale_item": item.pk, "sku": item.sku_id, "quantity": 1}],
                                       "store": "S01"}, format="json")
    assert response.status_code == 400


def test_a_manager_adds_a_sale_of_their_store_sku(api_as, manager_a, store_a, store_b, hq):
    own = make_product(hq, name="本店精洗", store=store_a).skus.get()
    other = make_product(hq, name="他店精洗", store=store_b).skus.get()
    now = timezone.now()
    body = {"name": "本店秒杀", "starts_at": (now + dt.timedelta(hours=1)).isoformat(),
            "ends_at": (now + dt.timedelta(hours=2)).isoformat(),
            "items": [{"sku": own.pk, "sale_price_cash": "19.90", "sale_stock": 10, "limit_per_member": 2}]}
    client = api_as(manager_a)
    response = client.post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["items"][0]["stock_left"] == 10
    assert FlashSale.objects.get().items.get().sku_id == own.pk
    body["items"][0]["sku"] = other.pk
    assert client.post(URL, body, format="json").status_code == 403
    body["ends_at"] = body["starts_at"]
    body["items"][0]["sku"] = own.pk
    assert client.post(URL, body, format="json").status_code == 400


def _sale_items(response):
    body = response.json()
    sales = body["results"] if isinstance(body, dict) else body
    return {item["id"] for sale in sales for item in sale["items"]}, {sale["id"] for sale in sales}


def test_an_owner_sees_only_the_items_their_tier_may_buy(owner_api, api_as, rich, hq, tiers):
    everyone = make_flash_item(hq)
    gold_sku = make_product(hq, name="金卡专享秒杀", visible_tiers=[tiers["gold"]],
                            skus=[{"name": "一份", "price_points": 900, "stock": 5}]).skus.get()
    gold_sale = flash_sale_create(
        actor=hq, name="金卡秒杀", starts_at=timezone.now() - dt.timedelta(hours=1),
        ends_at=timezone.now() + dt.timedelta(hours=1),
        items=[{"sku": gold_sku.pk, "sale_price_points": 500, "sale_stock": 3, "limit_per_member": 1}])
    items, sales = _sale_items(owner_api.get(URL))
    assert items == {everyone.pk} and gold_sale.pk not in sales  # a sale with nothing for them is not listed
    # HQ still sees every sale.
    hq_items, hq_sales = _sale_items(api_as(hq).get(URL))
    assert gold_sale.pk in hq_sales and everyone.pk in hq_items


def test_the_store_filter_lists_what_that_store_sells(owner_api, rich, hq, store_a, store_b):
    group = make_flash_item(hq)
    own_b = make_product(hq, name="浦东店 秒杀", store=store_b, skus=[{"name": "一次", "price_cash": Decimal("9"),
                                                                       "stock": 5}]).skus.get()
    sale_b = flash_sale_create(
        actor=hq, name="浦东店秒杀", starts_at=timezone.now() - dt.timedelta(hours=1),
        ends_at=timezone.now() + dt.timedelta(hours=1),
        items=[{"sku": own_b.pk, "sale_price_cash": Decimal("1.00"), "sale_stock": 3, "limit_per_member": 1}])
    at_a, _ = _sale_items(owner_api.get(URL, {"store": "S01"}))
    at_b, sales_b = _sale_items(owner_api.get(URL, {"store": "S02"}))
    assert at_a == {group.pk}
    assert sale_b.pk in sales_b and sale_b.items.get().pk in at_b
    response = owner_api.get(URL, {"store": "NOPE"})
    assert response.status_code == 400 and "store" in response.json()["fields"]


def test_staff_see_the_items_of_their_stores_products(api_as, consultant_a, hq, store_b):
    own_b = make_product(hq, name="浦东店 秒杀", store=store_b, skus=[{"name": "一次", "price_cash": Decimal("9"),
                                                                       "stock": 5}]).skus.get()
    flash_sale_create(
        actor=hq, name="浦东店秒杀", starts_at=timezone.now() - dt.timedelta(hours=1),
        ends_at=timezone.now() + dt.timedelta(hours=1),
        items=[{"sku": own_b.pk, "sale_price_cash": Decimal("1.00"), "sale_stock": 3, "limit_per_member": 1}])
    group = make_flash_item(hq)
    items, _ = _sale_items(api_as(consultant_a).get(URL))
    assert items == {group.pk}


def test_with_the_gate_a_late_buyer_hears_sold_out_before_any_write(owner_api, rich, hq, redis_gate,
                                                                     django_assert_max_num_queries):
    """Once the gate knows an item is gone, the answer is read from Redis: no
    Idempotency-Key row, no catalogue read, no order; a retry of an order that
    went through still replays it."""
    from accounts.models import IdempotencyKey

    item = make_flash_item(hq, sale_stock=1, limit=1, points=500)
    body = {"lines": [{"flash_sale_item": item.pk, "quantity": 1}], "store": "S01"}
    first = owner_api.post(ORDERS, body, format="json", HTTP_IDEMPOTENCY_KEY="late-1")
    assert first.status_code == 201, first.json()
    assert int(redis_gate.get(f"mall:flash:{item.pk}:left")) == 0
    keys = IdempotencyKey.objects.count()
    with django_assert_max_num_queries(4):  # session, user, the key lookup (and the member, where read)
        late = owner_api.post(ORDERS, body, format="json", HTTP_IDEMPOTENCY_KEY="late-2")
    assert late.status_code == 409 and late.json()["code"] == "sold_out"
    assert IdempotencyKey.objects.count() == keys and Order.objects.count() == 1
    replay = owner_api.post(ORDERS, body, format="json", HTTP_IDEMPOTENCY_KEY="late-1")
    assert replay.status_code == 201 and replay.json()["id"] == first.json()["id"]


def test_without_a_gate_key_the_order_path_decides(owner_api, rich, hq, redis_gate):
    """A fresh occurrence (no Redis key yet) is never refused early."""
    item = make_flash_item(hq, sale_stock=2, limit=1, points=500)
    response = owner_api.post(ORDERS, {"lines": [{"flash_sale_item": item.pk, "quantity": 1}], "store": "S01"},
                              format="json")
    assert response.status_code == 201, response.json()

"""GET/POST/PATCH /api/v1/mall/products/: the contract's field names, money
as strings, filters, who may write, and bad input answered 4xx in the one
error shape."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accounts.models import AuditLog
from mall.models import Product, Sku
from membership.models import MembershipCard
from tests.mall.conftest import make_product
from tests.matrix import sign_in

pytestmark = pytest.mark.django_db

LIST = "/api/v1/mall/products/"
SKU_FIELDS = {"id", "name", "price_cash", "price_points", "stock_available", "member_price_cash",
              "member_price_points"}


def detail(pk) -> str:
    return f"{LIST}{pk}/"


@pytest.fixture
def owner_api(api_as, owner_a, member_a, tiers):
    MembershipCard.objects.create(member=member_a, tier=tiers["normal"])
    return api_as(owner_a)


def test_list_and_detail_shape(owner_api, group_product, category):
    body = owner_api.get(LIST).json()
    assert body["count"] == 1 and set(body) >= {"count", "next", "previous", "results"}
    row = body["results"][0]
    assert row["id"] == group_product.pk and row["name"] == "全包围脚垫" and row["category"] == category.pk
    assert row["is_group"] is True and row["store"] is None
    sku = group_product.skus.get()
    assert row["skus"] == [{"id": sku.pk, "name": "黑色", "price_cash": "99.00", "price_points": 2000,
                            "stock_available": 5, "member_price_cash": None, "member_price_points": None}]
    assert row["member_day"] is None
    one = owner_api.get(detail(group_product.pk)).json()
    assert set(one["skus"][0]) == SKU_FIELDS
    assert one["stores"] == [] and one["visible_tiers"] == [] and one["images"] == []


def test_filters(owner_api, hq, store_a, store_b, group_product, product_a, product_b, category):
    def ids(**params):
        response = owner_api.get(LIST, params)
        assert response.status_code == 200, response.json()
        return {row["id"] for row in response.json()["results"]}

    assert ids() == {group_product.pk, product_a.pk, product_b.pk}
    assert ids(store="S01") == {group_product.pk, product_a.pk}
    assert ids(store="S02") == {group_product.pk, product_b.pk}
    assert ids(pay="mixed") == {group_product.pk}
    assert ids(pay="points") == {product_b.pk}
    assert ids(pay="cash") == {product_a.pk}
    assert ids(kind="offer") == {product_a.pk, product_b.pk}
    assert ids(category=category.pk) == {group_product.pk}
    assert ids(q="空调") == {product_a.pk}


@pytest.mark.parametrize("params", [{"store": "NOPE"}, {"pay": "card"}, {"kind": "car"}, {"category": "x"},
                                    {"category": 10**9}, {"q": "x" * 65}])
def test_bad_filters_are_400_in_the_error_shape(owner_api, group_product, params):
    response = owner_api.get(LIST, params)
    assert response.status_code == 400
    assert set(response.json()) == {"code", "detail", "fields"}


def test_staff_filter_by_another_store_is_refused(api_as, consultant_b, product_a):
    response = api_as(consultant_b).get(LIST, {"store": "S01"})
    assert response.status_code == 400 and "store" in response.json()["fields"]


def test_owner_sees_only_what_their_tier_may(owner_api, hq, tiers):
    gold = make_product(hq, name="金卡专享", visible_tiers=[tiers["gold"]])
    assert owner_api.get(detail(gold.pk)).status_code == 404
    assert owner_api.get(LIST).json()["count"] == 0


def test_staff_see_their_stores_products(api_as, consultant_a, consultant_b, product_a, product_b, group_product):
    rows = {row["name"] for row in api_as(consultant_a).get(LIST).json()["results"]}
    assert rows == {"全包围脚垫", "天河店 空调清洗"}
    assert api_as(consultant_b).get(detail(product_a.pk)).status_code == 404


NEW = {"name": "精洗套餐", "kind": "goods", "delivery_pickup": True,
       "skus": [{"name": "标准", "price_cash": "99.00", "price_points": 2000, "stock": 50}]}


def test_manager_creates_their_stores_product(api_as, manager_a, store_a):
    response = api_as(manager_a).post(LIST, NEW, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["store"] == "S01" and body["is_group"] is False
    assert body["skus"][0]["price_cash"] == "99.00" and body["skus"][0]["stock_available"] == 50
    assert AuditLog.objects.filter(action="mall.product.created", actor=manager_a).exists()


def test_manager_may_not_create_a_group_product_or_another_stores(api_as, manager_a, store_b):
    client = api_as(manager_a)
    response = client.post(LIST, {**NEW, "store": None}, format="json")
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    response = client.post(LIST, {**NEW, "store": "S02"}, format="json")
    assert response.status_code == 400 and "store" in response.json()["fields"]
    assert not Product.objects.exists()


def test_hq_creates_group_products(api_as, hq, store_a):
    body = api_as(hq).post(LIST, {**NEW, "stores": ["S01"]}, format="json").json()
    assert body["is_group"] is True and body["stores"] == ["S01"]


def test_consultant_and_owner_may_not_write(api_as, consultant_a, owner_a, member_a, product_a):
    for user in (consultant_a, owner_a):
        client = api_as(user)
        assert client.post(LIST, NEW, format="json").status_code == 403
        assert client.patch(detail(product_a.pk), {"name": "x"}, format="json").status_code == 403


def test_integration_loads_its_stores_catalogue(api, integration_a, store_a):
    sign_in(api, integration_a)
    response = api.post(LIST, NEW, format="json")
    assert response.status_code == 201 and response.json()["store"] == "S01"
    assert api.get(LIST).json()["count"] == 1


def test_patch_with_nested_skus(api_as, manager_a, product_a, group_product, product_b):
    client = api_as(manager_a)
    sku = product_a.skus.get()
    response = client.patch(detail(product_a.pk), {
        "name": "空调清洗 升级版", "skus": [{"id": sku.pk, "price_cash": "188.5", "stock": 7},
                                       {"name": "两次", "price_points": 3000, "stock": 2}],
    }, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["name"] == "空调清洗 升级版"
    assert [(s["name"], s["price_cash"], s["price_points"], s["stock_available"]) for s in body["skus"]] == [
        ("一次", "188.50", None, 7), ("两次", None, 3000, 2)]
    # a group product: visible, not theirs to change; another store's: not found
    assert client.patch(detail(group_product.pk), {"name": "x"}, format="json").status_code == 403
    assert client.patch(detail(product_b.pk), {"name": "x"}, format="json").status_code == 404


def test_patch_refuses_a_sku_of_another_product(api_as, hq, product_a, product_b):
    other = product_b.skus.get()
    response = api_as(hq).patch(detail(product_a.pk), {"skus": [{"id": other.pk, "stock": 0}]}, format="json")
    assert response.status_code == 400 and "skus.0.id" in response.json()["fields"]
    assert Sku.objects.get(pk=other.pk).stock == 20


@pytest.mark.parametrize("body", [
    {},
    {"name": "x"},
    {"name": "x", "skus": []},
    {"name": "x", "skus": [{"name": "a"}]},
    {"name": "x", "skus": [{"name": "a", "price_cash": "-1"}]},
    {"name": "x", "skus": [{"name": "a", "price_cash": "1e30"}]},
    {"name": "x", "skus": [{"name": "a", "price_points": 0}]},
    {"name": "x", "skus": [{"name": "a", "price_points": 10, "stock": -1}]},
    {"name": "x", "kind": "deposit", "skus": [{"name": "a", "price_cash": "100"}]},
    {"name": "x", "kind": "service_voucher", "skus": [{"name": "a", "price_cash": "100"}]},
    {"name": "x", "visible_tiers": ["nope"], "skus": [{"name": "a", "price_cash": "1"}]},
    {"name": "x", "skus": "abc"},
    {"name": "x", "delivery_pickup": False, "skus": [{"name": "a", "price_cash": "1"}]},
])
def test_bad_input_is_400_never_500(api_as, hq, tiers, body):
    response = api_as(hq).post(LIST, body, format="json")
    assert response.status_code == 400, response.content
    assert set(response.json()) == {"code", "detail", "fields"}
    assert not Product.objects.exists()


def test_anonymous_is_401(api):
    assert api.get(LIST).status_code == 401

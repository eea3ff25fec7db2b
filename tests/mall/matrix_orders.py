"""Permission-matrix rows for mall orders (format: tests/test_permission_matrix.py).

Object: ``mall_order``, an unpaid cash order of member_a (owner_a) at store A.
Owners reach only ``/api/v1/me/orders/…`` and only their own orders; staff
reach ``/api/v1/mall/orders/…`` for their stores' orders (store B: 404)."""

from __future__ import annotations

from tests.matrix import API_OWNER, API_STAFF, API_STAFF_STORE_OBJECT


def _order(fx):
    from decimal import Decimal

    from mall.models import Order
    from mall.services import product_create
    from mall.services_orders import order_create

    member, store = fx("member_a"), fx("store_a")
    existing = Order.objects.filter(member=member).first()
    if existing:
        return existing
    product = product_create(actor=fx("hq"), name="车载吸尘器", store=store,
                             skus=[{"name": "标准", "price_cash": Decimal("59"), "stock": 5}])
    return order_create(member=member, store=store, lines=[{"sku": product.skus.get().pk, "quantity": 1}])


OBJECTS = {"mall_order": _order}

# An unknown SKU: the owner gets the API's refusal (400 not_sold_here); the full path is in test_api_orders.
NEW_ORDER = {"lines": [{"sku": 2**31 - 1, "quantity": 1}], "store": "S01"}
# The order is unpaid: staff who may see it get 409 (not fulfillable), store B 404.
FULFIL = {**API_STAFF_STORE_OBJECT, "consultant_a": 409, "manager_a": 409, "hq": 409, "admin": 409}
# Refunds: the store's manager and HQ (409: the order is unpaid); a consultant 403; store B 404.
REFUND = {**API_STAFF_STORE_OBJECT, "consultant_a": 403, "manager_a": 409, "hq": 409, "admin": 409}

# fmt: off
MATRIX = [
    ("api:mall:my-order-list",                                "GET",  API_OWNER),
    ("api:mall:my-order-list",                                "POST", {**API_OWNER, "owner": 400}, NEW_ORDER),
    (("api:mall:my-order-detail", {"pk": "mall_order"}),      "GET",  API_OWNER),
    (("api:mall:my-order-pay", {"pk": "mall_order"}),         "POST", API_OWNER),
    (("api:mall:my-order-cancel", {"pk": "mall_order"}),      "POST", API_OWNER),
    ("api:mall:order-list",                                   "GET",  API_STAFF),
    (("api:mall:order-fulfil", {"pk": "mall_order"}),         "POST", FULFIL, {"pickup_code": "000000"}),
    (("api:mall:order-refund", {"pk": "mall_order"}),         "POST", REFUND, {"amount": "1.00", "reason": "测试"}),
]
# fmt: on

"""Permission-matrix rows for the mall's order pages (format: tests/test_permission_matrix.py).

Object: ``mall_order`` (tests/mall/matrix_orders.py), an unpaid cash order of
member_a at store A.  Portal: every staff role opens the list, the counter and
store A's orders (store B: 404); handing over an unpaid order is refused (409),
refunds are for the store's manager and HQ (a consultant: 403; unpaid: 409).

``MOBILE_MATRIX`` holds the mini-site rows (cart, checkout, my orders), run by
tests/mall/test_mobile_checkout.py: a signed-out visitor goes to
``mobile:login`` and staff to the portal (both 302)."""

from __future__ import annotations

from tests.matrix import PORTAL_PAGE, PORTAL_STORE_OBJECT, ROLES

STAFF_STORE_POST = {**PORTAL_STORE_OBJECT, "consultant_a": 409, "manager_a": 409, "hq": 409, "admin": 409}
PORTAL_BAD_POST = {**PORTAL_PAGE, "consultant_a": 400, "consultant_b": 400, "manager_a": 400, "hq": 400, "admin": 400}
REFUND = {**STAFF_STORE_POST, "consultant_a": 403}

# A mini-site owner page: anonymous → mobile:login, staff → portal:dashboard (both 302).
MOBILE_OWNER = {**dict.fromkeys(ROLES, 302), "owner": 200}
MOBILE_OWNER_POST = {**dict.fromkeys(ROLES, 302), "owner": 303}

# fmt: off
MATRIX = [
    ("portal:mall:order-list",                                  "GET",  PORTAL_PAGE),
    ("portal:mall:order-pickup",                                "GET",  PORTAL_PAGE),
    ("portal:mall:order-pickup",                                "POST", PORTAL_BAD_POST, {}),
    (("portal:mall:order-detail", {"pk": "mall_order"}),        "GET",  PORTAL_STORE_OBJECT),
    (("portal:mall:order-fulfil", {"pk": "mall_order"}),        "POST", STAFF_STORE_POST, {"fulfil-pickup_code": "000000"}),
    (("portal:mall:order-refund", {"pk": "mall_order"}),        "POST", REFUND,
     {"refund-amount": "1.00", "refund-reason": "测试"}),
]

# Mini-site rows: ``(url name or (name, {kwarg: object}), method, expected[, data])``; the order is
# member_a's (owner_a's) unpaid cash order.  Empty or invalid POSTs go back (303) to the cart.
MOBILE_MATRIX = [
    ("mobile:mall:cart",                                        "GET",  MOBILE_OWNER),
    ("mobile:mall:cart-add",                                    "POST", MOBILE_OWNER_POST, {}),
    ("mobile:mall:cart-update",                                 "POST", MOBILE_OWNER_POST, {}),
    ("mobile:mall:cart-remove",                                 "POST", MOBILE_OWNER_POST, {}),
    ("mobile:mall:checkout",                                    "GET",  MOBILE_OWNER_POST),  # empty cart: to the cart
    ("mobile:mall:checkout",                                    "POST", MOBILE_OWNER_POST, {}),
    ("mobile:mall:order-list",                                  "GET",  MOBILE_OWNER),
    (("mobile:mall:order-detail", {"pk": "mall_order"}),        "GET",  MOBILE_OWNER),
    (("mobile:mall:order-qr", {"pk": "mall_order"}),            "GET",  {**MOBILE_OWNER, "owner": 404}),  # unpaid
    (("mobile:mall:order-pay", {"pk": "mall_order"}),           "POST", MOBILE_OWNER_POST),
    (("mobile:mall:order-pay-confirm", {"pk": "mall_order"}),   "GET",  MOBILE_OWNER),  # the local backend
    (("mobile:mall:order-cancel", {"pk": "mall_order"}),        "POST", MOBILE_OWNER_POST),
]
# fmt: on

assert all(set(row[2]) == set(ROLES) for row in MATRIX + MOBILE_MATRIX)

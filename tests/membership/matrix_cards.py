"""Permission-matrix rows for membership cards and coupons (format: tests/test_permission_matrix.py).

The matrix has no tiers or cards: an owner's ``GET me/card/`` is 404
(``card_not_open``) and ``POST`` 409 (``card_no_tiers``); the redeem rows send
an unknown code (404 for store staff; group accounts must pick a store: 400).
The happy paths are in test_api_cards_coupons.py and test_portal_coupons.py."""

from __future__ import annotations

from tests.matrix import API_OWNER, API_STAFF, PORTAL_PAGE

UNKNOWN_CODE = {"code": "NOSUCHCODE01"}
TEMPLATE_CREATE = {**PORTAL_PAGE, "consultant_a": 403, "consultant_b": 403}

# fmt: off
MATRIX = [
    ("api:membership:my-card",                  "GET",  {**API_OWNER, "owner": 404}),
    ("api:membership:my-card",                  "POST", {**API_OWNER, "owner": 409}, {}),
    ("api:membership:my-coupons",               "GET",  API_OWNER),
    ("api:membership:coupon-redeem",            "POST", {**API_STAFF, "consultant_a": 404, "consultant_b": 404, "manager_a": 404,
                                                         "hq": 400, "admin": 400}, UNKNOWN_CODE),
    ("portal:membership:coupon-redeem",         "GET",  PORTAL_PAGE),
    ("portal:membership:coupon-redeem",         "POST", PORTAL_PAGE, UNKNOWN_CODE),
    ("portal:membership:coupon-template-list",  "GET",  PORTAL_PAGE),
    ("portal:membership:coupon-template-list",  "POST", TEMPLATE_CREATE, {"name": ""}),
    ("portal:membership:coupon-issue",          "GET",  PORTAL_PAGE),
    ("portal:membership:coupon-issue",          "POST", PORTAL_PAGE, {"member": "13800000000"}),
]
# fmt: on

"""Permission-matrix rows for flash sales (format: tests/test_permission_matrix.py).

Anyone signed in lists the running and upcoming sales; HQ, store managers and
integrations add one (an unknown SKU here: their 400 is the service's
refusal; the full path is in tests/mall/test_api_flash.py)."""

from __future__ import annotations

from tests.mall.matrix_mall import API_READ
from tests.matrix import API_STAFF

API_MANAGE_BAD = {**API_STAFF, "consultant_a": 403, "consultant_b": 403, "manager_a": 400, "hq": 400, "admin": 400,
                  "integration": 400}
NEW_SALE = {"name": "周四积分秒杀", "starts_at": "2030-01-03T20:00:00+08:00", "ends_at": "2030-01-03T22:00:00+08:00",
            "items": [{"sku": 2**31 - 1, "sale_price_points": 100, "sale_stock": 5}]}

# fmt: off
MATRIX = [
    ("api:mall:flash-sale-list",  "GET",  API_READ),
    ("api:mall:flash-sale-list",  "POST", API_MANAGE_BAD, NEW_SALE),
]
# fmt: on

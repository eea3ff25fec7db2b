"""Permission-matrix rows for the mall report (format: tests/test_permission_matrix.py).

The report is for store managers (their store) and HQ (every store); other
store roles get 403.  Its CSV exports are the same view (``?export=<section>``),
proven scoped and audited in tests/mall/test_reports.py."""

from __future__ import annotations

from tests.mall.matrix_mall import MALL_PAGE
from tests.matrix import ROLES

# fmt: off
MATRIX = [
    ("portal:mall:reports",                                             "GET",  MALL_PAGE),
    ("portal:mall:reports",                                             "POST", {**MALL_PAGE, "manager_a": 405, "hq": 405,
                                                                                 "admin": 405}, {}),
]
# fmt: on

assert all(set(row[2]) == set(ROLES) for row in MATRIX)

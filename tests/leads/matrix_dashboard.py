"""Permission-matrix rows for the consultant targets page (the dashboard panel
itself is on ``portal:dashboard``, whose row is in tests/test_permission_matrix.py).

Managers set their own store's targets, HQ and admins any store's (they pick
it; a POST without a store is refused, 400); consultants are refused (403)."""

from __future__ import annotations

from tests.matrix import PORTAL_PAGE

TARGETS_PAGE = {**PORTAL_PAGE, "consultant_a": 403, "consultant_b": 403}

# fmt: off
MATRIX = [
    ("portal:leads:targets", "GET",  TARGETS_PAGE),
    ("portal:leads:targets", "POST", {**TARGETS_PAGE, "manager_a": 303, "hq": 400, "admin": 400}, {"month": "2026-12"}),
]
# fmt: on

"""Permission-matrix rows for transactions, member 360, tags and audiences
(format: tests/test_permission_matrix.py)."""

from __future__ import annotations

from tests.matrix import API_STAFF, API_STAFF_STORE_OBJECT, PORTAL_PAGE, PORTAL_STORE_OBJECT

TXN = {"mobile": "13812345678", "store_code": "S01", "occurred_at": "2025-03-01T10:00:00+08:00", "kind": "service",
       "amount": "100.00", "reference": "MATRIX-1"}
MANAGERS_ONLY = {**PORTAL_PAGE, "consultant_a": 403, "consultant_b": 403}


OBJECTS = {
    "m360_member": lambda fx: fx("member_a"),
}

# fmt: off
MATRIX = [
    ("api:membership:transaction-list",                          "GET",  API_STAFF),
    # Store managers, HQ/admin and integration credentials post (store A's credential: for S01); other roles 403.
    ("api:membership:transaction-list",                          "POST", {**API_STAFF, "consultant_a": 403, "consultant_b": 403, "manager_a": 201, "hq": 201, "admin": 201, "integration": 201}, TXN),
    (("api:membership:member-transactions", {"pk": "m360_member"}), "GET", API_STAFF_STORE_OBJECT),
    ("portal:membership:transaction-import",                     "GET",  MANAGERS_ONLY),
    (("portal:membership:member-360", {"pk": "m360_member"}),    "GET",  PORTAL_STORE_OBJECT),
    (("portal:membership:member-tag-add", {"pk": "m360_member"}), "POST", {**PORTAL_STORE_OBJECT, "consultant_a": 303, "manager_a": 303, "hq": 303, "admin": 303}, {"tag": "0"}),
    (("portal:membership:member-tag-remove", {"pk": "m360_member"}), "POST", {**PORTAL_STORE_OBJECT, "consultant_a": 303, "manager_a": 303, "hq": 303, "admin": 303}, {"tag": "0"}),
    ("portal:membership:audience",                               "GET",  PORTAL_PAGE),
    ("portal:membership:audience-export",                        "GET",  MANAGERS_ONLY),
]
# fmt: on

"""Permission-matrix rows for insurance (format: tests/test_permission_matrix.py).

The quote API is for staff: a plate not on file with a start date in the past
gets the refusal (400 start_date_past) whoever the staff member is; scoping
(another store's vehicle: 404) is proven in tests/insurance/test_api_quotes.py."""

from __future__ import annotations

from tests.matrix import API_STAFF, PORTAL_PAGE

STAFF_REFUSED = {**API_STAFF, "consultant_a": 400, "consultant_b": 400, "manager_a": 400, "hq": 400, "admin": 400}
PAST_QUOTE = {"plate": "琼A99999", "usage": "family", "seats": 5, "start_date": "2020-01-01", "insurer": "picc"}

# fmt: off
MATRIX = [
    ("api:insurance:quote-create",                             "POST", STAFF_REFUSED, PAST_QUOTE),
]
# fmt: on

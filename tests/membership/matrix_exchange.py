"""Permission-matrix rows for the points exchange API and the portal campaign issue
(format: tests/test_permission_matrix.py).

The exchange row sends an unknown template (owner: 404 ``coupon_template_unknown``);
the campaign POST sends an empty form (200, redisplayed).  Happy paths are in
test_api_coupon_exchange_campaign.py."""

from __future__ import annotations

from tests.matrix import API_OWNER, PORTAL_PAGE

CAMPAIGN = {**PORTAL_PAGE, "consultant_a": 403, "consultant_b": 403}  # HQ and store managers

# fmt: off
MATRIX = [
    ("api:membership:coupon-exchangeable",  "GET",  API_OWNER),
    ("api:membership:coupon-exchange",      "POST", {**API_OWNER, "owner": 404}, {"template": 99999}),
    ("portal:membership:coupon-campaign",   "GET",  CAMPAIGN),
    ("portal:membership:coupon-campaign",   "POST", CAMPAIGN, {"name": ""}),
]
# fmt: on

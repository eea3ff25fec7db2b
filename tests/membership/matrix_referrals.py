"""Permission-matrix rows for refer a friend (推荐好友) (format: tests/test_permission_matrix.py).

The owner in the matrix (owner_a = member_a) has no card: ``GET me/referrals/``
answers 200 with ``code: null`` (the happy path is in test_services_referrals.py).

``MOBILE_MATRIX`` has the mini-site rows in the same format.  The shared
harness only walks ``portal:`` and ``api:`` names and expects a 302 to go to
the staff login, while a mini-site page sends a signed-out visitor to
``mobile:login`` and staff to the portal; ``test_services_referrals.py`` runs these rows
with those two redirects (``MOBILE_PUBLIC`` pages redirect everyone to the card
page)."""

from __future__ import annotations

from tests.matrix import API_OWNER, ROLES

# A mini-site owner page: anonymous → mobile:login, staff → portal:dashboard (both 302).
MOBILE_OWNER = {**dict.fromkeys(ROLES, 302), "owner": 200}

# fmt: off
MATRIX = [
    ("api:membership:my-referrals",      "GET", API_OWNER),
]

MOBILE_MATRIX = [
    ("mobile:membership:join",           "GET", dict.fromkeys(ROLES, 302)),   # public: keeps ?ref=, then the card page
    ("mobile:membership:referral-qr",    "GET", {**MOBILE_OWNER, "owner": 404}),  # no card yet: no invite QR
    ("mobile:membership:card",           "GET", MOBILE_OWNER),                # shows the referral code / 邀请好友
]
# fmt: on

MOBILE_PUBLIC = {"mobile:membership:join"}

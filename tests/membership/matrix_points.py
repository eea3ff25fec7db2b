"""Permission-matrix rows for the points ledger (format: tests/test_permission_matrix.py).

``points_member`` is member_a (store A) with an open card.  The owner in the
matrix (owner_a = member_a) is signed in without a card unless a row's object
opens one, so check-in answers 400 "请先开通会员卡" there (the happy path is in
tests/membership/test_api_points.py).  Adjusting as staff answers 201
(store B's consultant: 404); the portal form redirects with 303."""

from __future__ import annotations

from tests.matrix import API_OWNER, API_STAFF_STORE_OBJECT, PORTAL_STORE_OBJECT


def _points_member(fx):
    from membership.models import MembershipCard, Tier

    member = fx("member_a")
    tier = Tier.objects.get_or_create(code="normal", defaults={"name": "普卡", "level": 1})[0]
    MembershipCard.objects.get_or_create(member=member, defaults={"tier": tier})
    return member


OBJECTS = {"points_member": _points_member}

STAFF_201 = {**API_STAFF_STORE_OBJECT, **{r: 201 for r in ("consultant_a", "manager_a", "hq", "admin")}}
STAFF_303 = {**PORTAL_STORE_OBJECT, **{r: 303 for r in ("consultant_a", "manager_a", "hq", "admin")}}
ADJUST = {"points": 10, "reason": "活动补录"}

# fmt: off
MATRIX = [
    ("api:membership:my-points",                                           "GET",  API_OWNER),
    ("api:membership:my-checkin",                                          "POST", {**API_OWNER, "owner": 400}),
    (("api:membership:member-points-adjust", {"pk": "points_member"}),     "POST", STAFF_201, ADJUST),
    (("portal:membership:points-adjust", {"pk": "points_member"}),         "GET",  PORTAL_STORE_OBJECT),
    (("portal:membership:points-adjust", {"pk": "points_member"}),         "POST", STAFF_303, {**ADJUST, "token": "matrix-1"}),
]
# fmt: on

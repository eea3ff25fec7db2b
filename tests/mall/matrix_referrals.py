"""Permission-matrix rows for employee referrals (format: tests/test_permission_matrix.py).

API: every staff member shares (an unknown product here: the staff's 400 is
the refusal on ``product``; a real share and another store's product are in
test_api_referrals.py) and lists commission lines, scoped (own / the
manager's store / HQ all: the rows of each are in test_api_referrals.py);
owners 403, integrations 403 (a share needs a person with a referral code).

Portal: 我的分销 for every staff member; 团队分销 for managers and HQ; the
monthly settlement (statements, payroll export, mark paid) and the
commission rules (object ``mall_commission_rule``, on a group product) for HQ only."""

from __future__ import annotations

from tests.matrix import API_STAFF, PORTAL_GROUP_PAGE, PORTAL_PAGE



def _rule(fx):
    from decimal import Decimal

    from mall.models import CommissionRule
    from mall.services import product_create

    existing = CommissionRule.objects.filter(product__name="分销脚垫").first()
    if existing:
        return existing
    product = product_create(actor=fx("hq"), name="分销脚垫",
                             skus=[{"name": "黑色", "price_cash": Decimal("99"), "stock": 5}])
    return CommissionRule.objects.create(product=product, cash_percent=Decimal("5"))


OBJECTS = {"mall_commission_rule": _rule}

STAFF_400 = {**API_STAFF, "consultant_a": 400, "consultant_b": 400, "manager_a": 400, "hq": 400, "admin": 400}
PORTAL_POST_BAD = {**PORTAL_PAGE, "consultant_a": 400, "consultant_b": 400, "manager_a": 400, "hq": 400, "admin": 400}
TEAM_PAGE = {**PORTAL_PAGE, "consultant_a": 403, "consultant_b": 403}
GROUP_POST_BAD = {**PORTAL_GROUP_PAGE, "hq": 400, "admin": 400}
NO_TARGET = {"cash_percent": "5", "per_1000_points": "0"}  # neither product nor category: the form's 400
UNKNOWN_PRODUCT = {"product": 2**31 - 1}

# fmt: off
MATRIX = [
    ("api:mall:share-create",                  "POST", STAFF_400, UNKNOWN_PRODUCT),
    ("api:mall:commission-list",               "GET",  API_STAFF),
    ("portal:mall:referral-mine",              "GET",  PORTAL_PAGE),
    ("portal:mall:share-create",               "POST", PORTAL_POST_BAD, UNKNOWN_PRODUCT),
    ("portal:mall:referral-team",              "GET",  TEAM_PAGE),
    ("portal:mall:commission-rule-list",       "GET",  PORTAL_GROUP_PAGE),
    ("portal:mall:commission-rule-list",       "POST", GROUP_POST_BAD, NO_TARGET),
    (("portal:mall:commission-rule-edit", {"pk": "mall_commission_rule"}), "GET",  PORTAL_GROUP_PAGE),
    (("portal:mall:commission-rule-edit", {"pk": "mall_commission_rule"}), "POST", GROUP_POST_BAD, NO_TARGET),
    ("portal:mall:statement-list",             "GET",  PORTAL_GROUP_PAGE),
    ("portal:mall:statement-generate",         "POST", GROUP_POST_BAD, {"month": "not-a-month"}),
    ("portal:mall:statement-export",           "GET",  GROUP_POST_BAD),
    ("portal:mall:statement-pay",              "POST", GROUP_POST_BAD, {"month": "not-a-month"}),
]
# fmt: on

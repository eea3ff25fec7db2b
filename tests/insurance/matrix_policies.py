"""Permission-matrix rows for the policy import, the unmatched policies and
the renewal report (format: tests/test_permission_matrix.py).

Policies are imported and linked by store managers, renewal specialists and
HQ (other store roles: 403); the report is for store managers (their store)
and HQ.  A store-B manager linking a store-A policy gets 404: proven in
tests/insurance/test_import_policies.py (the matrix has no store-B manager);
the report's scoping and its audited CSV in tests/insurance/test_reports.py."""

from __future__ import annotations

from tests.matrix import PORTAL_PAGE, ROLES


def _unmatched_policy(fx):
    """A store-A policy without a vehicle (the plate of member_a's car)."""
    import datetime
    from decimal import Decimal

    from insurance.models import Insurer, Policy, PolicyKind, PolicySource
    from insurance.rating_seed import seed_rating_rules

    if not Insurer.objects.filter(code="picc").exists():
        seed_rating_rules()
    return Policy.objects.get_or_create(
        insurer=Insurer.objects.get(code="picc"), number="MATRIX-0001",
        defaults={"plate": fx("member_a").vehicles.get().plate, "kind": PolicyKind.COMPULSORY,
                  "start_date": datetime.date(2026, 3, 1), "end_date": datetime.date(2027, 3, 1),
                  "premium": Decimal("950.00"), "store": fx("store_a"), "source": PolicySource.IMPORTED},
    )[0]


OBJECTS = {"insurance_unmatched_policy": _unmatched_policy}

POLICY_PAGE = {**PORTAL_PAGE, "consultant_a": 403, "consultant_b": 403}
POLICY_POST = {**POLICY_PAGE, "manager_a": 303, "hq": 303, "admin": 303}
REPORT_PAGE = POLICY_PAGE
LINK = ("portal:insurance:policy-link", {"pk": "insurance_unmatched_policy"})

# fmt: off
MATRIX = [
    ("portal:insurance:policy-import",                         "GET",  POLICY_PAGE),
    ("portal:insurance:policy-import",                         "POST", {**POLICY_PAGE, "manager_a": 400, "hq": 400, "admin": 400}, {}),
    ("portal:insurance:policy-unmatched",                      "GET",  POLICY_PAGE),
    (LINK,                                                     "POST", POLICY_POST, {"vehicle": "nothing-on-file"}),
    (LINK,                                                     "GET",  {**POLICY_PAGE, "manager_a": 405, "hq": 405, "admin": 405}),
    ("portal:insurance:reports",                               "GET",  REPORT_PAGE),
    ("portal:insurance:reports",                               "POST", {**REPORT_PAGE, "manager_a": 405, "hq": 405, "admin": 405}, {}),
]
# fmt: on

assert all(set(row[2]) == set(ROLES) for row in MATRIX)

"""Permission-matrix rows for the approvals page (审批): approval requests and
spend held for review (format: tests/test_permission_matrix.py).

``approval`` is consultant_a's pending request to adjust member_a's points
(store A, manager level); ``held_txn`` a store-A spend held for review,
recorded by the system.  Deciding (here: rejecting) answers 303 back to the
page for store A's manager, HQ and admin; store A's consultant may not
decide (403); store B's staff get 404."""

from __future__ import annotations

from tests.matrix import PORTAL_PAGE, PORTAL_STORE_OBJECT


def _approval(fx):
    from membership.models import ApprovalKind, ApprovalLevel, ApprovalRequest

    member = fx("member_a")
    return ApprovalRequest.objects.create(
        kind=ApprovalKind.POINTS_ADJUST, level=ApprovalLevel.MANAGER, store=member.store, member=member,
        requested_by=fx("consultant_a"), reason="活动补录", summary="积分调整 +2000", value=2000,
        payload={"points": 2000},
    )


def _held_txn(fx):
    from django.utils import timezone

    from membership.models import Transaction, TransactionStatus

    member = fx("member_a")
    return Transaction.objects.create(member=member, store=member.store, occurred_at=timezone.now(), kind="service",
                                      amount="80000.00", reference="MATRIX-HELD-1", status=TransactionStatus.HELD)


OBJECTS = {"approval": _approval, "held_txn": _held_txn}

DECIDE = {**PORTAL_STORE_OBJECT, "consultant_a": 403, "manager_a": 303, "hq": 303, "admin": 303}
REJECT = {"decision": "reject", "note": "矩阵测试"}

# fmt: off
MATRIX = [
    ("portal:membership:approval-list",                             "GET",  PORTAL_PAGE),
    (("portal:membership:approval-decide", {"pk": "approval"}),     "POST", DECIDE, REJECT),
    (("portal:membership:transaction-review", {"pk": "held_txn"}),  "POST", DECIDE, REJECT),
]
# fmt: on

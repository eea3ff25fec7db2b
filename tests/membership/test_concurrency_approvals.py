"""Two approvers pressing "approve" at the same moment: the action is done
once (compare-and-set on the status, and the action's own idempotency key).
Run on SQLite and on PostgreSQL:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dealerops .venv/bin/python -m pytest tests/membership/test_concurrency_approvals.py
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Role
from membership.exceptions import ApprovalRequired
from membership.models import (
    ApprovalStatus,
    Coupon,
    CouponKind,
    CouponTemplate,
    EarningRule,
    EarningRuleKind,
    MembershipCard,
    PointsEntry,
    Transaction,
    TransactionStatus,
)
from membership.services.approvals import approval_decide, points_adjust_or_submit
from membership.services.coupons import coupon_issue
from membership.services.transactions import transaction_record, transaction_review
from tests.concurrency import run_together

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.concurrency]

THREADS = 6


def test_concurrent_approvals_adjust_points_once(consultant_a, manager_a, hq, card_a, member_a):
    request = points_adjust_or_submit(member=member_a, points=5000, reason="补录", actor=consultant_a,
                                      idempotency_key="adjust:race").approval
    approvers = [manager_a, hq] * (THREADS // 2)
    results = run_together(lambda i: approval_decide(approval=type(request).objects.get(pk=request.pk),
                                                     actor=approvers[i], approve=True), THREADS)
    assert not [r for r in results if isinstance(r, Exception)], results
    request.refresh_from_db()
    assert request.status == ApprovalStatus.APPROVED
    assert PointsEntry.objects.filter(member=member_a).count() == 1
    assert MembershipCard.objects.get(member=member_a).points_balance == 5000


def test_concurrent_reviews_of_a_held_spend_earn_once(manager_a, hq, make_staff, store_a, card_a, member_a):
    EarningRule.objects.create(kind=EarningRuleKind.PER_YUAN_SERVICE, points=Decimal("1"))
    txn, _ = transaction_record(member=member_a, store=store_a, occurred_at=timezone.now() - dt.timedelta(hours=1),
                                kind="service", amount="80000", reference="RACE-1", actor=None)
    assert txn.status == TransactionStatus.HELD
    approvers = [manager_a, hq, make_staff(Role.MANAGER, store_a)] * (THREADS // 3)
    results = run_together(lambda i: transaction_review(txn=Transaction.objects.get(pk=txn.pk), actor=approvers[i],
                                                        approve=True), THREADS)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert Transaction.objects.get(pk=txn.pk).status == TransactionStatus.COUNTED
    assert PointsEntry.objects.filter(member=member_a).count() == 1
    assert MembershipCard.objects.get(member=member_a).points_balance == 80000


def test_concurrent_issues_by_one_employee_share_the_days_threshold(consultant_a, make_member, store_a):
    """Six 300-yuan coupons to six members at once: the day's threshold (500)
    lets the first through, the others need a manager."""
    coupon = CouponTemplate.objects.create(name="保养券", kind=CouponKind.MAINTENANCE, value=Decimal("300"),
                                           valid_days=30)
    members = [make_member(store_a, name=f"客户{n}") for n in range(THREADS)]
    results = run_together(lambda i: coupon_issue(template=coupon, member=members[i], source="staff",
                                                  actor=consultant_a), THREADS)
    assert sorted(type(r).__name__ for r in results) == ["ApprovalRequired"] * (THREADS - 1) + ["Coupon"], results
    assert all(r.level == "manager" for r in results if isinstance(r, ApprovalRequired))
    assert Coupon.objects.count() == 1

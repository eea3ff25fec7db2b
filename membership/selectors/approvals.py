"""membership selectors: what waits for approval (scoped).

One queue for an approver, whatever the object: approval requests
(points adjustments, coupon issues, campaigns) and spend held for review
(``Transaction`` with status ``held``).  A store manager sees those of their
store at manager level; HQ/admin see all; nobody sees their own."""

from __future__ import annotations

import dataclasses
import datetime as dt

from django.db.models import QuerySet

from accounts.models import User
from accounts.scoping import scope, scoped_get
from membership.models import ApprovalLevel, ApprovalRequest, ApprovalStatus, Transaction, TransactionStatus
from membership.services.approval_rule import is_approver

QUEUE_LIMIT = 200


@dataclasses.dataclass(frozen=True)
class ApprovalItem:
    """One row of the approvals page: ``approval`` (an ApprovalRequest) or
    ``transaction`` (a held spend)."""

    type: str
    obj: object
    created_at: dt.datetime

    @property
    def is_transaction(self) -> bool:
        return self.type == "transaction"


def _pending_requests(actor: User) -> QuerySet[ApprovalRequest]:
    requests = scope(ApprovalRequest.objects.filter(status=ApprovalStatus.PENDING), actor).exclude(requested_by=actor)
    if not (actor.is_superuser or actor.is_group_wide):
        requests = requests.filter(level=ApprovalLevel.MANAGER)
    return requests.select_related("store", "member", "requested_by").order_by("-created_at", "-id")


def _held_transactions(actor: User) -> QuerySet[Transaction]:
    return (scope(Transaction.objects.filter(status=TransactionStatus.HELD), actor).exclude(recorded_by=actor)
            .select_related("store", "member", "recorded_by").order_by("-created_at", "-id"))


def approvals_waiting_for(*, actor: User, limit: int = QUEUE_LIMIT) -> list[ApprovalItem]:
    """Everything ``actor`` may decide now, newest first (at most ``limit``)."""
    if not is_approver(actor):
        return []
    items = [ApprovalItem("approval", r, r.created_at) for r in _pending_requests(actor)[:limit]]
    items += [ApprovalItem("transaction", t, t.created_at) for t in _held_transactions(actor)[:limit]]
    items.sort(key=lambda item: item.created_at, reverse=True)
    return items[:limit]


def approvals_requested_by(*, actor: User, limit: int = 50) -> QuerySet[ApprovalRequest]:
    """The actor's own requests, newest first, with their outcome."""
    return (ApprovalRequest.objects.filter(requested_by=actor).select_related("store", "member", "decided_by")
            .order_by("-created_at", "-id")[:limit])


def approval_get(*, actor: User, pk) -> ApprovalRequest:
    """A request of the actor's stores (another store's: 404)."""
    return scoped_get(ApprovalRequest.objects.select_related("store", "member", "requested_by"), actor, pk=pk)

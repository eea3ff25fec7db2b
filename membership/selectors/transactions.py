"""membership selectors: transactions (always scoped)."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import Member, User
from accounts.scoping import scope, scoped_get
from membership.models import Transaction


def transaction_list(*, actor: User | None, member: Member | None = None, kind: str = "") -> QuerySet[Transaction]:
    """Transactions the actor may see.  For one member (already fetched through
    a scoped getter, so the member is the actor's to operate): all of that
    member's visits, at any store; otherwise those of the actor's stores."""
    transactions = Transaction.objects.select_related("member", "store").order_by("-occurred_at", "-id")
    if member is not None:
        transactions = transactions.filter(member=member)
    else:
        transactions = scope(transactions, actor)
    if kind:
        transactions = transactions.filter(kind=kind)
    return transactions


def transaction_get(*, actor: User, pk) -> Transaction:
    """One transaction of the actor's stores (another store's: 404)."""
    return scoped_get(Transaction.objects.select_related("store", "member", "recorded_by"), actor, pk=pk)

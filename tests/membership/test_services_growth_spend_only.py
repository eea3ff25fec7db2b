"""Growth and tiers come from spend only (review of issue 10): a test drive, a
check-in and a coupon redemption are visits.  They carried a spend's limits
(500,000 yuan ceiling, held above 50,000) and every kind counted as growth, so
a manager posting three 49,999.99-yuan test drives gave a member ~150,000
growth — a tier upgrade with its coupon pack."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from membership.exceptions import MembershipError
from membership.models import MembershipCard, Transaction, TransactionKind, TransactionLimit, TransactionStatus
from membership.services.cards import growth_totals_for, growth_value_for, tier_upgrade_check, tiers_reevaluate
from membership.services.transactions import transaction_limits, transaction_record

pytestmark = pytest.mark.django_db

VISITS = [TransactionKind.TEST_DRIVE, TransactionKind.CHECKIN, TransactionKind.COUPON_REDEMPTION]


def _record(*, member, store, kind, amount, reference, actor):
    return transaction_record(member=member, store=store, occurred_at=timezone.now() - dt.timedelta(hours=1),
                              kind=kind, amount=amount, reference=reference, actor=actor)


@pytest.mark.parametrize("kind", VISITS)
def test_a_visit_carries_no_money(manager_a, store_a, member_a, card_a, kind):
    with pytest.raises(MembershipError) as exc:
        _record(member=member_a, store=store_a, kind=kind, amount="49999.99", reference=f"V-{kind}", actor=manager_a)
    assert exc.value.code == "amount_over_ceiling" and "amount" in exc.value.fields
    txn, created = _record(member=member_a, store=store_a, kind=kind, amount="0", reference=f"V0-{kind}",
                           actor=manager_a)
    assert created and txn.status == TransactionStatus.COUNTED
    # Spend keeps its limits.
    assert transaction_limits()[TransactionKind.SERVICE] == (Decimal("500000"), Decimal("50000"))


def test_without_a_limit_row_a_visit_kind_still_carries_no_money(manager_a, store_a, member_a):
    TransactionLimit.objects.all().delete()
    assert transaction_limits()[TransactionKind.TEST_DRIVE] == (Decimal("0"), None)
    with pytest.raises(MembershipError):
        _record(member=member_a, store=store_a, kind="test_drive", amount="1", reference="V-1", actor=manager_a)


def test_growth_counts_spend_only(store_a, member_a, card_a, tiers):
    """Even a visit recorded with an amount (before this change, or HQ raising
    its ceiling) makes no growth: one rule for one member, many, and the
    daily re-evaluation."""
    now = timezone.now()
    for n, kind in enumerate(VISITS * 3):
        Transaction.objects.create(member=member_a, store=store_a, occurred_at=now - dt.timedelta(days=1),
                                   kind=kind, amount=Decimal("49999.99"), reference=f"OLD-{n}")
    Transaction.objects.create(member=member_a, store=store_a, occurred_at=now - dt.timedelta(days=1),
                               kind=TransactionKind.SERVICE, amount=Decimal("1200.50"), reference="RO-1")
    assert growth_value_for(member=member_a) == 1200
    assert growth_totals_for(member_ids=[member_a.pk], now=now) == {member_a.pk: Decimal("1200.50")}
    card = tier_upgrade_check(member=member_a)
    assert card.tier == tiers["silver"]  # 1,200 growth, not 451,199
    tiers_reevaluate(today=timezone.localdate())
    assert MembershipCard.objects.get(pk=card_a.pk).growth_value == 1200


@pytest.mark.django_db(transaction=True)
def test_migration_gives_visit_kinds_no_money_unless_hq_changed_them():
    executor = MigrationExecutor(connection)
    executor.migrate([("membership", "0006_coupon_approval_value")])
    old = MigrationExecutor(connection).loader.project_state([("membership", "0006_coupon_approval_value")]).apps
    Limit = old.get_model("membership", "TransactionLimit")
    Limit.objects.all().delete()
    for kind in ("service", "test_drive", "checkin", "coupon"):
        Limit.objects.create(kind=kind, ceiling=500000, review_threshold=50000)
    Limit.objects.filter(kind="checkin").update(ceiling=100)  # HQ changed this one: left alone
    try:
        executor = MigrationExecutor(connection)
        executor.migrate([("membership", "0007_visit_kinds_carry_no_money")])
        new = executor.loader.project_state([("membership", "0007_visit_kinds_carry_no_money")]).apps
        rows = {row.kind: (row.ceiling, row.review_threshold)
                for row in new.get_model("membership", "TransactionLimit").objects.all()}
        assert rows == {"service": (Decimal("500000"), Decimal("50000")), "test_drive": (Decimal("0"), None),
                        "checkin": (Decimal("100"), Decimal("50000")), "coupon": (Decimal("0"), None)}
    finally:
        MigrationExecutor(connection).migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

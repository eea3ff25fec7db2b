"""A recorded spend earns points through the real points and cards services
(not stand-ins): service, parts, insurance and mall spend earn; visits don't."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from membership.models import EarningRule, EarningRuleKind, PointsEntry
from membership.services.transactions import transaction_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def rules(db):
    EarningRule.objects.create(kind=EarningRuleKind.PER_YUAN_SERVICE, points=Decimal("1"))
    EarningRule.objects.create(kind=EarningRuleKind.PER_YUAN_INSURANCE, points=Decimal("0.5"))


@pytest.mark.parametrize(("kind", "amount", "points"), [
    ("service", "880.50", 880), ("parts", "120", 120), ("insurance", "4000", 2000), ("test_drive", "0", 0),
])
def test_recorded_spend_earns_points_by_rule(card_a, rules, store_a, manager_a, kind, amount, points):
    when = timezone.now() - dt.timedelta(days=1)
    txn, created = transaction_record(store=store_a, occurred_at=when, kind=kind, amount=Decimal(amount),
                                      reference=f"DMS-{kind}", actor=manager_a, member=card_a.member)
    assert created
    card_a.refresh_from_db()
    assert card_a.points_balance == points
    assert PointsEntry.objects.filter(member=card_a.member).count() == (1 if points else 0)
    # the same reference again adds nothing
    transaction_record(store=store_a, occurred_at=when, kind=kind, amount=Decimal(amount),
                       reference=f"DMS-{kind}", actor=manager_a, member=card_a.member)
    card_a.refresh_from_db()
    assert card_a.points_balance == points

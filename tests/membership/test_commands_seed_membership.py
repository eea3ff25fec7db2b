"""The membership seed step: idempotent, set-based, ledger consistent with the cards."""

from __future__ import annotations

import random

import pytest
from django.db.models import Sum

from accounts import demo as account_demo
from membership import demo
from membership.models import (
    CardPlan,
    Coupon,
    CouponScope,
    CouponStatus,
    CouponTemplate,
    EarningRule,
    MembershipCard,
    PointsEntry,
    Tag,
    Tier,
    Transaction,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_group(db):
    account_demo.seed_group()
    account_demo.seed_demo_owners()
    account_demo.seed_members(count=60, progress=False)


def test_seed_is_idempotent_and_consistent(demo_group):
    first = demo.seed_membership(rng=random.Random(1))
    counts = (MembershipCard.objects.count(), Transaction.objects.count(), PointsEntry.objects.count(), Coupon.objects.count())
    second = demo.seed_membership(rng=random.Random(2))
    assert first["cards"] > 0 and first["transactions"] >= 4 * first["cards"]
    assert second["cards"] == 0 and second["transactions"] == 0
    assert counts == (MembershipCard.objects.count(), Transaction.objects.count(), PointsEntry.objects.count(), Coupon.objects.count())
    assert list(Tier.objects.values_list("name", "threshold")) == [("普卡", 0), ("银卡", 1000), ("金卡", 5000), ("钻石卡", 20000)]
    assert EarningRule.objects.count() == 7
    assert CardPlan.objects.filter(store__isnull=True, welcome_points=200).exists()
    assert CouponTemplate.objects.filter(scope=CouponScope.MERCHANT, store__code="S01").exists()
    assert set(CouponTemplate.objects.values_list("kind", flat=True)) >= {"taxi", "car_purchase", "maintenance", "birthday_cake", "cash_off", "discount"}
    assert Tag.objects.filter(is_rule=True).count() == 3 and Tag.objects.filter(code="vip").exists()


def test_cached_balances_equal_the_ledger(demo_group):
    demo.seed_membership(rng=random.Random(1))
    sums = dict(PointsEntry.objects.values("member_id").annotate(total=Sum("points")).values_list("member_id", "total"))
    for card in MembershipCard.objects.all():
        assert card.points_balance == sums.get(card.member_id, 0)
        last = PointsEntry.objects.filter(member_id=card.member_id).order_by("-created_at", "-id").first()
        assert last.balance_after == card.points_balance
    assert not PointsEntry.objects.filter(remaining__gt=0, expires_at__isnull=True).exists()


def test_demo_owners_have_card_points_and_an_unused_coupon(demo_group):
    demo.seed_membership(rng=random.Random(1))
    for _store, _name, mobile, *_rest in account_demo.DEMO_OWNERS:
        card = MembershipCard.objects.get(member__mobile=mobile)
        assert card.points_balance > 0
        assert Coupon.objects.filter(member__mobile=mobile, status=CouponStatus.ISSUED).exists()


def test_dormant_and_churned_members_exist(demo_group):
    from django.db.models import Max
    from django.utils import timezone
    import datetime as dt

    demo.seed_membership(rng=random.Random(1))
    last = Transaction.objects.values("member_id").annotate(last=Max("occurred_at"))
    now = timezone.now()
    assert any(now - row["last"] > dt.timedelta(days=365) for row in last)
    assert any(dt.timedelta(days=90) < now - row["last"] < dt.timedelta(days=250) for row in last)

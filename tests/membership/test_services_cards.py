"""Cards: opening per plan condition, welcome points and coupon pack,
idempotency; tiers: immediate upgrade, downgrade with notice then one level."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import AuditLog, OutboxMessage
from membership import exceptions as errors
from membership.exceptions import MembershipError
from membership.models import (
    CardPlan, CareAction, Coupon, CouponSource, CouponTemplate, MembershipCard, PointsEntry, Transaction,
)
from membership.services import cards as svc


@pytest.fixture
def pack_template(db):
    return CouponTemplate.objects.create(name="开卡保养券", kind="maintenance", value=100, valid_days=30)


def _plan(store=None, condition="free", welcome=0, templates=()):
    plan = CardPlan.objects.create(store=store, name=f"{condition} 方案", condition=condition, welcome_points=welcome)
    plan.coupon_templates.set(templates)
    return plan


def _txn(member, store, kind, amount, days_ago=1, ref=None):
    return Transaction.objects.create(
        member=member, store=store, kind=kind, amount=amount,
        occurred_at=timezone.now() - dt.timedelta(days=days_ago),
        reference=ref or f"T-{member.pk}-{kind}-{amount}-{days_ago}",
    )


class TestCardOpen:
    def test_a_card_number_already_taken_is_never_given_again(self, member_a, member_b, tiers, monkeypatch):
        first = svc.card_open(member=member_a)
        draws = iter([first.card_no, first.card_no, "DO000000000042"])
        monkeypatch.setattr(svc, "new_card_no", lambda: next(draws))
        assert svc.card_open(member=member_b).card_no == "DO000000000042"

    def test_card_numbers_for_a_batch_are_distinct_and_free(self, member_a, tiers, monkeypatch):
        taken = svc.card_open(member=member_a).card_no
        draws = iter(["DO1", "DO1", taken, "DO2", "DO2", "DO3"])
        monkeypatch.setattr(svc, "new_card_no", lambda: next(draws))
        assert svc.card_numbers_new(3) == ["DO1", "DO2", "DO3"]

    def test_free_plan_opens_with_welcome_points_and_pack(self, member_a, store_a, tiers, pack_template):
        plan = _plan(store_a, "free", welcome=200, templates=[pack_template])
        card = svc.card_open(member=member_a)
        assert (card.plan, card.tier, card.points_balance) == (plan, tiers["normal"], 200)
        assert PointsEntry.objects.get(member=member_a).idempotency_key == f"card-open:{member_a.pk}"
        coupon = Coupon.objects.get(member=member_a)
        assert (coupon.template, coupon.source) == (pack_template, CouponSource.CARD)
        assert AuditLog.objects.filter(action="membership.card.opened").count() == 1

    def test_open_is_idempotent(self, member_a, store_a, tiers, pack_template):
        _plan(store_a, "free", welcome=200, templates=[pack_template])
        first = svc.card_open(member=member_a)
        again = svc.card_open(member=member_a)
        assert first == again and MembershipCard.objects.count() == 1
        assert PointsEntry.objects.count() == 1 and Coupon.objects.count() == 1

    def test_purchase_plan_needs_a_purchase_or_vehicle(self, make_member, store_a, tiers):
        plan = _plan(store_a, "purchase", welcome=500)
        member = make_member(store_a, with_vehicle=False)
        with pytest.raises(MembershipError) as info:
            svc.card_open(member=member, plan=plan)
        assert info.value.message == errors.CARD_NEEDS_PURCHASE
        _txn(member, store_a, "car_purchase", 150000)
        assert svc.card_open(member=member, plan=plan).plan == plan
        with_car = make_member(store_a)  # has a vehicle
        assert svc.card_open(member=with_car, plan=plan).points_balance == 500

    def test_service_plan_needs_a_service_visit(self, make_member, store_a, tiers):
        plan = _plan(store_a, "service", welcome=100)
        member = make_member(store_a)
        with pytest.raises(MembershipError) as info:
            svc.card_open(member=member, plan=plan)
        assert info.value.message == errors.CARD_NEEDS_SERVICE
        _txn(member, store_a, "service", 300)
        assert svc.card_open(member=member, plan=plan).points_balance == 100

    def test_other_store_or_inactive_plan_refused(self, member_a, store_b, tiers):
        for plan in (_plan(store_b), CardPlan.objects.create(name="停用", is_active=False)):
            with pytest.raises(MembershipError) as info:
                svc.card_open(member=member_a, plan=plan)
            assert info.value.message == errors.CARD_PLAN_NOT_AVAILABLE

    def test_without_plan_picks_the_first_eligible(self, make_member, store_a, tiers):
        _plan(store_a, "service", welcome=999)
        group_free = _plan(None, "free", welcome=10)
        member = make_member(store_a)
        assert svc.card_open(member=member).plan == group_free

    def test_no_plan_at_all_opens_a_plain_card(self, member_a, tiers):
        card = svc.card_open(member=member_a)
        assert card.plan is None and card.points_balance == 0

    def test_existing_spend_places_the_card_at_once(self, member_a, store_a, tiers):
        _txn(member_a, store_a, "service", 1200)
        card = svc.card_open(member=member_a)
        assert (card.tier, card.growth_value) == (tiers["silver"], 1200)

    def test_no_tiers_refused(self, member_a):
        with pytest.raises(MembershipError) as info:
            svc.card_open(member=member_a)
        assert info.value.message == errors.CARD_NO_TIERS


class TestTiers:
    def test_upgrade_is_immediate_with_pack_and_notice_once(self, card_a, member_a, store_a, tiers, pack_template):
        tiers["gold"].coupon_templates.add(pack_template)
        _txn(member_a, store_a, "service", 6000)
        card = svc.tier_upgrade_check(member=member_a)
        assert (card.tier, card.growth_value) == (tiers["gold"], 6000)
        assert Coupon.objects.get(member=member_a).source == CouponSource.TIER
        assert OutboxMessage.objects.filter(dedup_key=f"tier-up:{member_a.pk}:{tiers['gold'].pk}").count() == 1
        svc.tier_upgrade_check(member=member_a)
        assert Coupon.objects.count() == 1 and OutboxMessage.objects.filter(template="membership.tier_upgraded").count() == 1

    def test_spend_outside_the_window_does_not_count(self, card_a, member_a, store_a, tiers, membership_settings):
        _txn(member_a, store_a, "service", 6000, days_ago=membership_settings.growth_window_days + 5)
        assert svc.tier_upgrade_check(member=member_a).tier == tiers["normal"]

    def test_upgrade_check_never_downgrades(self, card_a, tiers, member_a):
        MembershipCard.objects.filter(pk=card_a.pk).update(tier=tiers["gold"])
        assert svc.tier_upgrade_check(member=member_a).tier == tiers["gold"]

    def test_downgrade_notice_then_one_level_after_30_days(self, card_a, card_b, member_a, store_a, tiers):
        MembershipCard.objects.filter(pk=card_a.pk).update(tier=tiers["gold"])
        _txn(member_a, store_a, "service", 1500)  # silver level of spend
        today = timezone.localdate()
        first = svc.tiers_reevaluate(today=today)
        card_a.refresh_from_db()
        assert first["noticed"] == 1 and card_a.tier == tiers["gold"] and card_a.downgrade_notice_at is not None
        assert OutboxMessage.objects.filter(template="membership.downgrade_notice", member=member_a).count() == 1
        assert CareAction.objects.filter(member=member_a, kind="downgrade_notice").count() == 1
        # rerun on the same date: nothing more
        assert svc.tiers_reevaluate(today=today) == {"recovered": 0, "downgraded": 0, "noticed": 0}
        assert OutboxMessage.objects.filter(template="membership.downgrade_notice").count() == 1
        # 29 days later still gold
        svc.tiers_reevaluate(today=today + dt.timedelta(days=29))
        card_a.refresh_from_db()
        assert card_a.tier == tiers["gold"]
        # 30 days later: one level down (gold → silver), not straight to where the spend is
        result = svc.tiers_reevaluate(today=today + dt.timedelta(days=30))
        card_a.refresh_from_db()
        assert result["downgraded"] == 1 and card_a.tier == tiers["silver"] and card_a.downgrade_notice_at is None
        card_b.refresh_from_db()
        assert card_b.tier == tiers["normal"]  # the lowest tier never drops

    def test_tier_notices_respect_the_membership_topic_preference(self, card_a, member_a, store_a, tiers):
        member_a.notify_membership = False
        member_a.save()
        _txn(member_a, store_a, "service", 6000)
        svc.tier_upgrade_check(member=member_a)  # the upgrade itself still happens
        upgrade = OutboxMessage.objects.get(template="membership.tier_upgraded", member=member_a)
        assert upgrade.topic == "membership"
        assert (upgrade.status, upgrade.suppressed_reason) == ("suppressed", "muted_topic")
        Transaction.objects.filter(member=member_a).delete()
        svc.tiers_reevaluate(today=timezone.localdate())
        notice = OutboxMessage.objects.get(template="membership.downgrade_notice", member=member_a)
        assert notice.topic == "membership" and notice.status == "suppressed" and not notice.is_marketing

    def test_recovering_before_the_deadline_clears_the_notice(self, card_a, member_a, store_a, tiers):
        MembershipCard.objects.filter(pk=card_a.pk).update(tier=tiers["silver"])
        today = timezone.localdate()
        svc.tiers_reevaluate(today=today)
        _txn(member_a, store_a, "service", 1000, days_ago=0, ref="T-recover")
        assert svc.tiers_reevaluate(today=today + dt.timedelta(days=5))["recovered"] == 1
        svc.tiers_reevaluate(today=today + dt.timedelta(days=31))
        card_a.refresh_from_db()
        assert card_a.tier == tiers["silver"] and card_a.downgrade_notice_at is None

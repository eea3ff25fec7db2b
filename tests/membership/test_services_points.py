"""The points ledger: invariants (hypothesis), FIFO, expiry, refunds, adjust
rules, check-in, reminders and the nightly balance check."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.exceptions import NotFoundError
from accounts.models import AuditLog, OutboxMessage
from membership import exceptions as errors
from membership.models import (
    CheckIn,
    EarningRule,
    EarningRuleKind,
    EntryKind,
    MembershipCard,
    PointsAllocation,
    PointsEntry,
)
from membership.services import points as svc

pytestmark = pytest.mark.django_db


def days(n: int) -> dt.datetime:
    return timezone.now() + dt.timedelta(days=n)


def earn(member, points, key, *, expires_in=365, **extra):
    return svc.points_earn(member=member, points=points, reason="测试", source_type="test", source_id=key,
                           idempotency_key=key, expires_at=days(expires_in), **extra)


def spend(member, points, key, **extra):
    return svc.points_spend(member=member, points=points, reason="兑换", source_type="order", source_id=key,
                            idempotency_key=key, **extra)


def balance(member) -> int:
    return MembershipCard.objects.get(member=member).points_balance


def assert_ledger_consistent(member):
    card = MembershipCard.objects.get(member=member)
    entries = PointsEntry.objects.filter(member=member)
    total = entries.aggregate(s=Sum("points"))["s"] or 0
    lots = entries.aggregate(s=Sum("remaining"))["s"] or 0
    assert card.points_balance == total == lots >= 0
    for lot in entries.filter(points__gt=0):
        assert 0 <= lot.remaining <= lot.points
    for entry in entries.filter(points__lt=0):
        assert entry.remaining == 0
        assert entry.allocations.aggregate(s=Sum("points"))["s"] == -entry.points
    last = entries.order_by("-pk").first()
    if last is not None and last.kind != EntryKind.EXPIRE:
        assert last.balance_after == card.points_balance
    assert svc.points_balance_verify() == []


def snapshot(member):
    return (
        balance(member),
        list(PointsEntry.objects.filter(member=member).order_by("pk").values_list("pk", "remaining")),
        PointsAllocation.objects.count(),
    )


# --- property: the ledger invariants hold whatever happens -------------------------------------

OPS = st.one_of(
    st.tuples(st.just("earn"), st.integers(1, 500), st.integers(-60, 400)),
    st.tuples(st.just("spend"), st.integers(1, 700), st.just(0)),
    st.tuples(st.just("refund"), st.integers(0, 5), st.integers(0, 300)),
    st.tuples(st.just("adjust"), st.integers(-600, 600), st.just(0)),
    st.tuples(st.just("expire"), st.integers(0, 500), st.just(0)),
    st.tuples(st.just("retry"), st.integers(0, 5), st.just(0)),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(OPS, min_size=1, max_size=14))
def test_ledger_invariants_hold_for_any_sequence(ops, make_member, store_a, tiers, manager_a):
    member = make_member(store_a, with_vehicle=False)
    MembershipCard.objects.create(member=member, tier=tiers["normal"])
    spends: list[PointsEntry] = []
    keys: list[str] = []
    for step, (op, a, b) in enumerate(ops):
        key = f"op{step}"
        before = snapshot(member)
        try:
            if op == "earn":
                earn(member, a, key, expires_in=b)
            elif op == "spend":
                spends.append(spend(member, a, key))
            elif op == "refund" and spends:
                svc.points_refund(spend_entry=spends[a % len(spends)], points=b or None, idempotency_key=key)
            elif op == "adjust" and a:
                svc.points_adjust(member=member, points=a, reason="盘点", actor=manager_a, idempotency_key=key)
            elif op == "expire":
                svc.points_expire_due(today=timezone.localdate() + dt.timedelta(days=a))
            elif op == "retry" and keys:
                # Repeating an earlier key never writes anything.
                retried = keys[a % len(keys)]
                spend(member, 1, retried)
                assert snapshot(member) == before
        except errors.PointsError as exc:
            # A refused write changes nothing.
            assert snapshot(member) == before, exc
        else:
            if PointsEntry.objects.filter(member=member, idempotency_key=key).exists():
                keys.append(key)
        assert_ledger_consistent(member)


# --- earn ---------------------------------------------------------------------------------------


def test_earn_adds_a_lot_with_default_expiry(card_a, member_a, membership_settings):
    entry = svc.points_earn(member=member_a, points=100, reason="开卡", idempotency_key="e1")
    assert (entry.kind, entry.points, entry.remaining, entry.balance_after) == ("earn", 100, 100, 100)
    expected = svc.add_months(timezone.localtime(), membership_settings.points_expiry_months)
    assert abs(entry.expires_at - expected) < dt.timedelta(minutes=1)
    assert balance(member_a) == 100
    assert AuditLog.objects.filter(action="membership.points.earned", object_id=str(entry.pk)).count() == 1


def test_earn_repeat_key_returns_first_entry(card_a, member_a):
    first = earn(member_a, 100, "same")
    assert earn(member_a, 999, "same") == first
    assert balance(member_a) == 100
    assert AuditLog.objects.filter(action="membership.points.earned").count() == 1


def test_earn_without_card_is_refused(member_a, tiers):
    with pytest.raises(errors.PointsError) as exc:
        earn(member_a, 10, "x")
    assert exc.value.message == errors.POINTS_CARD_REQUIRED
    assert not MembershipCard.objects.filter(member=member_a).exists()


@pytest.mark.parametrize("points", [0, -5, 1.5, True])
def test_earn_refuses_non_positive_points(card_a, member_a, points):
    with pytest.raises(errors.PointsError):
        svc.points_earn(member=member_a, points=points, reason="x", idempotency_key="k")


def test_earn_for_spend_applies_rule_and_tier_multiplier_floored(card_a, member_a, tiers, store_a):
    EarningRule.objects.create(kind=EarningRuleKind.PER_YUAN_SERVICE, points=Decimal("1.00"))
    card_a.tier = tiers["gold"]  # × 1.5
    card_a.save()
    entry = svc.points_earn_for_spend(member=member_a, amount=Decimal("333.99"), kind="service", reference="WO-1", store=store_a)
    assert entry.points == 500  # floor(333.99 × 1 × 1.5) = floor(500.985)
    assert (entry.source_type, entry.source_id, entry.store) == ("per_yuan_service", "WO-1", store_a)
    again = svc.points_earn_for_spend(member=member_a, amount=Decimal("333.99"), kind="service", reference="WO-1", store=store_a)
    assert again == entry and balance(member_a) == 500


def test_earn_for_spend_without_rule_or_with_tiny_amount_earns_nothing(card_a, member_a, store_a):
    assert svc.points_earn_for_spend(member=member_a, amount=Decimal("100"), kind="mall", reference="M1", store=store_a) is None
    EarningRule.objects.create(kind=EarningRuleKind.PER_YUAN_MALL, points=Decimal("0.10"))
    assert svc.points_earn_for_spend(member=member_a, amount=Decimal("9.99"), kind="mall", reference="M2", store=store_a) is None
    assert svc.points_earn_for_spend(member=member_a, amount=Decimal("10"), kind="mall", reference="M3", store=store_a).points == 1
    with pytest.raises(errors.PointsError):  # a car purchase earns no spend points
        svc.points_earn_for_spend(member=member_a, amount=Decimal("10"), kind="car_purchase", reference="P1", store=store_a)


def test_parts_spend_earns_by_the_service_rule(card_a, member_a, store_a):
    EarningRule.objects.create(kind=EarningRuleKind.PER_YUAN_SERVICE, points=Decimal("1"))
    assert svc.points_earn_for_spend(member=member_a, amount=Decimal("88"), kind="parts", reference="P2", store=store_a).points == 88


# --- spend: FIFO, refusals, retries ----------------------------------------------------------------


def test_spend_uses_oldest_expiring_lots_first(card_a, member_a):
    late = earn(member_a, 100, "late", expires_in=300)
    soon = earn(member_a, 50, "soon", expires_in=10)
    mid = earn(member_a, 80, "mid", expires_in=100)
    entry = spend(member_a, 90, "s1")
    assert entry.points == -90 and entry.balance_after == 140
    assert list(entry.allocations.order_by("pk").values_list("lot_id", "points")) == [(soon.pk, 50), (mid.pk, 40)]
    late.refresh_from_db(); soon.refresh_from_db(); mid.refresh_from_db()
    assert (soon.remaining, mid.remaining, late.remaining) == (0, 40, 100)
    assert AuditLog.objects.filter(action="membership.points.spent", object_id=str(entry.pk)).exists()
    assert_ledger_consistent(member_a)


def test_spend_refuses_more_than_balance_and_changes_nothing(card_a, member_a):
    earn(member_a, 100, "e")
    before = snapshot(member_a)
    with pytest.raises(errors.PointsInsufficient) as exc:
        spend(member_a, 101, "s")
    assert exc.value.status_code == 409 and exc.value.message == errors.POINTS_INSUFFICIENT
    assert snapshot(member_a) == before
    assert not PointsEntry.objects.filter(idempotency_key="s").exists()


def test_retried_spend_returns_the_first_entry(card_a, member_a):
    earn(member_a, 100, "e")
    first = spend(member_a, 60, "order-1")
    again = spend(member_a, 60, "order-1")
    assert again.pk == first.pk
    assert balance(member_a) == 40
    assert PointsEntry.objects.filter(kind=EntryKind.SPEND).count() == 1


def test_spend_can_use_exactly_the_balance(card_a, member_a):
    earn(member_a, 30, "a")
    earn(member_a, 20, "b")
    spend(member_a, 50, "all")
    assert balance(member_a) == 0
    assert_ledger_consistent(member_a)


# --- refunds -------------------------------------------------------------------------------------


def test_refund_restores_the_original_lots_keeping_their_expiry(card_a, member_a):
    soon = earn(member_a, 50, "soon", expires_in=10)
    late = earn(member_a, 100, "late", expires_in=300)
    used = spend(member_a, 120, "s")
    refund = svc.points_refund(spend_entry=used, points=30, idempotency_key="r1")
    soon.refresh_from_db(); late.refresh_from_db()
    # The freshest lot gets its points back first.
    assert (soon.remaining, late.remaining) == (0, 60)
    assert (refund.kind, refund.points, refund.balance_after) == ("refund", 30, 60)
    rest = svc.points_refund(spend_entry=used, idempotency_key="r2")
    assert rest.points == 90
    soon.refresh_from_db(); late.refresh_from_db()
    assert (soon.remaining, late.remaining) == (50, 100)
    with pytest.raises(errors.PointsError):
        svc.points_refund(spend_entry=used, points=1, idempotency_key="r3")
    assert svc.points_refund(spend_entry=used, points=30, idempotency_key="r1") == refund
    assert_ledger_consistent(member_a)
    assert AuditLog.objects.filter(action="membership.points.refunded").count() == 2


def test_refund_refuses_non_spend_entries(card_a, member_a):
    lot = earn(member_a, 50, "e")
    with pytest.raises(errors.PointsError):
        svc.points_refund(spend_entry=lot, idempotency_key="r")


# --- expiry ----------------------------------------------------------------------------------------


def test_expiry_takes_only_lots_due_and_what_is_left_of_them(card_a, member_a):
    old = earn(member_a, 100, "old", expires_in=5)
    new = earn(member_a, 100, "new", expires_in=50)
    spend(member_a, 70, "s")  # 70 from the old lot, 30 left in it
    result = svc.points_expire_due(today=timezone.localdate() + dt.timedelta(days=10))
    assert result == {"members": 1, "points": 30}
    old.refresh_from_db(); new.refresh_from_db()
    assert (old.remaining, new.remaining) == (0, 100)
    entry = PointsEntry.objects.get(kind=EntryKind.EXPIRE)
    assert (entry.points, entry.balance_after) == (-30, 100)
    assert list(entry.allocations.values_list("lot_id", "points")) == [(old.pk, 30)]
    assert balance(member_a) == 100
    assert_ledger_consistent(member_a)


def test_expiry_twice_for_a_date_expires_once(card_a, card_b, member_a, member_b):
    earn(member_a, 10, "a", expires_in=1)
    earn(member_a, 20, "b", expires_in=2)
    earn(member_b, 40, "c", expires_in=1)
    earn(member_b, 5, "d", expires_in=100)
    day = timezone.localdate() + dt.timedelta(days=5)
    assert svc.points_expire_due(today=day) == {"members": 2, "points": 70}
    assert svc.points_expire_due(today=day) == {"members": 0, "points": 0}
    assert (balance(member_a), balance(member_b)) == (0, 5)
    assert PointsEntry.objects.filter(kind=EntryKind.EXPIRE).count() == 2
    assert PointsEntry.objects.get(member=member_a, kind=EntryKind.EXPIRE).points == -30
    assert_ledger_consistent(member_a)
    assert_ledger_consistent(member_b)


def test_expiry_keeps_lots_expiring_later_today(card_a, member_a):
    earn(member_a, 10, "a", expires_in=0)  # expires today (a few ms from now): not before the start of today
    assert svc.points_expire_due(today=timezone.localdate()) == {"members": 0, "points": 0}


def test_expiry_in_batches(card_a, member_a, make_member, store_a, tiers, monkeypatch):
    monkeypatch.setattr(svc, "EXPIRE_BATCH", 2)
    members = [member_a]
    for _ in range(4):
        m = make_member(store_a, with_vehicle=False)
        MembershipCard.objects.create(member=m, tier=tiers["normal"])
        members.append(m)
    for i, m in enumerate(members):
        earn(m, 10 + i, f"k{i}", expires_in=1)
    assert svc.points_expire_due(today=timezone.localdate() + dt.timedelta(days=3)) == {"members": 5, "points": 60}
    assert all(balance(m) == 0 for m in members)


# --- staff adjustment ----------------------------------------------------------------------------


def test_adjust_needs_a_reason(card_a, member_a, consultant_a):
    for reason in ("", "   "):
        with pytest.raises(errors.PointsError) as exc:
            svc.points_adjust(member=member_a, points=10, reason=reason, actor=consultant_a, idempotency_key="a")
        assert exc.value.fields == {"reason": [errors.POINTS_REASON_REQUIRED]}
    assert balance(member_a) == 0


def test_adjust_is_scoped_to_the_actors_store(card_a, member_a, consultant_b):
    with pytest.raises(NotFoundError):
        svc.points_adjust(member=member_a, points=10, reason="补录", actor=consultant_b, idempotency_key="a")
    assert balance(member_a) == 0


def test_adjust_by_consultant_is_audited(card_a, member_a, consultant_a, store_a):
    entry = svc.points_adjust(member=member_a, points=200, reason="活动补录", actor=consultant_a, idempotency_key="a")
    assert (entry.kind, entry.points, entry.actor, entry.store, entry.reason) == ("adjust", 200, consultant_a, store_a, "活动补录")
    log = AuditLog.objects.get(action="membership.points.adjusted")
    assert (log.actor, log.store, log.data["points"], log.data["reason"]) == (consultant_a, store_a, 200, "活动补录")
    down = svc.points_adjust(member=member_a, points=-50, reason="误加", actor=consultant_a, idempotency_key="b")
    assert (down.points, down.balance_after) == (-50, 150)
    with pytest.raises(errors.PointsInsufficient):
        svc.points_adjust(member=member_a, points=-151, reason="误加", actor=consultant_a, idempotency_key="c")
    assert_ledger_consistent(member_a)


def test_large_adjust_needs_a_manager(card_a, member_a, consultant_a, manager_a, hq, membership_settings):
    large = membership_settings.large_adjustment
    with pytest.raises(errors.PointsError) as exc:
        svc.points_adjust(member=member_a, points=large, reason="大额", actor=consultant_a, idempotency_key="a")
    assert exc.value.message == errors.POINTS_LARGE_NEEDS_MANAGER and exc.value.status_code == 403
    svc.points_adjust(member=member_a, points=large - 1, reason="补录", actor=consultant_a, idempotency_key="b")
    svc.points_adjust(member=member_a, points=large, reason="大额", actor=manager_a, idempotency_key="c")
    svc.points_adjust(member=member_a, points=-large, reason="大额", actor=hq, idempotency_key="d")
    assert balance(member_a) == large - 1


def test_adjust_refuses_owners_and_zero(card_a, member_a, owner_a, consultant_a):
    with pytest.raises(errors.PointsError):
        svc.points_adjust(member=member_a, points=10, reason="x", actor=owner_a, idempotency_key="a")
    with pytest.raises(errors.PointsError):
        svc.points_adjust(member=member_a, points=0, reason="x", actor=consultant_a, idempotency_key="b")


# --- check-in ------------------------------------------------------------------------------------


def test_checkin_once_a_day(card_a, member_a):
    EarningRule.objects.create(kind=EarningRuleKind.CHECKIN, points=Decimal("5"))
    today = timezone.localdate()
    checkin, entry, created = svc.points_checkin(member=member_a, today=today)
    assert created and entry.points == 5
    again, again_entry, created_again = svc.points_checkin(member=member_a, today=today)
    assert (again, again_entry, created_again) == (checkin, entry, False)
    svc.points_checkin(member=member_a, today=today + dt.timedelta(days=1))
    assert CheckIn.objects.filter(member=member_a).count() == 2
    assert balance(member_a) == 10


def test_checkin_without_rule_records_the_day_only(card_a, member_a):
    checkin, entry, created = svc.points_checkin(member=member_a)
    assert created and entry is None and balance(member_a) == 0


def test_checkin_without_card_is_refused(member_a, tiers):
    with pytest.raises(errors.PointsError):
        svc.points_checkin(member=member_a)
    assert not CheckIn.objects.exists()


# --- reminders -----------------------------------------------------------------------------------


def test_expiry_reminders_once_per_member_and_month(card_a, card_b, member_a, member_b, membership_settings):
    earn(member_a, 40, "a", expires_in=10)
    earn(member_a, 2, "a2", expires_in=11)
    earn(member_a, 60, "later", expires_in=200)
    earn(member_b, 10, "b", expires_in=200)
    today = timezone.localdate()
    assert svc.points_expiry_reminders(today=today) >= 1
    messages = OutboxMessage.objects.filter(member=member_a)
    assert set(messages.values_list("channel", flat=True)) == {"sms", "inapp"}
    assert not OutboxMessage.objects.filter(member=member_b).exists()
    assert all(not m.is_marketing for m in messages)
    count = OutboxMessage.objects.count()
    svc.points_expiry_reminders(today=today)
    svc.points_expiry_reminders(today=today + dt.timedelta(days=1))
    assert OutboxMessage.objects.count() == count


def test_expiry_reminder_states_points_and_date(card_a, member_a):
    lot = earn(member_a, 40, "a", expires_in=10)
    svc.points_expiry_reminders(today=timezone.localdate())
    message = OutboxMessage.objects.get(member=member_a, channel="sms")
    assert "40" in message.body and timezone.localtime(lot.expires_at).date().isoformat() in message.body


def test_expiry_reminder_respects_channel_and_topic_preferences(card_a, card_b, member_a, member_b):
    earn(member_a, 40, "a", expires_in=10)
    earn(member_b, 40, "b", expires_in=10)
    member_a.notify_sms = False
    member_a.save()
    member_b.notify_points = False
    member_b.save()
    svc.points_expiry_reminders(today=timezone.localdate())
    status = dict(OutboxMessage.objects.filter(member=member_a).values_list("channel", "status"))
    assert status == {"sms": "suppressed", "inapp": "pending"}  # the in-app notice still tells them
    assert set(OutboxMessage.objects.filter(member=member_b).values_list("status", flat=True)) == {"suppressed"}
    assert set(OutboxMessage.objects.values_list("topic", flat=True)) == {"points"}


# --- nightly check -------------------------------------------------------------------------------


def test_balance_verify_reports_a_drifted_cache(card_a, member_a):
    earn(member_a, 40, "a")
    assert svc.points_balance_verify() == []
    MembershipCard.objects.filter(pk=card_a.pk).update(points_balance=41)
    assert svc.points_balance_verify() == [{"member_id": member_a.pk, "card_balance": 41, "ledger": 40, "lots": 40}]


def test_add_months_clamps_the_day():
    moment = timezone.make_aware(dt.datetime(2024, 1, 31, 10, 0))
    assert svc.add_months(moment, 1).date() == dt.date(2024, 2, 29)
    assert svc.add_months(moment, 24).date() == dt.date(2026, 1, 31)

"""Coupons: templates, issue (stock, per-member limit, merchant rules), points
exchange, redeem and every refusal, void, expiry, concurrency."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import AuditLog
from membership import exceptions as errors
from membership.exceptions import MembershipError
from membership.models import (
    Coupon, CouponScope, CouponSource, CouponStatus, CouponTemplate, Transaction, TransactionKind,
)
from membership.services import coupons as svc
from tests.concurrency import run_together


@pytest.fixture
def make_template(db):
    def make(**extra) -> CouponTemplate:
        accepted = extra.pop("accepted_stores", ())
        fields = {"name": "保养立减 100", "kind": "maintenance", "value": 100, "valid_days": 30, **extra}
        template = CouponTemplate.objects.create(**fields)
        if accepted:
            template.accepted_stores.set(accepted)
        return template

    return make


@pytest.fixture
def template(make_template):
    return make_template()


@pytest.fixture
def coupon(template, member_a):
    return svc.coupon_issue(template=template, member=member_a, source=CouponSource.STAFF)


def _refused(message, fn, **kwargs):
    with pytest.raises(MembershipError) as info:
        fn(**kwargs)
    assert info.value.message == message
    return info.value


# --- templates -----------------------------------------------------------------------------------


class TestTemplates:
    def test_validity_needs_exactly_one_of_fixed_dates_or_days(self, hq):
        _refused(errors.COUPON_TEMPLATE_VALIDITY, svc.coupon_template_create, actor=hq, name="x", kind="cash_off")
        _refused(errors.COUPON_TEMPLATE_VALIDITY, svc.coupon_template_create, actor=hq, name="x", kind="cash_off",
                 valid_days=5, valid_to=dt.date(2030, 1, 1))
        _refused(errors.COUPON_TEMPLATE_DATES, svc.coupon_template_create, actor=hq, name="x", kind="cash_off",
                 valid_from=dt.date(2030, 2, 1), valid_to=dt.date(2030, 1, 1))
        _refused(errors.COUPON_DISCOUNT_NEEDS_PERCENT, svc.coupon_template_create, actor=hq, name="x",
                 kind="discount", valid_days=3)
        assert svc.coupon_template_create(actor=hq, name="x", kind="cash_off", value=50, valid_days=3).scope == "platform"

    def test_store_manager_creates_merchant_templates_of_own_store_only(self, manager_a, store_a, store_b):
        template = svc.coupon_template_create(actor=manager_a, name="店庆", kind="cash_off", valid_days=3,
                                              scope=CouponScope.PLATFORM, store=store_b)
        assert (template.scope, template.store) == (CouponScope.MERCHANT, store_a)
        assert list(template.accepted_stores.all()) == [store_a]
        assert AuditLog.objects.filter(action="membership.coupon_template.created", store=store_a).exists()

    def test_valid_until_from_days_or_fixed_dates(self, make_template, member_a):
        now = timezone.now()
        by_days = svc.coupon_issue(template=make_template(valid_days=10), member=member_a, source="staff", now=now)
        assert timezone.localdate(by_days.valid_until) == timezone.localdate(now) + dt.timedelta(days=10)
        end = timezone.localdate() + dt.timedelta(days=3)
        fixed = svc.coupon_issue(template=make_template(valid_days=None, valid_to=end), member=member_a, source="staff")
        assert timezone.localdate(fixed.valid_until) == end


# --- issue ---------------------------------------------------------------------------------------


class TestIssue:
    def test_issue_takes_stock_and_audits(self, make_template, member_a, consultant_a):
        template = make_template(stock=2)
        coupon = svc.coupon_issue(template=template, member=member_a, source="staff", actor=consultant_a)
        template.refresh_from_db()
        assert template.stock == 1 and coupon.status == CouponStatus.ISSUED and coupon.issued_by == consultant_a
        assert AuditLog.objects.filter(action="membership.coupon.issued", object_id=str(coupon.pk)).exists()

    def test_unlimited_stock_stays_none(self, template, member_a, member_b):
        svc.coupon_issue(template=template, member=member_a, source="staff")
        svc.coupon_issue(template=template, member=member_b, source="staff")
        template.refresh_from_db()
        assert template.stock is None

    def test_out_of_stock_refused(self, make_template, member_a, member_b):
        template = make_template(stock=1)
        svc.coupon_issue(template=template, member=member_a, source="staff")
        error = _refused(errors.COUPON_OUT_OF_STOCK, svc.coupon_issue, template=template, member=member_b, source="staff")
        assert error.code == "coupon_out_of_stock"
        template.refresh_from_db()
        assert template.stock == 0

    def test_per_member_limit(self, make_template, member_a, member_b):
        template = make_template(per_member_limit=2)
        svc.coupon_issue(template=template, member=member_a, source="staff")
        svc.coupon_issue(template=template, member=member_a, source="staff")
        error = _refused(errors.COUPON_LIMIT_REACHED, svc.coupon_issue, template=template, member=member_a, source="staff")
        assert error.code == "coupon_limit_reached"
        svc.coupon_issue(template=template, member=member_b, source="staff")  # another member is fine

    def test_inactive_and_ended_templates_refused(self, make_template, member_a):
        _refused(errors.COUPON_TEMPLATE_INACTIVE, svc.coupon_issue, template=make_template(is_active=False),
                 member=member_a, source="staff")
        ended = make_template(valid_days=None, valid_to=timezone.localdate() - dt.timedelta(days=1))
        _refused(errors.COUPON_TEMPLATE_NOT_VALID_NOW, svc.coupon_issue, template=ended, member=member_a, source="staff")

    def test_merchant_coupon_only_by_its_store_staff(self, make_template, store_a, member_a, consultant_a, consultant_b, hq):
        template = make_template(scope=CouponScope.MERCHANT, store=store_a, per_member_limit=5)
        _refused(errors.COUPON_MERCHANT_OTHER_STORE, svc.coupon_issue, template=template, member=member_a,
                 source="staff", actor=consultant_b)
        assert svc.coupon_issue(template=template, member=member_a, source="staff", actor=consultant_a)
        assert svc.coupon_issue(template=template, member=member_a, source="staff", actor=hq)
        assert svc.coupon_issue(template=template, member=member_a, source="campaign")  # the system

    def test_dedup_key_makes_issue_idempotent(self, make_template, member_a):
        template = make_template(stock=5, per_member_limit=3)
        first = svc.coupon_issue(template=template, member=member_a, source="birthday", dedup_key="bd:1:2025")
        again = svc.coupon_issue(template=template, member=member_a, source="birthday", dedup_key="bd:1:2025")
        assert first == again and Coupon.objects.count() == 1
        template.refresh_from_db()
        assert template.stock == 4


# --- points exchange -----------------------------------------------------------------------------


class TestExchange:
    def test_exchange_spends_points_once(self, make_template, card_a, member_a):
        from membership.services import points as points_services

        points_services.points_earn(member=member_a, points=500, reason="测试", idempotency_key="seed")
        template = make_template(points_price=200, per_member_limit=5)
        coupon = svc.coupon_exchange_for_points(template=template, member=member_a, idempotency_key="k1")
        again = svc.coupon_exchange_for_points(template=template, member=member_a, idempotency_key="k1")
        card_a.refresh_from_db()
        assert coupon == again and coupon.source == CouponSource.POINTS
        assert card_a.points_balance == 300

    def test_exchange_without_enough_points_issues_nothing(self, make_template, card_a, member_a):
        template = make_template(points_price=200, stock=3)
        with pytest.raises(MembershipError):
            svc.coupon_exchange_for_points(template=template, member=member_a, idempotency_key="k2")
        template.refresh_from_db()
        assert template.stock == 3 and not Coupon.objects.exists()

    def test_not_exchangeable(self, template, member_a):
        _refused(errors.COUPON_NOT_EXCHANGEABLE, svc.coupon_exchange_for_points, template=template, member=member_a,
                 idempotency_key="k3")


# --- redeem --------------------------------------------------------------------------------------


class TestRedeem:
    def test_redeem_happy_path_records_a_visit(self, coupon, store_a, consultant_a):
        redeemed = svc.coupon_redeem(code=coupon.code.lower(), store=None, actor=consultant_a)
        assert redeemed.status == CouponStatus.REDEEMED
        assert (redeemed.redeemed_store, redeemed.redeemed_by) == (store_a, consultant_a)
        visit = Transaction.objects.get(reference=f"coupon:{coupon.code}")
        assert (visit.kind, visit.store, visit.member) == (TransactionKind.COUPON_REDEMPTION, store_a, coupon.member)
        assert AuditLog.objects.filter(action="membership.coupon.redeemed", store=store_a).exists()

    def test_unknown_code(self, store_a, consultant_a):
        error = _refused(errors.COUPON_UNKNOWN, svc.coupon_redeem, code="NOPE12345678", store=None, actor=consultant_a)
        assert (error.code, error.status_code) == ("coupon_unknown", 404)

    def test_twice_refused(self, coupon, consultant_a):
        svc.coupon_redeem(code=coupon.code, store=None, actor=consultant_a)
        error = _refused(errors.COUPON_ALREADY_REDEEMED, svc.coupon_redeem, code=coupon.code, store=None, actor=consultant_a)
        assert error.code == "coupon_already_redeemed"
        assert Transaction.objects.filter(kind=TransactionKind.COUPON_REDEMPTION).count() == 1

    def test_void_refused(self, coupon, consultant_a):
        svc.coupon_void(coupon=coupon, actor=consultant_a, reason="发错了")
        assert _refused(errors.COUPON_VOID, svc.coupon_redeem, code=coupon.code, store=None, actor=consultant_a).code == "coupon_void"
        _refused(errors.COUPON_NOT_VOIDABLE, svc.coupon_void, coupon=coupon, actor=consultant_a, reason="again")

    def test_expired_refused_and_marked(self, coupon, consultant_a):
        later = coupon.valid_until + dt.timedelta(seconds=1)
        error = _refused(errors.COUPON_EXPIRED, svc.coupon_redeem, code=coupon.code, store=None, actor=consultant_a, now=later)
        assert error.code == "coupon_expired"
        coupon.refresh_from_db()
        assert coupon.status == CouponStatus.EXPIRED
        _refused(errors.COUPON_EXPIRED, svc.coupon_redeem, code=coupon.code, store=None, actor=consultant_a)

    def test_store_not_accepted(self, make_template, member_a, store_a, consultant_b):
        template = make_template(accepted_stores=[store_a])
        coupon = svc.coupon_issue(template=template, member=member_a, source="staff")
        error = _refused(errors.COUPON_STORE_NOT_ACCEPTED, svc.coupon_redeem, code=coupon.code, store=None, actor=consultant_b)
        assert error.code == "coupon_store_not_accepted"

    def test_merchant_coupon_at_another_store(self, make_template, member_a, store_a, consultant_a, consultant_b):
        template = make_template(scope=CouponScope.MERCHANT, store=store_a)
        coupon = svc.coupon_issue(template=template, member=member_a, source="staff", actor=consultant_a)
        _refused(errors.COUPON_MERCHANT_AT_OTHER_STORE, svc.coupon_redeem, code=coupon.code, store=None, actor=consultant_b)
        assert svc.coupon_redeem(code=coupon.code, store=None, actor=consultant_a).status == CouponStatus.REDEEMED

    def test_platform_coupon_redeemable_at_any_store(self, coupon, store_b, consultant_b):
        assert svc.coupon_redeem(code=coupon.code, store=None, actor=consultant_b).redeemed_store == store_b

    def test_staff_cannot_redeem_for_another_store(self, coupon, store_a, consultant_b):
        error = _refused(errors.COUPON_OTHER_STORE_STAFF, svc.coupon_redeem, code=coupon.code, store=store_a, actor=consultant_b)
        assert (error.code, error.status_code) == ("coupon_other_store_staff", 403)
        coupon.refresh_from_db()
        assert coupon.status == CouponStatus.ISSUED

    def test_hq_must_pick_a_store(self, coupon, store_b, hq):
        assert _refused(errors.COUPON_PICK_STORE, svc.coupon_redeem, code=coupon.code, store=None, actor=hq).code == "coupon_pick_store"
        assert svc.coupon_redeem(code=coupon.code, store=store_b, actor=hq).redeemed_store == store_b

    def test_owner_cannot_redeem(self, coupon, owner_a):
        _refused(errors.COUPON_OTHER_STORE_STAFF, svc.coupon_redeem, code=coupon.code, store=None, actor=owner_a)


def test_coupons_expire_due_is_set_based_and_rerunnable(make_template, member_a, member_b):
    template = make_template(valid_days=1, per_member_limit=3)
    old = svc.coupon_issue(template=template, member=member_a, source="staff", now=timezone.now() - dt.timedelta(days=5))
    fresh = svc.coupon_issue(template=template, member=member_b, source="staff")
    today = timezone.localdate()
    assert svc.coupons_expire_due(today=today) == 1
    assert svc.coupons_expire_due(today=today) == 0
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert (old.status, fresh.status) == (CouponStatus.EXPIRED, CouponStatus.ISSUED)


# --- concurrency (threads + barrier; run on SQLite and PostgreSQL) -----------------------------


def _run_concurrently(n, target):
    """(results, refusal codes) of ``target(i)`` run in ``n`` threads at once."""
    outcomes = run_together(target, n)
    unexpected = [o for o in outcomes if isinstance(o, Exception) and not isinstance(o, MembershipError)]
    assert not unexpected, unexpected
    return ([o for o in outcomes if not isinstance(o, Exception)],
            [o.code for o in outcomes if isinstance(o, MembershipError)])


@pytest.mark.django_db(transaction=True)
def test_concurrent_issue_never_oversells(make_template, make_member, store_a):
    template = make_template(stock=3)
    members = [make_member(store_a, with_vehicle=False) for _ in range(8)]
    results, failures = _run_concurrently(
        8, lambda i: svc.coupon_issue(template=template, member=members[i], source="campaign")
    )
    template.refresh_from_db()
    assert len(results) == 3 and template.stock == 0
    assert failures.count("coupon_out_of_stock") == 5
    assert Coupon.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_concurrent_issue_respects_per_member_limit(make_template, member_a):
    template = make_template(per_member_limit=1, stock=10)
    results, failures = _run_concurrently(
        6, lambda i: svc.coupon_issue(template=template, member=member_a, source="campaign")
    )
    template.refresh_from_db()
    assert len(results) == 1 and Coupon.objects.filter(member=member_a).count() == 1
    assert template.stock == 9 and set(failures) == {"coupon_limit_reached"}


@pytest.mark.django_db(transaction=True)
def test_concurrent_redeem_only_one_wins(template, member_a, consultant_a):
    coupon = svc.coupon_issue(template=template, member=member_a, source="staff")
    results, failures = _run_concurrently(
        6, lambda i: svc.coupon_redeem(code=coupon.code, store=None, actor=consultant_a)
    )
    assert len(results) == 1 and set(failures) == {"coupon_already_redeemed"}
    assert Transaction.objects.filter(reference=f"coupon:{coupon.code}").count() == 1
    assert connection.vendor in {"sqlite", "postgresql"}

"""Bulk coupon issuance (``coupons_issue_bulk``) — the care automations and
campaigns: the same rules as a single issue (dedup, per-member limit, stock,
template refusals), a fixed number of queries per batch, exact under
concurrent runs; and the care steps built on it (stock running short,
win-back calls dealt out to the store's consultants)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.dates import day_start
from accounts.models import AuditLog, OutboxMessage, Role
from leads.models import FollowUpTask
from membership.exceptions import MembershipError
from membership.models import Coupon, CouponKind, CouponSource, CouponStatus, CouponTemplate, Transaction
from membership.services.coupons import coupon_issue, coupon_valid_until, coupons_issue_bulk
from membership.services.daily import birthday_care, winback_care
from membership.services.lifecycle import profiles_compute
from tests.concurrency import run_together

NOW = timezone.make_aware(dt.datetime(2025, 3, 1, 9, 0))


def _template(**extra) -> CouponTemplate:
    fields = {"name": "生日蛋糕券", "kind": CouponKind.BIRTHDAY_CAKE, "value": Decimal("88"), "valid_days": 30,
              "per_member_limit": 1}
    return CouponTemplate.objects.create(**{**fields, **extra})


def _key(member) -> str:
    return f"test:{member.pk}"


@pytest.fixture
def crowd(make_member, store_a):
    return [make_member(store_a, with_vehicle=False) for _ in range(5)]


def _issue(template, members, **extra):
    return coupons_issue_bulk(template=template, members=members, source=CouponSource.BIRTHDAY,
                              dedup_key_of=_key, now=NOW, **extra)


@pytest.mark.django_db
class TestBulkIssue:
    def test_one_coupon_each_like_a_single_issue_and_one_audit_row(self, crowd):
        template = _template()
        done = _issue(template, crowd)
        assert done.issued == {m.pk for m in crowd} and not done.existing and not done.refused
        coupons = Coupon.objects.filter(template=template)
        assert coupons.count() == 5 and len({c.code for c in coupons}) == 5
        coupon = coupons.get(member=crowd[0])
        assert coupon.status == CouponStatus.ISSUED and coupon.source == CouponSource.BIRTHDAY
        assert coupon.dedup_key == _key(crowd[0]) and coupon.issued_at == NOW
        assert coupon.valid_until == coupon_valid_until(template=template, issued_at=NOW)
        audit = AuditLog.objects.get(action="membership.coupon.issued_bulk")
        assert audit.data["issued"] == 5 and audit.data["source"] == CouponSource.BIRTHDAY

    def test_a_rerun_finds_every_coupon_and_issues_nothing(self, crowd):
        template = _template(stock=10)
        _issue(template, crowd)
        again = _issue(template, crowd)
        assert again.existing == {m.pk for m in crowd} and not again.issued and not again.refused
        assert again.holding == again.existing
        template.refresh_from_db()
        assert Coupon.objects.count() == 5 and template.stock == 5
        # a single issue with the same key returns the bulk-issued coupon
        assert coupon_issue(template=template, member=crowd[0], source="birthday", dedup_key=_key(crowd[0])).pk == \
            Coupon.objects.get(member=crowd[0]).pk

    def test_per_member_limit_counts_held_coupons_but_not_void_ones(self, crowd):
        template = _template(per_member_limit=1)
        coupon_issue(template=template, member=crowd[0], source="staff")
        voided = coupon_issue(template=template, member=crowd[1], source="staff")
        Coupon.objects.filter(pk=voided.pk).update(status=CouponStatus.VOID)
        done = _issue(template, crowd)
        assert done.refused == {crowd[0].pk}
        assert done.issued == {m.pk for m in crowd[1:]}
        assert Coupon.objects.filter(member=crowd[0]).count() == 1

    def test_stock_runs_short_lowest_members_first_and_never_below_zero(self, crowd):
        template = _template(stock=3)
        done = _issue(template, crowd)
        ordered = sorted(m.pk for m in crowd)
        assert done.issued == set(ordered[:3]) and done.refused == set(ordered[3:])
        template.refresh_from_db()
        assert template.stock == 0
        assert not _issue(template, crowd[:0]).issued  # nothing to do, nothing touched
        later = _issue(template, crowd)
        assert later.existing == set(ordered[:3]) and later.refused == set(ordered[3:])

    def test_unlimited_stock_stays_unlimited(self, crowd):
        template = _template(stock=None)
        _issue(template, crowd)
        template.refresh_from_db()
        assert template.stock is None

    @pytest.mark.parametrize(("change", "code"), [
        ({"is_active": False}, "coupon_template_inactive"),
        ({"valid_to": dt.date(2025, 2, 1), "valid_days": None}, "coupon_template_not_valid_now"),
    ])
    def test_template_refusals_raise_and_write_nothing(self, crowd, change, code):
        template = _template(stock=5, **change)
        with pytest.raises(MembershipError) as caught:
            _issue(template, crowd)
        assert caught.value.code == code
        template.refresh_from_db()
        assert template.stock == 5 and not Coupon.objects.exists() and not AuditLog.objects.exists()

    def test_store_staff_cannot_bulk_issue_another_stores_merchant_coupon(self, crowd, store_b, consultant_a):
        template = _template(scope="merchant", store=store_b)
        with pytest.raises(MembershipError) as caught:
            _issue(template, crowd, actor=consultant_a)
        assert caught.value.code == "coupon_merchant_other_store" and not Coupon.objects.exists()

    def test_the_number_of_queries_does_not_grow_with_the_members(self, make_member, store_a):
        few = [make_member(store_a, with_vehicle=False) for _ in range(2)]
        many = [make_member(store_a, with_vehicle=False) for _ in range(40)]
        with CaptureQueriesContext(connection) as small:
            _issue(_template(stock=100), few)
        with CaptureQueriesContext(connection) as large:
            _issue(_template(stock=100), many)
        assert len(large.captured_queries) == len(small.captured_queries)
        assert Coupon.objects.count() == 42


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
class TestBulkIssueRaces:
    def test_concurrent_runs_over_the_same_members_issue_once_and_take_stock_once(self, crowd):
        template = _template(stock=4)
        results = run_together(lambda i: _issue(template, crowd), 4)
        assert not [r for r in results if isinstance(r, Exception)], results
        template.refresh_from_db()
        assert Coupon.objects.count() == 4 and template.stock == 0
        assert sum(len(r.issued) for r in results) == 4
        assert all(r.holding | r.refused == {m.pk for m in crowd} for r in results)

    def test_bulk_and_single_issues_together_keep_the_per_member_limit(self, crowd):
        template = _template(per_member_limit=1)

        def work(i):
            if i == 0:
                return _issue(template, crowd)
            return coupon_issue(template=template, member=crowd[i - 1], source="staff")

        results = run_together(work, 4)
        assert all(not isinstance(r, Exception) or getattr(r, "code", "") == "coupon_limit_reached" for r in results)
        for member in crowd:
            assert Coupon.objects.filter(member=member, template=template).count() == 1


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_two_birthday_runs_at_once_give_one_coupon_and_one_greeting_each(make_member, store_a, settings):
    settings.MARKETING_QUIET_START = settings.MARKETING_QUIET_END = "00:00"
    template = _template(stock=10)
    born = [make_member(store_a, with_vehicle=False, birthday=dt.date(1990, 3, d), marketing_consent=True)
            for d in range(1, 6)]
    results = run_together(lambda i: birthday_care(day=dt.date(2025, 3, 1)), 2)
    assert not [r for r in results if isinstance(r, Exception)], results
    template.refresh_from_db()
    assert template.stock == 5
    for member in born:
        assert Coupon.objects.filter(member=member).count() == 1
        assert OutboxMessage.objects.filter(member=member).count() == 1


# --- the care steps on top of it ---------------------------------------------------------------


@pytest.fixture
def quiet_free(settings):
    settings.MARKETING_QUIET_START = settings.MARKETING_QUIET_END = "00:00"


@pytest.mark.django_db
def test_birthday_care_when_the_cake_coupons_run_out_still_greets_everyone(make_member, store_a, quiet_free):
    template = _template(stock=2)
    born = [make_member(store_a, with_vehicle=False, birthday=dt.date(1990, 3, d), marketing_consent=True)
            for d in (3, 4, 5)]
    report = birthday_care(day=dt.date(2025, 3, 1))
    assert report == {"members": 3, "coupons": 2}
    template.refresh_from_db()
    assert template.stock == 0
    with_coupon = set(Coupon.objects.values_list("member_id", flat=True))
    for member in born:
        body = OutboxMessage.objects.get(member=member).body
        assert ("蛋糕券" in body) == (member.pk in with_coupon)
    assert birthday_care(day=dt.date(2025, 3, 1)) == {"members": 0, "coupons": 0}


@pytest.mark.django_db
def test_winback_calls_are_dealt_out_to_the_stores_consultants_in_turn(make_member, store_a, store_b, make_staff,
                                                                       quiet_free):
    first = make_staff(Role.CONSULTANT, store_a, username="c1")
    second = make_staff(Role.CONSULTANT, store_a, username="c2")
    make_staff(Role.CONSULTANT, store_a, username="c3", on_duty=False)
    lapsed = [make_member(store, with_vehicle=False) for store in (store_a,) * 4 + (store_b,)]
    for i, member in enumerate(lapsed):
        Transaction.objects.create(member=member, store=member.store, kind="service", amount=Decimal("100"),
                                   occurred_at=day_start(dt.date(2024, 9, 1)), reference=f"W{i}")
    day = dt.date(2025, 4, 2)  # 7 months later
    profiles_compute(day=day)
    report = winback_care(day=day)
    assert report["winback_call"]["tasks"] == 5
    mine = FollowUpTask.objects.filter(store=store_a)
    assert sorted(mine.values_list("assignee__username", flat=True)) == ["c1", "c1", "c2", "c2"]
    assert {first, second} == {t.assignee for t in mine}
    assert FollowUpTask.objects.get(store=store_b).assignee is None  # nobody on duty there: the manager hands it out
    assert winback_care(day=day)["winback_call"]["tasks"] == 0
    assert FollowUpTask.objects.count() == 5


@pytest.mark.django_db
def test_winback_calls_beyond_the_daily_store_quota_wait_for_the_next_days(make_member, store_a, store_b,
                                                                           consultant_a, quiet_free):
    from membership.models import MembershipSettings

    settings = MembershipSettings.current()
    settings.winback_calls_per_store_day = 2
    settings.save()
    lapsed = [make_member(store, with_vehicle=False) for store in (store_a,) * 5 + (store_b,)]
    for i, member in enumerate(lapsed):
        Transaction.objects.create(member=member, store=member.store, kind="service", amount=Decimal("100"),
                                   occurred_at=day_start(dt.date(2024, 9, 1)), reference=f"Q{i}")
    day = dt.date(2025, 4, 2)
    profiles_compute(day=day)
    first = winback_care(day=day)["winback_call"]
    assert (first["tasks"], first["deferred"]) == (3, 3)  # store A: 2 of 5; store B: its 1
    assert FollowUpTask.objects.filter(store=store_a).count() == 2
    assert winback_care(day=day)["winback_call"]["tasks"] == 0  # the same day again: the quota is used up
    for n, next_day in enumerate((dt.date(2025, 4, 3), dt.date(2025, 4, 4)), start=1):
        profiles_compute(day=next_day)
        assert winback_care(day=next_day)["winback_call"]["tasks"] == (2 if n == 1 else 1)
    assert FollowUpTask.objects.filter(store=store_a).count() == 5
    assert FollowUpTask.objects.filter(member__in=lapsed).values("member").distinct().count() == 6

    settings.winback_calls_per_store_day = 0  # no limit: every due member at once
    settings.save()
    more = [make_member(store_a, with_vehicle=False) for _ in range(3)]
    for i, member in enumerate(more):
        Transaction.objects.create(member=member, store=store_a, kind="service", amount=Decimal("100"),
                                   occurred_at=day_start(dt.date(2024, 9, 1)), reference=f"R{i}")
    profiles_compute(day=dt.date(2025, 4, 5))
    assert winback_care(day=dt.date(2025, 4, 5))["winback_call"] == {
        "members": 3, "coupons": 0, "tasks": 3, "deferred": 0}

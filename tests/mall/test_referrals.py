"""Employee referrals (分销): the last click within the window attributes an
order, never to the buyer themselves; a paid referred order earns a pending
commission from the product's (or category's) rule; the completion job makes
it payable once the refund window has passed; refunds take it back in
proportion — in place while pending, as a negative line on the next statement
once payable or paid; HQ's monthly statements and their payment."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.dates import add_months, day_start
from accounts.models import AuditLog, Role
from mall import exceptions as errors
from mall.exceptions import MallError
from mall.models import (
    ClickSource, Commission, CommissionKind, CommissionRule, CommissionStatement, CommissionStatus, Order, OrderStatus,
    ProductKind, ReferralClick, ShareLink, StatementStatus,
)
from mall.services_orders import order_create
from mall.services_referrals import (
    commission_rule_for, month_start, orders_complete, referral_attribute, referral_click_record, share_create,
    statement_mark_paid, statements_generate,
)
from mall.services_refunds import order_refund
from membership.models import CouponKind, CouponTemplate, MembershipCard
from tests.mall.conftest import make_product
from tests.mall.orders_helpers import card, give_points, mixed_sku, rich  # noqa: F401  (fixtures)
from tests.mall.referrals_helpers import days, earned, fulfilled, net, referred_order, rule  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def consultant_a2(make_staff, store_a):
    return make_staff(Role.CONSULTANT, store_a, username="s01_consultant2", last_name="赵", first_name="敏")


# --- attribution ---------------------------------------------------------------------------------


class TestAttribution:
    def test_a_click_attributes_the_members_orders_within_the_window_only(self, rich, store_a, mixed_sku,
                                                                           consultant_a, settings):
        settings.MALL_REFERRAL_WINDOW_DAYS = 7
        now = timezone.now()
        click = referral_click_record(code=consultant_a.referral_code, member=rich, product=mixed_sku.product,
                                      now=now - days(6.9))
        assert click.source == ClickSource.LINK and click.staff == consultant_a
        assert referral_attribute(code="", member=rich, now=now) == consultant_a
        assert referral_attribute(code="", member=rich, now=now + days(0.2)) is None  # 7.1 days after the click
        order = order_create(member=rich, store=store_a, lines=[{"sku": mixed_sku.pk, "quantity": 1}], now=now)
        assert order.referral == consultant_a and order.referral_code == consultant_a.referral_code

    def test_the_window_is_configurable(self, rich, consultant_a, settings):
        now = timezone.now()
        referral_click_record(code=consultant_a.referral_code, member=rich, now=now - days(2))
        settings.MALL_REFERRAL_WINDOW_DAYS = 1
        assert referral_attribute(code="", member=rich, now=now) is None
        settings.MALL_REFERRAL_WINDOW_DAYS = 3
        assert referral_attribute(code="", member=rich, now=now) == consultant_a

    def test_the_last_click_wins_and_a_code_on_the_order_is_a_click_at_order_time(
            self, rich, store_a, mixed_sku, consultant_a, consultant_a2, consultant_b):
        now = timezone.now()
        referral_click_record(code=consultant_a.referral_code, member=rich, now=now - days(3))
        referral_click_record(code=consultant_b.referral_code, member=rich, now=now - days(1))
        assert referral_attribute(code="", member=rich, now=now) == consultant_b
        order = order_create(member=rich, store=store_a, lines=[{"sku": mixed_sku.pk, "quantity": 1}],
                             referral=consultant_a2.referral_code, now=now)
        assert order.referral == consultant_a2
        assert ReferralClick.objects.filter(member=rich, staff=consultant_a2, source=ClickSource.ORDER).exists()
        # The code sent with that order is now the last click.
        assert referral_attribute(code="", member=rich, now=now + days(1)) == consultant_a2

    def test_unknown_and_inactive_staff_codes_are_no_clicks(self, rich, consultant_a, make_staff, store_a):
        gone = make_staff(Role.CONSULTANT, store_a, username="gone", is_active=False)
        assert referral_click_record(code="NOPE1234", member=rich) is None
        assert referral_click_record(code=gone.referral_code, member=rich) is None
        referral_click_record(code=consultant_a.referral_code, member=rich)
        consultant_a.is_active = False
        consultant_a.save(update_fields=["is_active"])
        assert referral_attribute(code="", member=rich) is None  # left since the click

    def test_a_staff_member_never_refers_their_own_purchase(self, rich, store_a, mixed_sku, make_staff, consultant_a,
                                                            rule):
        # The employee buying as a member: the member's mobile is their staff phone.
        employee = make_staff(Role.CONSULTANT, store_a, username="buyer_staff", phone=rich.mobile)
        now = timezone.now()
        referral_click_record(code=consultant_a.referral_code, member=rich, now=now - days(2))
        assert referral_click_record(code=employee.referral_code, member=rich, now=now - days(1)) is None
        order = referred_order(rich, store_a, mixed_sku, employee)
        assert not ReferralClick.objects.filter(staff=employee).exists()
        # Their own code is no click: the colleague's earlier click still attributes the order.
        assert order.referral == consultant_a
        assert earned(order).staff == consultant_a

    def test_no_commission_on_an_employees_own_purchase(self, rich, store_a, mixed_sku, make_staff, rule):
        employee = make_staff(Role.CONSULTANT, store_a, username="buyer_staff", phone=rich.mobile)
        order = referred_order(rich, store_a, mixed_sku, employee)
        assert order.referral is None
        assert not Commission.objects.exists()

    def test_a_member_is_never_referred_by_their_own_account(self, rich, make_staff, store_a):
        staff = make_staff(Role.CONSULTANT, store_a, username="own_account")
        rich.user = staff
        rich.save(update_fields=["user"])
        assert referral_click_record(code=staff.referral_code, member=rich) is None
        assert referral_attribute(code=staff.referral_code, member=rich) is None


# --- commission lines ----------------------------------------------------------------------------


class TestCommission:
    def test_a_paid_referred_order_earns_a_pending_commission_from_the_rule(self, rich, store_a, mixed_sku,
                                                                            consultant_a, rule):
        order = referred_order(rich, store_a, mixed_sku, consultant_a)
        line = earned(order)
        # 10 % of 99 yuan + 5 yuan per 1,000 of 2,000 points.
        assert (line.cash_part, line.points_part, line.amount) == (Decimal("9.90"), Decimal("10.00"), Decimal("19.90"))
        assert (line.staff, line.store, line.status, line.statement) == (consultant_a, store_a,
                                                                        CommissionStatus.PENDING, None)
        assert AuditLog.objects.filter(action="mall.commission.created", object_id=str(order.pk)).exists()

    def test_an_unpaid_order_earns_nothing_yet(self, rich, store_a, mixed_sku, consultant_a, rule):
        order_create(member=rich, store=store_a, lines=[{"sku": mixed_sku.pk, "quantity": 1}],
                     referral=consultant_a.referral_code)
        assert not Commission.objects.exists()

    def test_without_a_rule_nothing_is_earned_and_a_category_rule_applies(self, rich, store_a, hq, consultant_a,
                                                                          category):
        child = category.children.create(name="脚垫")
        product = make_product(hq, name="丝圈脚垫", category=child,
                               skus=[{"name": "黑", "price_cash": Decimal("200"), "stock": 5}])
        sku = product.skus.get()
        referred_order(rich, store_a, sku, consultant_a)
        assert not Commission.objects.exists()
        parent_rule = CommissionRule.objects.create(category=category, cash_percent=Decimal("3"))
        assert commission_rule_for(product) == parent_rule
        order = referred_order(rich, store_a, sku, consultant_a)
        assert earned(order).amount == Decimal("6.00")
        child_rule = CommissionRule.objects.create(category=child, cash_percent=Decimal("4"))
        product_rule = CommissionRule.objects.create(product=product, cash_percent=Decimal("5"))
        assert commission_rule_for(product) == product_rule
        product_rule.delete()
        assert commission_rule_for(product) == child_rule

    def test_a_repeated_payment_callback_earns_once(self, rich, store_a, mixed_sku, consultant_a, rule):
        from mall.services_refunds import order_paid_effects

        order = referred_order(rich, store_a, mixed_sku, consultant_a)
        order_paid_effects(order)
        assert Commission.objects.filter(order=order).count() == 1


# --- completion ----------------------------------------------------------------------------------


class TestCompletion:
    def test_the_job_completes_fulfilled_orders_after_the_refund_window(self, rich, store_a, mixed_sku,
                                                                       consultant_a, manager_a, rule, settings):
        settings.MALL_REFUND_WINDOW_DAYS = 7
        now = timezone.now()
        order = fulfilled(referred_order(rich, store_a, mixed_sku, consultant_a), manager_a, now=now)
        assert orders_complete(now=now + days(6.9)) == 0
        assert Order.objects.get(pk=order.pk).status == OrderStatus.FULFILLED
        assert earned(order).status == CommissionStatus.PENDING
        assert orders_complete(now=now + days(7)) == 1
        assert Order.objects.get(pk=order.pk).status == OrderStatus.COMPLETED
        line = earned(order)
        assert line.status == CommissionStatus.PAYABLE and line.payable_at == now + days(7)
        assert orders_complete(now=now + days(8)) == 0  # safe to run twice
        assert AuditLog.objects.filter(action="mall.order.completed", object_id=str(order.pk)).count() == 1

    def test_paid_goods_wait_for_fulfilment_voucher_only_orders_complete_after_payment(
            self, rich, store_a, mixed_sku, consultant_a, hq, settings):
        settings.MALL_REFUND_WINDOW_DAYS = 7
        template = CouponTemplate.objects.create(name="精洗券", kind=CouponKind.MAINTENANCE, value=Decimal("68"),
                                                 per_member_limit=10)
        voucher = make_product(hq, name="精致洗车", kind=ProductKind.SERVICE_VOUCHER, coupon_template=template,
                               skus=[{"name": "一次", "price_cash": Decimal("39"), "stock": 10}]).skus.get()
        CommissionRule.objects.create(product=voucher.product, cash_percent=Decimal("10"))
        goods = referred_order(rich, store_a, mixed_sku, consultant_a)
        vouchers = referred_order(rich, store_a, voucher, consultant_a)
        assert orders_complete(now=timezone.now() + days(7.1)) == 1
        assert Order.objects.get(pk=goods.pk).status == OrderStatus.PAID
        assert Order.objects.get(pk=vouchers.pk).status == OrderStatus.COMPLETED
        assert earned(vouchers).status == CommissionStatus.PAYABLE


# --- refunds -------------------------------------------------------------------------------------


class TestReversal:
    def test_a_partial_refund_of_a_pending_commission_reduces_it_in_proportion(
            self, rich, store_a, mixed_sku, consultant_a, manager_a, rule):
        order = referred_order(rich, store_a, mixed_sku, consultant_a)
        order_refund(order=order, actor=manager_a, amount=Decimal("49.50"), reason="部分退款")
        line = earned(order)
        assert (line.amount, line.status) == (Decimal("14.95"), CommissionStatus.PENDING)  # 19.90 − 4.95
        order_refund(order=order, actor=manager_a, points=1000, reason="退一半积分")
        assert earned(order).amount == Decimal("9.95")  # − 5.00
        assert Commission.objects.filter(order=order).count() == 1
        assert AuditLog.objects.filter(action="mall.commission.reversed", object_id=str(order.pk)).count() == 2

    def test_a_full_refund_of_a_pending_commission_cancels_it_and_it_never_becomes_payable(
            self, rich, store_a, mixed_sku, consultant_a, manager_a, rule):
        order = fulfilled(referred_order(rich, store_a, mixed_sku, consultant_a), manager_a)
        order_refund(order=order, actor=manager_a, amount=Decimal("33.33"), reason="部分")
        order_refund(order=order, actor=manager_a, amount=Decimal("65.67"), points=2000, reason="全部")
        line = earned(order)
        assert (line.amount, line.status) == (Decimal("0.00"), CommissionStatus.REVERSED)
        assert Order.objects.get(pk=order.pk).status == OrderStatus.REFUNDED
        assert orders_complete(now=timezone.now() + days(30)) == 0
        assert earned(order).status == CommissionStatus.REVERSED

    def test_a_refund_after_it_became_payable_is_a_negative_line_on_the_next_statement(
            self, rich, store_a, mixed_sku, consultant_a, manager_a, hq, rule):
        now = timezone.now()
        order = fulfilled(referred_order(rich, store_a, mixed_sku, consultant_a), manager_a, now=now - days(8))
        assert orders_complete(now=now) == 1
        order = Order.objects.get(pk=order.pk)
        order_refund(order=order, actor=manager_a, amount=Decimal("99"), reason="完成后退款")
        line = earned(order)
        assert (line.amount, line.status) == (Decimal("19.90"), CommissionStatus.PAYABLE)  # left as it was
        reversal = Commission.objects.get(order=order, kind=CommissionKind.REVERSAL)
        assert (reversal.amount, reversal.status, reversal.staff) == (Decimal("-9.90"), CommissionStatus.PAYABLE,
                                                                     consultant_a)
        assert net(order) == Decimal("10.00")
        [statement] = statements_generate(actor=hq, month=month_start(timezone.localdate()))
        assert statement.total == Decimal("10.00") and statement.lines_count == 2

    def test_a_refund_after_the_commission_was_paid_lands_on_the_next_statement(
            self, rich, store_a, mixed_sku, consultant_a, manager_a, hq, rule):
        now = timezone.now()
        order = fulfilled(referred_order(rich, store_a, mixed_sku, consultant_a), manager_a, now=now - days(8))
        orders_complete(now=now)
        this_month = month_start(timezone.localdate())
        [paid] = statements_generate(actor=hq, month=this_month)
        assert statement_mark_paid(actor=hq, statement=paid)
        assert earned(order).status == CommissionStatus.PAID
        order_refund(order=Order.objects.get(pk=order.pk), actor=manager_a, amount=Decimal("99"), points=2000,
                     reason="全额退款")
        reversal = Commission.objects.get(order=order, kind=CommissionKind.REVERSAL)
        assert (reversal.amount, reversal.statement) == (Decimal("-19.90"), None)
        # The paid statement stays as paid; the reversal waits for the next one.
        assert statements_generate(actor=hq, month=this_month) == []
        paid.refresh_from_db()
        assert (paid.total, paid.status) == (Decimal("19.90"), StatementStatus.PAID)
        next_month = add_months(this_month, 1)
        [statement] = statements_generate(actor=hq, month=next_month, now=day_start(next_month) + days(1))
        assert (statement.staff, statement.total, list(statement.lines.all())) == (consultant_a, Decimal("-19.90"),
                                                                                  [reversal])


# --- shares --------------------------------------------------------------------------------------


class TestShares:
    def test_sharing_counts_one_row_per_staff_and_product(self, consultant_a, mixed_sku):
        first = share_create(actor=consultant_a, product=mixed_sku.product)
        again = share_create(actor=consultant_a, product=mixed_sku.product)
        assert first.pk == again.pk and again.times_shared == 2 and again.store == consultant_a.store
        assert ShareLink.objects.count() == 1
        assert AuditLog.objects.filter(action="mall.share.created").count() == 2

    def test_an_inactive_product_is_not_shared(self, consultant_a, mixed_sku):
        product = mixed_sku.product
        product.is_active = False
        product.save(update_fields=["is_active"])
        with pytest.raises(MallError) as excinfo:
            share_create(actor=consultant_a, product=product)
        assert excinfo.value.message == errors.SHARE_PRODUCT_INACTIVE

    def test_a_click_on_a_share_link_names_the_share(self, rich, consultant_a, mixed_sku):
        share = share_create(actor=consultant_a, product=mixed_sku.product)
        click = referral_click_record(code=consultant_a.referral_code, member=rich, product=mixed_sku.product)
        assert click.share == share


# --- statements ----------------------------------------------------------------------------------


class TestStatements:
    def test_a_month_is_settled_once_per_staff_member(self, rich, store_a, mixed_sku, consultant_a, consultant_a2,
                                                      manager_a, hq, rule):
        now = timezone.now()
        for staff in (consultant_a, consultant_a, consultant_a2):
            fulfilled(referred_order(rich, store_a, mixed_sku, staff), manager_a, now=now - days(8))
        pending = referred_order(rich, store_a, mixed_sku, consultant_a)  # not completed: stays off
        orders_complete(now=now)
        month = month_start(timezone.localdate())
        statements = statements_generate(actor=hq, month=month)
        totals = {s.staff: (s.total, s.lines_count, s.status) for s in statements}
        assert totals == {consultant_a: (Decimal("39.80"), 2, StatementStatus.OPEN),
                          consultant_a2: (Decimal("19.90"), 1, StatementStatus.OPEN)}
        assert earned(pending).statement is None
        assert statements_generate(actor=hq, month=month) == []  # nothing new: nothing changes
        assert CommissionStatement.objects.count() == 2
        assert set(CommissionStatement.objects.values_list("total", flat=True)) == {Decimal("39.80"), Decimal("19.90")}
        statement = next(s for s in statements if s.staff == consultant_a)
        assert statement_mark_paid(actor=hq, statement=statement)
        assert not statement_mark_paid(actor=hq, statement=statement)  # a second click pays nothing twice
        assert set(Commission.objects.filter(statement=statement).values_list("status", flat=True)) == {
            CommissionStatus.PAID}
        assert AuditLog.objects.filter(action="mall.statement.paid").count() == 1

    def test_a_future_month_is_refused(self, hq):
        with pytest.raises(MallError):
            statements_generate(actor=hq, month=add_months(month_start(timezone.localdate()), 1))


# --- the reversal's invariants, for any sequence of refunds (hypothesis) ---------------------------

OPS = st.lists(st.one_of(
    st.tuples(st.just("refund"), st.integers(0, 100), st.integers(0, 100)),
    st.tuples(st.just("complete"), st.just(0), st.just(0)),
), min_size=1, max_size=6)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS, quantity=st.integers(1, 3))
def test_reversal_invariants_hold_for_any_sequence_of_refunds(ops, quantity, make_member, store_a, tiers, hq,
                                                              consultant_a, manager_a):
    member = make_member(store_a, with_vehicle=False)
    MembershipCard.objects.create(member=member, tier=tiers["normal"])
    give_points(member, 20_000)
    product = make_product(hq, name="随机商品", skus=[{"name": "A", "price_cash": Decimal("87.37"), "price_points": 3333,
                                                     "stock": 5}])
    CommissionRule.objects.create(product=product, cash_percent=Decimal("7.5"), per_1000_points=Decimal("3.33"))
    now = timezone.now()
    order = fulfilled(referred_order(member, store_a, product.skus.get(), consultant_a, quantity=quantity), manager_a,
                      now=now - days(8))
    line = earned(order)
    full = line.cash_part + line.points_part
    assert full == line.amount > 0

    def check():
        current = Order.objects.get(pk=order.pk)
        if current.status == OrderStatus.REFUNDED:
            taken = full
        else:
            taken = (line.cash_part * current.refunded_cash / current.cash_due
                     + line.points_part * Decimal(current.refunded_points) / current.points_spent)
            taken = taken.quantize(Decimal("0.01"))
        assert net(order) == full - taken
        assert Decimal("0") <= earned(order).amount <= full
        if current.status == OrderStatus.COMPLETED:
            assert not Commission.objects.filter(order=order, status=CommissionStatus.PENDING).exists()

    for op, cash_pct, points_pct in ops:
        current = Order.objects.get(pk=order.pk)
        if op == "complete":
            orders_complete(now=now)
        else:
            cash_left = current.cash_due - current.refunded_cash
            points_left = current.points_spent - current.refunded_points
            cash = (cash_left * cash_pct / 100).quantize(Decimal("0.01"))
            points = points_left * points_pct // 100
            if cash or points:
                order_refund(order=current, actor=manager_a, amount=cash, points=points, reason="随机退款")
        check()
    current = Order.objects.get(pk=order.pk)
    if current.status != OrderStatus.REFUNDED:  # the rest back, unless the sequence gave everything back
        order_refund(order=current, actor=manager_a, amount=current.cash_due - current.refunded_cash,
                     points=current.points_spent - current.refunded_points, reason="退完")
    check()
    assert net(order) == 0

"""After payment and refunds: service vouchers become coupons once, a paid
deposit makes an ``ordered`` lead with an owner and a task, staff refunds give
cash (through the backend) and points (through the ledger) back, full or
partial and never more than was paid; a refunded deposit moves the lead
back and tells the consultant."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accounts.models import AuditLog, OutboxMessage, Role
from leads.models import FollowUpTask, Lead, LeadEvent, Stage
from leads.services.ingest import lead_ingest
from leads.services.stages import lead_stage_change
from mall.exceptions import OrderError
from mall.models import Order, OrderLead, OrderRefund, OrderStatus, ProductKind
from mall.payments.local import LocalPaymentBackend
from mall.services_orders import APPLIED, order_create
from mall.services_refunds import order_paid_effects, order_refund
from membership.models import Coupon, CouponKind, CouponStatus, CouponTemplate, PointsEntry
from tests.mall.conftest import make_product
from tests.mall.orders_helpers import (  # noqa: F401  (fixtures)
    assert_ledger_consistent, balance, card, give_points, mixed_sku, rich, send_callback,
)

pytestmark = pytest.mark.django_db


def buy(member, store, sku, quantity=1):
    return order_create(member=member, store=store, lines=[{"sku": sku.pk, "quantity": quantity}])


@pytest.fixture
def refunds(monkeypatch):
    """The refunds the payment backend was asked for."""
    calls = []
    original = LocalPaymentBackend.refund

    def refund(self, out_trade_no, out_refund_no, amount_fen, total_fen, reason="", notify_url=""):
        calls.append((out_trade_no, out_refund_no, amount_fen, total_fen))
        return original(self, out_trade_no, out_refund_no, amount_fen, total_fen, reason=reason)

    monkeypatch.setattr(LocalPaymentBackend, "refund", refund)
    return calls


@pytest.fixture
def voucher_sku(hq):
    template = CouponTemplate.objects.create(name="精洗券", kind=CouponKind.MAINTENANCE, value=Decimal("68"),
                                             per_member_limit=10)
    product = make_product(hq, name="精致洗车", kind=ProductKind.SERVICE_VOUCHER, coupon_template=template,
                           skus=[{"name": "一次", "price_cash": Decimal("39"), "stock": 10}])
    return product.skus.get()


@pytest.fixture
def deposit_sku(hq, brand):
    series = brand.series.order_by("pk").first()
    product = make_product(hq, name=f"{series.name} 新车订金", kind=ProductKind.DEPOSIT, car_series=series,
                           delivery_pickup=False, skus=[{"name": "订金", "price_cash": Decimal("2000"), "stock": 10}])
    return product.skus.get()


def paid(order) -> Order:
    assert send_callback(order.number, int(order.cash_due * 100)).notification.outcome == APPLIED
    return Order.objects.get(pk=order.pk)


class TestVouchers:
    def test_voucher_units_become_coupons_once(self, member_a, store_a, voucher_sku):
        order = paid(buy(member_a, store_a, voucher_sku, 3))
        coupons = Coupon.objects.filter(member=member_a, template=voucher_sku.product.coupon_template)
        assert coupons.count() == 3 and set(coupons.values_list("status", flat=True)) == {CouponStatus.ISSUED}
        line = order.lines.get()
        assert set(coupons.values_list("dedup_key", flat=True)) == {
            f"mall-order:{order.number}:{line.pk}:{n}" for n in (1, 2, 3)}
        assert send_callback(order.number, 11700).status == "duplicate"
        order_paid_effects(order)  # the handler again: nothing new
        assert coupons.count() == 3

    def test_a_voucher_that_cannot_be_issued_keeps_the_payment(self, member_a, store_a, voucher_sku):
        CouponTemplate.objects.filter(pk=voucher_sku.product.coupon_template_id).update(stock=1)
        order = paid(buy(member_a, store_a, voucher_sku, 2))
        assert order.status == OrderStatus.PAID
        assert Coupon.objects.filter(member=member_a).count() == 0  # the line's savepoint rolled back
        assert AuditLog.objects.filter(action="mall.order.effect_failed", object_id=str(order.pk)).exists()

    def test_a_refund_voids_the_unused_vouchers(self, member_a, store_a, voucher_sku, manager_a, refunds):
        order = paid(buy(member_a, store_a, voucher_sku, 2))
        used = Coupon.objects.filter(member=member_a).order_by("pk").first()
        Coupon.objects.filter(pk=used.pk).update(status=CouponStatus.REDEEMED)
        order_refund(order=order, actor=manager_a, amount=Decimal("39"), reason="少用一次")
        statuses = dict(Coupon.objects.filter(member=member_a).values_list("pk", "status"))
        assert statuses[used.pk] == CouponStatus.REDEEMED
        assert sorted(statuses.values()) == [CouponStatus.REDEEMED, CouponStatus.VOID]


class TestDeposit:
    def test_a_paid_deposit_makes_an_ordered_lead_with_an_owner_and_a_task(
            self, member_a, store_a, deposit_sku, consultant_a):
        order = paid(buy(member_a, store_a, deposit_sku))
        link = OrderLead.objects.get(order=order)
        lead = Lead.objects.get(pk=link.lead_id)
        assert (lead.stage, lead.store, lead.mobile, lead.channel.code) == (
            Stage.ORDERED, store_a, member_a.mobile, "miniprogram")
        assert lead.series == deposit_sku.product.car_series and link.stage_before == Stage.NEW
        assert lead.assigned_to == consultant_a
        task = FollowUpTask.objects.get(lead=lead, dedup_key=f"mall-deposit:{order.number}")
        assert task.assignee == consultant_a and order.number in task.title
        assert AuditLog.objects.filter(action="mall.order.deposit_lead", object_id=str(order.pk)).exists()
        assert AuditLog.objects.filter(action="leads.lead.stage_changed", object_id=str(lead.pk)).exists()
        tasks = FollowUpTask.objects.filter(lead=lead).count()
        order_paid_effects(order)  # a repeat changes nothing
        assert (OrderLead.objects.count(), FollowUpTask.objects.filter(lead=lead).count(), Lead.objects.count()) == (
            1, tasks, 1)

    def test_an_existing_lead_is_updated_and_keeps_its_owner(self, member_a, store_a, deposit_sku, consultant_a,
                                                            make_staff):
        lead, _ = lead_ingest(mobile=member_a.mobile, channel="walkin", store=store_a)
        Lead.objects.filter(pk=lead.pk).update(assigned_to=consultant_a)
        lead_stage_change(lead=lead, to_stage=Stage.VISITED, actor=None)
        lead_stage_change(lead=lead, to_stage=Stage.TEST_DRIVEN, actor=None)
        order = paid(buy(member_a, store_a, deposit_sku))
        lead.refresh_from_db()
        assert lead.stage == Stage.ORDERED and lead.assigned_to == consultant_a and Lead.objects.count() == 1
        assert OrderLead.objects.get(order=order).stage_before == Stage.TEST_DRIVEN

    def test_a_refunded_deposit_moves_the_lead_back_and_tells_the_consultant(
            self, member_a, store_a, deposit_sku, consultant_a, manager_a, refunds):
        order = paid(buy(member_a, store_a, deposit_sku))
        lead = OrderLead.objects.get(order=order).lead
        order_refund(order=order, actor=manager_a, amount=Decimal("2000"), reason="客户改主意")
        lead.refresh_from_db()
        assert lead.stage == Stage.NEW and lead.is_open
        assert LeadEvent.objects.filter(lead=lead, from_stage=Stage.ORDERED, to_stage=Stage.NEW).exists()
        message = OutboxMessage.objects.get(dedup_key=f"mall-deposit-refund:{order.number}")
        assert message.user == consultant_a and "订金已退款" in message.body
        assert Order.objects.get(pk=order.pk).status == OrderStatus.REFUNDED
        assert refunds == [(order.number, f"{order.number}-R1", 200000, 200000)]

    def test_a_non_refundable_deposit_is_refunded_by_hq_only(self, member_a, store_a, deposit_sku, manager_a, hq,
                                                            refunds):
        type(deposit_sku.product).objects.filter(pk=deposit_sku.product_id).update(deposit_refundable=False)
        order = paid(buy(member_a, store_a, deposit_sku))
        with pytest.raises(OrderError) as excinfo:
            order_refund(order=order, actor=manager_a, amount=Decimal("2000"), reason="退")
        assert excinfo.value.code == "order_not_refundable" and refunds == []
        order_refund(order=order, actor=hq, amount=Decimal("2000"), reason="特批")
        assert Order.objects.get(pk=order.pk).status == OrderStatus.REFUNDED


class TestRefund:
    def test_partial_then_full_refund_of_cash_and_points(self, rich, store_a, mixed_sku, manager_a, refunds):
        order = paid(buy(rich, store_a, mixed_sku, 2))  # 198 yuan + 4,000 points
        assert balance(rich) == 6000
        order_refund(order=order, actor=manager_a, amount=Decimal("99"), points=1500, reason="退一件")
        order.refresh_from_db()
        assert (order.status, order.refunded_cash, order.refunded_points) == (OrderStatus.PAID, Decimal("99"), 1500)
        assert balance(rich) == 7500
        assert PointsEntry.objects.get(idempotency_key=f"mall-refund:{order.number}-R1").points == 1500
        order_refund(order=order, actor=manager_a, amount=Decimal("99"), points=2500, reason="全部退")
        order.refresh_from_db()
        assert (order.status, order.refunded_cash, order.refunded_points) == (
            OrderStatus.REFUNDED, Decimal("198"), 4000)
        assert balance(rich) == 10_000
        assert refunds == [(order.number, f"{order.number}-R1", 9900, 19800),
                           (order.number, f"{order.number}-R2", 9900, 19800)]
        assert list(OrderRefund.objects.values_list("number", "cash", "points")) == [
            (f"{order.number}-R1", Decimal("99"), 1500), (f"{order.number}-R2", Decimal("99"), 2500)]
        assert AuditLog.objects.filter(action="mall.order.refunded", object_id=str(order.pk)).count() == 2
        assert_ledger_consistent(rich)

    @pytest.mark.parametrize(("amount", "points", "field"), [("198.01", 0, "amount"), ("0", 4001, "points")])
    def test_more_than_was_paid_is_refused(self, rich, store_a, mixed_sku, manager_a, refunds, amount, points, field):
        order = paid(buy(rich, store_a, mixed_sku, 2))
        with pytest.raises(OrderError) as excinfo:
            order_refund(order=order, actor=manager_a, amount=Decimal(amount), points=points, reason="多退")
        assert excinfo.value.code == "refund_too_much" and field in excinfo.value.fields
        assert refunds == [] and balance(rich) == 6000 and not OrderRefund.objects.exists()

    def test_after_a_partial_refund_only_the_rest_can_be_refunded(self, rich, store_a, mixed_sku, manager_a, refunds):
        order = paid(buy(rich, store_a, mixed_sku, 1))
        order_refund(order=order, actor=manager_a, amount=Decimal("90"), reason="部分")
        with pytest.raises(OrderError) as excinfo:
            order_refund(order=order, actor=manager_a, amount=Decimal("9.01"), reason="再退")
        assert excinfo.value.code == "refund_too_much"
        order_refund(order=order, actor=manager_a, amount=Decimal("9"), points=2000, reason="再退")
        assert Order.objects.get(pk=order.pk).status == OrderStatus.REFUNDED

    def test_unpaid_orders_and_consultants_are_refused(self, rich, store_a, mixed_sku, manager_a, consultant_a,
                                                      refunds):
        order = buy(rich, store_a, mixed_sku, 1)
        with pytest.raises(OrderError) as excinfo:
            order_refund(order=order, actor=manager_a, amount=Decimal("1"), reason="未付")
        assert excinfo.value.code == "order_not_refundable"
        order = paid(order)
        with pytest.raises(OrderError) as excinfo:
            order_refund(order=order, actor=consultant_a, amount=Decimal("1"), reason="顾问")
        assert excinfo.value.status_code == 403
        with pytest.raises(OrderError) as excinfo:
            order_refund(order=order, actor=manager_a, amount=Decimal("0"), points=0, reason="空")
        assert excinfo.value.code == "invalid"
        assert refunds == []


class TestApi:
    @pytest.fixture
    def manager_b(self, make_staff, store_b):
        return make_staff(Role.MANAGER, store_b, username="s02_manager")

    def test_refund_through_the_api_is_scoped_and_idempotent(self, api_as, rich, store_a, mixed_sku, manager_a,
                                                             manager_b, refunds):
        order = paid(buy(rich, store_a, mixed_sku, 2))
        url = f"/api/v1/mall/orders/{order.pk}/refund/"
        body = {"amount": "99.00", "points": 1500, "reason": "退一件"}
        assert api_as(manager_b).post(url, body, format="json").status_code == 404
        first = api_as(manager_a).post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="r-1")
        assert first.status_code == 200, first.json()
        assert (first.json()["refunded_cash"], first.json()["refunded_points"], first.json()["status"]) == (
            "99.00", 1500, "paid")
        again = api_as(manager_a).post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="r-1")
        assert again.status_code == 200 and again["Idempotent-Replayed"] == "true"
        assert OrderRefund.objects.count() == 1 and len(refunds) == 1 and balance(rich) == 7500

    @pytest.mark.parametrize(("body", "status", "code", "field"), [
        ({"amount": "500", "reason": "多退"}, 409, "refund_too_much", "amount"),
        ({"amount": "1.001", "reason": "小数"}, 400, "invalid", "amount"),
        ({"amount": "-1", "reason": "负数"}, 400, "invalid", "amount"),
        ({"points": "abc", "reason": "坏"}, 400, "invalid", "points"),
        ({"amount": "1"}, 400, "invalid", "reason"),
        ({"reason": "空"}, 400, "invalid", "amount"),
    ])
    def test_refusals_are_in_the_one_error_shape(self, api_as, rich, store_a, mixed_sku, manager_a, refunds, body,
                                                 status, code, field):
        order = paid(buy(rich, store_a, mixed_sku, 1))
        answer = api_as(manager_a).post(f"/api/v1/mall/orders/{order.pk}/refund/", body, format="json")
        assert answer.status_code == status, answer.json()
        assert answer.json()["code"] == code and field in answer.json()["fields"]
        assert refunds == [] and not OrderRefund.objects.exists()

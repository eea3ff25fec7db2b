"""Mall orders: prices in cash, points or both; stock, limits and points
taken together or not at all; payment through the local backend's signed
callbacks; cancel and expiry giving everything back; late, repeated, failed
and mismatched callbacks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import AuditLog
from mall import exceptions as errors
from mall.exceptions import OrderError
from mall.models import Order, OrderCloseReason, OrderStatus, Product
from mall.models_payments import PaymentNotification
from mall.payments.local import local_transaction_id
from mall.services_orders import (
    ALREADY_APPLIED, AMOUNT_MISMATCH, APPLIED, PAYMENT_FAILED, REFUND_STARTED, order_cancel, order_create,
    order_fulfil, order_pay, order_payment_order_resolve, orders_expire,
)
from membership.models import PointsEntry
from tests.mall.conftest import make_product
from tests.mall.orders_helpers import (  # noqa: F401  (fixtures)
    assert_ledger_consistent, balance, card, cash_sku, give_points, mixed_sku, points_sku, rich, send_callback,
    stock, webhook,
)

pytestmark = pytest.mark.django_db


def buy(member, store, *lines, **kwargs):
    return order_create(member=member, store=store, lines=[{"sku": sku.pk, "quantity": q} for sku, q in lines],
                        **kwargs)


def refusal(excinfo) -> str:
    return excinfo.value.code


class TestCreate:
    def test_mixed_order_spends_points_now_and_waits_for_the_cash(self, rich, store_a, mixed_sku):
        now = timezone.now()
        order = buy(rich, store_a, (mixed_sku, 2), points=4000, now=now)
        assert order.status == OrderStatus.PENDING_PAYMENT
        assert (order.cash_total, order.cash_due, order.points_spent) == (Decimal("198"), Decimal("198"), 4000)
        assert order.expires_at == now + dt.timedelta(minutes=15)
        assert order.number.startswith("M" + timezone.localtime(now).strftime("%Y%m%d")) and len(order.number) == 17
        assert balance(rich) == 6000 and stock(mixed_sku) == 3
        entry = PointsEntry.objects.get(idempotency_key=f"mall-order:{order.number}")
        assert order.points_entry == entry and entry.points == -4000
        line = order.lines.get()
        assert (line.product_name, line.sku_name, line.unit_cash, line.unit_points, line.line_cash, line.line_points) == (
            "全包围脚垫", "黑色", Decimal("99"), 2000, Decimal("198"), 4000)
        assert AuditLog.objects.filter(action="mall.order.created", object_id=str(order.pk)).exists()
        assert_ledger_consistent(rich)

    def test_points_only_order_is_paid_at_once(self, rich, store_a, points_sku):
        order = buy(rich, store_a, (points_sku, 2))
        assert order.status == OrderStatus.PAID and order.paid_at and order.cash_due == 0 and order.expires_at is None
        assert balance(rich) == 7000 and stock(points_sku) == 1

    def test_cash_only_needs_no_card(self, member_a, store_a, cash_sku):
        order = buy(member_a, store_a, (cash_sku, 1))
        assert (order.cash_due, order.points_spent, order.points_entry) == (Decimal("399.50"), 0, None)

    def test_points_must_match_the_listed_points(self, rich, store_a, mixed_sku):
        with pytest.raises(OrderError) as excinfo:
            buy(rich, store_a, (mixed_sku, 1), points=500)
        assert refusal(excinfo) == "points_mismatch" and "2000" in str(excinfo.value.message)
        assert balance(rich) == 10_000 and stock(mixed_sku) == 5 and not Order.objects.exists()

    def test_sold_out_takes_nothing(self, rich, store_a, mixed_sku, points_sku):
        with pytest.raises(OrderError) as excinfo:
            buy(rich, store_a, (points_sku, 1), (mixed_sku, 6))
        assert refusal(excinfo) == "sold_out" and excinfo.value.status_code == 409
        assert excinfo.value.message == errors.SOLD_OUT
        assert (stock(points_sku), stock(mixed_sku), balance(rich)) == (3, 5, 10_000) and not Order.objects.exists()

    def test_insufficient_points_takes_no_stock(self, card, member_a, store_a, mixed_sku):
        give_points(member_a, 1999)
        with pytest.raises(OrderError) as excinfo:
            buy(member_a, store_a, (mixed_sku, 1))
        assert refusal(excinfo) == "insufficient_points" and excinfo.value.status_code == 409
        assert stock(mixed_sku) == 5 and balance(member_a) == 1999 and not Order.objects.exists()
        assert_ledger_consistent(member_a)

    def test_per_member_limit_counts_orders_not_cancelled(self, rich, store_a, hq):
        product = make_product(hq, name="限购洗车券", limit_per_member=2,
                               skus=[{"name": "A", "price_points": 100, "stock": 10},
                                     {"name": "B", "price_points": 100, "stock": 10}])
        a, b = product.skus.all()
        buy(rich, store_a, (a, 1))
        with pytest.raises(OrderError) as excinfo:
            buy(rich, store_a, (b, 2))  # the limit is per product, over its SKUs
        assert refusal(excinfo) == "limit_reached" and excinfo.value.message == errors.LIMIT_REACHED
        buy(rich, store_a, (b, 1))
        with pytest.raises(OrderError):
            buy(rich, store_a, (a, 1))
        assert stock(a) == 9 and stock(b) == 9

    def test_a_cancelled_order_frees_the_limit(self, rich, store_a, hq):
        product = make_product(hq, name="限购脚垫", limit_per_member=1,
                               skus=[{"name": "A", "price_cash": Decimal("10"), "stock": 10}])
        sku = product.skus.get()
        order_cancel(order=buy(rich, store_a, (sku, 1)))
        assert buy(rich, store_a, (sku, 1)).status == OrderStatus.PENDING_PAYMENT

    def test_another_stores_product_is_not_sold_here(self, rich, store_a, store_b, hq):
        product_b = make_product(hq, name="浦东店 轮胎存放", store=store_b,
                                 skus=[{"name": "一季", "price_points": 200, "stock": 5}])
        with pytest.raises(OrderError) as excinfo:
            buy(rich, store_a, (product_b.skus.get(), 1))
        assert refusal(excinfo) == "not_sold_here" and excinfo.value.status_code == 400
        assert buy(rich, store_b, (product_b.skus.get(), 1)).store == store_b

    def test_a_tier_only_product_is_not_sold_to_other_tiers(self, rich, store_a, hq, tiers):
        product = make_product(hq, name="金卡专享", visible_tiers=[tiers["gold"]],
                               skus=[{"name": "A", "price_points": 100, "stock": 5}])
        with pytest.raises(OrderError) as excinfo:
            buy(rich, store_a, (product.skus.get(), 1))
        assert refusal(excinfo) == "not_sold_here"

    def test_inactive_sku_and_bad_quantities_are_refused(self, rich, store_a, mixed_sku):
        mixed_sku.is_active = False
        mixed_sku.save()
        with pytest.raises(OrderError):
            buy(rich, store_a, (mixed_sku, 1))
        mixed_sku.is_active = True
        mixed_sku.save()
        for quantity in (0, -1, 100, "2", True):
            with pytest.raises(OrderError):
                order_create(member=rich, store=store_a, lines=[{"sku": mixed_sku.pk, "quantity": quantity}])
        with pytest.raises(OrderError):
            order_create(member=rich, store=store_a, lines=[])
        with pytest.raises(OrderError):
            order_create(member=rich, store=store_a, lines=[{"flash_sale_item": 1, "quantity": 1}])
        assert stock(mixed_sku) == 5

    def test_referral_code_of_staff_is_kept_an_unknown_code_changes_nothing(self, rich, owner_a, store_a, cash_sku,
                                                                            consultant_a):
        order = buy(rich, store_a, (cash_sku, 1), referral=consultant_a.referral_code.lower())
        assert order.referral == consultant_a and order.referral_code == consultant_a.referral_code
        # An unknown code is no click: the last click (the code above, within the window) still counts.
        assert buy(rich, store_a, (cash_sku, 1), referral="NOPE1234").referral == consultant_a

    def test_shipping_needs_an_address_and_a_shippable_product(self, rich, store_a, hq):
        product = make_product(hq, name="车衣", delivery_shipping=True,
                               skus=[{"name": "A", "price_cash": Decimal("10"), "stock": 5}])
        sku = product.skus.get()
        with pytest.raises(OrderError) as excinfo:
            buy(rich, store_a, (sku, 1), delivery="shipping")
        assert "address" in excinfo.value.fields
        order = buy(rich, store_a, (sku, 1), delivery="shipping",
                    address={"recipient_name": "李娜", "recipient_phone": "13812345678", "address": "广州天河路1号"})
        assert order.delivery == "shipping" and order.address == "广州天河路1号"
        pickup_only = make_product(hq, name="挂件", skus=[{"name": "A", "price_cash": Decimal("5"), "stock": 5}])
        with pytest.raises(OrderError):
            buy(rich, store_a, (pickup_only.skus.get(), 1), delivery="shipping",
                address={"recipient_name": "李娜", "recipient_phone": "1", "address": "x"})


class TestPayment:
    def test_mixed_order_paid_through_the_local_backend_and_the_webhook(self, rich, store_a, mixed_sku, webhook,
                                                                        django_capture_on_commit_callbacks):
        order = buy(rich, store_a, (mixed_sku, 1))
        with django_capture_on_commit_callbacks(execute=True):
            params = order_pay(order=order, notify_url="http://testserver/api/v1/webhooks/payments/")
        assert set(params) >= {"appId", "timeStamp", "nonceStr", "package", "signType", "paySign"}
        assert webhook == [{"code": "SUCCESS", "message": "成功", "status": "processed"}]
        order.refresh_from_db()
        assert order.status == OrderStatus.PAID and order.transaction_id == local_transaction_id(order.number)
        assert PaymentNotification.objects.get().outcome == APPLIED
        assert balance(rich) == 8000 and stock(mixed_sku) == 4
        assert AuditLog.objects.filter(action="mall.order.paid", object_id=str(order.pk)).count() == 1

    def test_a_repeated_callback_changes_nothing(self, rich, store_a, mixed_sku):
        order = buy(rich, store_a, (mixed_sku, 1))
        assert send_callback(order.number, 9900).notification.outcome == APPLIED
        paid_at = Order.objects.get(pk=order.pk).paid_at
        assert send_callback(order.number, 9900).status == "duplicate"
        assert Order.objects.get(pk=order.pk).paid_at == paid_at
        assert AuditLog.objects.filter(action="mall.order.paid").count() == 1

    def test_the_handler_is_idempotent_on_its_own(self, rich, store_a, mixed_sku):
        from mall.payments.base import PaymentEvent
        from mall.services_orders import order_payment_event

        order = buy(rich, store_a, (mixed_sku, 1))
        event = PaymentEvent(kind="paid", out_trade_no=order.number, transaction_id="4200X", amount_fen=9900)
        assert order_payment_event(event=event) == APPLIED
        assert order_payment_event(event=event) == ALREADY_APPLIED

    def test_a_failed_payment_leaves_the_order_payable(self, rich, store_a, mixed_sku):
        order = buy(rich, store_a, (mixed_sku, 1))
        assert send_callback(order.number, 9900, outcome="failed").notification.outcome == PAYMENT_FAILED
        assert Order.objects.get(pk=order.pk).status == OrderStatus.PENDING_PAYMENT
        assert send_callback(order.number, 9900).notification.outcome == APPLIED

    def test_a_mismatched_amount_is_refunded_not_kept(self, rich, store_a, mixed_sku, monkeypatch):
        refunds = record_refunds(monkeypatch)
        order = buy(rich, store_a, (mixed_sku, 1))
        assert send_callback(order.number, 1).notification.outcome == AMOUNT_MISMATCH
        assert Order.objects.get(pk=order.pk).status == OrderStatus.PENDING_PAYMENT
        assert refunds == [(order.number, 1)]
        row = AuditLog.objects.get(action="mall.order.payment_refunded")
        assert row.data["reason"] == AMOUNT_MISMATCH and row.data["amount_fen"] == 1

    def test_a_late_callback_after_expiry_is_refunded(self, rich, store_a, mixed_sku, monkeypatch):
        refunds = record_refunds(monkeypatch)
        order = buy(rich, store_a, (mixed_sku, 1))
        assert orders_expire(now=order.expires_at + dt.timedelta(seconds=1)) == 1
        assert send_callback(order.number, 9900).notification.outcome == REFUND_STARTED
        order.refresh_from_db()
        assert order.status == OrderStatus.CANCELLED and order.close_reason == OrderCloseReason.EXPIRED
        assert refunds == [(order.number, 9900)] and balance(rich) == 10_000 and stock(mixed_sku) == 5

    def test_a_late_refund_that_the_provider_refuses_is_retried(self, rich, store_a, mixed_sku, monkeypatch):
        from mall.payments.exceptions import PaymentProviderError
        from mall.payments.local import LocalPaymentBackend

        order = buy(rich, store_a, (mixed_sku, 1))
        order_cancel(order=order)

        def down(self, *args, **kwargs):
            raise PaymentProviderError()

        monkeypatch.setattr(LocalPaymentBackend, "refund", down)
        with pytest.raises(PaymentProviderError):
            send_callback(order.number, 9900)
        assert not PaymentNotification.objects.exists()  # rolled back: WeChat Pay retries

    def test_pay_refuses_a_paid_or_expired_order(self, rich, store_a, mixed_sku, points_sku):
        paid = buy(rich, store_a, (points_sku, 1))
        with pytest.raises(OrderError) as excinfo:
            order_pay(order=paid)
        assert refusal(excinfo) == "order_not_pending"
        pending = buy(rich, store_a, (mixed_sku, 1))
        with pytest.raises(OrderError) as excinfo:
            order_pay(order=pending, now=pending.expires_at)
        assert refusal(excinfo) == "order_expired"

    def test_the_resolver_gives_the_payment_callback_command_the_order(self, rich, store_a, mixed_sku):
        order = buy(rich, store_a, (mixed_sku, 1))
        resolved = order_payment_order_resolve(order.number)
        assert (resolved.out_trade_no, resolved.amount_fen) == (order.number, 9900)
        assert order_payment_order_resolve("M000") is None


def record_refunds(monkeypatch) -> list:
    from mall.payments.local import LocalPaymentBackend

    refunds = []
    original = LocalPaymentBackend.refund

    def refund(self, out_trade_no, out_refund_no, amount_fen, total_fen, reason="", notify_url=""):
        refunds.append((out_trade_no, amount_fen))
        return original(self, out_trade_no, out_refund_no, amount_fen, total_fen, reason=reason, notify_url="")

    monkeypatch.setattr(LocalPaymentBackend, "refund", refund)
    return refunds


class TestCancelAndExpiry:
    def test_cancel_gives_stock_and_points_back_once(self, rich, store_a, mixed_sku):
        order = buy(rich, store_a, (mixed_sku, 2))
        order = order_cancel(order=order, actor=rich.user)
        assert order.status == OrderStatus.CANCELLED and order.close_reason == OrderCloseReason.CANCELLED
        assert order.refunded_points == 4000 and balance(rich) == 10_000 and stock(mixed_sku) == 5
        assert PointsEntry.objects.filter(idempotency_key=f"mall-order-refund:{order.number}").count() == 1
        with pytest.raises(OrderError) as excinfo:
            order_cancel(order=order)
        assert refusal(excinfo) == "order_not_pending"
        assert balance(rich) == 10_000 and stock(mixed_sku) == 5
        assert_ledger_consistent(rich)

    def test_a_paid_order_cannot_be_cancelled(self, rich, store_a, points_sku):
        with pytest.raises(OrderError):
            order_cancel(order=buy(rich, store_a, (points_sku, 1)))
        assert stock(points_sku) == 2

    def test_expiry_releases_stock_and_points_of_due_orders_only(self, rich, store_a, mixed_sku, cash_sku):
        now = timezone.now()
        due = buy(rich, store_a, (mixed_sku, 1), now=now - dt.timedelta(minutes=16))
        fresh = buy(rich, store_a, (mixed_sku, 1), now=now)
        cash = buy(rich, store_a, (cash_sku, 1), now=now - dt.timedelta(minutes=20))
        assert balance(rich) == 6000 and stock(mixed_sku) == 3 and stock(cash_sku) == 1
        assert orders_expire(now=now) == 2
        assert orders_expire(now=now) == 0  # a second run does nothing
        statuses = dict(Order.objects.values_list("pk", "status"))
        assert statuses == {due.pk: "cancelled", fresh.pk: "pending_payment", cash.pk: "cancelled"}
        assert balance(rich) == 8000 and stock(mixed_sku) == 4 and stock(cash_sku) == 2
        assert AuditLog.objects.filter(action="mall.order.expired").count() == 2
        assert_ledger_consistent(rich)

    def test_a_paid_order_does_not_expire(self, rich, store_a, mixed_sku):
        order = buy(rich, store_a, (mixed_sku, 1))
        send_callback(order.number, 9900)
        assert orders_expire(now=order.expires_at + dt.timedelta(minutes=1)) == 0
        assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID and balance(rich) == 8000

    def test_expiry_minutes_is_a_setting(self, rich, store_a, mixed_sku, settings):
        settings.MALL_ORDER_EXPIRY_MINUTES = 5
        now = timezone.now()
        assert buy(rich, store_a, (mixed_sku, 1), now=now).expires_at == now + dt.timedelta(minutes=5)

    def test_the_expiry_job_is_scheduled_every_minute(self):
        from accounts.schedules import SCHEDULES

        assert ("mall-orders-expire", "mall.tasks.orders_expire", "I", 1) in SCHEDULES


class TestFulfil:
    def test_pickup_with_the_right_code_only(self, rich, store_a, points_sku, consultant_a):
        order = buy(rich, store_a, (points_sku, 1))
        with pytest.raises(OrderError) as excinfo:
            order_fulfil(actor=consultant_a, order=order, pickup_code="000000" if order.pickup_code != "000000" else "1")
        assert refusal(excinfo) == "pickup_code_wrong"
        order = order_fulfil(actor=consultant_a, order=order, pickup_code=order.pickup_code)
        assert order.status == OrderStatus.FULFILLED and order.fulfilled_at
        audit = AuditLog.objects.get(action="mall.order.fulfilled")
        assert order.pickup_code not in str(audit.data)
        with pytest.raises(OrderError) as excinfo:
            order_fulfil(actor=consultant_a, order=order, pickup_code=order.pickup_code)
        assert refusal(excinfo) == "order_not_fulfillable"

    def test_an_unpaid_order_is_not_handed_over(self, rich, store_a, mixed_sku, consultant_a):
        order = buy(rich, store_a, (mixed_sku, 1))
        with pytest.raises(OrderError):
            order_fulfil(actor=consultant_a, order=order, pickup_code=order.pickup_code)


def test_product_name_snapshot_survives_a_rename(rich, store_a, points_sku):
    order = buy(rich, store_a, (points_sku, 1))
    Product.objects.filter(pk=points_sku.product_id).update(name="新名字")
    assert order.lines.get().product_name == "车载香薰"

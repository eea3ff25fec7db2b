"""POST /api/v1/webhooks/payments/: verified by the configured backend,
stored once, handed to the orders' handler; WeChat Pay's answer contract."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

from mall.models_payments import PaymentNotification, PaymentNotificationStatus
from mall.payments import exceptions as errors
from mall.payments import hooks
from mall.payments.exceptions import PaymentError
from mall.payments.local import LocalPaymentBackend, local_transaction_id
from mall.payments.services import payment_notification_dispatch
from mall.payments.wechatpay_v3 import signed_headers
from tests.mall.payments_helpers import (  # noqa: F401  (fixtures)
    MCHID, WEBHOOK, as_meta, callback, handled, no_handler, payload, stranger_key, wechatpay_settings,
)

pytestmark = pytest.mark.django_db


def post(client, headers, body):
    return client.post(WEBHOOK, body, content_type="application/json", **as_meta(headers))


def local_callback(number="MO20260601000123", amount_fen=9990, **kwargs):
    return LocalPaymentBackend().callback(out_trade_no=number, amount_fen=amount_fen, **kwargs)


def test_url_name():
    assert reverse("api:mall:payment-webhook") == WEBHOOK


class TestLocalBackend:
    def test_a_signed_payment_is_stored_and_answered_with_success(self, client, no_handler):
        response = post(client, *local_callback())
        assert response.status_code == 200
        assert response.json() == {"code": "SUCCESS", "message": "成功", "status": "processed"}
        row = PaymentNotification.objects.get()
        assert (row.provider, row.kind, row.out_trade_no, row.amount_fen) == ("local", "paid", "MO20260601000123", 9990)
        assert row.provider_ref == row.transaction_id == local_transaction_id("MO20260601000123")
        assert row.status == PaymentNotificationStatus.UNHANDLED and row.raw["trade_state"] == "SUCCESS"

    def test_a_repeated_callback_changes_nothing_and_answers_success(self, client, handled):
        assert post(client, *local_callback()).json()["status"] == "processed"
        first = PaymentNotification.objects.get()
        again = post(client, *local_callback())  # re-signed, new notification id: WeChat Pay's retry
        assert again.status_code == 200 and again.json()["status"] == "duplicate"
        assert PaymentNotification.objects.get() == first and len(handled.events) == 1
        assert PaymentNotification.objects.get().received_at == first.received_at

    def test_a_failure_and_then_a_success_are_two_events(self, client, handled):
        post(client, *local_callback(outcome="failed"))
        post(client, *local_callback())
        assert [e.kind for e in handled.events] == ["failed", "paid"]
        assert PaymentNotification.objects.count() == 2

    def test_partial_refunds_are_separate_events(self, client, handled):
        post(client, *local_callback(outcome="refunded", out_refund_no="R1", refund_fen=1000))
        post(client, *local_callback(outcome="refunded", out_refund_no="R2", refund_fen=2000))
        post(client, *local_callback(outcome="refunded", out_refund_no="R1", refund_fen=1000))
        assert [(e.kind, e.amount_fen) for e in handled.events] == [("refunded", 1000), ("refunded", 2000)]

    def test_the_handler_gets_the_amount_and_its_outcome_is_kept(self, client, handled):
        handled.outcome = "amount_mismatch"
        post(client, *local_callback(amount_fen=1))
        assert handled.events[0].amount_fen == 1 and handled.events[0].out_trade_no == "MO20260601000123"
        row = PaymentNotification.objects.get()
        assert row.status == PaymentNotificationStatus.HANDLED and row.outcome == "amount_mismatch" and row.handled_at

    def test_a_failing_handler_stores_nothing_so_the_retry_is_applied(self, client, handled):
        handled.error = PaymentError("订单处理中", status_code=409, code="busy")
        response = post(client, *local_callback())
        assert response.status_code == 409 and response.json()["code"] == "FAIL"
        assert not PaymentNotification.objects.exists()
        handled.error = None
        assert post(client, *local_callback()).json()["status"] == "processed"
        assert PaymentNotification.objects.get().status == PaymentNotificationStatus.HANDLED

    def test_an_unhandled_event_is_dispatched_once_a_handler_exists(self, client, monkeypatch, no_handler):
        post(client, *local_callback())
        row = PaymentNotification.objects.get()
        assert payment_notification_dispatch(notification_id=row.pk) is False  # still no handler
        seen = []
        monkeypatch.setattr(hooks, "_handler", [lambda *, event: seen.append(event) or "applied"])
        assert payment_notification_dispatch(notification_id=row.pk) is True
        assert payment_notification_dispatch(notification_id=row.pk) is False
        row.refresh_from_db()
        assert row.status == PaymentNotificationStatus.HANDLED and [e.transaction_id for e in seen] == [row.transaction_id]

    def test_a_forged_signature_is_401_in_wechats_failure_shape(self, client):
        headers, body = local_callback()
        headers["Wechatpay-Signature"] = headers["Wechatpay-Signature"][::-1]
        response = post(client, headers, body)
        assert response.status_code == 401
        message = str(errors.CALLBACK_SIGNATURE_INVALID)
        assert response.json() == {"code": "FAIL", "message": message, "detail": message, "fields": {}}
        assert not PaymentNotification.objects.exists()

    def test_an_old_callback_is_refused_as_a_replay(self, client):
        response = post(client, *local_callback(timestamp=int(time.time()) - 600))
        assert response.status_code == 401 and response.json()["message"] == str(errors.CALLBACK_STALE)

    def test_an_unsigned_body_is_401(self, client):
        response = client.post(WEBHOOK, b'{"id": "EV-1"}', content_type="application/json")
        assert response.status_code == 401 and response.json()["code"] == "FAIL"

    def test_a_signed_body_that_is_not_a_notification_is_400(self, client):
        backend = LocalPaymentBackend()
        body = b"[1, 2, 3]"
        headers = signed_headers(body=body, private_key=backend.config.private_key, serial=backend.config.platform_serial)
        response = post(client, headers, body)
        assert response.status_code == 400 and response.json()["message"] == str(errors.CALLBACK_UNREADABLE)


class TestWeChatPayBackend:
    def resource(self, **changes):
        data = {**payload("transaction_success.json"), "mchid": MCHID, **changes}
        return data

    def test_wechat_pays_callback_is_stored(self, client, wechatpay_settings, handled):
        response = post(client, *callback(self.resource()))
        assert response.status_code == 200 and response.json()["code"] == "SUCCESS"
        row = PaymentNotification.objects.get()
        assert (row.provider, row.kind, row.provider_ref, row.amount_fen) == (
            "wechatpay", "paid", "1217752501201407033233368018", 9990)
        assert handled.events[0].payer_openid == "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"

    def test_a_local_callback_is_refused_when_wechat_pay_is_configured(self, client, wechatpay_settings):
        response = post(client, *local_callback())
        assert response.status_code == 401 and not PaymentNotification.objects.exists()

    def test_a_callback_signed_by_another_key_is_refused(self, client, wechatpay_settings):
        assert post(client, *callback(self.resource(), key=stranger_key())).status_code == 401
        assert not PaymentNotification.objects.exists()

"""The WeChat Pay v3 adapter against recorded payloads: request signing
(Authorization), the mini-program's paySign, answer and callback signature
verification (tampered body, wrong serial, old timestamp), resource
decryption, and the request bodies of prepay, query, close and refund."""

from __future__ import annotations

import base64
import json
import re
import time

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from mall.payments import exceptions as errors
from mall.payments.base import EventKind, PaymentOrder
from mall.payments.exceptions import PaymentCallbackError, PaymentProviderError, PaymentSignatureError
from mall.payments.wechatpay_v3 import (
    WeChatPayV3Backend, aead_decrypt, aead_encrypt, authorization_header, jsapi_pay_params, signed_headers,
)
from tests.mall.payments_helpers import (
    APIV3_KEY, APPID, MCHID, MERCHANT_SERIAL, PLATFORM_SERIAL, FakeWeChatPay, callback, config, merchant_key,
    payload, platform_key, stranger_key,
)

ORDER = PaymentOrder(
    out_trade_no="MO20260601000123", description="积分商城-车载香薰", amount_fen=9990,
    payer_openid="oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", notify_url="https://dealerops.example.com/api/v1/webhooks/payments/",
    time_expire="2026-06-01T10:15:00+08:00",
)
AUTH = re.compile(
    r'^WECHATPAY2-SHA256-RSA2048 mchid="(?P<mchid>\d+)",nonce_str="(?P<nonce>[0-9A-Za-z]+)",'
    r'signature="(?P<signature>[A-Za-z0-9+/=]+)",timestamp="(?P<timestamp>\d+)",serial_no="(?P<serial>[0-9A-F]+)"$'
)


def verify_with_merchant_public_key(message: str, signature: str) -> None:
    """Independent of the adapter: what WeChat Pay does with our signature."""
    merchant_key().public_key().verify(
        base64.b64decode(signature), message.encode(), padding.PKCS1v15(), hashes.SHA256()
    )


@pytest.fixture
def wechat():
    return FakeWeChatPay()


@pytest.fixture
def backend(wechat):
    return WeChatPayV3Backend(config=config(mchid=MCHID), transport=wechat)


def resource(name="transaction_success.json", **changes):
    data = payload(name)
    data["mchid"] = MCHID
    data.update(changes)
    return data


class TestRequestSigning:
    def test_authorization_header_has_the_documented_format_and_a_verifiable_signature(self):
        body = json.dumps(payload("jsapi_prepay_request.json"), ensure_ascii=False, separators=(",", ":"))
        header = authorization_header(
            method="POST", url="/v3/pay/transactions/jsapi", body=body, mchid=MCHID, serial_no=MERCHANT_SERIAL,
            private_key=merchant_key(), timestamp="1554208460", nonce="593BEC0C930BF1AFEB40B4A08C8FB242",
        )
        match = AUTH.match(header)
        assert match, header
        assert match["mchid"] == MCHID and match["serial"] == MERCHANT_SERIAL and match["timestamp"] == "1554208460"
        verify_with_merchant_public_key(
            f"POST\n/v3/pay/transactions/jsapi\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n{body}\n",
            match["signature"],
        )

    def test_signature_covers_the_body(self):
        header = authorization_header(method="GET", url="/v3/x", body="", mchid=MCHID, serial_no=MERCHANT_SERIAL,
                                      private_key=merchant_key(), timestamp="1", nonce="N")
        with pytest.raises(InvalidSignature):
            verify_with_merchant_public_key("GET\n/v3/x\n1\nN\n{}\n", AUTH.match(header)["signature"])

    def test_pay_sign_is_verifiable_with_the_merchant_public_key(self):
        params = jsapi_pay_params(appid=APPID, prepay_id="wx26112221580621e9b071c00d9e093b0000",
                                  private_key=merchant_key(), timestamp="1414561699", nonce="5K8264ILTKCH16CQ2502SI8ZNMTM67VS")
        assert params["package"] == "prepay_id=wx26112221580621e9b071c00d9e093b0000"
        assert params["signType"] == "RSA" and params["appId"] == APPID
        verify_with_merchant_public_key(
            f"{APPID}\n1414561699\n5K8264ILTKCH16CQ2502SI8ZNMTM67VS\nprepay_id=wx26112221580621e9b071c00d9e093b0000\n",
            params["paySign"],
        )


class TestCalls:
    def test_prepay_sends_the_documented_body_signed_and_answers_pay_parameters(self, backend, wechat):
        wechat.answer(200, payload("jsapi_prepay_response.json"))
        params = backend.prepay(ORDER)
        sent = wechat.requests[0]
        assert sent["method"] == "POST" and sent["url"] == "https://api.mch.weixin.qq.com/v3/pay/transactions/jsapi"
        assert json.loads(sent["body"]) == payload("jsapi_prepay_request.json")
        match = AUTH.match(sent["headers"]["Authorization"])
        verify_with_merchant_public_key(
            f"POST\n/v3/pay/transactions/jsapi\n{match['timestamp']}\n{match['nonce']}\n{sent['body'].decode()}\n",
            match["signature"],
        )
        assert params["package"] == "prepay_id=wx26112221580621e9b071c00d9e093b0000"
        verify_with_merchant_public_key(
            f"{APPID}\n{params['timeStamp']}\n{params['nonceStr']}\n{params['package']}\n", params["paySign"]
        )

    def test_query_signs_a_get_with_an_empty_body_and_reads_the_state(self, backend, wechat):
        wechat.answer(200, payload("query_response.json"))
        result = backend.query("MO20260601000123")
        sent = wechat.requests[0]
        path = f"/v3/pay/transactions/out-trade-no/MO20260601000123?mchid={MCHID}"
        assert sent["method"] == "GET" and sent["url"].endswith(path) and sent["body"] == b""
        match = AUTH.match(sent["headers"]["Authorization"])
        verify_with_merchant_public_key(f"GET\n{path}\n{match['timestamp']}\n{match['nonce']}\n\n", match["signature"])
        assert result.paid and result.state == "SUCCESS" and result.amount_fen == 9990
        assert result.transaction_id == "1217752501201407033233368018"

    def test_close_posts_the_merchant_number(self, backend, wechat):
        wechat.answer(204)
        backend.close("MO20260601000123")
        sent = wechat.requests[0]
        assert sent["url"].endswith("/v3/pay/transactions/out-trade-no/MO20260601000123/close")
        assert json.loads(sent["body"]) == {"mchid": MCHID}

    def test_refund_sends_the_documented_body(self, backend, wechat):
        wechat.answer(200, payload("refund_response.json"))
        result = backend.refund("MO20260601000123", "MO20260601000123-R1", 3000, 9990, "商品已售完",
                                notify_url="https://dealerops.example.com/api/v1/webhooks/payments/")
        sent = wechat.requests[0]
        assert sent["url"] == "https://api.mch.weixin.qq.com/v3/refund/domestic/refunds"
        assert json.loads(sent["body"]) == payload("refund_request.json")
        assert result.status == "PROCESSING" and result.refund_id == "50000000382019052709732678859"
        assert result.amount_fen == 3000

    def test_an_error_answer_raises_with_the_provider_code(self, backend, wechat):
        wechat.answer(400, payload("error_response.json"))
        with pytest.raises(PaymentProviderError) as caught:
            backend.prepay(ORDER)
        assert caught.value.provider_code == "ORDERPAID" and caught.value.http_status == 400

    def test_an_answer_not_signed_by_the_platform_is_refused(self, backend, wechat):
        wechat.answer(200, payload("jsapi_prepay_response.json"), key=stranger_key())
        with pytest.raises(PaymentProviderError):
            backend.prepay(ORDER)


class TestCallbacks:
    def test_a_signed_payment_callback_is_verified_and_decrypted(self, backend):
        headers, body = callback(resource())
        event = backend.parse_callback(headers, body)
        assert event.kind == EventKind.PAID and event.out_trade_no == "MO20260601000123"
        assert event.transaction_id == "1217752501201407033233368018" and event.amount_fen == 9990
        assert event.provider_ref == event.transaction_id and event.payer_openid == "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
        assert event.raw == resource() and event.provider == "wechatpay" and event.event_id.startswith("EV-")

    def test_django_meta_style_headers_are_read_too(self, backend):
        headers, body = callback(resource())
        meta = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}
        assert backend.parse_callback(meta, body).kind == EventKind.PAID

    def test_a_refund_callback_becomes_a_refund_event(self, backend):
        headers, body = callback(resource("refund_success.json"), "REFUND.SUCCESS")
        event = backend.parse_callback(headers, body)
        assert event.kind == EventKind.REFUNDED and event.amount_fen == 3000
        assert event.provider_ref == "50200207182018070300011301001" and event.out_refund_no == "MO20260601000123-R1"

    def test_an_abnormal_refund_is_a_refund_failure(self, backend):
        headers, body = callback(resource("refund_success.json", refund_status="ABNORMAL"), "REFUND.ABNORMAL")
        assert backend.parse_callback(headers, body).kind == EventKind.REFUND_FAILED

    def test_a_failed_trade_state_is_a_failure(self, backend):
        headers, body = callback(resource(trade_state="PAYERROR"), "TRANSACTION.PAYERROR")
        assert backend.parse_callback(headers, body).kind == EventKind.FAILED

    def test_a_tampered_body_is_refused(self, backend):
        headers, body = callback(resource())
        tampered = body.replace(b'"summary":"', b'"summary":"x')
        with pytest.raises(PaymentSignatureError) as caught:
            backend.parse_callback(headers, tampered)
        assert caught.value.message == errors.CALLBACK_SIGNATURE_INVALID and caught.value.status_code == 401

    def test_a_signature_by_another_key_is_refused(self, backend):
        headers, body = callback(resource(), key=stranger_key())
        with pytest.raises(PaymentSignatureError):
            backend.parse_callback(headers, body)

    def test_an_unknown_serial_is_refused(self, backend):
        headers, body = callback(resource(), serial="PUB_KEY_ID_0000000000000000000000000000000000")
        with pytest.raises(PaymentSignatureError) as caught:
            backend.parse_callback(headers, body)
        assert caught.value.message == errors.CALLBACK_SERIAL_UNKNOWN

    @pytest.mark.parametrize("age", [301, -301, 3600])
    def test_a_timestamp_outside_five_minutes_is_a_replay(self, backend, age):
        headers, body = callback(resource(), timestamp=int(time.time()) - age)
        with pytest.raises(PaymentSignatureError) as caught:
            backend.parse_callback(headers, body)
        assert caught.value.message == errors.CALLBACK_STALE

    def test_a_timestamp_within_five_minutes_passes(self, backend):
        headers, body = callback(resource(), timestamp=int(time.time()) - 290)
        assert backend.parse_callback(headers, body).kind == EventKind.PAID

    @pytest.mark.parametrize("missing", ["Wechatpay-Signature", "Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Serial"])
    def test_a_missing_header_is_refused(self, backend, missing):
        headers, body = callback(resource())
        del headers[missing]
        with pytest.raises(PaymentSignatureError):
            backend.parse_callback(headers, body)

    def test_another_signature_type_is_refused(self, backend):
        headers, body = callback(resource())
        headers["Wechatpay-Signature-Type"] = "WECHATPAY2-SM2-WITH-SM3"
        with pytest.raises(PaymentSignatureError):
            backend.parse_callback(headers, body)

    def test_a_resource_encrypted_with_another_apiv3_key_is_refused(self, backend):
        headers, body = callback(resource(), apiv3_key=b"X" * 32)
        with pytest.raises(PaymentCallbackError) as caught:
            backend.parse_callback(headers, body)
        assert caught.value.message == errors.CALLBACK_DECRYPT_FAILED and caught.value.status_code == 400

    def test_another_merchants_payment_is_refused(self, backend):
        headers, body = callback(resource(mchid="1900000001"))
        with pytest.raises(PaymentCallbackError) as caught:
            backend.parse_callback(headers, body)
        assert caught.value.message == errors.CALLBACK_WRONG_MERCHANT

    def test_a_signed_body_that_is_not_a_notification_is_unreadable(self, backend):
        body = b'{"hello": "world"}'
        with pytest.raises(PaymentCallbackError) as caught:
            backend.parse_callback(signed_headers(body=body, private_key=platform_key(), serial=PLATFORM_SERIAL), body)
        assert caught.value.message == errors.CALLBACK_UNREADABLE


def test_aead_round_trip_and_tamper_detection():
    ciphertext = aead_encrypt(APIV3_KEY, "支付成功".encode(), nonce="fdasflkja484", associated_data="transaction")
    assert aead_decrypt(APIV3_KEY, ciphertext, nonce="fdasflkja484", associated_data="transaction").decode() == "支付成功"
    with pytest.raises(PaymentCallbackError):
        aead_decrypt(APIV3_KEY, ciphertext, nonce="fdasflkja484", associated_data="refund")

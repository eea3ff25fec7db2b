"""The development payment backend: WeChat Pay simulated on this machine.

It speaks WeChat Pay v3's wire format: callbacks are encrypted with a local
APIv3 key (derived from ``SECRET_KEY``) and signed with a local RSA key made
once and kept at ``PAYMENT_LOCAL_KEY_PATH`` (``var/payments/``), so the
webhook verifies them through the very code that verifies WeChat Pay's
(``WeChatPayV3Backend.parse_callback``).

``prepay``
    answers plausible ``wx.requestPayment`` parameters and, after the
    caller's transaction commits, queues ``mall.payments.tasks.payment_local_callback``:
    the worker waits ``PAYMENT_LOCAL_CALLBACK_DELAY`` seconds (the payer
    "paying") and posts a signed ``TRANSACTION.SUCCESS`` callback to the
    order's ``notify_url``.
``refund``
    succeeds at once and posts a ``REFUND.SUCCESS`` callback the same way.
``query``
    answers from the callbacks stored so far.
``manage.py payment_callback <number> [--fail] [--repeat N]``
    posts a success, a failure or repeats by hand (late callbacks too).
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import time
import urllib.error
import urllib.request
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.db import transaction
from django_q import tasks as django_q_tasks

from mall.payments.base import PaymentOrder, PaymentResult, RefundResult
from mall.payments.selectors import payment_notification_latest
from mall.payments.wechatpay_v3 import (
    WeChatPayConfig, WeChatPayV3Backend, jsapi_pay_params, load_private_key, notification_body, signed_headers,
)

logger = logging.getLogger(__name__)

LOCAL_MCHID = "1900000109"  # WeChat Pay's documentation merchant number
LOCAL_APPID = "wxd678efh567hg6787"  # and its documentation appid
LOCAL_OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
_keys: dict[str, rsa.RSAPrivateKey] = {}


def local_private_key() -> rsa.RSAPrivateKey:
    """The local RSA key, made on first use and kept at
    ``PAYMENT_LOCAL_KEY_PATH``; two processes starting together agree on one
    (the file is linked into place only if it does not exist yet)."""
    path = Path(settings.PAYMENT_LOCAL_KEY_PATH)
    cached = _keys.get(str(path))
    if cached is not None:
        return cached
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        tmp.write_bytes(pem)
        tmp.chmod(0o600)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process was first: use its key
        finally:
            tmp.unlink(missing_ok=True)
    key = load_private_key(path.read_bytes())
    _keys[str(path)] = key
    return key


def local_config() -> WeChatPayConfig:
    key = local_private_key()
    public = key.public_key()
    der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    serial = "LOCAL" + hashlib.sha256(der).hexdigest()[:16].upper()
    return WeChatPayConfig(
        mchid=LOCAL_MCHID,
        appid=settings.WECHATPAY_APPID or settings.WECHAT_APP_ID or LOCAL_APPID,
        serial_no=serial,
        private_key=key,  # the local "merchant" and "platform" are one key
        apiv3_key=hashlib.sha256(f"local-wechatpay-apiv3:{settings.SECRET_KEY}".encode()).hexdigest()[:32].encode(),
        platform_keys={serial: public},
        api_base="local:",
        tolerance=settings.PAYMENT_CALLBACK_TOLERANCE,
    )


def local_transaction_id(out_trade_no: str) -> str:
    """A 28-digit WeChat-style transaction id, the same for every callback of one order."""
    return "4200" + str(int(hashlib.sha256(out_trade_no.encode()).hexdigest(), 16) % 10**24).zfill(24)


def local_refund_id(out_refund_no: str) -> str:
    return "5030" + str(int(hashlib.sha256(out_refund_no.encode()).hexdigest(), 16) % 10**25).zfill(25)


def _rfc3339_now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S+08:00", time.gmtime(time.time() + 8 * 3600))


def deliver(url: str, headers: dict, body: bytes) -> tuple[int, bytes]:
    """POST one callback to our webhook; (status, body), status 0 when unreachable."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (our own webhook)
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except (urllib.error.URLError, OSError) as exc:
        logger.info("local payments: webhook %s unreachable (%s)", url, exc)
        return 0, b""


class LocalPaymentBackend(WeChatPayV3Backend):
    """Simulated WeChat Pay (see the module docstring).  Development only:
    ``manage.py check --deploy`` refuses it with DEBUG off (dealerops.E002)."""

    name = "local"
    simulated = True
    required_settings = ()

    def __init__(self) -> None:
        super().__init__(config=local_config(), transport=self._no_network)

    @classmethod
    def check_settings(cls) -> list[str]:
        return []

    @staticmethod
    def _no_network(method, url, headers, body):  # pragma: no cover - never called
        raise AssertionError("the local payment backend never calls WeChat Pay")

    # What the simulated payer and WeChat Pay send ----------------------------------------------------

    def callback(
        self, *, out_trade_no: str, amount_fen: int, outcome: str = "paid", payer_openid: str = "",
        out_refund_no: str = "", refund_fen: int = 0, timestamp: int | None = None,
    ) -> tuple[dict[str, str], bytes]:
        """Headers and body of one callback, signed and encrypted like WeChat
        Pay's: ``outcome`` is ``paid``, ``failed`` or ``refunded``."""
        config = self.config
        if outcome == "refunded":
            event_type = "REFUND.SUCCESS"
            resource = {
                "mchid": config.mchid, "out_trade_no": out_trade_no,
                "transaction_id": local_transaction_id(out_trade_no),
                "out_refund_no": out_refund_no, "refund_id": local_refund_id(out_refund_no),
                "refund_status": "SUCCESS", "success_time": _rfc3339_now(),
                "user_received_account": "支付用户零钱",
                "amount": {"total": amount_fen, "refund": refund_fen, "payer_total": amount_fen, "payer_refund": refund_fen},
            }
        else:
            paid = outcome == "paid"
            event_type = "TRANSACTION.SUCCESS" if paid else "TRANSACTION.PAYERROR"
            resource = {
                "appid": config.appid, "mchid": config.mchid, "out_trade_no": out_trade_no,
                "transaction_id": local_transaction_id(out_trade_no),
                "trade_type": "JSAPI", "trade_state": "SUCCESS" if paid else "PAYERROR",
                "trade_state_desc": "支付成功" if paid else "支付失败，请重新下单支付",
                "bank_type": "OTHERS", "attach": "", "success_time": _rfc3339_now(),
                "payer": {"openid": payer_openid or LOCAL_OPENID},
                "amount": {"total": amount_fen, "payer_total": amount_fen, "currency": "CNY", "payer_currency": "CNY"},
            }
        body = notification_body(
            event_type=event_type, resource=resource, apiv3_key=config.apiv3_key,
            summary={"TRANSACTION.SUCCESS": "支付成功", "REFUND.SUCCESS": "退款成功"}.get(event_type, "支付失败"),
        )
        headers = signed_headers(body=body, private_key=config.private_key, serial=config.platform_serial, timestamp=timestamp)
        return headers, body

    # The interface -------------------------------------------------------------------------------------

    def prepay(self, order: PaymentOrder) -> dict:
        prepay_id = "wx" + time.strftime("%d%H%M%S") + secrets.token_hex(12)
        transaction.on_commit(lambda: _enqueue(
            order.out_trade_no, order.amount_fen, order.notify_url, "paid", order.payer_openid, "", 0,
        ))
        return jsapi_pay_params(appid=self.config.appid, prepay_id=prepay_id, private_key=self.config.private_key)

    def query(self, out_trade_no: str) -> PaymentResult:
        latest = payment_notification_latest(out_trade_no=out_trade_no)
        state = {"paid": "SUCCESS", "failed": "PAYERROR", "refunded": "REFUND"}.get(latest.kind, "NOTPAY") if latest else "NOTPAY"
        return PaymentResult(
            out_trade_no=out_trade_no, state=state,
            transaction_id=latest.transaction_id if latest else "",
            amount_fen=latest.amount_fen if latest and latest.kind == "paid" else 0,
        )

    def close(self, out_trade_no: str) -> None:
        logger.info("local payments: %s closed", out_trade_no)

    def refund(
        self, out_trade_no: str, out_refund_no: str, amount_fen: int, total_fen: int, reason: str = "",
        notify_url: str = "",
    ) -> RefundResult:
        if notify_url:
            transaction.on_commit(lambda: _enqueue(
                out_trade_no, total_fen, notify_url, "refunded", "", out_refund_no, amount_fen,
            ))
        return RefundResult(
            out_refund_no=out_refund_no, refund_id=local_refund_id(out_refund_no), status="SUCCESS",
            amount_fen=amount_fen, raw={"reason": reason},
        )


def _enqueue(out_trade_no, amount_fen, notify_url, outcome, payer_openid, out_refund_no, refund_fen) -> None:
    try:
        django_q_tasks.async_task(
            "mall.payments.tasks.payment_local_callback", out_trade_no, amount_fen, notify_url, outcome,
            payer_openid, out_refund_no, refund_fen, task_name=f"payment-local-{outcome}-{out_trade_no}",
        )
    except Exception:  # broker down: `manage.py payment_callback` replays it by hand
        logger.exception("local payments: could not queue the %s callback of %s", outcome, out_trade_no)

"""WeChat Pay API v3 (微信支付 APIv3), JSAPI for the mini-program.

What is signed and how (the official rules, as the SDKs implement them):

Our requests
    ``Authorization: WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",
    signature="…",timestamp="…",serial_no="…"`` where ``signature`` is
    base64(RSA-SHA256 PKCS#1 v1.5 with the merchant private key) over
    ``"METHOD\\nURL\\nTIMESTAMP\\nNONCE\\nBODY\\n"``; URL is the path with
    its query string, BODY the exact JSON sent ("" for a GET).
The mini-program's ``wx.requestPayment``
    ``paySign`` = the same signature over
    ``"appId\\ntimeStamp\\nnonceStr\\npackage\\n"``, ``signType`` "RSA",
    ``package`` "prepay_id=…".
WeChat Pay's answers and callbacks
    headers ``Wechatpay-Timestamp``, ``Wechatpay-Nonce``,
    ``Wechatpay-Signature``, ``Wechatpay-Serial`` (which platform
    certificate / 微信支付公钥 signed): RSA-SHA256 over
    ``"TIMESTAMP\\nNONCE\\nBODY\\n"``.  We accept a timestamp within
    ``PAYMENT_CALLBACK_TOLERANCE`` seconds (5 minutes) of our clock; an older
    callback is a replay and refused.  Within the window a replayed callback
    changes nothing: each event is stored once
    (``PaymentNotification``'s unique key).
Callback payload
    ``{"id": "EV-…", "create_time", "event_type": "TRANSACTION.SUCCESS" |
    "REFUND.SUCCESS" | "REFUND.ABNORMAL" | "REFUND.CLOSED", "resource_type":
    "encrypt-resource", "summary", "resource": {"algorithm":
    "AEAD_AES_256_GCM", "original_type": "transaction" | "refund",
    "ciphertext", "nonce", "associated_data"}}``; the resource decrypts with
    AES-256-GCM, the APIv3 key (32 bytes) as key, ``nonce`` and
    ``associated_data`` as given, to the transaction (``trade_state``,
    ``amount.total`` …) or the refund (``refund_status``, ``amount.refund``
    …) as ``query`` would return it.

Endpoints used: ``POST /v3/pay/transactions/jsapi`` (prepay),
``GET /v3/pay/transactions/out-trade-no/{no}?mchid=…`` (query),
``POST /v3/pay/transactions/out-trade-no/{no}/close`` (close),
``POST /v3/refund/domestic/refunds`` (refund).

HTTP goes through an injectable ``transport`` (default: urllib), so tests
never touch the network; every 2xx answer's signature is verified like a
callback's.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature, InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from mall.payments import exceptions as errors
from mall.payments.base import (
    CURRENCY, EventKind, PaymentBackend, PaymentEvent, PaymentOrder, PaymentResult, RefundResult,
)
from mall.payments.exceptions import PaymentCallbackError, PaymentProviderError, PaymentSignatureError

logger = logging.getLogger(__name__)

SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"
API_BASE = "https://api.mch.weixin.qq.com"
HEADER_TIMESTAMP = "Wechatpay-Timestamp"
HEADER_NONCE = "Wechatpay-Nonce"
HEADER_SIGNATURE = "Wechatpay-Signature"
HEADER_SERIAL = "Wechatpay-Serial"
HEADER_SIGNATURE_TYPE = "Wechatpay-Signature-Type"

# trade_state of a transaction → what it means for the order.
PAID_STATES = {"SUCCESS"}
FAILED_STATES = {"PAYERROR", "CLOSED", "REVOKED"}

PrivateKey = rsa.RSAPrivateKey
PublicKey = rsa.RSAPublicKey
# transport(method, url, headers, body) -> (status, headers, body)
Transport = Callable[[str, str, dict, bytes], tuple[int, dict, bytes]]


# --- Primitives -------------------------------------------------------------------------------


def nonce_str() -> str:
    return secrets.token_hex(16).upper()


def rsa_sign(private_key: PrivateKey, message: str) -> str:
    """base64 of RSA-SHA256 (PKCS#1 v1.5) over the UTF-8 message."""
    signature = private_key.sign(message.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode("ascii")


def rsa_verify(public_key: PublicKey, message: str, signature: str) -> bool:
    try:
        raw = base64.b64decode(signature, validate=True)
    except (ValueError, TypeError):
        return False
    try:
        public_key.verify(raw, message.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def aead_encrypt(apiv3_key: bytes, plaintext: bytes, *, nonce: str, associated_data: str) -> str:
    """base64(AES-256-GCM ciphertext + tag), as WeChat Pay encrypts a resource."""
    return base64.b64encode(AESGCM(apiv3_key).encrypt(nonce.encode(), plaintext, associated_data.encode())).decode()


def aead_decrypt(apiv3_key: bytes, ciphertext: str, *, nonce: str, associated_data: str) -> bytes:
    try:
        data = base64.b64decode(ciphertext, validate=True)
        return AESGCM(apiv3_key).decrypt(nonce.encode(), data, (associated_data or "").encode())
    except (InvalidTag, ValueError, TypeError) as exc:
        raise PaymentCallbackError(errors.CALLBACK_DECRYPT_FAILED) from exc


def request_message(method: str, url: str, timestamp: str, nonce: str, body: str) -> str:
    return f"{method}\n{url}\n{timestamp}\n{nonce}\n{body}\n"


def response_message(timestamp: str, nonce: str, body: str) -> str:
    return f"{timestamp}\n{nonce}\n{body}\n"


def authorization_header(
    *, method: str, url: str, body: str, mchid: str, serial_no: str, private_key: PrivateKey,
    timestamp: str | None = None, nonce: str | None = None,
) -> str:
    """The ``Authorization`` header of one request.  ``url`` is the path with
    its query string (``/v3/pay/transactions/jsapi``)."""
    timestamp = timestamp or str(int(time.time()))
    nonce = nonce or nonce_str()
    signature = rsa_sign(private_key, request_message(method.upper(), url, timestamp, nonce, body))
    return (
        f'{SIGNATURE_TYPE} mchid="{mchid}",nonce_str="{nonce}",signature="{signature}",'
        f'timestamp="{timestamp}",serial_no="{serial_no}"'
    )


def jsapi_pay_params(
    *, appid: str, prepay_id: str, private_key: PrivateKey, timestamp: str | None = None, nonce: str | None = None,
) -> dict:
    """The parameters of ``wx.requestPayment`` for one prepay id."""
    timestamp = timestamp or str(int(time.time()))
    nonce = nonce or nonce_str()
    package = f"prepay_id={prepay_id}"
    return {
        "appId": appid,
        "timeStamp": timestamp,
        "nonceStr": nonce,
        "package": package,
        "signType": "RSA",
        "paySign": rsa_sign(private_key, f"{appid}\n{timestamp}\n{nonce}\n{package}\n"),
    }


def signed_headers(
    *, body: bytes, private_key: PrivateKey, serial: str, timestamp: int | None = None, nonce: str | None = None,
) -> dict[str, str]:
    """Headers WeChat Pay puts on a callback (or an answer): what the local
    backend and the tests send."""
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    nonce = nonce or nonce_str()
    return {
        "Content-Type": "application/json",
        HEADER_TIMESTAMP: timestamp,
        HEADER_NONCE: nonce,
        HEADER_SIGNATURE: rsa_sign(private_key, response_message(timestamp, nonce, body.decode("utf-8"))),
        HEADER_SERIAL: serial,
        HEADER_SIGNATURE_TYPE: SIGNATURE_TYPE,
    }


def notification_body(
    *, event_type: str, resource: dict, apiv3_key: bytes, event_id: str | None = None,
    create_time: str = "", summary: str = "", nonce: str | None = None,
) -> bytes:
    """A callback body as WeChat Pay posts it, ``resource`` encrypted with
    the APIv3 key.  ``original_type`` follows the event type."""
    nonce = nonce or secrets.token_hex(6)  # WeChat Pay sends a 12-character nonce
    original_type = "refund" if event_type.startswith("REFUND.") else "transaction"
    associated_data = original_type
    plaintext = json.dumps(resource, ensure_ascii=False, separators=(",", ":")).encode()
    body = {
        "id": event_id or f"EV-{secrets.token_hex(10)}",
        "create_time": create_time or time.strftime("%Y-%m-%dT%H:%M:%S+08:00", time.gmtime(time.time() + 8 * 3600)),
        "resource_type": "encrypt-resource",
        "event_type": event_type,
        "summary": summary or ("退款成功" if event_type == "REFUND.SUCCESS" else "支付成功"),
        "resource": {
            "original_type": original_type,
            "algorithm": "AEAD_AES_256_GCM",
            "ciphertext": aead_encrypt(apiv3_key, plaintext, nonce=nonce, associated_data=associated_data),
            "associated_data": associated_data,
            "nonce": nonce,
        },
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def load_private_key(pem: bytes) -> PrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("the merchant key must be an RSA private key")
    return key


def load_platform_key(pem: bytes) -> tuple[PublicKey, str]:
    """A platform certificate (its serial in hex upper case) or a 微信支付公钥
    (no serial: its id comes from the settings)."""
    if b"BEGIN CERTIFICATE" in pem:
        cert = x509.load_pem_x509_certificate(pem)
        key = cert.public_key()
        serial = format(cert.serial_number, "X")
    else:
        key = serialization.load_pem_public_key(pem)
        serial = ""
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("the platform key must be an RSA public key")
    return key, serial


def _lower_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Header names compared case-insensitively; Django's META spelling
    (``HTTP_WECHATPAY_SIGNATURE``) is accepted too."""
    result = {}
    for name, value in headers.items():
        key = str(name).lower()
        if key.startswith("http_"):
            key = key[5:].replace("_", "-")
        result[key] = str(value)
    return result


def urllib_transport(method: str, url: str, headers: dict, body: bytes) -> tuple[int, dict, bytes]:  # pragma: no cover
    request = urllib.request.Request(url, data=body if method != "GET" else None, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (the provider's https URL)
            return response.status, dict(response.headers.items()), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers.items()), exc.read()
    except (urllib.error.URLError, OSError) as exc:
        raise PaymentProviderError(provider_message=str(exc)) from exc


# --- Configuration ------------------------------------------------------------------------------


@dataclass(frozen=True)
class WeChatPayConfig:
    mchid: str
    appid: str
    serial_no: str  # the merchant API certificate's serial
    private_key: PrivateKey
    apiv3_key: bytes  # 32 bytes
    platform_keys: dict[str, PublicKey]  # serial (or 微信支付公钥 id) → key that signs callbacks and answers
    api_base: str = API_BASE
    tolerance: int = 300  # seconds a callback's timestamp may differ from our clock

    @property
    def platform_serial(self) -> str:
        """The serial we name in ``Wechatpay-Serial`` (the first key's)."""
        return next(iter(self.platform_keys))

    @classmethod
    def from_settings(cls) -> WeChatPayConfig:
        problems = WeChatPayV3Backend.check_settings()
        if problems:
            raise ImproperlyConfigured("WeChat Pay v3: " + "; ".join(problems))
        key, cert_serial = load_platform_key(Path(settings.WECHATPAY_PLATFORM_CERT_PATH).read_bytes())
        serial = settings.WECHATPAY_PLATFORM_SERIAL or cert_serial
        return cls(
            mchid=settings.WECHATPAY_MCHID,
            appid=settings.WECHATPAY_APPID,
            serial_no=settings.WECHATPAY_MERCHANT_SERIAL_NO,
            private_key=load_private_key(Path(settings.WECHATPAY_PRIVATE_KEY_PATH).read_bytes()),
            apiv3_key=settings.WECHATPAY_APIV3_KEY.encode(),
            platform_keys={serial: key},
            api_base=settings.WECHATPAY_API_BASE.rstrip("/"),
            tolerance=settings.PAYMENT_CALLBACK_TOLERANCE,
        )


# --- The backend -----------------------------------------------------------------------------------


class WeChatPayV3Backend(PaymentBackend):
    """Production payments through WeChat Pay API v3 (JSAPI).

    Settings: ``WECHATPAY_MCHID`` (商户号), ``WECHATPAY_APPID`` (the
    mini-program's appid), ``WECHATPAY_MERCHANT_SERIAL_NO`` (商户API证书序列号),
    ``WECHATPAY_PRIVATE_KEY_PATH`` (apiclient_key.pem), ``WECHATPAY_APIV3_KEY``
    (APIv3密钥, 32 characters), ``WECHATPAY_PLATFORM_CERT_PATH`` (the platform
    certificate or the 微信支付公钥 PEM) and ``WECHATPAY_PLATFORM_SERIAL``
    (the 公钥ID ``PUB_KEY_ID_…``; read from the certificate when empty)."""

    name = "wechatpay"
    required_settings = (
        "WECHATPAY_MCHID", "WECHATPAY_APPID", "WECHATPAY_MERCHANT_SERIAL_NO", "WECHATPAY_PRIVATE_KEY_PATH",
        "WECHATPAY_APIV3_KEY", "WECHATPAY_PLATFORM_CERT_PATH",
    )

    def __init__(self, config: WeChatPayConfig | None = None, transport: Transport | None = None) -> None:
        self.config = config or WeChatPayConfig.from_settings()
        self.transport = transport or urllib_transport

    @classmethod
    def check_settings(cls) -> list[str]:
        """What is wrong with the WeChat Pay settings (missing ones excepted:
        ``required_settings`` reports those)."""
        problems = []
        mchid = getattr(settings, "WECHATPAY_MCHID", "")
        if mchid and not re.fullmatch(r"\d{8,12}", mchid):
            problems.append(f"WECHATPAY_MCHID {mchid!r} is not a merchant number (8–12 digits)")
        appid = getattr(settings, "WECHATPAY_APPID", "")
        if appid and not re.fullmatch(r"wx[0-9A-Za-z]{16}", appid):
            problems.append(f"WECHATPAY_APPID {appid!r} is not a mini-program appid (wx + 16 characters)")
        serial = getattr(settings, "WECHATPAY_MERCHANT_SERIAL_NO", "")
        if serial and not re.fullmatch(r"[0-9A-Fa-f]{8,40}", serial):
            problems.append("WECHATPAY_MERCHANT_SERIAL_NO is not a certificate serial (hex)")
        apiv3 = getattr(settings, "WECHATPAY_APIV3_KEY", "")
        if apiv3 and len(apiv3.encode()) != 32:
            problems.append("WECHATPAY_APIV3_KEY must be exactly 32 bytes (the APIv3 key set in the merchant platform)")
        key_path = getattr(settings, "WECHATPAY_PRIVATE_KEY_PATH", "")
        if key_path:
            try:
                load_private_key(Path(key_path).read_bytes())
            except OSError as exc:
                problems.append(f"WECHATPAY_PRIVATE_KEY_PATH cannot be read: {exc.strerror or exc}")
            except (ValueError, TypeError, UnsupportedAlgorithm):
                problems.append("WECHATPAY_PRIVATE_KEY_PATH is not an RSA private key in PEM (apiclient_key.pem)")
        cert_path = getattr(settings, "WECHATPAY_PLATFORM_CERT_PATH", "")
        if cert_path:
            try:
                _, cert_serial = load_platform_key(Path(cert_path).read_bytes())
            except OSError as exc:
                problems.append(f"WECHATPAY_PLATFORM_CERT_PATH cannot be read: {exc.strerror or exc}")
            except (ValueError, TypeError, UnsupportedAlgorithm):
                problems.append("WECHATPAY_PLATFORM_CERT_PATH is neither a platform certificate nor a WeChat Pay public key (PEM)")
            else:
                if not cert_serial and not getattr(settings, "WECHATPAY_PLATFORM_SERIAL", ""):
                    problems.append("WECHATPAY_PLATFORM_SERIAL (the public key id PUB_KEY_ID_…) is needed with a WeChat Pay public key")
        return problems

    # HTTP ------------------------------------------------------------------------------------------

    def _request(self, method: str, path: str, payload: dict | None = None) -> dict:
        config = self.config
        body = "" if payload is None else json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        headers = {
            "Authorization": authorization_header(
                method=method, url=path, body=body, mchid=config.mchid, serial_no=config.serial_no,
                private_key=config.private_key,
            ),
            "Accept": "application/json",
            "Content-Type": "application/json",
            "User-Agent": "DealerOps-WeChatPay-v3",
            HEADER_SERIAL: config.platform_serial,
        }
        status, response_headers, response_body = self.transport(method, config.api_base + path, headers, body.encode())
        if 200 <= status < 300:
            # An answer that does not verify is not WeChat Pay's: never act on it.
            try:
                self.verify_signature(response_headers, response_body)
            except PaymentSignatureError as exc:
                raise PaymentProviderError(provider_message="answer signature invalid", http_status=status) from exc
            if not response_body:
                return {}
            try:
                return json.loads(response_body)
            except ValueError as exc:
                raise PaymentProviderError(provider_message="answer is not JSON", http_status=status) from exc
        try:
            answer = json.loads(response_body or b"{}")
        except ValueError:
            answer = {}
        logger.warning("wechatpay %s %s → %s %s", method, path, status, answer.get("code", ""))
        raise PaymentProviderError(
            provider_code=str(answer.get("code", "")), provider_message=str(answer.get("message", "")), http_status=status,
        )

    # The interface ---------------------------------------------------------------------------------

    def prepay(self, order: PaymentOrder) -> dict:
        payload = {
            "appid": self.config.appid,
            "mchid": self.config.mchid,
            "description": order.description[:127],
            "out_trade_no": order.out_trade_no,
            "notify_url": order.notify_url,
            "amount": {"total": order.amount_fen, "currency": CURRENCY},
            "payer": {"openid": order.payer_openid},
        }
        if order.time_expire:
            payload["time_expire"] = order.time_expire
        if order.attach:
            payload["attach"] = order.attach
        answer = self._request("POST", "/v3/pay/transactions/jsapi", payload)
        prepay_id = answer.get("prepay_id")
        if not prepay_id:
            raise PaymentProviderError(provider_message="no prepay_id in the answer")
        return jsapi_pay_params(appid=self.config.appid, prepay_id=prepay_id, private_key=self.config.private_key)

    def query(self, out_trade_no: str) -> PaymentResult:
        path = (
            f"/v3/pay/transactions/out-trade-no/{urllib.parse.quote(out_trade_no, safe='')}"
            f"?mchid={urllib.parse.quote(self.config.mchid)}"
        )
        answer = self._request("GET", path)
        return PaymentResult(
            out_trade_no=answer.get("out_trade_no", out_trade_no),
            state=answer.get("trade_state", ""),
            transaction_id=answer.get("transaction_id", ""),
            amount_fen=int((answer.get("amount") or {}).get("total") or 0),
            raw=answer,
        )

    def close(self, out_trade_no: str) -> None:
        path = f"/v3/pay/transactions/out-trade-no/{urllib.parse.quote(out_trade_no, safe='')}/close"
        self._request("POST", path, {"mchid": self.config.mchid})

    def refund(
        self, out_trade_no: str, out_refund_no: str, amount_fen: int, total_fen: int, reason: str = "",
        notify_url: str = "",
    ) -> RefundResult:
        payload = {
            "out_trade_no": out_trade_no,
            "out_refund_no": out_refund_no,
            "amount": {"refund": amount_fen, "total": total_fen, "currency": CURRENCY},
        }
        if reason:
            payload["reason"] = reason[:80]
        if notify_url:
            payload["notify_url"] = notify_url
        answer = self._request("POST", "/v3/refund/domestic/refunds", payload)
        return RefundResult(
            out_refund_no=answer.get("out_refund_no", out_refund_no),
            refund_id=answer.get("refund_id", ""),
            status=answer.get("status", ""),
            amount_fen=int((answer.get("amount") or {}).get("refund") or amount_fen),
            raw=answer,
        )

    # Callbacks --------------------------------------------------------------------------------------

    def verify_signature(self, headers: Mapping[str, str], body: bytes, *, now: float | None = None) -> None:
        """Raise ``PaymentSignatureError`` unless ``body`` is signed by a
        platform key we know, with a timestamp within the tolerance."""
        h = _lower_headers(headers)
        signature_type = h.get(HEADER_SIGNATURE_TYPE.lower(), SIGNATURE_TYPE)
        timestamp, nonce = h.get(HEADER_TIMESTAMP.lower(), ""), h.get(HEADER_NONCE.lower(), "")
        signature, serial = h.get(HEADER_SIGNATURE.lower(), ""), h.get(HEADER_SERIAL.lower(), "")
        if signature_type != SIGNATURE_TYPE or not (timestamp and nonce and signature and serial):
            raise PaymentSignatureError(errors.CALLBACK_SIGNATURE_INVALID)
        key = self.config.platform_keys.get(serial) or self.config.platform_keys.get(serial.upper())
        if key is None:
            raise PaymentSignatureError(errors.CALLBACK_SERIAL_UNKNOWN)
        now = time.time() if now is None else now
        try:
            if abs(now - int(timestamp)) > self.config.tolerance:
                raise PaymentSignatureError(errors.CALLBACK_STALE)
        except (ValueError, OverflowError) as exc:
            raise PaymentSignatureError(errors.CALLBACK_SIGNATURE_INVALID) from exc
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise PaymentSignatureError(errors.CALLBACK_SIGNATURE_INVALID) from exc
        if not rsa_verify(key, response_message(timestamp, nonce, text), signature):
            raise PaymentSignatureError(errors.CALLBACK_SIGNATURE_INVALID)

    def parse_callback(self, headers: Mapping[str, str], body: bytes, *, now: float | None = None) -> PaymentEvent:
        self.verify_signature(headers, body, now=now)
        try:
            notification = json.loads(body)
            resource = notification["resource"]
            event_type = str(notification["event_type"])
            plaintext = aead_decrypt(
                self.config.apiv3_key, resource["ciphertext"], nonce=resource["nonce"],
                associated_data=resource.get("associated_data") or "",
            )
            data = json.loads(plaintext)
        except PaymentCallbackError:
            raise
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
            raise PaymentCallbackError(errors.CALLBACK_UNREADABLE) from exc
        if not isinstance(data, dict) or not isinstance(resource, dict):
            raise PaymentCallbackError(errors.CALLBACK_UNREADABLE)
        return self._event(event_type, str(notification.get("id", "")), data)

    def _event(self, event_type: str, event_id: str, data: dict) -> PaymentEvent:
        if data.get("mchid") not in (None, self.config.mchid) or (
            event_type.startswith("TRANSACTION.") and data.get("appid") not in (None, self.config.appid)
        ):
            raise PaymentCallbackError(errors.CALLBACK_WRONG_MERCHANT)
        amount = data.get("amount") or {}
        try:
            common = {
                "provider": self.name, "event_id": event_id, "out_trade_no": str(data["out_trade_no"]),
                "transaction_id": str(data.get("transaction_id") or ""), "occurred_at": str(data.get("success_time") or ""),
                "raw": data,
            }
            if event_type.startswith("TRANSACTION."):
                state = str(data.get("trade_state") or "")
                if state in PAID_STATES:
                    kind = EventKind.PAID
                elif state in FAILED_STATES:
                    kind = EventKind.FAILED
                else:
                    raise PaymentCallbackError(errors.CALLBACK_UNKNOWN_EVENT)
                return PaymentEvent(
                    kind=kind, amount_fen=int(amount["total"]), state=state,
                    payer_openid=str((data.get("payer") or {}).get("openid") or ""), **common,
                )
            if event_type.startswith("REFUND."):
                state = str(data.get("refund_status") or "")
                kind = EventKind.REFUNDED if state == "SUCCESS" else EventKind.REFUND_FAILED
                return PaymentEvent(
                    kind=kind, amount_fen=int(amount["refund"]), state=state,
                    refund_id=str(data.get("refund_id") or ""), out_refund_no=str(data.get("out_refund_no") or ""),
                    **common,
                )
        except (KeyError, TypeError, ValueError) as exc:
            raise PaymentCallbackError(errors.CALLBACK_UNREADABLE) from exc
        raise PaymentCallbackError(errors.CALLBACK_UNKNOWN_EVENT)

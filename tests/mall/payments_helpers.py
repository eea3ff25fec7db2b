"""Shared parts of the payment tests: test keys, a WeChat Pay v3 config, a
recorded-payload loader, signed callbacks and a fake transport that answers
like WeChat Pay (signed with the test platform key).  Nothing leaves the
machine."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from mall.payments import hooks
from mall.payments.wechatpay_v3 import WeChatPayConfig, notification_body, signed_headers

PAYLOADS = Path(__file__).parent / "payloads"
MCHID = "1230000109"
APPID = "wxd678efh567hg6787"
MERCHANT_SERIAL = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
PLATFORM_SERIAL = "PUB_KEY_ID_0112345678202406180012345678901234"
APIV3_KEY = b"0123456789abcdef0123456789ABCDEF"  # 32 bytes
WEBHOOK = "/api/v1/webhooks/payments/"


def payload(name: str) -> dict:
    return json.loads((PAYLOADS / name).read_text(encoding="utf-8"))


@functools.cache
def merchant_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@functools.cache
def platform_key() -> rsa.RSAPrivateKey:
    """WeChat Pay's side: signs answers and callbacks."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@functools.cache
def stranger_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def config(**overrides) -> WeChatPayConfig:
    values = {
        "mchid": MCHID, "appid": APPID, "serial_no": MERCHANT_SERIAL, "private_key": merchant_key(),
        "apiv3_key": APIV3_KEY, "platform_keys": {PLATFORM_SERIAL: platform_key().public_key()},
        "api_base": "https://api.mch.weixin.qq.com",
    }
    values.update(overrides)
    return WeChatPayConfig(**values)


def callback(
    resource: dict, event_type: str = "TRANSACTION.SUCCESS", *, timestamp: int | None = None,
    key: rsa.RSAPrivateKey | None = None, serial: str = PLATFORM_SERIAL, apiv3_key: bytes = APIV3_KEY,
) -> tuple[dict[str, str], bytes]:
    """A callback as WeChat Pay posts it: the resource encrypted with the
    APIv3 key, the body signed with the platform key."""
    body = notification_body(event_type=event_type, resource=resource, apiv3_key=apiv3_key)
    return signed_headers(body=body, private_key=key or platform_key(), serial=serial, timestamp=timestamp), body


def as_meta(headers: dict[str, str]) -> dict[str, str]:
    """Headers as Django test-client keyword arguments."""
    meta = {}
    for name, value in headers.items():
        if name.lower() == "content-type":
            continue
        meta["HTTP_" + name.upper().replace("-", "_")] = value
    return meta


class FakeWeChatPay:
    """A transport that records each request and answers the next queued
    (status, body), signed by the platform key like WeChat Pay's answers."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.answers: list[tuple[int, bytes, rsa.RSAPrivateKey | None]] = []

    def answer(self, status: int, body: dict | bytes | None = None, *, key: rsa.RSAPrivateKey | None = None) -> None:
        raw = body if isinstance(body, bytes) else b"" if body is None else json.dumps(body, ensure_ascii=False).encode()
        self.answers.append((status, raw, key))

    def __call__(self, method: str, url: str, headers: dict, body: bytes):
        self.requests.append({"method": method, "url": url, "headers": headers, "body": body})
        status, raw, key = self.answers.pop(0)
        return status, signed_headers(body=raw, private_key=key or platform_key(), serial=PLATFORM_SERIAL), raw


def pem_private(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def pem_public(key: rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


@pytest.fixture
def wechatpay_settings(settings, tmp_path):
    """PAYMENT_BACKEND = the WeChat Pay v3 adapter with the test keys on disk."""
    (tmp_path / "apiclient_key.pem").write_bytes(pem_private(merchant_key()))
    (tmp_path / "pub_key.pem").write_bytes(pem_public(platform_key()))
    settings.PAYMENT_BACKEND = "mall.payments.wechatpay_v3.WeChatPayV3Backend"
    settings.WECHATPAY_MCHID = MCHID
    settings.WECHATPAY_APPID = APPID
    settings.WECHATPAY_MERCHANT_SERIAL_NO = MERCHANT_SERIAL
    settings.WECHATPAY_PRIVATE_KEY_PATH = str(tmp_path / "apiclient_key.pem")
    settings.WECHATPAY_APIV3_KEY = APIV3_KEY.decode()
    settings.WECHATPAY_PLATFORM_CERT_PATH = str(tmp_path / "pub_key.pem")
    settings.WECHATPAY_PLATFORM_SERIAL = PLATFORM_SERIAL
    return settings


@pytest.fixture
def handled(monkeypatch):
    """Register a payment handler that records the events it gets; the test
    sets ``handled.outcome`` (or ``handled.error``)."""
    class Recorder:
        outcome = "applied"
        error: Exception | None = None

        def __init__(self):
            self.events = []

        def __call__(self, *, event):
            self.events.append(event)
            if self.error is not None:
                raise self.error
            return self.outcome

    recorder = Recorder()
    monkeypatch.setattr(hooks, "_handler", [recorder])
    return recorder


@pytest.fixture
def no_handler(monkeypatch):
    """The payment layer on its own: no orders' handler registered (MallConfig.ready registers one)."""
    monkeypatch.setattr(hooks, "_handler", [])

"""check --deploy and the payment backend (accounts/checks.py): the local
simulation is refused with DEBUG off, WeChat Pay's credentials must be set
(E004) and right (E007).  The subprocess runs over the README's production
environment are in tests/test_checks_deploy.py."""

from __future__ import annotations

import pytest

from accounts import checks as deploy_checks
from tests.mall.payments_helpers import wechatpay_settings  # noqa: F401  (fixture)


def payment_errors():
    return [(e.id, e.msg) for e in deploy_checks.backends_check() if "PAYMENT_BACKEND" in e.msg]


def test_payment_backend_is_a_registered_backend_setting():
    assert "PAYMENT_BACKEND" in deploy_checks.BACKEND_SETTINGS


def test_the_local_backend_is_refused_with_debug_off(settings):
    settings.DEBUG = False
    settings.PAYMENT_BACKEND = "mall.payments.local.LocalPaymentBackend"
    assert [i for i, _ in payment_errors()] == ["dealerops.E002"]
    settings.DEBUG = True
    assert payment_errors() == []


def test_wechat_pay_configured_passes(wechatpay_settings):
    wechatpay_settings.DEBUG = False
    assert payment_errors() == []


def test_wechat_pay_without_credentials_is_refused(settings):
    settings.PAYMENT_BACKEND = "mall.payments.wechatpay_v3.WeChatPayV3Backend"
    settings.WECHATPAY_MCHID = settings.WECHATPAY_APIV3_KEY = ""
    settings.WECHATPAY_PRIVATE_KEY_PATH = settings.WECHATPAY_PLATFORM_CERT_PATH = ""
    [(check_id, message)] = payment_errors()
    assert check_id == "dealerops.E004" and "WECHATPAY_MCHID" in message and "WECHATPAY_APIV3_KEY" in message


@pytest.mark.parametrize("name, value, words", [
    ("WECHATPAY_APIV3_KEY", "short", "32 bytes"),
    ("WECHATPAY_PRIVATE_KEY_PATH", "/nonexistent/apiclient_key.pem", "cannot be read"),
    ("WECHATPAY_PLATFORM_CERT_PATH", __file__, "neither a platform certificate"),
    ("WECHATPAY_PLATFORM_SERIAL", "", "PUB_KEY_ID"),
    ("WECHATPAY_MCHID", "mch-1", "merchant number"),
    ("WECHATPAY_APPID", "not-an-appid", "appid"),
])
def test_wrong_wechat_pay_settings_are_reported(wechatpay_settings, name, value, words):
    setattr(wechatpay_settings, name, value)
    [(check_id, message)] = payment_errors()
    assert check_id == "dealerops.E007" and words in message


def test_the_private_key_file_in_place_of_the_platform_key_is_reported(wechatpay_settings):
    wechatpay_settings.WECHATPAY_PLATFORM_CERT_PATH = wechatpay_settings.WECHATPAY_PRIVATE_KEY_PATH
    assert [i for i, _ in payment_errors()] == ["dealerops.E007"]

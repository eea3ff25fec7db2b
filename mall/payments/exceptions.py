"""Errors of the payment layer, with their messages (CONVENTIONS.md §2).

The webhook answers a ``PaymentCallbackError`` with its status (401 for a bad
signature, 400 for a body it cannot read) and WeChat Pay's failure body;
``PaymentProviderError`` is the provider refusing or failing a call we made."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from mall.exceptions import MallError

CALLBACK_SIGNATURE_INVALID = _("支付回调签名无效。")
CALLBACK_SERIAL_UNKNOWN = _("支付回调的平台证书序列号未知。")
CALLBACK_STALE = _("支付回调的时间戳超出允许范围（可能是重放）。")
CALLBACK_UNREADABLE = _("支付回调内容无法解析。")
CALLBACK_DECRYPT_FAILED = _("支付回调内容解密失败。")
CALLBACK_WRONG_MERCHANT = _("支付回调不属于本商户。")
CALLBACK_UNKNOWN_EVENT = _("不支持的支付回调类型。")
PROVIDER_FAILED = _("支付服务暂时不可用，请稍后再试。")
AMOUNT_NOT_WHOLE_FEN = _("金额必须精确到分。")
AMOUNT_NEGATIVE = _("金额不能为负数。")
NOT_SIMULATED = _("模拟支付仅在开发环境（本地支付通道）可用。")


class PaymentError(MallError):
    code = "payment_error"


class PaymentCallbackError(PaymentError):
    """A callback we must not act on: unreadable, not ours, undecryptable."""

    code = "invalid_callback"
    status_code = 400


class PaymentSignatureError(PaymentCallbackError):
    """Missing or wrong signature, unknown platform serial, or a timestamp
    outside the tolerance (an old callback replayed)."""

    code = "invalid_signature"
    status_code = 401


class PaymentProviderError(PaymentError):
    """The provider answered a call of ours with an error (or not at all)."""

    code = "payment_provider_error"
    status_code = 502

    def __init__(self, message=None, *, provider_code: str = "", provider_message: str = "", http_status: int = 0, **kwargs):
        super().__init__(message or PROVIDER_FAILED, **kwargs)
        self.provider_code = provider_code
        self.provider_message = provider_message
        self.http_status = http_status

"""The payment interface: one small class, chosen by ``settings.PAYMENT_BACKEND``.

Orders talk to a ``PaymentBackend`` only; which provider sits behind it is a
setting (the same pattern as ``SMS_BACKEND`` and ``TELEPHONY_BACKEND`` in
accounts):

``mall.payments.local.LocalPaymentBackend`` (default, ``simulated``)
    Development and tests.  Speaks WeChat Pay v3's wire format with a local
    key, and posts a signed payment callback to our webhook a moment after
    ``prepay``.
``mall.payments.wechatpay_v3.WeChatPayV3Backend``
    Production: WeChat Pay API v3, JSAPI (the mini-program's
    ``wx.requestPayment``).

Amounts cross this interface as ``int`` fen (分); ``yuan_to_fen`` is the one
conversion from the ``Decimal`` yuan prices of the catalogue and refuses a
fraction of a fen.

A callback is parsed by the backend that made the payment
(``parse_callback``: signature, timestamp, decryption) into a
``PaymentEvent``; ``mall.payments.services.payment_callback_receive`` stores
it once and hands it to the handler orders register
(``register_payment_handler``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.utils.module_loading import import_string

from mall.payments import exceptions as errors
from mall.payments.exceptions import PaymentError

CURRENCY = "CNY"


# --- Amounts ----------------------------------------------------------------------------------


def yuan_to_fen(amount: Decimal | int | str) -> int:
    """``Decimal("99.90")`` → ``9990``.  Exact: a fraction of a fen
    (``"0.001"``), a negative or a non-finite amount raises ``PaymentError``;
    a ``float`` is refused outright (``0.1 + 0.2`` is not a price)."""
    if isinstance(amount, float) or isinstance(amount, bool):
        raise TypeError("yuan_to_fen takes a Decimal, an int or a str, never a float")
    try:
        value = Decimal(amount)
    except (InvalidOperation, ValueError) as exc:
        raise PaymentError(errors.AMOUNT_NOT_WHOLE_FEN) from exc
    if not value.is_finite():
        raise PaymentError(errors.AMOUNT_NOT_WHOLE_FEN)
    fen = value * 100
    if fen != fen.to_integral_value():
        raise PaymentError(errors.AMOUNT_NOT_WHOLE_FEN)
    if fen < 0:
        raise PaymentError(errors.AMOUNT_NEGATIVE)
    return int(fen)


def fen_to_yuan(fen: int) -> Decimal:
    """``9990`` → ``Decimal("99.90")``."""
    return (Decimal(int(fen)) / 100).quantize(Decimal("0.01"))


# --- What crosses the interface -----------------------------------------------------------------


@dataclass(frozen=True)
class PaymentOrder:
    """What a backend needs to take a payment for one order."""

    out_trade_no: str  # our order number (6–32 characters of [0-9A-Za-z_-|*] for WeChat Pay)
    description: str  # shown to the payer (≤ 127 characters)
    amount_fen: int
    payer_openid: str  # the member's openid in the mini-program (JSAPI payer)
    notify_url: str  # our webhook, absolute https URL in production
    time_expire: str = ""  # RFC 3339, e.g. "2026-06-01T10:15:00+08:00"; "" = the provider's default
    attach: str = ""  # echoed in the callback (≤ 128 characters)


class EventKind:
    PAID = "paid"
    FAILED = "failed"
    REFUNDED = "refunded"
    REFUND_FAILED = "refund_failed"


@dataclass(frozen=True)
class PaymentEvent:
    """One verified, decrypted callback.

    ``provider_ref`` identifies the event at the provider together with
    ``kind``: the transaction id for ``paid``/``failed``, the refund id for
    ``refunded``/``refund_failed`` (a transaction can have several partial
    refunds).  ``amount_fen`` is the order total for a payment and the
    refunded amount for a refund; the handler checks it against the order."""

    kind: str
    out_trade_no: str
    transaction_id: str
    amount_fen: int
    provider: str = ""
    event_id: str = ""  # the notification's id (EV-…)
    refund_id: str = ""
    out_refund_no: str = ""
    payer_openid: str = ""
    state: str = ""  # the provider's state: SUCCESS, PAYERROR, CLOSED, ABNORMAL …
    occurred_at: str = ""  # success_time, RFC 3339
    raw: dict = field(default_factory=dict)  # the decrypted resource as the provider sent it

    @property
    def provider_ref(self) -> str:
        if self.kind in (EventKind.REFUNDED, EventKind.REFUND_FAILED):
            return self.refund_id or self.out_refund_no
        return self.transaction_id


@dataclass(frozen=True)
class PaymentResult:
    """``query``: the provider's view of one order's payment."""

    out_trade_no: str
    state: str  # SUCCESS, NOTPAY, CLOSED, REFUND, PAYERROR, USERPAYING, REVOKED
    transaction_id: str = ""
    amount_fen: int = 0
    raw: dict = field(default_factory=dict)

    @property
    def paid(self) -> bool:
        return self.state in ("SUCCESS", "REFUND")


@dataclass(frozen=True)
class RefundResult:
    out_refund_no: str
    refund_id: str
    status: str  # SUCCESS, PROCESSING, CLOSED, ABNORMAL
    amount_fen: int
    raw: dict = field(default_factory=dict)


# --- The interface ----------------------------------------------------------------------------------


class PaymentBackend:
    """Every payment provider.  ``simulated = True`` marks a development
    stand-in (``manage.py check --deploy`` refuses it with DEBUG off);
    ``required_settings`` name the credentials a production adapter needs and
    ``check_settings()`` reports what is set but wrong (dealerops.E007)."""

    name = "base"
    simulated = False
    required_settings: tuple[str, ...] = ()

    @classmethod
    def check_settings(cls) -> list[str]:
        return []

    def prepay(self, order: PaymentOrder) -> dict:  # pragma: no cover - interface
        """Open the payment at the provider; returns the parameters of
        ``wx.requestPayment``: ``appId``, ``timeStamp``, ``nonceStr``,
        ``package`` ("prepay_id=…"), ``signType`` ("RSA"), ``paySign``."""
        raise NotImplementedError

    def query(self, out_trade_no: str) -> PaymentResult:  # pragma: no cover - interface
        raise NotImplementedError

    def close(self, out_trade_no: str) -> None:  # pragma: no cover - interface
        """Close an unpaid order at the provider (expiry, cancel) so it can
        no longer be paid."""
        raise NotImplementedError

    def refund(
        self, out_trade_no: str, out_refund_no: str, amount_fen: int, total_fen: int, reason: str = "",
        notify_url: str = "",
    ) -> RefundResult:  # pragma: no cover - interface
        raise NotImplementedError

    def parse_callback(self, headers: Mapping[str, str], body: bytes) -> PaymentEvent:  # pragma: no cover
        """Verify and decode one callback.  Raises ``PaymentSignatureError``
        (bad or missing signature, unknown serial, timestamp outside the
        tolerance) or ``PaymentCallbackError`` (unreadable, not ours)."""
        raise NotImplementedError


def get_backend() -> PaymentBackend:
    return import_string(settings.PAYMENT_BACKEND)()

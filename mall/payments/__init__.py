"""The payment layer of the mall: one interface (``base``), a local
simulation (``local``), the WeChat Pay v3 adapter (``wechatpay_v3``), the
webhook's service (``services``) and the hooks orders register into."""

from mall.payments.base import (  # noqa: F401
    EventKind, PaymentBackend, PaymentEvent, PaymentOrder, PaymentResult, RefundResult, fen_to_yuan, get_backend,
    yuan_to_fen,
)
from mall.payments.hooks import register_payment_handler, register_payment_order_resolver  # noqa: F401

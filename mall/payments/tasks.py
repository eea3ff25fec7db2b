"""django-q2 entry points of the payment layer: each calls one service."""

from __future__ import annotations

import time

from django.conf import settings

from mall.payments.services import payment_local_callback_send


def payment_local_callback(
    out_trade_no: str, amount_fen: int, notify_url: str, outcome: str = "paid", payer_openid: str = "",
    out_refund_no: str = "", refund_fen: int = 0,
) -> None:
    """The local backend's simulated WeChat Pay: a moment after ``prepay``
    (or ``refund``), post the signed callback to our webhook."""
    time.sleep(settings.PAYMENT_LOCAL_CALLBACK_DELAY)
    payment_local_callback_send(
        out_trade_no=out_trade_no, amount_fen=amount_fen, notify_url=notify_url, outcome=outcome,
        payer_openid=payer_openid, out_refund_no=out_refund_no, refund_fen=refund_fen,
    )

"""Every write of the payment layer.

``payment_callback_receive`` is the webhook's one call: the backend verifies
and decrypts the callback, the event is stored once
(``PaymentNotification``'s unique key on provider, kind and the provider's
id) and handed to the handler orders registered
(``mall.payments.hooks``), in one transaction.  A repeated callback — WeChat
Pay retries until it gets a success, a replay within the signature window —
finds the row and changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string

from mall.models_payments import PaymentNotification, PaymentNotificationStatus
from mall.payments import exceptions as errors
from mall.payments import hooks
from mall.payments.base import PaymentBackend, PaymentEvent, get_backend
from mall.payments.exceptions import PaymentError
from mall.payments.local import LocalPaymentBackend, deliver

logger = logging.getLogger(__name__)

PROCESSED = "processed"
DUPLICATE = "duplicate"


@dataclass(frozen=True)
class CallbackResult:
    notification: PaymentNotification
    status: str  # PROCESSED or DUPLICATE


def payment_callback_receive(
    *, headers: Mapping[str, str], body: bytes, backend: PaymentBackend | None = None,
) -> CallbackResult:
    """Verify one callback with the configured backend and apply it once.
    Raises ``PaymentSignatureError`` / ``PaymentCallbackError`` before
    anything is written."""
    backend = backend or get_backend()
    event = backend.parse_callback(headers, body)
    return payment_event_record(event=event)


def payment_event_record(*, event: PaymentEvent) -> CallbackResult:
    """Store ``event`` once and run the handler on it (same transaction)."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                notification = PaymentNotification.objects.create(
                    provider=event.provider, kind=event.kind, provider_ref=event.provider_ref,
                    event_id=event.event_id, out_trade_no=event.out_trade_no, transaction_id=event.transaction_id,
                    out_refund_no=event.out_refund_no, refund_id=event.refund_id, amount_fen=event.amount_fen,
                    state=event.state, payer_openid=event.payer_openid, raw=event.raw,
                )
        except IntegrityError:
            existing = PaymentNotification.objects.filter(
                provider=event.provider, kind=event.kind, provider_ref=event.provider_ref
            ).first()
            if existing is None:  # another constraint (a negative amount): not a repeat
                raise
            logger.info("payment callback %s %s for %s repeated", event.kind, event.provider_ref, event.out_trade_no)
            return CallbackResult(existing, DUPLICATE)
        _run_handler(notification, event)
    return CallbackResult(notification, PROCESSED)


def _run_handler(notification: PaymentNotification, event: PaymentEvent) -> None:
    outcome = hooks.handle(event)
    if outcome is None:
        logger.warning("payment callback %s for %s stored unhandled: no payment handler", event.kind, event.out_trade_no)
        return
    notification.status = PaymentNotificationStatus.HANDLED
    notification.outcome = outcome[:32]
    notification.handled_at = timezone.now()
    notification.save(update_fields=["status", "outcome", "handled_at"])


def payment_notification_event(notification: PaymentNotification) -> PaymentEvent:
    """The event a stored notification was made from."""
    return PaymentEvent(
        kind=notification.kind, out_trade_no=notification.out_trade_no, transaction_id=notification.transaction_id,
        amount_fen=notification.amount_fen, provider=notification.provider, event_id=notification.event_id,
        refund_id=notification.refund_id, out_refund_no=notification.out_refund_no,
        payer_openid=notification.payer_openid, state=notification.state,
        occurred_at=str(notification.raw.get("success_time", "")) if isinstance(notification.raw, dict) else "",
        raw=notification.raw,
    )


def payment_notification_dispatch(*, notification_id: int) -> bool:
    """Hand a stored, unhandled event to the handler (events that arrived
    before one was registered).  False when it was handled already or there
    is still no handler; safe to run twice (the row is locked and re-read)."""
    if hooks.payment_handler() is None:
        return False
    with transaction.atomic():
        notification = (
            PaymentNotification.objects.select_for_update(of=("self",))
            .filter(pk=notification_id, status=PaymentNotificationStatus.UNHANDLED).first()
        )
        if notification is None:
            return False
        _run_handler(notification, payment_notification_event(notification))
    return True


# --- The local simulation ------------------------------------------------------------------------


def payment_notify_url(request=None) -> str:
    """The absolute URL of our payment webhook, given to the provider as
    ``notify_url``: ``PAYMENT_NOTIFY_URL`` when set (production: the public
    https URL), else the URL the request came in on, else the development
    server's."""
    if settings.PAYMENT_NOTIFY_URL:
        return settings.PAYMENT_NOTIFY_URL
    path = reverse("api:mall:payment-webhook")
    if request is not None:
        return request.build_absolute_uri(path)
    return "http://127.0.0.1:8000" + path


def payment_local_callback_send(
    *, out_trade_no: str, amount_fen: int, notify_url: str, outcome: str = "paid", payer_openid: str = "",
    out_refund_no: str = "", refund_fen: int = 0, repeat: int = 0, timestamp: int | None = None,
) -> list[tuple[int, bytes]]:
    """Post the local backend's signed callback for one order (``outcome``
    ``paid``, ``failed`` or ``refunded``) to ``notify_url``, then the same
    event ``repeat`` more times (re-signed, as WeChat Pay's retries are).
    Returns each answer's (status, body)."""
    backend = LocalPaymentBackend()
    answers = []
    for _ in range(repeat + 1):
        headers, body = backend.callback(
            out_trade_no=out_trade_no, amount_fen=amount_fen, outcome=outcome, payer_openid=payer_openid,
            out_refund_no=out_refund_no, refund_fen=refund_fen, timestamp=timestamp,
        )
        status, answer = deliver(notify_url, headers, body)
        logger.info("local payments: %s callback of %s → %s", outcome, out_trade_no, status or "unreachable")
        answers.append((status, answer))
    return answers


def payment_backend_simulated() -> bool:
    """Is the configured backend a development stand-in (the local one)?"""
    return bool(getattr(import_string(settings.PAYMENT_BACKEND), "simulated", False))


def payment_local_simulate(*, out_trade_no: str, amount_fen: int, payer_openid: str = "") -> CallbackResult:
    """The simulated payer confirming at once (the mini-site's development
    "确认支付" page): the local backend's signed success callback, applied
    here through the webhook's own verification.  The callback ``prepay``
    queued may still arrive: it is the same event, stored once.  Refused
    (``PaymentError``) unless the configured backend is simulated."""
    if not payment_backend_simulated():
        raise PaymentError(errors.NOT_SIMULATED)
    backend = LocalPaymentBackend()
    headers, body = backend.callback(out_trade_no=out_trade_no, amount_fen=amount_fen, outcome="paid",
                                     payer_openid=payer_openid)
    return payment_callback_receive(headers=headers, body=body, backend=backend)

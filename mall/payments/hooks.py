"""Extension points of the payment layer for the orders that come on top of it.

Orders register, from ``MallConfig.ready()``:

``register_payment_handler(handler)``
    ``handler(*, event: PaymentEvent) -> str`` is called once per stored
    callback event (``mall.payments.services.payment_callback_receive``),
    inside the transaction that stores it: an exception rolls the row back and
    the webhook answers a failure, so WeChat Pay retries.  It must check
    ``event.amount_fen`` against the order and return an outcome code that is
    kept on the ``PaymentNotification`` (``"applied"``, ``"amount_mismatch"``,
    ``"refund_started"`` for a callback on an expired or cancelled order …).
    Without a handler an event is stored as unhandled, to be dispatched later
    (``payment_notification_dispatch``).
``register_payment_order_resolver(resolver)``
    ``resolver(number: str) -> PaymentOrder | None`` turns an order number into
    what the local backend needs to replay a callback
    (``manage.py payment_callback <number>``)."""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ImproperlyConfigured

from mall.payments.base import PaymentEvent, PaymentOrder

PaymentHandler = Callable[..., str]
OrderResolver = Callable[[str], "PaymentOrder | None"]

_handler: list[PaymentHandler] = []
_resolver: list[OrderResolver] = []


def _register(slot: list, fn, what: str) -> None:
    if slot and slot[0] is not fn:
        raise ImproperlyConfigured(f"a payment {what} is already registered ({slot[0]!r})")
    slot[:] = [fn]


def register_payment_handler(handler: PaymentHandler) -> None:
    _register(_handler, handler, "handler")


def payment_handler() -> PaymentHandler | None:
    return _handler[0] if _handler else None


def register_payment_order_resolver(resolver: OrderResolver) -> None:
    _register(_resolver, resolver, "order resolver")


def payment_order_resolve(number: str) -> PaymentOrder | None:
    return _resolver[0](number) if _resolver else None


def handle(event: PaymentEvent) -> str | None:
    """Run the registered handler; ``None`` when there is none."""
    handler = payment_handler()
    if handler is None:
        return None
    return handler(event=event) or ""

"""django-q2 entry points of the mall app: take ids, call one service."""

from __future__ import annotations

from mall.services import product_image_process as _product_image_process
from mall.services_orders import orders_expire as _orders_expire
from mall.services_referrals import orders_complete as _orders_complete


def product_image_process(image_id: int) -> int | None:
    """After an upload: process the product photo (sizes, thumbnail). Safe to run twice."""
    image = _product_image_process(image_id=image_id)
    return image.pk if image else None


def orders_expire() -> int:
    """Every minute: cancel the orders left unpaid past their deadline, giving
    back stock and points (``mall.services_orders.orders_expire``). Safe to run twice."""
    return _orders_expire()


def orders_complete() -> int:
    """Hourly: complete the orders past their refund window (fulfilled, or
    voucher-only and paid, ``MALL_REFUND_WINDOW_DAYS`` ago) and make their
    referral commission payable (``mall.services_referrals.orders_complete``).
    Safe to run twice."""
    return _orders_complete()

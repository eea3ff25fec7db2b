"""Reads of the payment layer.  Payment callbacks are not store data: staff
see payments through their orders (scoped there)."""

from __future__ import annotations

from django.db.models import QuerySet

from mall.models_payments import PaymentNotification, PaymentNotificationStatus


def payment_notification_latest(*, out_trade_no: str) -> PaymentNotification | None:
    return PaymentNotification.objects.filter(out_trade_no=out_trade_no).order_by("-received_at", "-id").first()


def payment_notifications_unhandled() -> QuerySet[PaymentNotification]:
    return PaymentNotification.objects.filter(status=PaymentNotificationStatus.UNHANDLED).order_by("received_at", "id")

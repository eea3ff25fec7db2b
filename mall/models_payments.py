"""Payment callbacks as received (imported at the end of ``mall/models.py``).

One row per provider event: the unique key (provider, kind, provider_ref)
makes a repeated callback change nothing (``mall.payments.services``)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PaymentEventKind(models.TextChoices):
    PAID = "paid", _("支付成功")
    FAILED = "failed", _("支付失败")
    REFUNDED = "refunded", _("退款成功")
    REFUND_FAILED = "refund_failed", _("退款异常")


class PaymentNotificationStatus(models.TextChoices):
    HANDLED = "handled", _("已处理")
    UNHANDLED = "unhandled", _("待处理")


class PaymentNotification(models.Model):
    """A verified payment callback, stored once.

    ``provider_ref`` is the provider's id of the event: the transaction id of
    a payment (paid/failed), the refund id of a refund.  ``outcome`` is what
    the orders handler made of it (``applied``, ``amount_mismatch`` …)."""

    provider = models.CharField(_("支付渠道"), max_length=32)
    kind = models.CharField(_("类型"), max_length=16, choices=PaymentEventKind.choices)
    provider_ref = models.CharField(_("渠道流水号"), max_length=64)
    event_id = models.CharField(_("通知编号"), max_length=64, blank=True)
    out_trade_no = models.CharField(_("订单号"), max_length=64, db_index=True)
    transaction_id = models.CharField(_("支付流水号"), max_length=64, blank=True)
    out_refund_no = models.CharField(_("退款单号"), max_length=64, blank=True)
    refund_id = models.CharField(_("渠道退款单号"), max_length=64, blank=True)
    amount_fen = models.BigIntegerField(_("金额（分）"))
    state = models.CharField(_("渠道状态"), max_length=32, blank=True)
    payer_openid = models.CharField(_("付款人 openid"), max_length=128, blank=True)
    raw = models.JSONField(_("回调内容"), default=dict)
    status = models.CharField(
        _("处理状态"), max_length=16, choices=PaymentNotificationStatus.choices, default=PaymentNotificationStatus.UNHANDLED
    )
    outcome = models.CharField(_("处理结果"), max_length=32, blank=True)
    received_at = models.DateTimeField(_("接收时间"), default=timezone.now)
    handled_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("支付回调")
        verbose_name_plural = _("支付回调")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "kind", "provider_ref"], name="payment_notification_once"),
            models.CheckConstraint(condition=models.Q(amount_fen__gte=0), name="payment_notification_amount_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.out_trade_no} {self.get_kind_display()}"

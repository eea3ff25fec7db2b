"""What follows a paid order (imported at the end of ``mall/models.py``):
the lead a new-car deposit made (``OrderLead``) and staff refunds
(``OrderRefund``).

Each refund is one row with its own number (the payment backend's
``out_refund_no``, ``<order number>-R<n>``) and the ledger entry that gave the
points back (key ``mall-refund:<refund number>``), so a retried refund never
pays twice and the order's ``refunded_cash`` / ``refunded_points`` are the
sums of its refunds."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mall.models_orders import Order


class OrderLead(models.Model):
    """The lead a paid deposit order created or updated, and the stage it had
    before it became ``ordered`` (where a refund sends it back)."""

    order = models.OneToOneField(Order, on_delete=models.CASCADE, related_name="deposit_lead", verbose_name=_("订单"))
    lead = models.ForeignKey("leads.Lead", on_delete=models.PROTECT, related_name="mall_orders",
                             verbose_name=_("线索"))
    stage_before = models.CharField(_("下订前阶段"), max_length=16, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("订金线索")
        verbose_name_plural = _("订金线索")

    def __str__(self) -> str:
        return f"{self.order} → {self.lead_id}"


class OrderRefund(models.Model):
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="refunds", verbose_name=_("订单"))
    number = models.CharField(_("退款单号"), max_length=64, unique=True)
    cash = models.DecimalField(_("退款现金（元）"), max_digits=12, decimal_places=2, default=Decimal("0"))
    points = models.PositiveIntegerField(_("退回积分"), default=0)
    reason = models.CharField(_("退款原因"), max_length=200)
    points_entry = models.ForeignKey(
        "membership.PointsEntry", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("积分退回记录"),
    )
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("操作人"))
    created_at = models.DateTimeField(_("退款时间"), default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name = _("商城退款")
        verbose_name_plural = _("商城退款")
        constraints = [
            models.CheckConstraint(name="mall_refund_cash_gte_0", condition=Q(cash__gte=0)),
            models.CheckConstraint(name="mall_refund_not_empty", condition=Q(cash__gt=0) | Q(points__gt=0)),
        ]

    def __str__(self) -> str:
        return self.number

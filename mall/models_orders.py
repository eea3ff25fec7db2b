"""Orders of the points mall (imported at the end of ``mall/models.py``).

An ``Order`` is one checkout at one store: its ``OrderLine`` rows keep a
snapshot of what was bought (name, unit prices) so a later price change does
not rewrite history.  Money is ``Decimal`` yuan, points whole numbers; every
amount is backed by a non-negative CheckConstraint.

States (``OrderStatus``)::

    pending_payment ──pay──▶ paid ──fulfil──▶ fulfilled ──▶ completed
          │                    └──refund──▶ refunded (full; a partial refund keeps the status
          │                                          and counts ``refunded_cash``/``refunded_points``)
          └──cancel / expiry──▶ cancelled (stock and points given back)

Every move is a compare-and-set on ``status`` (``filter(pk=…, status=old).update(…)``)
so a late payment callback racing the expiry job ends in exactly one outcome.

``pickup_code`` is what the owner shows at the counter: it appears only in
the owner's own order detail once paid, never in staff lists, audit rows or logs."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Member, Store


class OrderStatus(models.TextChoices):
    PENDING_PAYMENT = "pending_payment", _("待支付")
    PAID = "paid", _("已支付")
    FULFILLED = "fulfilled", _("已发货/已提货")
    COMPLETED = "completed", _("已完成")
    CANCELLED = "cancelled", _("已取消")
    REFUNDED = "refunded", _("已退款")


class OrderCloseReason(models.TextChoices):
    CANCELLED = "cancelled", _("会员取消")
    EXPIRED = "expired", _("超时未支付")


class Delivery(models.TextChoices):
    PICKUP = "pickup", _("到店自提")
    SHIPPING = "shipping", _("快递配送")


class Order(models.Model):
    number = models.CharField(_("订单号"), max_length=32, unique=True)
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="mall_orders", verbose_name=_("会员"))
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="mall_orders", verbose_name=_("门店"))
    status = models.CharField(_("状态"), max_length=16, choices=OrderStatus.choices,
                              default=OrderStatus.PENDING_PAYMENT, db_index=True)
    close_reason = models.CharField(_("关闭原因"), max_length=16, choices=OrderCloseReason.choices, blank=True)
    cash_total = models.DecimalField(_("现金合计（元）"), max_digits=12, decimal_places=2, default=Decimal("0"))
    cash_due = models.DecimalField(_("应付现金（元）"), max_digits=12, decimal_places=2, default=Decimal("0"))
    points_spent = models.PositiveIntegerField(_("使用积分"), default=0)
    # The ledger's spend entry (``mall-order:<number>``); refunds give back to it.
    points_entry = models.ForeignKey(
        "membership.PointsEntry", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("积分扣减记录"),
    )
    refunded_cash = models.DecimalField(_("已退现金（元）"), max_digits=12, decimal_places=2, default=Decimal("0"))
    refunded_points = models.PositiveIntegerField(_("已退积分"), default=0)
    delivery = models.CharField(_("配送方式"), max_length=16, choices=Delivery.choices, default=Delivery.PICKUP)
    recipient_name = models.CharField(_("收货人"), max_length=64, blank=True)
    recipient_phone = models.CharField(_("收货电话"), max_length=20, blank=True)
    address = models.CharField(_("收货地址"), max_length=200, blank=True)
    tracking_number = models.CharField(_("快递单号"), max_length=64, blank=True)
    pickup_code = models.CharField(_("提货码"), max_length=8, blank=True, editable=False)
    referral = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="mall_referred_orders",
        verbose_name=_("推荐员工"),
    )
    referral_code = models.CharField(_("推荐码"), max_length=12, blank=True)
    transaction_id = models.CharField(_("支付流水号"), max_length=64, blank=True)
    expires_at = models.DateTimeField(_("支付截止时间"), null=True, blank=True)
    paid_at = models.DateTimeField(_("支付时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    fulfilled_at = models.DateTimeField(_("发货/提货时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("下单时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("商城订单")
        verbose_name_plural = _("商城订单")
        indexes = [
            models.Index(fields=["member", "-created_at"], name="mall_order_member_created"),
            models.Index(fields=["store", "-created_at"], name="mall_order_store_created"),
            models.Index(fields=["status", "expires_at"], name="mall_order_status_expires"),
            # Reports (mall/selectors_reports.py): a store's or every store's orders paid in a date range.
            models.Index(fields=["store", "paid_at"], name="mall_order_store_paid"),
            models.Index(fields=["paid_at"], name="mall_order_paid"),
        ]
        constraints = [
            models.CheckConstraint(name="mall_order_cash_total_gte_0", condition=Q(cash_total__gte=0)),
            models.CheckConstraint(name="mall_order_cash_due_gte_0", condition=Q(cash_due__gte=0)),
            models.CheckConstraint(name="mall_order_cash_due_lte_total", condition=Q(cash_due__lte=models.F("cash_total"))),
            models.CheckConstraint(name="mall_order_refunded_cash_gte_0", condition=Q(refunded_cash__gte=0)),
        ]

    def __str__(self) -> str:
        return self.number


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines", verbose_name=_("订单"))
    sku = models.ForeignKey("mall.Sku", on_delete=models.PROTECT, related_name="order_lines", verbose_name=_("规格"))
    product = models.ForeignKey("mall.Product", on_delete=models.PROTECT, related_name="order_lines",
                                verbose_name=_("商品"))
    product_name = models.CharField(_("商品名称"), max_length=100)
    sku_name = models.CharField(_("规格"), max_length=64)
    # The flash-sale item the line was bought from (its sale price and stock); null for a plain line.
    flash_sale_item = models.ForeignKey("mall.FlashSaleItem", on_delete=models.PROTECT, null=True, blank=True,
                                        related_name="order_lines", verbose_name=_("秒杀商品"))
    quantity = models.PositiveIntegerField(_("数量"))
    unit_cash = models.DecimalField(_("现金单价（元）"), max_digits=12, decimal_places=2, default=Decimal("0"))
    unit_points = models.PositiveIntegerField(_("积分单价"), default=0)
    line_cash = models.DecimalField(_("现金小计（元）"), max_digits=12, decimal_places=2, default=Decimal("0"))
    line_points = models.PositiveIntegerField(_("积分小计"), default=0)

    class Meta:
        ordering = ["id"]
        verbose_name = _("订单明细")
        verbose_name_plural = _("订单明细")
        constraints = [
            models.CheckConstraint(name="mall_order_line_quantity_gt_0", condition=Q(quantity__gt=0)),
            models.CheckConstraint(name="mall_order_line_unit_cash_gte_0", condition=Q(unit_cash__gte=0)),
            models.CheckConstraint(name="mall_order_line_cash_gte_0", condition=Q(line_cash__gte=0)),
        ]

    def __str__(self) -> str:
        return f"{self.product_name} {self.sku_name} × {self.quantity}"

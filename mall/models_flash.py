"""Flash sales (秒杀) of the points mall (imported at the end of ``mall/models.py``).

A ``FlashSale`` row is one occurrence: a start, an end and its items.  A
weekly sale ("every Thursday 20:00–22:00") is a ``series`` of occurrences
created ahead by ``mall.services_flash.flash_sale_schedule_weekly``, each with
its own sale stock.  A ``FlashSaleItem`` sells one SKU at a sale price (cash,
points or both) from ``sale_stock`` units; ``sold`` counts the units held by
orders that are not cancelled (taken by a conditional UPDATE, given back on
cancel/expiry), never above ``sale_stock`` (a CheckConstraint)."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class FlashSale(models.Model):
    name = models.CharField(_("名称"), max_length=64)
    starts_at = models.DateTimeField(_("开始时间"), db_index=True)
    ends_at = models.DateTimeField(_("结束时间"), db_index=True)
    # Occurrences of one weekly sale share a series key (blank: a one-off sale).
    series = models.CharField(_("周期活动"), max_length=64, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = _("秒杀活动")
        verbose_name_plural = _("秒杀活动")
        constraints = [
            models.CheckConstraint(name="mall_flash_sale_ends_after_start", condition=Q(ends_at__gt=F("starts_at"))),
            models.UniqueConstraint(fields=["series", "starts_at"], condition=~Q(series=""),
                                    name="mall_flash_sale_series_occurrence"),
        ]

    def __str__(self) -> str:
        return self.name


class FlashSaleItem(models.Model):
    sale = models.ForeignKey(FlashSale, on_delete=models.CASCADE, related_name="items", verbose_name=_("秒杀活动"))
    sku = models.ForeignKey("mall.Sku", on_delete=models.PROTECT, related_name="flash_items", verbose_name=_("规格"))
    sale_price_cash = models.DecimalField(_("秒杀现金价（元）"), max_digits=12, decimal_places=2, null=True, blank=True)
    sale_price_points = models.PositiveIntegerField(_("秒杀积分价"), null=True, blank=True)
    sale_stock = models.PositiveIntegerField(_("秒杀库存"))
    sold = models.PositiveIntegerField(_("已售"), default=0)
    limit_per_member = models.PositiveIntegerField(_("每人限购"), default=1)

    class Meta:
        ordering = ["id"]
        verbose_name = _("秒杀商品")
        verbose_name_plural = _("秒杀商品")
        constraints = [
            models.CheckConstraint(name="mall_flash_item_sold_lte_stock", condition=Q(sold__lte=F("sale_stock"))),
            models.CheckConstraint(name="mall_flash_item_sold_gte_0", condition=Q(sold__gte=0)),
            models.CheckConstraint(name="mall_flash_item_limit_gt_0", condition=Q(limit_per_member__gt=0)),
            models.CheckConstraint(name="mall_flash_item_has_a_price",
                                   condition=Q(sale_price_cash__isnull=False) | Q(sale_price_points__isnull=False)),
            models.CheckConstraint(name="mall_flash_item_cash_positive",
                                   condition=Q(sale_price_cash__isnull=True) | Q(sale_price_cash__gt=0)),
            models.CheckConstraint(name="mall_flash_item_points_positive",
                                   condition=Q(sale_price_points__isnull=True) | Q(sale_price_points__gt=0)),
            models.UniqueConstraint(fields=["sale", "sku"], name="mall_flash_item_unique_sku"),
        ]

    @property
    def stock_left(self) -> int:
        return max(self.sale_stock - self.sold, 0)

    def __str__(self) -> str:
        return f"{self.sale} · {self.sku_id}"

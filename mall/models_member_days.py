"""Member days (会员日) of the points mall (imported at the end of ``mall/models.py``).

A ``MemberDay`` is one calendar date (Asia/Shanghai) on which members get,
by their card's tier, a percentage off the cash and/or points price of the
chosen products (``products``, or every product of ``categories`` and their
sub-categories), and a points multiplier on what they pay in cash for mall
orders that day.

Scope: ``store`` empty is a group member day (HQ), for the stores in
``stores`` (empty: every store); ``store`` set is that store's own member
day (its manager or HQ), which discounts the store's own products only.
One member day per date per scope: one group day per date, one per store
and date (unique constraints).  Where a group day and a store's day fall on
the same date, a member gets the better discount of the two for each product
and the higher multiplier (``mall.services_member_days``).

Limits (CheckConstraints, and the service's checks): a discount is 0–50 %,
the multiplier 1–10."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy as _

from accounts.models import Store
from membership.models import Tier

DISCOUNT_MAX = Decimal("50")
MULTIPLIER_MIN = Decimal("1")
MULTIPLIER_MAX = Decimal("10")


class MemberDay(models.Model):
    name = models.CharField(_("名称"), max_length=64, default="会员日")
    day = models.DateField(_("日期"), db_index=True)
    store = models.ForeignKey(
        Store, on_delete=models.PROTECT, null=True, blank=True, related_name="mall_member_days",
        verbose_name=_("所属门店"), help_text=_("留空为集团会员日"),
    )
    stores = models.ManyToManyField(
        Store, blank=True, related_name="mall_group_member_days", verbose_name=_("参与门店"),
        help_text=_("仅集团会员日：不选为全部门店"),
    )
    products = models.ManyToManyField("mall.Product", blank=True, related_name="+", verbose_name=_("折扣商品"))
    categories = models.ManyToManyField("mall.Category", blank=True, related_name="+", verbose_name=_("折扣分类"),
                                        help_text=_("分类下（含下级分类）的商品都参与折扣"))
    points_multiplier = models.DecimalField(_("积分倍数"), max_digits=4, decimal_places=2, default=Decimal("2.00"),
                                            help_text=_("当天商城现金消费所得积分的倍数（1–10）"))
    is_active = models.BooleanField(_("启用"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("创建人"))
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["day", "id"]
        verbose_name = _("会员日")
        verbose_name_plural = _("会员日")
        constraints = [
            models.CheckConstraint(name="mall_member_day_multiplier_range",
                                   condition=Q(points_multiplier__gte=MULTIPLIER_MIN, points_multiplier__lte=MULTIPLIER_MAX)),
            models.UniqueConstraint(fields=["day"], condition=Q(store__isnull=True), name="mall_member_day_group_date"),
            models.UniqueConstraint(fields=["store", "day"], condition=Q(store__isnull=False),
                                    name="mall_member_day_store_date"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.day:%Y-%m-%d}"

    @property
    def is_group(self) -> bool:
        return self.store_id is None


def zhe_text(off: Decimal) -> str:
    """A percentage off as a Chinese discount: 5 → "9.5折", 10 → "9折", 0 → ""."""
    if not off:
        return ""
    rate = (Decimal(100) - Decimal(off)) / 10
    text = f"{rate.normalize():f}"
    return gettext("%(rate)s折") % {"rate": text}


class MemberDayDiscount(models.Model):
    member_day = models.ForeignKey(MemberDay, on_delete=models.CASCADE, related_name="discounts",
                                   verbose_name=_("会员日"))
    tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="+", verbose_name=_("会员等级"))
    cash_off_percent = models.DecimalField(_("现金价优惠（%）"), max_digits=4, decimal_places=2, default=0)
    points_off_percent = models.DecimalField(_("积分价优惠（%）"), max_digits=4, decimal_places=2, default=0)

    class Meta:
        ordering = ["tier__level", "id"]
        verbose_name = _("会员日等级折扣")
        verbose_name_plural = _("会员日等级折扣")
        constraints = [
            models.UniqueConstraint(fields=["member_day", "tier"], name="mall_member_day_discount_tier"),
            models.CheckConstraint(name="mall_member_day_cash_off_range",
                                   condition=Q(cash_off_percent__gte=0, cash_off_percent__lte=DISCOUNT_MAX)),
            models.CheckConstraint(name="mall_member_day_points_off_range",
                                   condition=Q(points_off_percent__gte=0, points_off_percent__lte=DISCOUNT_MAX)),
        ]

    def __str__(self) -> str:
        return f"{self.member_day} · {self.tier_id}"

    @property
    def text(self) -> str:
        """"9折" when cash and points have the same discount, else "现金 9.5折 · 积分 9折"."""
        if self.cash_off_percent == self.points_off_percent:
            return zhe_text(self.cash_off_percent)
        parts = []
        if self.cash_off_percent:
            parts.append(gettext("现金 %(zhe)s") % {"zhe": zhe_text(self.cash_off_percent)})
        if self.points_off_percent:
            parts.append(gettext("积分 %(zhe)s") % {"zhe": zhe_text(self.points_off_percent)})
        return " · ".join(parts)

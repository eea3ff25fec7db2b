"""The points mall's catalogue: categories, suppliers, products with SKUs and
images, and each store's member zone (会员专区).

Where a product is sold:

* ``Product.store`` empty: a group product (集团商品), managed by HQ.  Its
  ``stores`` say which stores sell it; **empty means every store**.
* ``Product.store`` set: a store's own product, sold at that store only
  (``stores`` is not used) and managed by that store's manager (and HQ).

Who may see it: ``visible_tiers`` empty means every member; otherwise only
members whose card is at one of those tiers (a member without a card sees
only products visible to all).

Money is ``DecimalField(12, 2)`` yuan, points are whole numbers.  A SKU has a
cash price, a points price or both (mixed: "99 元 + 2,000 积分").  Its
``stock`` is one counter changed only by conditional UPDATEs
(``filter(stock__gte=n).update(stock=F("stock") - n)``) and can never go
below zero (a CheckConstraint backs it)."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy as _

from accounts.models import CarSeries, Store
from membership.models import CouponTemplate, Tier


class Category(models.Model):
    name = models.CharField(_("名称"), max_length=64)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("上级分类")
    )
    position = models.PositiveSmallIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("商品分类")
        verbose_name_plural = _("商品分类")
        constraints = [models.UniqueConstraint(fields=["parent", "name"], name="mall_category_name_unique")]

    def __str__(self) -> str:
        return f"{self.parent.name} / {self.name}" if self.parent_id else self.name


class Supplier(models.Model):
    name = models.CharField(_("名称"), max_length=100, unique=True)
    is_group_business = models.BooleanField(_("集团自营"), default=False, help_text=_("集团自有业务（售后、精品、保险等）"))
    contact = models.CharField(_("联系人"), max_length=64, blank=True)
    phone = models.CharField(_("联系电话"), max_length=32, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("供应商")
        verbose_name_plural = _("供应商")

    def __str__(self) -> str:
        return self.name


class ProductKind(models.TextChoices):
    GOODS = "goods", _("实物商品")
    SERVICE_VOUCHER = "service_voucher", _("服务券")
    DEPOSIT = "deposit", _("新车订金")
    OFFER = "offer", _("售后与续保优惠")


class PayKind(models.TextChoices):
    """How a SKU is priced (derived from which prices it has)."""

    CASH = "cash", _("现金")
    POINTS = "points", _("积分")
    MIXED = "mixed", _("现金+积分")


# A new-car deposit (新车订金) is between these amounts (yuan).
DEPOSIT_MIN = Decimal("2000")
DEPOSIT_MAX = Decimal("5000")


class Product(models.Model):
    name = models.CharField(_("商品名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=16, choices=ProductKind.choices, default=ProductKind.GOODS)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, null=True, blank=True, related_name="products", verbose_name=_("分类")
    )
    supplier = models.ForeignKey(
        Supplier, on_delete=models.PROTECT, null=True, blank=True, related_name="products", verbose_name=_("供应商")
    )
    description = models.TextField(_("商品介绍"), blank=True)
    # Empty: a group product (HQ); set: the store's own product, sold there only.
    store = models.ForeignKey(
        Store, on_delete=models.PROTECT, null=True, blank=True, related_name="mall_products", verbose_name=_("所属门店"),
        help_text=_("留空为集团商品"),
    )
    stores = models.ManyToManyField(
        Store, blank=True, related_name="mall_group_products", verbose_name=_("销售门店"),
        help_text=_("仅集团商品：留空为全部门店销售"),
    )
    visible_tiers = models.ManyToManyField(
        Tier, blank=True, related_name="+", verbose_name=_("可见会员等级"), help_text=_("留空为全部会员可见")
    )
    limit_per_member = models.PositiveIntegerField(_("每人限购"), null=True, blank=True, help_text=_("留空为不限"))
    delivery_pickup = models.BooleanField(_("到店自提"), default=True)
    delivery_shipping = models.BooleanField(_("快递配送"), default=False)
    # A service voucher becomes this coupon in the member's wallet when paid.
    coupon_template = models.ForeignKey(
        CouponTemplate, on_delete=models.PROTECT, null=True, blank=True, related_name="mall_products",
        verbose_name=_("对应券模板"), help_text=_("服务券支付后发放此券"),
    )
    # A new-car deposit offer: the series it is for and whether it is refundable.
    car_series = models.ForeignKey(
        CarSeries, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("车系")
    )
    deposit_refundable = models.BooleanField(_("订金可退"), default=True)
    is_active = models.BooleanField(_("上架"), default=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("商品")
        verbose_name_plural = _("商品")
        indexes = [models.Index(fields=["store", "is_active"], name="mall_product_store_active")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_group(self) -> bool:
        return self.store_id is None

    @property
    def cover(self) -> ProductImage | None:
        """The first image (by position), from a prefetch when there is one."""
        images = list(self.images.all())
        return min(images, key=lambda i: (i.position, i.pk)) if images else None


def pay_kind_q(pay: str, prefix: str = "") -> Q:
    """Rows (SKUs, or products through ``prefix="skus__"``) priced in ``pay``."""
    cash, points = f"{prefix}price_cash__isnull", f"{prefix}price_points__isnull"
    if pay == PayKind.CASH:
        return Q(**{cash: False, points: True})
    if pay == PayKind.POINTS:
        return Q(**{cash: True, points: False})
    return Q(**{cash: False, points: False})


class Sku(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="skus", verbose_name=_("商品"))
    name = models.CharField(_("规格"), max_length=64, help_text=_("如：颜色、尺码；只有一种时填“标准”"))
    price_cash = models.DecimalField(_("现金价（元）"), max_digits=12, decimal_places=2, null=True, blank=True)
    price_points = models.PositiveIntegerField(_("积分价"), null=True, blank=True)
    stock = models.IntegerField(_("库存"), default=0)
    position = models.PositiveSmallIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("规格（SKU）")
        verbose_name_plural = _("规格（SKU）")
        constraints = [
            models.CheckConstraint(name="mall_sku_stock_not_negative", condition=Q(stock__gte=0)),
            models.CheckConstraint(
                name="mall_sku_has_a_price", condition=Q(price_cash__isnull=False) | Q(price_points__isnull=False)
            ),
            models.CheckConstraint(
                name="mall_sku_cash_positive", condition=Q(price_cash__isnull=True) | Q(price_cash__gt=0)
            ),
            models.CheckConstraint(
                name="mall_sku_points_positive", condition=Q(price_points__isnull=True) | Q(price_points__gt=0)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product.name} {self.name}"

    @property
    def pay_kind(self) -> str:
        if self.price_cash is not None and self.price_points is not None:
            return PayKind.MIXED
        return PayKind.CASH if self.price_cash is not None else PayKind.POINTS

    @property
    def price_text(self) -> str:
        """What a member reads: "99 元", "2,000 积分" or "99 元 + 2,000 积分"."""
        parts = []
        if self.price_cash is not None:
            cash = self.price_cash
            amount = f"{cash:,.0f}" if cash == cash.to_integral_value() else f"{cash:,.2f}"
            parts.append(gettext("%(amount)s 元") % {"amount": amount})
        if self.price_points is not None:
            parts.append(gettext("%(points)s 积分") % {"points": f"{self.price_points:,}"})
        return " + ".join(parts)


class ProductImage(models.Model):
    """An uploaded photo: the original as uploaded (validated as a real JPEG,
    PNG or WebP) and, once the image task has run, its ``variants`` (size name
    → storage path, filled by the image pipeline)."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images", verbose_name=_("商品"))
    original = models.ImageField(_("原图"), upload_to="mall/products/%Y/%m/")
    variants = models.JSONField(_("处理后的尺寸"), default=dict, blank=True, editable=False)
    processed_at = models.DateTimeField(_("处理时间"), null=True, blank=True, editable=False)
    position = models.PositiveSmallIntegerField(_("排序"), default=0)
    created_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("商品图片")
        verbose_name_plural = _("商品图片")

    def __str__(self) -> str:
        return f"{self.product.name} #{self.position}"

    def url(self, size: str = "") -> str:
        """The URL of a processed size (``thumb``, ``medium`` …) when there is
        one, else the original's."""
        path = (self.variants or {}).get(size) if size else None
        if path:
            return self.original.storage.url(path)
        return self.original.url if self.original else ""


class StoreZone(models.Model):
    """A store's member zone (会员专区): its banner and intro; the zone shows
    the store's own products and the group products it features."""

    store = models.OneToOneField(Store, on_delete=models.CASCADE, related_name="mall_zone", verbose_name=_("门店"))
    title = models.CharField(_("专区标题"), max_length=64, blank=True)
    intro = models.TextField(_("专区介绍"), blank=True)
    banner = models.ImageField(_("横幅图"), upload_to="mall/zones/%Y/%m/", blank=True)
    featured = models.ManyToManyField(
        Product, through="ZoneFeature", blank=True, related_name="featured_in", verbose_name=_("推荐的集团商品")
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("门店专区")
        verbose_name_plural = _("门店专区")

    def __str__(self) -> str:
        return self.title or self.store.name

    @property
    def display_title(self) -> str:
        return self.title or gettext("%(store)s 会员专区") % {"store": self.store.name}


class ZoneFeature(models.Model):
    zone = models.ForeignKey(StoreZone, on_delete=models.CASCADE, related_name="features", verbose_name=_("专区"))
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+", verbose_name=_("商品"))
    position = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("专区推荐商品")
        verbose_name_plural = _("专区推荐商品")
        constraints = [models.UniqueConstraint(fields=["zone", "product"], name="mall_zone_feature_unique")]

    def __str__(self) -> str:
        return f"{self.zone} · {self.product}"


# The payment provider's notifications (mall/payments) live in their own module.
from mall.models_payments import PaymentEventKind, PaymentNotification, PaymentNotificationStatus  # noqa: E402,F401
# Orders and their lines (mall/models_orders.py).
from mall.models_orders import Delivery, Order, OrderCloseReason, OrderLine, OrderStatus  # noqa: E402,F401
# The deposit's lead and staff refunds (mall/models_refunds.py).
from mall.models_refunds import OrderLead, OrderRefund  # noqa: E402,F401
# Flash sales (mall/models_flash.py).
from mall.models_flash import FlashSale, FlashSaleItem  # noqa: E402,F401
# Employee referrals and commissions (mall/models_referrals.py).
from mall.models_referrals import (  # noqa: E402,F401
    ClickSource, Commission, CommissionKind, CommissionRule, CommissionStatement, CommissionStatus, ReferralClick,
    ShareLink, StatementStatus,
)
# Member days (mall/models_member_days.py).
from mall.models_member_days import MemberDay, MemberDayDiscount  # noqa: E402,F401

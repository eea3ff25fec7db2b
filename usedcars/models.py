"""Used cars (二手车): the stock (车源) and its listings.

- ``UsedCar``: one car the group holds, from a member's trade-in (linked to the
  member and their ``accounts.Vehicle``, which is marked traded in), a purchase from
  an outside seller or an auction; its VIN is unique among the cars still in stock.
  Its costs are the purchase price plus its ``ReconditioningCost`` lines; its
  ``ConditionReport`` (checklist ``ConditionItem`` rows, accident/flood/fire
  declaration) and ``StoreTransfer`` history hang off it.
- ``Listing`` (one per car): what the public sees once published, with the search
  columns (store, brand, series, mileage, first registration) copied from the car so
  the public search over 100k listings reads one table with indexes; its
  ``PriceChange`` history; its photos are the car's ``ListingPhoto`` rows.
- ``DepreciationRule``: the valuation helper's data (editable in admin).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.lookups import In
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import validators
from accounts.models import Brand, CarModel, CarSeries, Member, Store, Vehicle

MONEY = {"max_digits": 12, "decimal_places": 2}


class StockSource(models.TextChoices):
    TRADE_IN = "trade_in", _("会员置换")
    PURCHASE = "purchase", _("外部收购")
    AUCTION = "auction", _("拍卖")


class StockStatus(models.TextChoices):
    IN_STOCK = "in_stock", _("在库")
    RESERVED = "reserved", _("已预订")
    SOLD = "sold", _("已售出")
    REMOVED = "removed", _("已退库")


# A VIN is unique among the cars in these states (a sold car may come back later).
HELD_STATUSES = (StockStatus.IN_STOCK, StockStatus.RESERVED)


class ConditionGrade(models.TextChoices):
    A = "A", _("A 优秀")
    B = "B", _("B 良好")
    C = "C", _("C 一般")
    D = "D", _("D 较差")


class UsedCar(models.Model):
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="used_cars", verbose_name=_("所在门店"))
    source = models.CharField(_("车源"), max_length=16, choices=StockSource.choices)
    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, null=True, blank=True, related_name="used_cars", verbose_name=_("置换会员")
    )
    trade_in_vehicle = models.ForeignKey(
        Vehicle, on_delete=models.PROTECT, null=True, blank=True, related_name="used_cars",
        verbose_name=_("置换车辆"),
    )
    seller_name = models.CharField(_("卖方"), max_length=64, blank=True, help_text=_("外部收购的卖方或拍卖行。"))
    vin = models.CharField(_("车架号"), max_length=17, validators=[validators.validate_vin])
    plate = models.CharField(_("车牌号"), max_length=10, blank=True, validators=[validators.validate_plate])
    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="used_cars", verbose_name=_("品牌"))
    series = models.ForeignKey(
        CarSeries, on_delete=models.PROTECT, null=True, blank=True, related_name="used_cars", verbose_name=_("车系")
    )
    car_model = models.ForeignKey(
        CarModel, on_delete=models.PROTECT, null=True, blank=True, related_name="used_cars", verbose_name=_("车型")
    )
    model_name = models.CharField(_("车型名称"), max_length=100, blank=True)
    first_registration = models.DateField(_("首次上牌日期"))
    mileage = models.PositiveIntegerField(_("表显里程（公里）"))
    colour = models.CharField(_("颜色"), max_length=32, blank=True)
    transfer_count = models.PositiveSmallIntegerField(_("过户次数"), default=0)
    purchase_cost = models.DecimalField(_("收购价（元）"), **MONEY)
    status = models.CharField(_("库存状态"), max_length=16, choices=StockStatus.choices, default=StockStatus.IN_STOCK)
    stocked_at = models.DateTimeField(_("入库时间"), default=timezone.now)
    sold_at = models.DateTimeField(_("售出时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("录入人"),
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["-stocked_at", "-id"]
        verbose_name = _("二手车库存")
        verbose_name_plural = _("二手车库存")
        constraints = [
            models.UniqueConstraint(
                fields=["vin"], condition=Q(status__in=[s.value for s in HELD_STATUSES]),
                name="usedcar_vin_unique_in_stock",
            ),
            models.CheckConstraint(name="usedcar_purchase_cost_not_negative", condition=Q(purchase_cost__gte=0)),
            models.CheckConstraint(
                name="usedcar_trade_in_has_member",
                condition=~Q(source="trade_in") | Q(member__isnull=False, trade_in_vehicle__isnull=False),
            ),
        ]
        indexes = [
            models.Index(fields=["store", "status", "stocked_at"], name="usedcar_store_status"),
            models.Index(fields=["plate"], name="usedcar_plate"),
            models.Index(fields=["vin"], name="usedcar_vin"),
        ]

    def __str__(self) -> str:
        return " ".join(p for p in (self.brand.name if self.brand_id else "", self.model_name, self.plate or self.vin) if p)

    @property
    def days_in_stock(self) -> int:
        """Days from entry to today (to the sale once sold): the aging of the stock list."""
        end = self.sold_at or timezone.now()
        return max(0, (timezone.localdate(end) - timezone.localdate(self.stocked_at)).days)

    @property
    def age_months(self) -> int:
        return months_between(self.first_registration, timezone.localdate())

    def reconditioning_total(self) -> Decimal:
        return sum((c.amount for c in self.costs.all()), Decimal("0"))

    def total_cost(self) -> Decimal:
        return self.purchase_cost + self.reconditioning_total()


class ReconditioningCost(models.Model):
    """One reconditioning cost line (整备费用): parts, paint, detailing …"""

    car = models.ForeignKey(UsedCar, on_delete=models.CASCADE, related_name="costs", verbose_name=_("车辆"))
    description = models.CharField(_("项目"), max_length=100)
    amount = models.DecimalField(_("金额（元）"), **MONEY)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("录入人"),
    )
    created_at = models.DateTimeField(_("录入时间"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("整备费用")
        verbose_name_plural = _("整备费用")
        constraints = [models.CheckConstraint(name="usedcar_cost_not_negative", condition=Q(amount__gte=0))]

    def __str__(self) -> str:
        return f"{self.description} {self.amount}"


# The checklist a condition report covers (code, label), in the order inspectors walk it.
CHECKLIST = (
    ("exterior", _("外观漆面")),
    ("interior", _("内饰")),
    ("engine", _("发动机")),
    ("transmission", _("变速箱")),
    ("chassis", _("底盘悬挂")),
    ("electrical", _("电气设备")),
    ("tyres", _("轮胎")),
    ("brakes", _("制动系统")),
)
CHECKLIST_LABELS = dict(CHECKLIST)


class ConditionReport(models.Model):
    """The inspection of a car (车况报告): an overall grade, the checklist items, and
    the seller's declaration of accident, flood and fire damage."""

    car = models.OneToOneField(UsedCar, on_delete=models.CASCADE, related_name="condition", verbose_name=_("车辆"))
    grade = models.CharField(_("车况等级"), max_length=1, choices=ConditionGrade.choices)
    accident = models.BooleanField(_("重大事故"), default=False)
    flood = models.BooleanField(_("泡水"), default=False)
    fire = models.BooleanField(_("火烧"), default=False)
    declaration_note = models.CharField(_("声明说明"), max_length=500, blank=True)
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("检测人"),
    )
    inspected_at = models.DateTimeField(_("检测时间"), default=timezone.now)

    class Meta:
        verbose_name = _("车况报告")
        verbose_name_plural = _("车况报告")

    def __str__(self) -> str:
        return f"{self.car} {self.grade}"


class ConditionItem(models.Model):
    report = models.ForeignKey(ConditionReport, on_delete=models.CASCADE, related_name="items", verbose_name=_("车况报告"))
    item = models.CharField(_("检测项目"), max_length=32, choices=CHECKLIST)
    grade = models.CharField(_("等级"), max_length=1, choices=ConditionGrade.choices)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        ordering = ["report", "id"]
        verbose_name = _("检测项目")
        verbose_name_plural = _("检测项目")
        constraints = [models.UniqueConstraint(fields=["report", "item"], name="usedcar_condition_item_unique")]

    def __str__(self) -> str:
        return f"{self.get_item_display()} {self.grade}"


class StoreTransfer(models.Model):
    """A move of a car between stores (调拨): the history stays."""

    car = models.ForeignKey(UsedCar, on_delete=models.CASCADE, related_name="transfers", verbose_name=_("车辆"))
    from_store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+", verbose_name=_("调出门店"))
    to_store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+", verbose_name=_("调入门店"))
    note = models.CharField(_("备注"), max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("操作人"),
    )
    created_at = models.DateTimeField(_("调拨时间"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("门店调拨")
        verbose_name_plural = _("门店调拨")

    def __str__(self) -> str:
        return f"{self.car} {self.from_store.code} → {self.to_store.code}"


class ListingState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")
    RESERVED = "reserved", _("已预订")
    SOLD = "sold", _("已售出")
    WITHDRAWN = "withdrawn", _("已下架")


# The listings the public sees (the search and a listing's page).
PUBLIC_LISTING_STATES = (ListingState.PUBLISHED.value, ListingState.RESERVED.value)
_PUBLIC = Q(state__in=PUBLIC_LISTING_STATES)


class Listing(models.Model):
    """The public face of a car.  ``store``, ``brand``, ``series``, ``mileage`` and
    ``first_registration`` are copied from the car (kept in step by the services) so
    the public search filters and sorts one table on its indexes."""

    car = models.OneToOneField(UsedCar, on_delete=models.CASCADE, related_name="listing", verbose_name=_("车辆"))
    title = models.CharField(_("标题"), max_length=100)
    description = models.TextField(_("描述"), blank=True)
    highlights = models.JSONField(_("亮点"), default=list, blank=True)
    price = models.DecimalField(_("售价（元）"), null=True, blank=True, **MONEY)
    previous_price = models.DecimalField(_("调价前售价（元）"), null=True, blank=True, **MONEY)
    state = models.CharField(_("状态"), max_length=16, choices=ListingState.choices, default=ListingState.DRAFT)
    featured = models.BooleanField(_("推荐"), default=False)
    # Search columns (copies of the car's).
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="used_car_listings", verbose_name=_("门店"))
    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="used_car_listings", verbose_name=_("品牌"))
    series = models.ForeignKey(
        CarSeries, on_delete=models.PROTECT, null=True, blank=True, related_name="used_car_listings",
        verbose_name=_("车系"),
    )
    mileage = models.PositiveIntegerField(_("表显里程（公里）"))
    first_registration = models.DateField(_("首次上牌日期"))
    # Reservation and sale.
    deposit = models.DecimalField(_("订金（元）"), null=True, blank=True, **MONEY)
    buyer_name = models.CharField(_("买方姓名"), max_length=64, blank=True)
    buyer_mobile = models.CharField(_("买方手机号"), max_length=11, blank=True, validators=[validators.validate_mobile])
    sale_price = models.DecimalField(_("成交价（元）"), null=True, blank=True, **MONEY)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    reserved_at = models.DateTimeField(_("预订时间"), null=True, blank=True)
    sold_at = models.DateTimeField(_("售出时间"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("下架时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = _("二手车信息")
        verbose_name_plural = _("二手车信息")
        constraints = [
            models.CheckConstraint(name="usedcar_listing_price_positive", condition=Q(price__isnull=True) | Q(price__gt=0)),
            models.CheckConstraint(
                name="usedcar_listing_deposit_not_negative", condition=Q(deposit__isnull=True) | Q(deposit__gte=0)
            ),
        ]
        indexes = [
            models.Index(fields=["state", "store", "-published_at"], name="usedcar_listing_store"),
            models.Index(fields=["state", "featured", "-published_at"], name="usedcar_listing_featured"),
            # The public search (``state IN (published, reserved)``): partial indexes of
            # the public listings, one per sort order and per range or code filter, each
            # ending with what the search also reads (the store for the open-store check,
            # the sort columns), so a page's count and ids come from the index alone and
            # no search sorts every public listing (bench/usedcars_search.py).  State-first
            # indexes cannot return an IN over two states in order.  The search filters
            # with ``state__public_in`` so SQLite can match them.
            models.Index(fields=["-published_at", "-id", "store"], condition=_PUBLIC, name="usedcar_public_newest"),
            models.Index(fields=["price", "id", "store", "published_at"], condition=_PUBLIC,
                         name="usedcar_public_price"),
            models.Index(fields=["mileage", "id", "store", "published_at"], condition=_PUBLIC,
                         name="usedcar_public_mileage"),
            models.Index(fields=["brand", "series", "-published_at", "-id", "store"], condition=_PUBLIC,
                         name="usedcar_public_brand"),
            models.Index(fields=["first_registration", "-published_at", "-id", "store"], condition=_PUBLIC,
                         name="usedcar_public_age"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def price_dropped(self) -> bool:
        """The price-drop badge (降价): the last change lowered the price."""
        return self.previous_price is not None and self.price is not None and self.price < self.previous_price


class PublicStatesIn(In):
    """``state__public_in=PUBLIC_LISTING_STATES``: ``IN`` with the states written into
    the SQL rather than bound, as in the partial indexes' condition.  SQLite uses a
    partial index only when the query's own text implies its condition, and a bound
    parameter never does: with ``__in`` every public search sorted all public listings.
    Only this app's state codes (plain identifiers) are accepted."""

    lookup_name = "public_in"

    def process_rhs(self, compiler, connection):
        values = list(self.rhs)
        if not values or not all(isinstance(v, str) and v.isascii() and v.isidentifier() for v in values):
            raise ValueError("public_in takes state codes")
        return "(" + ", ".join(f"'{v}'" for v in values) + ")", ()


Listing._meta.get_field("state").register_lookup(PublicStatesIn)


class PriceChange(models.Model):
    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="price_changes", verbose_name=_("车辆信息"))
    old_price = models.DecimalField(_("原价（元）"), null=True, blank=True, **MONEY)
    new_price = models.DecimalField(_("新价（元）"), **MONEY)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("操作人"),
    )
    created_at = models.DateTimeField(_("调价时间"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("调价记录")
        verbose_name_plural = _("调价记录")

    def __str__(self) -> str:
        return f"{self.old_price} → {self.new_price}"


class PhotoStatus(models.TextChoices):
    PROCESSING = "processing", _("处理中")
    READY = "ready", _("已就绪")
    FAILED = "failed", _("处理失败")


class ListingPhoto(models.Model):
    """A photo of a car (shown on its listing).  The upload is stored as ``original``
    and answered at once (``processing``); the background task writes the upright,
    metadata-free, watermarked ``large`` (1600 px) and ``medium`` (800 px) and a square
    ``thumbnail`` and marks it ``ready`` (or ``failed``).  ``width``/``height`` are the
    large size's.  One photo per car is the cover; ``position`` orders them."""

    car = models.ForeignKey(UsedCar, on_delete=models.CASCADE, related_name="photos", verbose_name=_("车辆"))
    status = models.CharField(_("状态"), max_length=16, choices=PhotoStatus.choices, default=PhotoStatus.PROCESSING)
    original = models.ImageField(_("原图"), upload_to="usedcars/originals/%Y/%m/")
    large = models.ImageField(_("大图（1600）"), upload_to="usedcars/photos/%Y/%m/", blank=True)
    medium = models.ImageField(_("中图（800）"), upload_to="usedcars/photos/%Y/%m/", blank=True)
    thumbnail = models.ImageField(_("缩略图"), upload_to="usedcars/photos/%Y/%m/", blank=True)
    width = models.PositiveIntegerField(_("宽度"), null=True, blank=True)
    height = models.PositiveIntegerField(_("高度"), null=True, blank=True)
    position = models.PositiveSmallIntegerField(_("排序"), default=0)
    is_cover = models.BooleanField(_("封面"), default=False)
    error = models.CharField(_("失败原因"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("上传时间"), default=timezone.now)
    processed_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("车辆照片")
        verbose_name_plural = _("车辆照片")
        constraints = [
            models.UniqueConstraint(fields=["car"], condition=Q(is_cover=True), name="usedcar_one_cover_photo"),
        ]
        indexes = [models.Index(fields=["car", "position", "id"], name="usedcar_photo_order")]

    def __str__(self) -> str:
        return f"{self.car_id} #{self.position}"


class DepreciationKind(models.TextChoices):
    AGE = "age", _("车龄（月）")
    MILEAGE = "mileage", _("里程（公里）")
    GRADE = "grade", _("车况等级")


class DepreciationRule(models.Model):
    """One row of the valuation table (估价规则), edited in admin.  For ``age`` and
    ``mileage`` the rule applies up to ``upper_bound`` months or kilometres (the first
    rule whose bound is ≥ the car's value; beyond the last, the last); for ``grade``
    the rule of that grade.  The suggested price is the model's new (guide) price ×
    the three factors, ± ``spread``."""

    kind = models.CharField(_("类型"), max_length=16, choices=DepreciationKind.choices)
    upper_bound = models.PositiveIntegerField(_("上限"), null=True, blank=True, help_text=_("车龄按月、里程按公里。"))
    grade = models.CharField(_("车况等级"), max_length=1, choices=ConditionGrade.choices, blank=True)
    factor = models.DecimalField(_("保值系数"), max_digits=5, decimal_places=4, help_text=_("例如 0.8500 表示保值 85%。"))
    note = models.CharField(_("说明"), max_length=100, blank=True)

    class Meta:
        ordering = ["kind", "upper_bound", "grade"]
        verbose_name = _("估价规则")
        verbose_name_plural = _("估价规则")
        constraints = [
            models.CheckConstraint(name="usedcar_rule_factor_range", condition=Q(factor__gt=0, factor__lte=Decimal("1.5"))),
            models.CheckConstraint(
                name="usedcar_rule_shape",
                condition=(Q(kind="grade") & ~Q(grade="") & Q(upper_bound__isnull=True))
                | (~Q(kind="grade") & Q(grade="") & Q(upper_bound__isnull=False)),
            ),
            models.UniqueConstraint(fields=["kind", "upper_bound"], condition=Q(upper_bound__isnull=False),
                                    name="usedcar_rule_bound_unique"),
            models.UniqueConstraint(fields=["grade"], condition=Q(kind="grade"), name="usedcar_rule_grade_unique"),
        ]

    def __str__(self) -> str:
        bound = self.grade or self.upper_bound
        return f"{self.get_kind_display()} {bound}: {self.factor}"


def months_between(start: dt.date, end: dt.date) -> int:
    return max(0, (end.year - start.year) * 12 + end.month - start.month - (end.day < start.day))
from usedcars.models_inquiries import Inquiry, InquiryKind  # noqa: E402, F401

"""The rating rules (费率规则) as data: each row has the date it takes effect
(``effective_from``); the row in force on a date is the one of its key with the
latest ``effective_from`` on or before that date.  Regulators and insurers
change them, so they are edited in admin, never constants in code.

Seeded from ../shared/INSURANCE.md by ``insurance.rating_seed.seed_rating_rules``.
Tables marked ``is_sample`` hold believable sample figures (the commercial
benchmark premiums are each insurer's filed tables; the vehicle tax is set per
province), to be replaced with the real ones before production.

Bands: ``min_value``/``max_value`` with ``min_inclusive``/``max_inclusive``
(seat and tonnage bands include the lower bound and exclude the upper;
displacement and motorcycle cc bands exclude the lower and include the upper);
an empty bound is open."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Usage(models.TextChoices):
    """使用性质: with seats, tonnage or engine size it gives the vehicle class."""

    FAMILY = "family", _("家庭自用汽车")
    ENTERPRISE = "enterprise", _("企业非营业客车")
    GOVERNMENT = "government", _("机关非营业客车")
    TAXI_RENTAL = "taxi_rental", _("营业出租租赁")
    TRUCK_PRIVATE = "truck_private", _("非营业货车")
    TRUCK_COMMERCIAL = "truck_commercial", _("营业货车")
    MOTORCYCLE = "motorcycle", _("摩托车")


class BandUnit(models.TextChoices):
    SEATS = "seats", _("座")
    TONNES = "tonnes", _("吨")
    CC = "cc", _("毫升（CC）")


# Which measure a usage's classes are banded by.
USAGE_BAND_UNIT = {
    Usage.FAMILY: BandUnit.SEATS, Usage.ENTERPRISE: BandUnit.SEATS, Usage.GOVERNMENT: BandUnit.SEATS,
    Usage.TAXI_RENTAL: BandUnit.SEATS, Usage.TRUCK_PRIVATE: BandUnit.TONNES, Usage.TRUCK_COMMERCIAL: BandUnit.TONNES,
    Usage.MOTORCYCLE: BandUnit.CC,
}


class RegionScheme(models.TextChoices):
    """交强险 floating-rate scheme (方案 A–E) of a region."""

    A = "A", _("A 方案")
    B = "B", _("B 方案")
    C = "C", _("C 方案")
    D = "D", _("D 方案")
    E = "E", _("E 方案")


class HistoryLevel(models.TextChoices):
    """交强险 claim history (A0: a new vehicle or no record, rate 0)."""

    A0 = "A0", _("新车或无记录")
    A1 = "A1", _("上一年度未发生有责任道路交通事故")
    A2 = "A2", _("上两个年度未发生有责任道路交通事故")
    A3 = "A3", _("上三个及以上年度未发生有责任道路交通事故")
    A4 = "A4", _("上一年度发生一次有责任不涉及死亡的道路交通事故")
    A5 = "A5", _("上一年度发生两次及两次以上有责任道路交通事故")
    A6 = "A6", _("上一年度发生有责任道路交通死亡事故")


NCD_LEVELS = range(-4, 6)


class Band(models.Model):
    """A band of seats, tonnes or cc (abstract)."""

    min_value = models.DecimalField(_("下限"), max_digits=8, decimal_places=2, null=True, blank=True)
    min_inclusive = models.BooleanField(_("含下限"), default=True)
    max_value = models.DecimalField(_("上限"), max_digits=8, decimal_places=2, null=True, blank=True)
    max_inclusive = models.BooleanField(_("含上限"), default=False)

    class Meta:
        abstract = True

    def contains(self, value: Decimal) -> bool:
        if self.min_value is not None and (value < self.min_value or (value == self.min_value and not self.min_inclusive)):
            return False
        if self.max_value is not None and (value > self.max_value or (value == self.max_value and not self.max_inclusive)):
            return False
        return True


class Region(models.Model):
    """A rating region: a province, or a city rated on its own (深圳, 厦门, 大连,
    青岛, 宁波: ``parent`` is its province, used where the city has no row of
    its own, e.g. the vehicle tax)."""

    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=32, unique=True)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="cities", verbose_name=_("所属省份")
    )
    scheme = models.CharField(_("交强险浮动方案"), max_length=1, choices=RegionScheme.choices)

    class Meta:
        ordering = ["code"]
        verbose_name = _("费率地区")
        verbose_name_plural = _("费率地区")

    def __str__(self) -> str:
        return self.name


class PlatePrefix(models.Model):
    """A plate's first character (province, e.g. 粤) or first two (a city
    rated on its own, e.g. 粤B → 深圳); the longer prefix wins."""

    prefix = models.CharField(_("车牌前缀"), max_length=2, unique=True)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="plate_prefixes", verbose_name=_("地区"))

    class Meta:
        ordering = ["prefix"]
        verbose_name = _("车牌地区")
        verbose_name_plural = _("车牌地区")

    def __str__(self) -> str:
        return f"{self.prefix} → {self.region}"


class CompulsoryBasePremium(Band):
    """交强险 base premium (基础保费) of a vehicle class, yuan a year."""

    usage = models.CharField(_("使用性质"), max_length=20, choices=Usage.choices)
    name = models.CharField(_("车辆类别"), max_length=64)
    premium = models.DecimalField(_("基础保费（元）"), max_digits=10, decimal_places=2)
    effective_from = models.DateField(_("生效日期"))

    class Meta:
        ordering = ["usage", "min_value", "-effective_from"]
        verbose_name = _("交强险基础保费")
        verbose_name_plural = _("交强险基础保费")
        constraints = [
            models.UniqueConstraint(fields=["usage", "min_value", "max_value", "effective_from"],
                                    name="ins_compulsory_base_unique"),
            models.CheckConstraint(name="ins_compulsory_base_positive", condition=Q(premium__gt=0)),
        ]
        indexes = [models.Index(fields=["usage", "effective_from"], name="ins_compulsory_base_usage")]

    def __str__(self) -> str:
        return f"{self.name} {self.premium}"


class CompulsoryFloatingRate(models.Model):
    """交强险 floating rate A (浮动比率) of a scheme and history level, e.g. −0.30."""

    scheme = models.CharField(_("浮动方案"), max_length=1, choices=RegionScheme.choices)
    level = models.CharField(_("浮动等级"), max_length=2, choices=HistoryLevel.choices)
    rate = models.DecimalField(
        _("浮动比率"), max_digits=4, decimal_places=2, help_text=_("例如 -0.30 表示下浮 30%。"),
        validators=[MinValueValidator(Decimal("-0.99")), MaxValueValidator(Decimal("9.99"))],
    )
    effective_from = models.DateField(_("生效日期"))

    class Meta:
        ordering = ["scheme", "level", "-effective_from"]
        verbose_name = _("交强险浮动比率")
        verbose_name_plural = _("交强险浮动比率")
        constraints = [
            models.UniqueConstraint(fields=["scheme", "level", "effective_from"], name="ins_floating_rate_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.scheme} {self.level} {self.rate}"


class VehicleTaxRate(Band):
    """车船税 of a passenger car's displacement band (litres), yuan a year, per
    region (empty: the default where a region has no row)."""

    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, null=True, blank=True, related_name="tax_rates", verbose_name=_("地区"),
        help_text=_("留空表示未单独规定税额的地区均适用。"),
    )
    amount = models.DecimalField(_("年税额（元）"), max_digits=10, decimal_places=2)
    effective_from = models.DateField(_("生效日期"))
    is_sample = models.BooleanField(_("示例数据"), default=True)

    class Meta:
        ordering = ["region", "min_value", "-effective_from"]
        verbose_name = _("车船税税额")
        verbose_name_plural = _("车船税税额")
        constraints = [
            models.UniqueConstraint(fields=["region", "min_value", "max_value", "effective_from"],
                                    name="ins_vehicle_tax_unique"),
            models.CheckConstraint(name="ins_vehicle_tax_not_negative", condition=Q(amount__gte=0)),
        ]

    def __str__(self) -> str:
        return f"{self.region or _('默认')} {self.min_value}–{self.max_value} {self.amount}"


class Coverage(models.Model):
    """A commercial coverage (险种): a main one or an add-on that needs its base
    (``requires``).  ``offered_sums`` lists the sums insured offered (yuan;
    empty: none asked, e.g. vehicle damage insures the vehicle's price)."""

    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    is_addon = models.BooleanField(_("附加险"), default=False)
    requires = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="addons", verbose_name=_("需同时投保")
    )
    per_seat = models.BooleanField(_("按座投保"), default=False)
    offered_sums = models.JSONField(_("可选保额（元）"), default=list, blank=True)
    position = models.PositiveSmallIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("可投保"), default=True)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("商业险险种")
        verbose_name_plural = _("商业险险种")

    def __str__(self) -> str:
        return self.name


class CommercialBenchmark(Band):
    """商业险 benchmark premium (基准保费) of a coverage for a usage and seat
    band (the band), a vehicle price band and, where the coverage has sums,
    one sum insured (an insurer's own row wins over the common one):  ``base + rate × measure`` where the measure is the
    vehicle's price (vehicle damage) or the sum insured (per seat for seat
    covers; else 0).  Sample data until the insurer's filed tables replace it."""

    coverage = models.ForeignKey(Coverage, on_delete=models.PROTECT, related_name="benchmarks", verbose_name=_("险种"))
    insurer = models.ForeignKey(
        "insurance.Insurer", on_delete=models.PROTECT, null=True, blank=True, related_name="benchmarks",
        verbose_name=_("保险公司"), help_text=_("留空表示各保险公司通用；填写后该公司优先使用本行。"),
    )
    usage = models.CharField(_("使用性质"), max_length=20, choices=Usage.choices)
    price_min = models.DecimalField(_("新车购置价下限（元，含）"), max_digits=12, decimal_places=2, null=True, blank=True)
    price_max = models.DecimalField(_("新车购置价上限（元，不含）"), max_digits=12, decimal_places=2, null=True, blank=True)
    sum_insured = models.DecimalField(_("保额（元）"), max_digits=12, decimal_places=2, null=True, blank=True,
                                      help_text=_("留空表示按费率计算，适用于任一可选保额。"))
    base = models.DecimalField(_("基础保费（元）"), max_digits=10, decimal_places=2, default=Decimal("0"))
    rate = models.DecimalField(_("费率"), max_digits=8, decimal_places=6, default=Decimal("0"))
    effective_from = models.DateField(_("生效日期"))
    is_sample = models.BooleanField(_("示例数据"), default=True)

    class Meta:
        ordering = ["coverage", "usage", "min_value", "price_min", "sum_insured", "-effective_from"]
        verbose_name = _("商业险基准保费")
        verbose_name_plural = _("商业险基准保费")
        constraints = [
            models.UniqueConstraint(
                fields=["coverage", "insurer", "usage", "min_value", "max_value", "price_min", "price_max",
                        "sum_insured", "effective_from"],
                name="ins_benchmark_unique",
            ),
            models.CheckConstraint(name="ins_benchmark_not_negative", condition=Q(base__gte=0, rate__gte=0)),
        ]
        indexes = [models.Index(fields=["coverage", "usage", "effective_from"], name="ins_benchmark_lookup")]

    def __str__(self) -> str:
        return f"{self.coverage} {self.get_usage_display()} {self.base}+{self.rate}"

    def in_price_band(self, price: Decimal | None) -> bool:
        if self.price_min is None and self.price_max is None:
            return True
        if price is None:
            return False
        return (self.price_min is None or price >= self.price_min) and (self.price_max is None or price < self.price_max)


class NcdCoefficient(models.Model):
    """无赔款优待系数 of an NCD level (−4…+5)."""

    level = models.SmallIntegerField(_("NCD 等级"), validators=[MinValueValidator(-4), MaxValueValidator(5)])
    coefficient = models.DecimalField(_("系数"), max_digits=4, decimal_places=2)
    effective_from = models.DateField(_("生效日期"))

    class Meta:
        ordering = ["level", "-effective_from"]
        verbose_name = _("无赔款优待系数")
        verbose_name_plural = _("无赔款优待系数")
        constraints = [
            models.UniqueConstraint(fields=["level", "effective_from"], name="ins_ncd_unique"),
            models.CheckConstraint(name="ins_ncd_level_range", condition=Q(level__gte=-4, level__lte=5)),
            models.CheckConstraint(name="ins_ncd_positive", condition=Q(coefficient__gt=0)),
        ]

    def __str__(self) -> str:
        return f"{self.level}: {self.coefficient}"


class CoefficientRange(models.Model):
    """A range in force from a date, for a region (empty: every region without
    its own row in force)."""

    region = models.ForeignKey(Region, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name=_("地区"), help_text=_("留空表示全国。"))
    minimum = models.DecimalField(_("下限"), max_digits=4, decimal_places=2)
    maximum = models.DecimalField(_("上限"), max_digits=4, decimal_places=2)
    effective_from = models.DateField(_("生效日期"))
    note = models.CharField(_("依据"), max_length=200, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.region or _('全国')} [{self.minimum}, {self.maximum}] {self.effective_from}"


class PricingCoefficientRange(CoefficientRange):
    """自主定价系数 range in force on a date (per region, or national)."""

    class Meta:
        ordering = ["region", "-effective_from"]
        verbose_name = _("自主定价系数范围")
        verbose_name_plural = _("自主定价系数范围")
        constraints = [
            models.UniqueConstraint(fields=["region", "effective_from"], name="ins_pricing_range_unique"),
            models.CheckConstraint(name="ins_pricing_range_order",
                                   condition=Q(minimum__gt=0, maximum__gte=models.F("minimum"))),
        ]


class ViolationCoefficientRange(CoefficientRange):
    """交通违法系数 range of a region that uses one (regions without a row do not)."""

    is_sample = models.BooleanField(_("待核实数据"), default=True)

    class Meta:
        ordering = ["region", "-effective_from"]
        verbose_name = _("交通违法系数范围")
        verbose_name_plural = _("交通违法系数范围")
        constraints = [
            models.UniqueConstraint(fields=["region", "effective_from"], name="ins_violation_range_unique"),
            models.CheckConstraint(name="ins_violation_range_order",
                                   condition=Q(minimum__gt=0, maximum__gte=models.F("minimum"))),
        ]

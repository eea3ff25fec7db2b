"""Series and models of the vehicle catalogue (车型库).  Brands are
``accounts.models.Brand``; these are imported by ``accounts.models`` so they
belong to the accounts app."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class EnergyType(models.TextChoices):
    PETROL = "petrol", _("汽油")
    HYBRID = "hybrid", _("油电混合")
    PLUGIN = "plugin", _("插电式混合动力")
    EXTENDED_RANGE = "erev", _("增程式")
    ELECTRIC = "electric", _("纯电动")


# New-energy vehicles (新能源): green plates, battery capacity on file.
NEW_ENERGY_TYPES = frozenset({EnergyType.PLUGIN, EnergyType.EXTENDED_RANGE, EnergyType.ELECTRIC})


class BodyType(models.TextChoices):
    SEDAN = "sedan", _("轿车")
    HATCHBACK = "hatchback", _("两厢车")
    SUV = "suv", _("SUV")
    MPV = "mpv", _("MPV")
    WAGON = "wagon", _("旅行车")
    COUPE = "coupe", _("跑车")
    PICKUP = "pickup", _("皮卡")


class CarSeries(models.Model):
    """A series (车系) of a brand, e.g. 大众 朗逸.  ``code`` is stable for
    API clients; ``aliases`` are other names customers and dealer systems
    use for it (comma-separated)."""

    brand = models.ForeignKey("accounts.Brand", on_delete=models.PROTECT, related_name="series", verbose_name=_("品牌"))
    code = models.SlugField(_("车系代码"), max_length=64, unique=True)
    name = models.CharField(_("车系名称"), max_length=64)
    maker = models.CharField(_("厂商"), max_length=64, blank=True, help_text=_("例如：上汽大众、一汽-大众。"))
    aliases = models.CharField(
        _("别名"), max_length=200, blank=True, help_text=_("客户和系统常用的其他叫法，用逗号分隔。")
    )
    position = models.PositiveSmallIntegerField(_("排序"), default=0, help_text=_("越小越靠前（如按销量）。"))
    is_active = models.BooleanField(_("在售/可选"), default=True, help_text=_("取消后不再出现在选择列表中，已登记的车辆不受影响。"))
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["brand__code", "position", "name"]
        verbose_name = _("车系")
        verbose_name_plural = _("车系")
        constraints = [models.UniqueConstraint(fields=["brand", "name"], name="car_series_brand_name_unique")]

    def __str__(self) -> str:
        return self.name


class CarModel(models.Model):
    """A model (车型) of a series: one model year and trim, with what
    insurance (vehicle-damage cover) and used cars (valuation) read: the
    manufacturer's guide price (指导价, yuan), energy type, displacement
    (litres) or battery (kWh), body and seats."""

    series = models.ForeignKey(CarSeries, on_delete=models.PROTECT, related_name="models", verbose_name=_("车系"))
    name = models.CharField(_("车型名称"), max_length=100, help_text=_("例如：2025款 1.5L 自动满逸版。"))
    year = models.PositiveSmallIntegerField(_("年款"))
    body_type = models.CharField(_("车身类型"), max_length=16, choices=BodyType.choices)
    seats = models.PositiveSmallIntegerField(_("座位数"))
    energy_type = models.CharField(_("能源类型"), max_length=16, choices=EnergyType.choices)
    displacement = models.DecimalField(_("排量（升）"), max_digits=3, decimal_places=1, null=True, blank=True)
    battery_kwh = models.DecimalField(_("电池容量（kWh）"), max_digits=5, decimal_places=1, null=True, blank=True)
    guide_price = models.DecimalField(_("厂商指导价（元）"), max_digits=10, decimal_places=2)
    is_active = models.BooleanField(_("在售/可选"), default=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["series", "-year", "guide_price", "id"]
        verbose_name = _("车型")
        verbose_name_plural = _("车型")
        constraints = [
            models.UniqueConstraint(fields=["series", "year", "name"], name="car_model_series_year_name_unique"),
            models.CheckConstraint(name="car_model_year_plausible", condition=Q(year__gte=1980, year__lte=2100)),
            models.CheckConstraint(name="car_model_seats_plausible", condition=Q(seats__gte=1, seats__lte=9)),
            models.CheckConstraint(name="car_model_price_positive", condition=Q(guide_price__gt=0)),
            models.CheckConstraint(
                name="car_model_displacement_positive", condition=Q(displacement__isnull=True) | Q(displacement__gt=0)
            ),
            models.CheckConstraint(
                name="car_model_battery_positive", condition=Q(battery_kwh__isnull=True) | Q(battery_kwh__gt=0)
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_new_energy(self) -> bool:
        return self.energy_type in NEW_ENERGY_TYPES

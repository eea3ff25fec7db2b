"""Lead allocation (线索分配): each store's distribution rule, edited by its
manager, and the brands / catalogue series a consultant is skilled in.  The
rules themselves live in ``leads.services.allocation``."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Brand, CarSeries, Store


class DistributionMode(models.TextChoices):
    ROUND_ROBIN = "round_robin", _("在岗顾问轮流分配")
    FEWEST_OPEN = "fewest_open", _("进行中线索最少者优先")


class DistributionRule(models.Model):
    """分配规则: one per store.  ``rr_pointer`` is the id of the last user the
    round robin picked; allocation reads and moves it with the rule row
    locked (``select_for_update``), so concurrent allocations take turns."""

    store = models.OneToOneField(Store, on_delete=models.CASCADE, related_name="distribution_rule", verbose_name=_("门店"))
    mode = models.CharField(_("分配方式"), max_length=16, choices=DistributionMode.choices,
                            default=DistributionMode.ROUND_ROBIN)
    use_skills = models.BooleanField(_("按品牌/车系专长分配"), default=False,
                                     help_text=_("意向车系或品牌有专长顾问时，优先分给他们"))
    online_to_dcc = models.BooleanField(
        _("线上线索先分给 DCC"), default=False,
        help_text=_("厂家下发、汽车网站、小程序和 DCC 外呼的线索先由 DCC 跟进，邀约成功后按规则转给销售顾问"),
    )
    walkin_to_receiver = models.BooleanField(_("到店客户归接待顾问"), default=True,
                                             help_text=_("自然到店的线索分给登记它的顾问"))
    daily_cap = models.PositiveSmallIntegerField(_("每人每日新线索上限"), default=0, help_text=_("0 表示不限"))
    first_contact_hours = models.PositiveSmallIntegerField(_("首次联系时限（小时）"), default=4)
    rr_pointer = models.PositiveBigIntegerField(_("轮流分配位置"), default=0, editable=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("修改人"),
    )
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)

    class Meta:
        verbose_name = _("线索分配规则")
        verbose_name_plural = _("线索分配规则")
        constraints = [models.CheckConstraint(name="distribution_rule_hours_positive", condition=Q(first_contact_hours__gte=1))]

    def __str__(self) -> str:
        return f"{self.store.code} {self.get_mode_display()}"


class ConsultantSkill(models.Model):
    """A consultant's (or DCC agent's) speciality: a brand, a catalogue series, or both."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lead_skills",
                             verbose_name=_("顾问"))
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, null=True, blank=True, related_name="+",
                              verbose_name=_("品牌"))
    series = models.ForeignKey(CarSeries, on_delete=models.CASCADE, null=True, blank=True, related_name="+",
                               verbose_name=_("车系"))

    class Meta:
        ordering = ["user_id", "id"]
        verbose_name = _("顾问专长")
        verbose_name_plural = _("顾问专长")
        constraints = [
            models.CheckConstraint(name="skill_brand_or_series", condition=Q(brand__isnull=False) | Q(series__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.series or self.brand}"

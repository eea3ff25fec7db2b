"""Insurers, policies and their coverage lines.

A policy (保单) belongs to one vehicle (``accounts.Vehicle``; ``plate`` and
``vin`` are kept as written on the policy, and stay if the owner removes the
car, when ``vehicle`` becomes empty): 交强险
(compulsory) or 商业险 (commercial, with ``PolicyCoverage`` lines).  ``store``
is the store responsible for it (that sold it, or that the import gave it
to): staff reads are scoped by it.  ``at_fault_claims`` and ``fatal_claim``
record the policy year's at-fault claims: the calculator reads them for the
交强险 history level and the NCD level of the next year.

Ready for the renewal pipeline: ``renewal_of`` links a renewal to the policy
it renews, ``quote`` to the quote it was sold from; indexes serve the daily
sweep (``end_date`` ranges over every store, or one store's)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Store, Vehicle
from insurance.models_rating import Coverage


class Insurer(models.Model):
    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=64, unique=True)
    short_name = models.CharField(_("简称"), max_length=16, blank=True)
    is_active = models.BooleanField(_("合作中"), default=True)
    position = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("保险公司")
        verbose_name_plural = _("保险公司")

    def __str__(self) -> str:
        return self.short_name or self.name


class PolicyKind(models.TextChoices):
    COMPULSORY = "compulsory", _("交强险")
    COMMERCIAL = "commercial", _("商业险")


class PolicyStatus(models.TextChoices):
    ACTIVE = "active", _("有效")
    CANCELLED = "cancelled", _("已退保")


class PolicySource(models.TextChoices):
    SOLD = "sold", _("门店出单")
    IMPORTED = "imported", _("保险公司导入")
    RENEWAL = "renewal", _("续保")


class Policy(models.Model):
    # SET_NULL: an owner may remove a sold car from their list; its policies stay on record
    # (renewal and premium reports) with the plate and VIN they were written for.
    vehicle = models.ForeignKey(Vehicle, on_delete=models.SET_NULL, null=True, blank=True, related_name="policies",
                                verbose_name=_("车辆"))
    plate = models.CharField(_("车牌号"), max_length=10, blank=True, db_index=True)
    vin = models.CharField(_("车架号"), max_length=17, blank=True)
    kind = models.CharField(_("险别"), max_length=16, choices=PolicyKind.choices)
    insurer = models.ForeignKey(Insurer, on_delete=models.PROTECT, related_name="policies", verbose_name=_("保险公司"))
    number = models.CharField(_("保单号"), max_length=64)
    start_date = models.DateField(_("起保日期"))
    end_date = models.DateField(_("终保日期"))
    premium = models.DecimalField(_("保费合计（元）"), max_digits=12, decimal_places=2)
    vehicle_tax = models.DecimalField(_("代收车船税（元）"), max_digits=10, decimal_places=2, null=True, blank=True)
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="policies", verbose_name=_("门店"))
    specialist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="sold_policies",
        verbose_name=_("续保专员"),
    )
    at_fault_claims = models.PositiveSmallIntegerField(_("本保单年度有责出险次数"), default=0)
    fatal_claim = models.BooleanField(_("有责死亡事故"), default=False)
    status = models.CharField(_("状态"), max_length=16, choices=PolicyStatus.choices, default=PolicyStatus.ACTIVE)
    source = models.CharField(_("来源"), max_length=16, choices=PolicySource.choices, default=PolicySource.SOLD)
    renewal_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="renewals", verbose_name=_("续保自")
    )
    quote = models.ForeignKey(
        "insurance.Quote", on_delete=models.SET_NULL, null=True, blank=True, related_name="policies",
        verbose_name=_("报价单"),
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["-end_date", "-id"]
        verbose_name = _("保单")
        verbose_name_plural = _("保单")
        constraints = [
            models.UniqueConstraint(fields=["insurer", "number"], name="ins_policy_number_unique"),
            models.CheckConstraint(name="ins_policy_dates", condition=Q(end_date__gt=F("start_date"))),
            models.CheckConstraint(name="ins_policy_premium_not_negative", condition=Q(premium__gte=0)),
        ]
        indexes = [
            # The renewal sweep: policies ending in a date range, every store or one.
            models.Index(fields=["end_date", "store"], name="ins_policy_end_store"),
            models.Index(fields=["store", "end_date"], name="ins_policy_store_end"),
            # A vehicle's history for the rating (latest first).
            models.Index(fields=["vehicle", "kind", "-end_date"], name="ins_policy_vehicle_kind_end"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"


class PolicyCoverage(models.Model):
    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="coverages", verbose_name=_("保单"))
    coverage = models.ForeignKey(Coverage, on_delete=models.PROTECT, related_name="+", verbose_name=_("险种"))
    sum_insured = models.DecimalField(_("保额（元）"), max_digits=12, decimal_places=2, null=True, blank=True)
    seats = models.PositiveSmallIntegerField(_("投保座位数"), null=True, blank=True)
    premium = models.DecimalField(_("保费（元）"), max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["policy", "coverage__position", "id"]
        verbose_name = _("保单险种")
        verbose_name_plural = _("保单险种")
        constraints = [
            models.UniqueConstraint(fields=["policy", "coverage"], name="ins_policy_coverage_unique"),
            models.CheckConstraint(name="ins_policy_coverage_premium", condition=Q(premium__gte=0)),
        ]

    def __str__(self) -> str:
        return f"{self.coverage} {self.premium}"

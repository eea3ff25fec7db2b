"""A saved premium quote (报价单): the inputs, the factors used and the
breakdown, as the calculator answered them, for one vehicle (or a plate not
on file yet).  Sent to the owner and accepted later (the pipeline's work)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Member, Store, Vehicle
from insurance.models_policies import Insurer


class QuoteStatus(models.TextChoices):
    DRAFT = "draft", _("已报价")
    SENT = "sent", _("已发送")
    ACCEPTED = "accepted", _("已接受")
    CALL_ME = "call_me", _("请致电")
    EXPIRED = "expired", _("已过期")


class Quote(models.Model):
    store = models.ForeignKey(Store, on_delete=models.PROTECT, null=True, blank=True, related_name="insurance_quotes",
                              verbose_name=_("门店"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("报价人"))
    vehicle = models.ForeignKey(Vehicle, on_delete=models.SET_NULL, null=True, blank=True, related_name="insurance_quotes",
                                verbose_name=_("车辆"))
    member = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="insurance_quotes",
                               verbose_name=_("车主"))
    plate = models.CharField(_("车牌号"), max_length=10, blank=True)
    insurer = models.ForeignKey(Insurer, on_delete=models.PROTECT, related_name="quotes", verbose_name=_("保险公司"))
    start_date = models.DateField(_("起保日期"))
    region = models.CharField(_("费率地区"), max_length=32)
    history_level = models.CharField(_("交强险浮动等级"), max_length=2)
    ncd_level = models.SmallIntegerField(_("NCD 等级"))
    compulsory_premium = models.DecimalField(_("交强险保费（元）"), max_digits=12, decimal_places=2)
    vehicle_tax = models.DecimalField(_("车船税（元）"), max_digits=10, decimal_places=2)
    commercial_total = models.DecimalField(_("商业险保费（元）"), max_digits=12, decimal_places=2)
    total = models.DecimalField(_("合计（元）"), max_digits=12, decimal_places=2)
    inputs = models.JSONField(_("报价条件"), default=dict)
    breakdown = models.JSONField(_("保费明细"), default=dict)
    status = models.CharField(_("状态"), max_length=16, choices=QuoteStatus.choices, default=QuoteStatus.DRAFT)
    valid_until = models.DateField(_("有效期至"))
    created_at = models.DateTimeField(_("报价时间"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("车险报价")
        verbose_name_plural = _("车险报价")
        indexes = [
            models.Index(fields=["store", "-created_at"], name="ins_quote_store_created"),
            models.Index(fields=["member", "-created_at"], name="ins_quote_member_created"),
        ]

    def __str__(self) -> str:
        return f"{self.plate or self.vehicle_id} {self.total}"

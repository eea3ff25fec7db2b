"""The renewal pipeline (续保跟进): one ``Renewal`` per policy ending within
90 days, written by the daily sweep (``insurance.services_renewals``), with
its stage (to contact → quoted → accepted → paid → renewed with us, or lost
with a reason), the quote sent, the new policy and the specialist.

``RenewalTouch(renewal, kind)`` logs each reminder to the owner (90/60/30/7
days before the end) and each call task (60/30 days), unique per renewal and
kind: a second sweep, or two at once, adds nothing."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Member, Store, Vehicle
from insurance.models_policies import Policy
from insurance.models_quotes import Quote


class RenewalStage(models.TextChoices):
    TO_CONTACT = "to_contact", _("待联系")
    QUOTED = "quoted", _("已报价")
    ACCEPTED = "accepted", _("车主已接受")
    PAID = "paid", _("已付款")
    RENEWED = "renewed", _("续保成功")
    LOST = "lost", _("已流失")


# Stages still worked on: reminders and call tasks go out only for these.
OPEN_STAGES = (RenewalStage.TO_CONTACT, RenewalStage.QUOTED)


class LostReason(models.TextChoices):
    OTHER_INSURER = "other_insurer", _("转投其他保险公司")
    OTHER_DEALER = "other_dealer", _("在其他经销商续保")
    CAR_SOLD = "car_sold", _("车辆已出售/报废")
    PRICE = "price", _("价格原因")
    OTHER = "other", _("其他原因")


class TouchKind(models.TextChoices):
    REMIND_90 = "remind_90", _("到期前 90 天提醒")
    REMIND_60 = "remind_60", _("到期前 60 天提醒")
    REMIND_30 = "remind_30", _("到期前 30 天提醒")
    REMIND_7 = "remind_7", _("到期前 7 天提醒")
    CALL_60 = "call_60", _("到期前 60 天回访任务")
    CALL_30 = "call_30", _("到期前 30 天回访任务")


class Renewal(models.Model):
    policy = models.OneToOneField(Policy, on_delete=models.CASCADE, related_name="renewal", verbose_name=_("到期保单"))
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="insurance_renewals", verbose_name=_("门店"))
    vehicle = models.ForeignKey(Vehicle, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                verbose_name=_("车辆"))
    member = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="insurance_renewals", verbose_name=_("车主"))
    specialist = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="insurance_renewals", verbose_name=_("续保专员"))
    end_date = models.DateField(_("终保日期"))
    stage = models.CharField(_("阶段"), max_length=16, choices=RenewalStage.choices, default=RenewalStage.TO_CONTACT)
    quote = models.ForeignKey(Quote, on_delete=models.SET_NULL, null=True, blank=True, related_name="renewals",
                              verbose_name=_("报价单"))
    new_policy = models.ForeignKey(Policy, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                   verbose_name=_("续保保单"))
    lost_reason = models.CharField(_("流失原因"), max_length=16, choices=LostReason.choices, blank=True)
    lost_to = models.CharField(_("流失去向（保险公司/经销商）"), max_length=64, blank=True)
    lost_note = models.CharField(_("流失说明"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("进入跟进时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["end_date", "id"]
        verbose_name = _("续保跟进")
        verbose_name_plural = _("续保跟进")
        indexes = [
            models.Index(fields=["store", "stage", "end_date"], name="ins_renewal_store_stage_end"),
            models.Index(fields=["stage", "end_date"], name="ins_renewal_stage_end"),
            models.Index(fields=["member", "stage"], name="ins_renewal_member_stage"),
        ]

    def __str__(self) -> str:
        return f"{self.policy} → {self.get_stage_display()}"


class RenewalTouch(models.Model):
    renewal = models.ForeignKey(Renewal, on_delete=models.CASCADE, related_name="touches", verbose_name=_("续保跟进"))
    kind = models.CharField(_("类型"), max_length=16, choices=TouchKind.choices)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        ordering = ["renewal", "created_at"]
        verbose_name = _("续保提醒记录")
        verbose_name_plural = _("续保提醒记录")
        constraints = [models.UniqueConstraint(fields=["renewal", "kind"], name="ins_renewal_touch_once")]

    def __str__(self) -> str:
        return f"{self.renewal_id} {self.kind}"

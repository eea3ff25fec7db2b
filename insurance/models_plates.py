"""Plate events (车牌识别) from the store gate and the alerts they raise.

A gate camera (or a phone at reception) posts each recognised plate once per
``event_id`` (unique per store: a retry repeats it).  ``PlateEvent`` keeps
what was seen and what came of it: the vehicle and owner found (empty for a
plate not on file: status ``unknown``, listed for staff to link), the
store-visit transaction it recorded for membership (reference
``plate:<pk>``), and ``result``, the answer the webhook gave (a retry of the
same event gets it again).

``PlateAlert`` is the notice to the store's on-duty insurance specialist
when the car's policy ends within the renewal window: with the member, the
vehicle, the policy and a ready renewal quote; the portal shows unread ones
without a reload (htmx polling), the outbox carries the WeCom message."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import URLValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Member, Store, Vehicle
from insurance.models_policies import Policy
from insurance.models_quotes import Quote


class PlateEventStatus(models.TextChoices):
    MATCHED = "matched", _("已识别车辆")
    UNKNOWN = "unknown", _("未识别车牌")
    LINKED = "linked", _("已关联会员")


class PlateEvent(models.Model):
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="plate_events", verbose_name=_("门店"))
    event_id = models.CharField(_("事件编号"), max_length=64)
    plate = models.CharField(_("车牌号"), max_length=10, db_index=True)
    seen_at = models.DateTimeField(_("识别时间"))
    # A CharField with the URL validator: a model URLField's admin form field warns about Django 6's scheme default.
    image_url = models.CharField(_("抓拍图片"), max_length=500, blank=True, validators=[URLValidator()])
    status = models.CharField(_("状态"), max_length=16, choices=PlateEventStatus.choices)
    vehicle = models.ForeignKey(Vehicle, on_delete=models.SET_NULL, null=True, blank=True, related_name="plate_events",
                                verbose_name=_("车辆"))
    member = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="plate_events",
                               verbose_name=_("车主"))
    visit_reference = models.CharField(_("到店记录单据号"), max_length=64, blank=True)
    result = models.JSONField(_("回执"), default=dict)
    linked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+", verbose_name=_("关联人"))
    linked_at = models.DateTimeField(_("关联时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("接收时间"), auto_now_add=True)

    class Meta:
        ordering = ["-seen_at", "-id"]
        verbose_name = _("车牌识别记录")
        verbose_name_plural = _("车牌识别记录")
        constraints = [models.UniqueConstraint(fields=["store", "event_id"], name="ins_plate_event_unique")]
        indexes = [
            # The "未识别车牌" list: one store's unknown plates, latest first.
            models.Index(fields=["store", "status", "-seen_at"], name="ins_plate_event_store_status"),
        ]

    def __str__(self) -> str:
        return f"{self.plate} {self.event_id}"


class PlateAlert(models.Model):
    event = models.ForeignKey(PlateEvent, on_delete=models.CASCADE, related_name="alerts", verbose_name=_("车牌识别记录"))
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+", verbose_name=_("门店"))
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="plate_alerts",
                                  verbose_name=_("接收人"))
    member = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                               verbose_name=_("车主"))
    vehicle = models.ForeignKey(Vehicle, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                verbose_name=_("车辆"))
    policy = models.ForeignKey(Policy, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                               verbose_name=_("到期保单"))
    quote = models.ForeignKey(Quote, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                              verbose_name=_("续保报价"))
    text = models.CharField(_("内容"), max_length=300)
    created_at = models.DateTimeField(_("提醒时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("进店续保提醒")
        verbose_name_plural = _("进店续保提醒")
        constraints = [models.UniqueConstraint(fields=["event"], name="ins_plate_alert_once_per_event")]
        indexes = [models.Index(fields=["recipient", "read_at"], name="ins_plate_alert_unread")]

    def __str__(self) -> str:
        return self.text

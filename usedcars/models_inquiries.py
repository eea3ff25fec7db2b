"""Inquiries (咨询、预约看车) on a listing and owners' valuation requests (卖车/置换) for
their own vehicle.  Each becomes a lead of the ``usedcar`` channel (二手车) at the
holding store (a valuation request: the owner's store) with a task for its used-car
manager; the inquiry row links the lead to the listing (or the vehicle)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import validators
from accounts.models import Member, Store, Vehicle

# The lead channel every used-car inquiry arrives by (a row: usedcars/migrations/0003).
CHANNEL_CODE = "usedcar"
CHANNEL_NAME = "二手车"


class InquiryKind(models.TextChoices):
    QUESTION = "question", _("咨询")
    VIEWING = "viewing", _("预约看车")
    VALUATION = "valuation", _("卖车/置换估价")


class Inquiry(models.Model):
    kind = models.CharField(_("类型"), max_length=16, choices=InquiryKind.choices)
    listing = models.ForeignKey("usedcars.Listing", on_delete=models.CASCADE, null=True, blank=True,
                                related_name="inquiries", verbose_name=_("车辆信息"))
    vehicle = models.ForeignKey(Vehicle, on_delete=models.CASCADE, null=True, blank=True,
                                related_name="usedcar_inquiries", verbose_name=_("会员车辆"))
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="usedcar_inquiries", verbose_name=_("门店"))
    member = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="usedcar_inquiries", verbose_name=_("会员"))
    name = models.CharField(_("姓名"), max_length=64, blank=True)
    mobile = models.CharField(_("手机号"), max_length=11, validators=[validators.validate_mobile])
    message = models.CharField(_("留言"), max_length=500, blank=True)
    preferred_time = models.DateTimeField(_("期望时间"), null=True, blank=True)
    lead = models.ForeignKey("leads.Lead", on_delete=models.PROTECT, related_name="usedcar_inquiries",
                             verbose_name=_("线索"))
    task = models.ForeignKey("leads.FollowUpTask", on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="+", verbose_name=_("跟进任务"))
    # A visitor who came through a staff member's share link (``usedcars.services_shares``).
    referred_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="usedcar_referred_inquiries", verbose_name=_("推荐员工"))
    referral_code = models.CharField(_("推荐码"), max_length=12, blank=True)
    created_at = models.DateTimeField(_("提交时间"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("二手车咨询")
        verbose_name_plural = _("二手车咨询")
        constraints = [
            models.CheckConstraint(
                name="usedcar_inquiry_has_subject",
                condition=Q(listing__isnull=False) | Q(vehicle__isnull=False),
            ),
        ]
        indexes = [
            models.Index(fields=["listing", "mobile", "kind", "created_at"], name="usedcar_inquiry_dedup"),
            models.Index(fields=["vehicle", "created_at"], name="usedcar_inquiry_vehicle"),
            models.Index(fields=["store", "created_at"], name="usedcar_inquiry_store"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.mobile}"

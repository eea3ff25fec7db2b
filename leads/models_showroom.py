"""Showroom appointments and test drives (到店与试驾): a store's test-drive
fleet, its opening hours, and appointments (visits and test drives).

Imported at the bottom of ``leads.models`` so they belong to the leads app.
The rules (no car double-booked, check-in, feedback, no-shows, reminders)
live in ``leads.services.showroom``; the reads (free slots, calendars) in
``leads.selectors.showroom``."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import validators
from accounts.models import CarModel, CarSeries, Member, Store

# Slot lengths and the no-show grace (constants: one rule for every store).
TEST_DRIVE_MINUTES = 60
VISIT_MINUTES = 30
NO_SHOW_GRACE = dt.timedelta(minutes=15)
# A store without StoreHours rows is open 09:00–18:00 every day.
DEFAULT_OPENS = dt.time(9, 0)
DEFAULT_CLOSES = dt.time(18, 0)


class CarStatus(models.TextChoices):
    AVAILABLE = "available", _("可试驾")
    IN_USE = "in_use", _("试驾中")
    MAINTENANCE = "maintenance", _("维护中")


class TestDriveCar(models.Model):
    """A car of a store's test-drive fleet (试驾车)."""

    __test__ = False  # not a pytest test class

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="test_drive_cars", verbose_name=_("门店"))
    car_model = models.ForeignKey(CarModel, on_delete=models.PROTECT, related_name="+", verbose_name=_("车型"))
    # The model's series, kept on the car so free slots are one query per series.
    series = models.ForeignKey(CarSeries, on_delete=models.PROTECT, related_name="+", verbose_name=_("车系"))
    plate = models.CharField(_("车牌号"), max_length=10, unique=True, validators=[validators.validate_plate])
    status = models.CharField(_("状态"), max_length=16, choices=CarStatus.choices, default=CarStatus.AVAILABLE)
    is_active = models.BooleanField(_("启用"), default=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        ordering = ["store", "series", "plate"]
        verbose_name = _("试驾车")
        verbose_name_plural = _("试驾车")

    def __str__(self) -> str:
        return f"{self.series} {self.plate}" if self.series_id else self.plate

    def save(self, *args, **kwargs):
        if self.car_model_id and not self.series_id:
            self.series_id = self.car_model.series_id
        super().save(*args, **kwargs)


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("周一")
    TUESDAY = 1, _("周二")
    WEDNESDAY = 2, _("周三")
    THURSDAY = 3, _("周四")
    FRIDAY = 4, _("周五")
    SATURDAY = 5, _("周六")
    SUNDAY = 6, _("周日")


class StoreHours(models.Model):
    """Opening hours of one weekday.  A store with no rows is open
    ``DEFAULT_OPENS``–``DEFAULT_CLOSES`` every day; a store with rows is
    closed on a weekday without one."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="hours", verbose_name=_("门店"))
    weekday = models.PositiveSmallIntegerField(_("星期"), choices=Weekday.choices)
    opens = models.TimeField(_("开门时间"))
    closes = models.TimeField(_("关门时间"))

    class Meta:
        ordering = ["store", "weekday"]
        verbose_name = _("营业时间")
        verbose_name_plural = _("营业时间")
        constraints = [
            models.UniqueConstraint(fields=["store", "weekday"], name="store_hours_one_per_weekday"),
            models.CheckConstraint(name="store_hours_closes_after_opens", condition=Q(closes__gt=F("opens"))),
            models.CheckConstraint(name="store_hours_weekday_valid", condition=Q(weekday__gte=0, weekday__lte=6)),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class AppointmentKind(models.TextChoices):
    VISIT = "visit", _("到店")
    TEST_DRIVE = "test_drive", _("试驾")


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", _("已预约")
    CHECKED_IN = "checked_in", _("已到店")
    COMPLETED = "completed", _("已完成")
    NO_SHOW = "no_show", _("未到店")
    CANCELLED = "cancelled", _("已取消")


# Appointments that hold their car and their slot.
HOLDING_STATUSES = (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN)


class AppointmentSource(models.TextChoices):
    CONSULTANT = "consultant", _("顾问预约")
    DCC = "dcc", _("DCC 邀约")
    OWNER = "owner", _("车主小程序")
    WALK_IN = "walk_in", _("自然到店")


class Intent(models.TextChoices):
    HIGH = "high", _("强烈")
    MEDIUM = "medium", _("一般")
    LOW = "low", _("较弱")


class Appointment(models.Model):
    """A visit or a test drive of one lead at one store."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="appointments", verbose_name=_("门店"))
    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="appointments", verbose_name=_("线索"))
    member = models.ForeignKey(
        Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="appointments", verbose_name=_("会员")
    )
    consultant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="appointments",
        verbose_name=_("接待顾问"),
    )
    kind = models.CharField(_("类型"), max_length=16, choices=AppointmentKind.choices)
    car = models.ForeignKey(
        TestDriveCar, on_delete=models.PROTECT, null=True, blank=True, related_name="appointments", verbose_name=_("试驾车")
    )
    series = models.ForeignKey(
        CarSeries, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("车系")
    )
    starts_at = models.DateTimeField(_("开始时间"), db_index=True)
    ends_at = models.DateTimeField(_("结束时间"))
    status = models.CharField(
        _("状态"), max_length=16, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED, db_index=True
    )
    source = models.CharField(_("来源"), max_length=16, choices=AppointmentSource.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("创建人"),
    )
    notes = models.TextField(_("备注"), blank=True)
    checked_in_at = models.DateTimeField(_("到店时间"), null=True, blank=True)
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)
    # Reminders sent for the current starts_at (a move clears them).
    reminded_day_before_at = models.DateTimeField(_("前一天提醒时间"), null=True, blank=True)
    reminded_soon_at = models.DateTimeField(_("两小时前提醒时间"), null=True, blank=True)
    # Feedback after the drive (试驾反馈).
    rating = models.PositiveSmallIntegerField(_("评分"), null=True, blank=True)
    liked = models.CharField(_("满意之处"), max_length=500, blank=True)
    disliked = models.CharField(_("不满意之处"), max_length=500, blank=True)
    intent = models.CharField(_("购买意向"), max_length=16, choices=Intent.choices, blank=True)
    next_step = models.CharField(_("下一步"), max_length=200, blank=True)
    next_step_at = models.DateTimeField(_("下一步时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = _("到店预约")
        verbose_name_plural = _("到店预约")
        constraints = [
            models.CheckConstraint(name="appointment_ends_after_start", condition=Q(ends_at__gt=F("starts_at"))),
            models.CheckConstraint(
                name="appointment_test_drive_has_car", condition=Q(kind="visit") | Q(car__isnull=False)
            ),
            models.CheckConstraint(
                name="appointment_rating_1_to_5", condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5)
            ),
        ]
        indexes = [
            models.Index(fields=["store", "starts_at"], name="appointment_store_start"),
            models.Index(fields=["car", "starts_at"], name="appointment_car_start"),
            models.Index(fields=["consultant", "starts_at"], name="appointment_consultant_start"),
        ]

    def __str__(self) -> str:
        local = timezone.localtime(self.starts_at)
        return f"{self.get_kind_display()} {local:%Y-%m-%d %H:%M}"

    @property
    def is_active(self) -> bool:
        return self.status in HOLDING_STATUSES

"""The public pool (公海): each store's rule, and the history of every lead's
stays in the pool (age, claims, the reclaim cooldown, HQ statistics).  The
writes are ``leads.services.pool``'s; imported by ``leads.models``."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Store
from leads.models import Lead, PoolReason


class PoolRule(models.Model):
    """One store's pool rule, edited by its manager (HQ: any store).  A store
    without a row uses the defaults (``PoolRule.for_store``)."""

    store = models.OneToOneField(Store, on_delete=models.CASCADE, related_name="pool_rule", verbose_name=_("门店"))
    first_contact_hours = models.PositiveSmallIntegerField(
        _("首次联系时限（小时）"), default=24, validators=[MinValueValidator(1), MaxValueValidator(720)],
        help_text=_("分配后在此时限内未联系，线索收回公海。"),
    )
    follow_up_days = models.PositiveSmallIntegerField(
        _("跟进间隔上限（天）"), default=7, validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("进行中的线索超过此天数未联系，收回公海。"),
    )
    daily_claim_cap = models.PositiveSmallIntegerField(
        _("每人每日领取上限"), default=10, validators=[MinValueValidator(1), MaxValueValidator(500)]
    )
    reclaim_cooldown_days = models.PositiveSmallIntegerField(
        _("释放/收回后禁止本人再领取（天）"), default=7, validators=[MaxValueValidator(365)]
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("修改人"),
    )

    class Meta:
        verbose_name = _("公海规则")
        verbose_name_plural = _("公海规则")
        constraints = [
            models.CheckConstraint(name="pool_rule_limits_positive",
                                   condition=Q(first_contact_hours__gte=1, follow_up_days__gte=1, daily_claim_cap__gte=1)),
        ]

    def __str__(self) -> str:
        return f"{self.store} {self.first_contact_hours}h/{self.follow_up_days}d"

    @classmethod
    def for_store(cls, store_id: int) -> PoolRule:
        """The store's rule, or an unsaved one with the defaults."""
        return cls.objects.filter(store_id=store_id).first() or cls(store_id=store_id)


class PoolEntry(models.Model):
    """One stay of a lead in the pool: why and when it came in, whose it was,
    who confirmed it (defeated/silent), who claimed it and when."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="pool_entries", verbose_name=_("线索"))
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+", verbose_name=_("门店"))
    reason = models.CharField(_("入公海原因"), max_length=24, choices=PoolReason.choices)
    pooled_at = models.DateTimeField(_("进入公海时间"), default=timezone.now)
    previous_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("原跟进顾问"),
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("确认人"),
    )
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("领取人"),
    )
    claimed_at = models.DateTimeField(_("领取时间"), null=True, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        ordering = ["-pooled_at", "-id"]
        verbose_name = _("公海记录")
        verbose_name_plural = _("公海记录")
        indexes = [
            models.Index(fields=["lead", "-pooled_at"], name="pool_entry_lead"),
            # the daily claim cap: a consultant's claims since midnight
            models.Index(fields=["claimed_by", "claimed_at"], name="pool_entry_claims"),
            models.Index(fields=["previous_owner", "pooled_at"], name="pool_entry_owner"),
        ]

    def __str__(self) -> str:
        return f"{self.lead_id} {self.get_reason_display()} {self.pooled_at:%Y-%m-%d}"

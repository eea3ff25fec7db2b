"""Membership and care: cards and tiers, the points ledger, coupons, visits and
spend, tags, member profiles (lifecycle, RFM) and the care automations' log."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Member, Store


class SingletonMixin:
    @classmethod
    def current(cls):
        return cls.objects.get_or_create(pk=1)[0]


# --- Tiers and cards -------------------------------------------------------------------------


class Tier(models.Model):
    code = models.SlugField(_("代码"), max_length=16, unique=True)
    name = models.CharField(_("名称"), max_length=32)
    level = models.PositiveSmallIntegerField(_("等级"), unique=True, help_text=_("越大越高"))
    threshold = models.PositiveIntegerField(_("成长值门槛"), default=0)
    points_multiplier = models.DecimalField(_("积分倍率"), max_digits=4, decimal_places=2, default=1)
    perks = models.TextField(_("会员权益"), blank=True)
    coupon_templates = models.ManyToManyField(
        "CouponTemplate", blank=True, related_name="tiers", verbose_name=_("等级礼包")
    )

    class Meta:
        ordering = ["level"]
        verbose_name = _("会员等级")
        verbose_name_plural = _("会员等级")
        constraints = [models.CheckConstraint(name="tier_multiplier_positive", condition=Q(points_multiplier__gt=0))]

    def __str__(self) -> str:
        return self.name


class PlanCondition(models.TextChoices):
    FREE = "free", _("免费注册")
    PURCHASE = "purchase", _("购车")
    SERVICE = "service", _("维保到店")


class CardPlan(models.Model):
    """开卡方案: per store (or group-wide when store is empty)."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("门店"))
    name = models.CharField(_("方案名称"), max_length=64)
    condition = models.CharField(_("开卡条件"), max_length=16, choices=PlanCondition.choices, default=PlanCondition.FREE)
    welcome_points = models.PositiveIntegerField(_("开卡积分"), default=0)
    coupon_templates = models.ManyToManyField("CouponTemplate", blank=True, related_name="+", verbose_name=_("开卡礼券"))
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("开卡方案")
        verbose_name_plural = _("开卡方案")

    def __str__(self) -> str:
        return self.name


def new_card_no() -> str:
    return "DO" + "".join(secrets.choice("0123456789") for _ in range(12))


class MembershipCard(models.Model):
    member = models.OneToOneField(Member, on_delete=models.CASCADE, related_name="card", verbose_name=_("会员"))
    card_no = models.CharField(_("卡号"), max_length=20, unique=True, default=new_card_no)
    tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="cards", verbose_name=_("等级"))
    plan = models.ForeignKey(
        CardPlan, on_delete=models.SET_NULL, null=True, blank=True, related_name="cards", verbose_name=_("开卡方案")
    )
    points_balance = models.IntegerField(_("积分余额"), default=0)
    growth_value = models.PositiveIntegerField(_("成长值"), default=0)
    opened_at = models.DateTimeField(_("开卡时间"), default=timezone.now)
    downgrade_notice_at = models.DateTimeField(_("降级提醒时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("会员卡")
        verbose_name_plural = _("会员卡")
        constraints = [models.CheckConstraint(name="points_balance_not_negative", condition=Q(points_balance__gte=0))]

    def __str__(self) -> str:
        return self.card_no


# --- Points ledger ---------------------------------------------------------------------------


class EntryKind(models.TextChoices):
    EARN = "earn", _("获得")
    SPEND = "spend", _("使用")
    EXPIRE = "expire", _("过期")
    ADJUST = "adjust", _("调整")
    REFUND = "refund", _("退回")


class PointsEntry(models.Model):
    """Append-only.  ``points`` is signed; positive entries (earn, refund,
    positive adjust) are lots with ``remaining`` and ``expires_at``; spends and
    expiries consume the oldest lots first (FIFO)."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="points_entries", verbose_name=_("会员"))
    kind = models.CharField(_("类型"), max_length=8, choices=EntryKind.choices)
    points = models.IntegerField(_("积分"))
    remaining = models.PositiveIntegerField(_("剩余可用"), default=0)
    expires_at = models.DateTimeField(_("过期时间"), null=True, blank=True, db_index=True)
    balance_after = models.PositiveIntegerField(_("变动后余额"))
    reason = models.CharField(_("原因"), max_length=200)
    source_type = models.CharField(_("来源类型"), max_length=64, blank=True)
    source_id = models.CharField(_("来源 ID"), max_length=64, blank=True)
    store = models.ForeignKey(Store, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("门店"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("操作人")
    )
    idempotency_key = models.CharField(_("幂等键"), max_length=128)
    created_at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("积分流水")
        verbose_name_plural = _("积分流水")
        constraints = [
            models.UniqueConstraint(fields=["member", "idempotency_key"], name="points_entry_idempotent"),
            models.CheckConstraint(name="points_entry_not_zero", condition=~Q(points=0)),
            models.CheckConstraint(name="points_remaining_within_lot", condition=Q(remaining__lte=F("points")) | Q(remaining=0)),
        ]
        indexes = [models.Index(fields=["member", "expires_at"], name="points_lots", condition=Q(remaining__gt=0))]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.points:+d}"


class PointsAllocation(models.Model):
    """Which lot a spend or expiry took its points from (refunds give them back)."""

    entry = models.ForeignKey(PointsEntry, on_delete=models.PROTECT, related_name="allocations", verbose_name=_("扣减流水"))
    lot = models.ForeignKey(PointsEntry, on_delete=models.PROTECT, related_name="+", verbose_name=_("来源积分"))
    points = models.PositiveIntegerField(_("积分"))

    class Meta:
        verbose_name = _("积分扣减明细")
        verbose_name_plural = _("积分扣减明细")
        constraints = [models.CheckConstraint(name="allocation_positive", condition=Q(points__gt=0))]


class EarningRuleKind(models.TextChoices):
    PER_YUAN_SERVICE = "per_yuan_service", _("维保消费每元")
    PER_YUAN_INSURANCE = "per_yuan_insurance", _("保险消费每元")
    PER_YUAN_MALL = "per_yuan_mall", _("商城消费每元")
    CHECKIN = "checkin", _("每日签到")
    COMPLETE_PROFILE = "complete_profile", _("完善资料")
    ADD_VEHICLE = "add_vehicle", _("添加车辆")
    REFER_FRIEND = "refer_friend", _("推荐好友")


class EarningRule(models.Model):
    kind = models.CharField(_("规则"), max_length=24, choices=EarningRuleKind.choices, unique=True)
    points = models.DecimalField(
        _("积分"), max_digits=8, decimal_places=2, help_text=_("每元消费的积分，或一次任务的积分")
    )
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("积分规则")
        verbose_name_plural = _("积分规则")
        constraints = [models.CheckConstraint(name="earning_rule_not_negative", condition=Q(points__gte=0))]

    def __str__(self) -> str:
        return self.get_kind_display()


class MembershipSettings(SingletonMixin, models.Model):
    """One row (pk=1) of HQ-editable knobs: expiry, thresholds, RFM, lifecycle."""

    points_expiry_months = models.PositiveSmallIntegerField(_("积分有效期（月）"), default=24)
    expiry_reminder_days = models.PositiveSmallIntegerField(_("过期提醒提前天数"), default=30)
    # The approval rule (membership.services.approval_rule): a store employee
    # from the first threshold on, a store manager from the second, needs a
    # manager's / HQ's approval; HQ and admins have no limit.
    large_adjustment = models.PositiveIntegerField(
        _("门店员工积分调整审批线（积分）"), default=1000,
        help_text=_("销售顾问等门店员工单次调整达到此数需店总或集团审批"),
    )
    manager_adjustment_limit = models.PositiveIntegerField(
        _("店总积分调整审批线（积分）"), default=20000, help_text=_("店总单次调整达到此数需集团审批"),
    )
    staff_coupon_limit = models.DecimalField(
        _("门店员工发券审批线（元）"), max_digits=12, decimal_places=2, default=500,
        help_text=_("门店员工当天自行发券的审批估值（面值，或券模板的审批估值）合计达到此数需店总或集团审批"),
    )
    manager_coupon_limit = models.DecimalField(
        _("店总发券审批线（元）"), max_digits=12, decimal_places=2, default=20000,
        help_text=_("店总当天自行发券（含活动发券）的审批估值合计达到此数需集团审批"),
    )
    growth_window_days = models.PositiveSmallIntegerField(_("成长值统计窗口（天）"), default=365)
    rfm_window_days = models.PositiveSmallIntegerField(_("RFM 窗口（天）"), default=365)
    rfm_statistic = models.CharField(_("RFM 比较基准"), max_length=8, default="mean", choices=[("mean", _("均值")), ("median", _("中位数"))])
    rfm_scope = models.CharField(_("RFM 比较范围"), max_length=8, default="group", choices=[("group", _("集团")), ("store", _("门店"))])
    lifecycle_intro_days = models.PositiveSmallIntegerField(_("引入期天数"), default=90)
    lifecycle_intro_max_visits = models.PositiveSmallIntegerField(_("引入期最多到店次数"), default=1)
    lifecycle_growth_min_visits = models.PositiveSmallIntegerField(_("成长期最少到店次数"), default=2)
    lifecycle_maturity_min_visits = models.PositiveSmallIntegerField(_("成熟期最少到店次数"), default=4)
    lifecycle_dormant_days = models.PositiveSmallIntegerField(_("休眠期起始天数"), default=90)
    lifecycle_churned_days = models.PositiveSmallIntegerField(_("流失期起始天数"), default=365)
    birthday_on_first_of_month = models.BooleanField(_("每月 1 日发送生日关怀"), default=True)
    winback_event_months = models.PositiveSmallIntegerField(_("挽回：活动消息（月）"), default=3)
    winback_sms_months = models.PositiveSmallIntegerField(_("挽回：短信+券（月）"), default=5)
    winback_call_months = models.PositiveSmallIntegerField(_("挽回：电话任务（月）"), default=7)
    winback_calls_per_store_day = models.PositiveIntegerField(
        _("挽回：每店每日电话任务上限"), default=50,
        help_text=_("超出的会员顺延到之后几天再生成电话任务，避免首次运行时一次压给门店成百上千个回访。0 = 不限"),
    )
    referral_monthly_cap = models.PositiveSmallIntegerField(
        _("推荐好友每月奖励上限（人）"), default=20,
        help_text=_("每位推荐人每个自然月最多获得奖励的推荐人数；超出仍记录推荐关系但不送积分。0 = 不限"),
    )

    class Meta:
        verbose_name = _("会员运营设置")
        verbose_name_plural = _("会员运营设置")
        constraints = [models.CheckConstraint(name="membership_settings_singleton", condition=Q(pk=1))]

    def __str__(self) -> str:
        return str(_("会员运营设置"))


# --- Referrals (推荐好友) -----------------------------------------------------------------------


class Referral(models.Model):
    """A member (``referrer``) shared their card number and ``referee`` opened
    their first card with it.  A member is referred at most once; the
    referrer earns the ``REFER_FRIEND`` earning rule's points (``rewarded_points``,
    0 beyond ``MembershipSettings.referral_monthly_cap`` or with the rule off).
    Written only by ``membership.services.referrals``."""

    referrer = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="referrals_made", verbose_name=_("推荐人")
    )
    referee = models.OneToOneField(
        Member, on_delete=models.CASCADE, related_name="referral", verbose_name=_("被推荐人")
    )
    code = models.CharField(_("推荐码（推荐人卡号）"), max_length=20)
    created_at = models.DateTimeField(_("推荐时间"), default=timezone.now)
    rewarded_points = models.PositiveIntegerField(_("奖励积分"), default=0)
    rewarded_at = models.DateTimeField(_("奖励时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("推荐记录")
        verbose_name_plural = _("推荐记录")
        indexes = [models.Index(fields=["referrer", "created_at"], name="referral_referrer_time")]
        constraints = [
            models.CheckConstraint(name="referral_not_self", condition=~Q(referrer=F("referee"))),
        ]

    def __str__(self) -> str:
        return f"{self.referrer} → {self.referee}"


# --- Coupons ---------------------------------------------------------------------------------


class CouponScope(models.TextChoices):
    PLATFORM = "platform", _("平台券")
    MERCHANT = "merchant", _("商家券")


class CouponKind(models.TextChoices):
    TAXI = "taxi", _("到店打车券")
    CAR_PURCHASE = "car_purchase", _("购车券")
    MAINTENANCE = "maintenance", _("保养券")
    BIRTHDAY_CAKE = "birthday_cake", _("生日蛋糕券")
    CASH_OFF = "cash_off", _("代金券")
    DISCOUNT = "discount", _("折扣券")


class CouponTemplate(models.Model):
    name = models.CharField(_("名称"), max_length=64)
    scope = models.CharField(_("类型"), max_length=16, choices=CouponScope.choices, default=CouponScope.PLATFORM)
    store = models.ForeignKey(
        Store, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("发券门店（商家券）")
    )
    kind = models.CharField(_("券种"), max_length=16, choices=CouponKind.choices)
    value = models.DecimalField(_("面值（元）"), max_digits=10, decimal_places=2, default=0)
    discount_percent = models.PositiveSmallIntegerField(_("折扣（%）"), null=True, blank=True)
    approval_value = models.DecimalField(
        _("审批估值（元）"), max_digits=10, decimal_places=2, null=True, blank=True,
        help_text=_("一张券最多能优惠的金额，发券审批按它与面值中较大者计算。折扣券和零面值券（集团券）必填；"
                    "留空的折扣券、零面值券按门店员工发券审批线计。"),
    )
    valid_from = models.DateField(_("有效期起"), null=True, blank=True)
    valid_to = models.DateField(_("有效期止"), null=True, blank=True)
    valid_days = models.PositiveSmallIntegerField(_("领取后有效天数"), null=True, blank=True)
    stock = models.PositiveIntegerField(_("库存"), null=True, blank=True, help_text=_("空 = 不限"))
    per_member_limit = models.PositiveSmallIntegerField(_("每人限领"), default=1)
    accepted_stores = models.ManyToManyField(Store, blank=True, related_name="+", verbose_name=_("可核销门店（空=全部）"))
    points_price = models.PositiveIntegerField(_("积分兑换价"), null=True, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("券模板")
        verbose_name_plural = _("券模板")
        constraints = [
            models.CheckConstraint(name="coupon_value_not_negative", condition=Q(value__gte=0)),
            models.CheckConstraint(name="coupon_approval_value_not_negative",
                                   condition=Q(approval_value__gte=0) | Q(approval_value__isnull=True)),
            models.CheckConstraint(name="coupon_stock_not_negative", condition=Q(stock__gte=0) | Q(stock__isnull=True)),
            models.CheckConstraint(
                name="merchant_coupon_has_store", condition=~Q(scope="merchant") | Q(store__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return self.name


def new_coupon_code() -> str:
    return "".join(secrets.choice("23456789ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(12))


class CouponStatus(models.TextChoices):
    ISSUED = "issued", _("可使用")
    REDEEMED = "redeemed", _("已核销")
    VOID = "void", _("已作废")
    EXPIRED = "expired", _("已过期")


class CouponSource(models.TextChoices):
    CAMPAIGN = "campaign", _("活动")
    STAFF = "staff", _("员工发放")
    TIER = "tier", _("等级权益")
    POINTS = "points", _("积分兑换")
    CARD = "card", _("开卡礼")
    BIRTHDAY = "birthday", _("生日关怀")
    WINBACK = "winback", _("流失挽回")
    NURTURE = "nurture", _("线索培育")
    MALL_ORDER = "mall_order", _("商城购买")


class Coupon(models.Model):
    template = models.ForeignKey(CouponTemplate, on_delete=models.PROTECT, related_name="coupons", verbose_name=_("券模板"))
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="coupons", verbose_name=_("会员"))
    code = models.CharField(_("券码"), max_length=16, unique=True, default=new_coupon_code)
    status = models.CharField(_("状态"), max_length=16, choices=CouponStatus.choices, default=CouponStatus.ISSUED, db_index=True)
    source = models.CharField(_("来源"), max_length=16, choices=CouponSource.choices)
    issued_at = models.DateTimeField(_("发放时间"), default=timezone.now)
    valid_until = models.DateTimeField(_("有效期至"), null=True, blank=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    redeemed_at = models.DateTimeField(_("核销时间"), null=True, blank=True)
    redeemed_store = models.ForeignKey(Store, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("核销门店"))
    redeemed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    dedup_key = models.CharField(max_length=128, unique=True, null=True, blank=True)

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("券")
        verbose_name_plural = _("券")
        indexes = [models.Index(fields=["member", "status"], name="coupon_member_status")]

    def __str__(self) -> str:
        return f"{self.template} {self.code}"


# --- Visits and spend ------------------------------------------------------------------------


class TransactionKind(models.TextChoices):
    SERVICE = "service", _("维保工单")
    PARTS = "parts", _("配件")
    INSURANCE = "insurance", _("保险")
    CAR_PURCHASE = "car_purchase", _("购车")
    MALL = "mall", _("商城订单")
    COUPON_REDEMPTION = "coupon", _("核销券")
    TEST_DRIVE = "test_drive", _("试驾")
    CHECKIN = "checkin", _("到店签到")


VISIT_KINDS = frozenset(TransactionKind.values)  # every transaction is a store visit
# The kinds that are money the member spent: only these carry an amount (the
# others' ceiling is 0) and only these make growth value (cards.growth_transactions).
# A test drive or a check-in is a visit; a coupon redemption is recorded with
# amount 0 by coupon_redeem (what the coupon took off is no spend).
SPEND_KINDS = frozenset({
    TransactionKind.SERVICE, TransactionKind.PARTS, TransactionKind.INSURANCE, TransactionKind.CAR_PURCHASE,
    TransactionKind.MALL,
})


class TransactionStatus(models.TextChoices):
    COUNTED = "counted", _("已入账")
    HELD = "held", _("待审核")
    REJECTED = "rejected", _("已驳回")


DEFAULT_TRANSACTION_CEILING = 500_000
DEFAULT_REVIEW_THRESHOLD = 50_000


class TransactionLimit(models.Model):
    """HQ's amount limits for one kind of transaction (kinds without a row use
    the defaults; a kind outside ``SPEND_KINDS`` defaults to a ceiling of 0):
    a document above ``ceiling`` is refused; one above
    ``review_threshold`` is recorded but held until a store manager or HQ
    approves it, and earns nothing (points, growth, tier, RFM) before."""

    kind = models.CharField(_("类型"), max_length=16, choices=TransactionKind.choices, unique=True)
    ceiling = models.DecimalField(_("单笔上限（元）"), max_digits=12, decimal_places=2,
                                  default=DEFAULT_TRANSACTION_CEILING)
    review_threshold = models.DecimalField(
        _("审核线（元）"), max_digits=12, decimal_places=2, null=True, blank=True, default=DEFAULT_REVIEW_THRESHOLD,
        help_text=_("超过此金额的记录需店总或集团审核后才累积积分和成长值；空 = 不审核"),
    )

    class Meta:
        ordering = ["kind"]
        verbose_name = _("到店与消费金额限额")
        verbose_name_plural = _("到店与消费金额限额")
        constraints = [
            models.CheckConstraint(name="txn_limit_ceiling_not_negative", condition=Q(ceiling__gte=0)),
            models.CheckConstraint(name="txn_limit_review_not_negative",
                                   condition=Q(review_threshold__gte=0) | Q(review_threshold__isnull=True)),
        ]

    def __str__(self) -> str:
        return self.get_kind_display()


class Transaction(models.Model):
    """A member's visit or spend at a store (DMS import, integrations, our own
    events).  Only ``counted`` rows count anywhere (points, growth, tiers,
    lifecycle, RFM, tags, card-plan conditions); a ``held`` spend waits for
    approval (``transaction_review``), a ``rejected`` one never counts."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="transactions", verbose_name=_("会员"))
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+", verbose_name=_("门店"))
    occurred_at = models.DateTimeField(_("发生时间"))
    kind = models.CharField(_("类型"), max_length=16, choices=TransactionKind.choices)
    amount = models.DecimalField(_("金额（元）"), max_digits=12, decimal_places=2, default=0)
    reference = models.CharField(_("单据号"), max_length=64, unique=True)
    source = models.CharField(_("来源"), max_length=16, default="api")
    created_at = models.DateTimeField(_("录入时间"), default=timezone.now)
    # db_default too: rows written in bulk by raw SQL (bench, bulk imports) are counted unless they say otherwise.
    status = models.CharField(_("审核状态"), max_length=10, choices=TransactionStatus.choices,
                              default=TransactionStatus.COUNTED, db_default=TransactionStatus.COUNTED)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("录入人"))
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("审核人"))
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("到店与消费")
        verbose_name_plural = _("到店与消费")
        indexes = [
            models.Index(fields=["member", "occurred_at"], name="txn_member_time"),
            models.Index(fields=["store", "occurred_at"], name="txn_store_time"),
            models.Index(fields=["store", "created_at"], name="txn_held", condition=Q(status="held")),
        ]
        constraints = [models.CheckConstraint(name="txn_amount_not_negative", condition=Q(amount__gte=0))]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} {self.reference}"


# --- Approvals (审批) -------------------------------------------------------------------------


class ApprovalKind(models.TextChoices):
    POINTS_ADJUST = "points_adjust", _("积分调整")
    COUPON_ISSUE = "coupon_issue", _("发券")
    COUPON_CAMPAIGN = "coupon_campaign", _("活动发券")


class ApprovalLevel(models.TextChoices):
    MANAGER = "manager", _("店总审批")
    HQ = "hq", _("集团审批")


class ApprovalStatus(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("已驳回")


class ApprovalRequest(models.Model):
    """An action above its requester's threshold (``approval_rule``), waiting
    for a store manager of ``store`` (``level`` manager) or HQ: who asked,
    what (``kind``, ``payload``, ``summary``, ``value`` in points or yuan),
    why (``reason``).  Approval performs it once, as the approver, through
    the action's own service (``membership.services.approvals``)."""

    kind = models.CharField(_("类型"), max_length=16, choices=ApprovalKind.choices)
    level = models.CharField(_("审批级别"), max_length=8, choices=ApprovalLevel.choices)
    status = models.CharField(_("状态"), max_length=8, choices=ApprovalStatus.choices, default=ApprovalStatus.PENDING)
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+", verbose_name=_("门店"))
    member = models.ForeignKey(Member, on_delete=models.CASCADE, null=True, blank=True, related_name="+",
                               verbose_name=_("会员"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                     related_name="+", verbose_name=_("申请人"))
    reason = models.CharField(_("申请原因"), max_length=200)
    summary = models.CharField(_("内容"), max_length=200)
    value = models.DecimalField(_("数额"), max_digits=14, decimal_places=2)
    payload = models.JSONField(_("参数"), default=dict, blank=True)
    dedup_key = models.CharField(max_length=128, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("审批人"))
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.CharField(_("审批意见"), max_length=200, blank=True)
    result = models.JSONField(_("执行结果"), default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("审批申请")
        verbose_name_plural = _("审批申请")
        indexes = [
            models.Index(fields=["store", "created_at"], name="approval_pending",
                         condition=Q(status="pending")),
            models.Index(fields=["requested_by", "created_at"], name="approval_requester"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.summary}"


class CheckIn(models.Model):
    """Daily sign-in for points (签到), once per member per day."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+", verbose_name=_("会员"))
    day = models.DateField(_("日期"))
    created_at = models.DateTimeField(_("签到时间"), default=timezone.now)

    class Meta:
        verbose_name = _("签到")
        verbose_name_plural = _("签到")
        constraints = [models.UniqueConstraint(fields=["member", "day"], name="checkin_once_a_day")]


# --- Profiles, tags, lifecycle, RFM ----------------------------------------------------------


class Lifecycle(models.TextChoices):
    INTRODUCTION = "introduction", _("引入期")
    GROWTH = "growth", _("成长期")
    MATURITY = "maturity", _("成熟期")
    DORMANT = "dormant", _("休眠期")
    CHURNED = "churned", _("流失期")


class RFMSegment(models.TextChoices):
    IMPORTANT_VALUE = "important_value", _("重要价值客户")
    IMPORTANT_DEVELOP = "important_develop", _("重要发展客户")
    IMPORTANT_KEEP = "important_keep", _("重要保持客户")
    IMPORTANT_RETAIN = "important_retain", _("重要挽留客户")
    GENERAL_VALUE = "general_value", _("一般价值客户")
    GENERAL_DEVELOP = "general_develop", _("一般发展客户")
    GENERAL_KEEP = "general_keep", _("一般保持客户")
    GENERAL_RETAIN = "general_retain", _("一般挽留客户")


class MemberProfile(models.Model):
    """Computed by the daily job (set-based); one row per member."""

    member = models.OneToOneField(
        Member, on_delete=models.CASCADE, related_name="profile", primary_key=True, verbose_name=_("会员")
    )
    lifecycle = models.CharField(_("生命周期"), max_length=16, choices=Lifecycle.choices, blank=True, db_index=True)
    rfm_segment = models.CharField(_("RFM 分群"), max_length=20, choices=RFMSegment.choices, blank=True, db_index=True)
    recency_days = models.PositiveIntegerField(_("最近消费距今（天）"), null=True, blank=True)
    frequency = models.PositiveIntegerField(_("消费次数"), default=0)
    monetary = models.DecimalField(_("消费金额"), max_digits=14, decimal_places=2, default=0)
    last_visit_at = models.DateTimeField(_("最近到店"), null=True, blank=True)
    visits_12m = models.PositiveIntegerField(_("近 12 个月到店"), default=0)
    computed_on = models.DateField(_("计算日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("会员画像")
        verbose_name_plural = _("会员画像")

    def __str__(self) -> str:
        return f"{self.member_id} {self.lifecycle} {self.rfm_segment}"


class Tag(models.Model):
    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=32)
    is_rule = models.BooleanField(_("规则标签"), default=False, help_text=_("由每日任务计算，不可手动添加"))

    class Meta:
        ordering = ["code"]
        verbose_name = _("标签")
        verbose_name_plural = _("标签")

    def __str__(self) -> str:
        return self.name


class MemberTag(models.Model):
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="member_tags", verbose_name=_("会员"))
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="member_tags", verbose_name=_("标签"))
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+", verbose_name=_("添加人"))
    created_at = models.DateTimeField(_("添加时间"), default=timezone.now)

    class Meta:
        verbose_name = _("会员标签")
        verbose_name_plural = _("会员标签")
        constraints = [models.UniqueConstraint(fields=["member", "tag"], name="member_tag_once")]


class CareKind(models.TextChoices):
    BIRTHDAY = "birthday", _("生日关怀")
    WINBACK_EVENT = "winback_event", _("挽回：活动消息")
    WINBACK_SMS = "winback_sms", _("挽回：短信+券")
    WINBACK_CALL = "winback_call", _("挽回：电话任务")
    POINTS_EXPIRY_REMINDER = "points_reminder", _("积分过期提醒")
    DOWNGRADE_NOTICE = "downgrade_notice", _("降级提醒")


class CareAction(models.Model):
    """What the automations did, once per (member, kind, key): birthday per year,
    win-back steps per dormancy spell (key = the last visit that started it)."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="care_actions", verbose_name=_("会员"))
    kind = models.CharField(_("类型"), max_length=20, choices=CareKind.choices)
    key = models.CharField(_("周期键"), max_length=32)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("关怀记录")
        verbose_name_plural = _("关怀记录")
        constraints = [models.UniqueConstraint(fields=["member", "kind", "key"], name="care_action_once")]


class DailyRun(models.Model):
    """The daily job's steps done per date: a rerun skips what is done."""

    day = models.DateField(_("日期"))
    step = models.CharField(_("步骤"), max_length=32)
    finished_at = models.DateTimeField(_("完成时间"), default=timezone.now)
    result = models.JSONField(_("结果"), default=dict, blank=True)

    class Meta:
        verbose_name = _("每日任务记录")
        verbose_name_plural = _("每日任务记录")
        constraints = [models.UniqueConstraint(fields=["day", "step"], name="daily_run_step_once")]

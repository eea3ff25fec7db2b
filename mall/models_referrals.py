"""Employee referrals (分销) of the points mall (imported at the end of ``mall/models.py``).

- ``ShareLink``: one per staff member and product they shared (the link is the
  mini-site product page with the staff member's ``referral_code``; the poster
  draws it as a QR code).  ``times_shared`` counts the shares.
- ``ReferralClick``: a member opened a share link (or sent a referral code with
  an order).  A member's orders carry the staff member of their last click
  within ``MALL_REFERRAL_WINDOW_DAYS`` (``mall.services_referrals``).
- ``CommissionRule``: per product or per category (a product's rule wins, then
  its category's, then the parent category's): a percentage of the cash paid
  and an amount (yuan) per 1,000 points redeemed.
- ``Commission``: a line of a staff member's commission.  An ``earned`` line per
  paid referred order (``pending``; ``payable`` once the order completes;
  ``paid`` when its statement is paid).  A refund reduces a pending line in
  place (``reversed`` at zero) and adds a negative ``reversal`` line (payable at
  once) when the earned line was payable or paid already, so it lands on the
  next statement.
- ``CommissionStatement``: a staff member's payable lines for a month (HQ
  settles monthly); ``open`` → ``paid``."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Member, Store
from mall.models_orders import Order
from mall.models_refunds import OrderRefund


class ShareLink(models.Model):
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mall_shares",
                              verbose_name=_("员工"))
    product = models.ForeignKey("mall.Product", on_delete=models.CASCADE, related_name="shares",
                                verbose_name=_("商品"))
    # The staff member's store when they shared (empty for HQ): managers see their store's shares.
    store = models.ForeignKey(Store, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                              verbose_name=_("门店"))
    times_shared = models.PositiveIntegerField(_("分享次数"), default=1)
    created_at = models.DateTimeField(_("首次分享时间"), default=timezone.now)
    last_shared_at = models.DateTimeField(_("最近分享时间"), default=timezone.now)

    class Meta:
        ordering = ["-last_shared_at", "-id"]
        verbose_name = _("分销分享")
        verbose_name_plural = _("分销分享")
        constraints = [models.UniqueConstraint(fields=["staff", "product"], name="mall_share_staff_product")]

    def __str__(self) -> str:
        return f"{self.staff.display_name} · {self.product}"


class ClickSource(models.TextChoices):
    LINK = "link", _("打开分享链接")
    ORDER = "order", _("下单时填写推荐码")


class ReferralClick(models.Model):
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mall_referral_clicks",
                              verbose_name=_("员工"))
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="mall_referral_clicks",
                               verbose_name=_("会员"))
    product = models.ForeignKey("mall.Product", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                verbose_name=_("商品"))
    share = models.ForeignKey(ShareLink, on_delete=models.SET_NULL, null=True, blank=True, related_name="clicks",
                              verbose_name=_("分享"))
    store = models.ForeignKey(Store, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                              verbose_name=_("门店"))
    source = models.CharField(_("来源"), max_length=8, choices=ClickSource.choices, default=ClickSource.LINK)
    clicked_at = models.DateTimeField(_("点击时间"), default=timezone.now)

    class Meta:
        ordering = ["-clicked_at", "-id"]
        verbose_name = _("分销点击")
        verbose_name_plural = _("分销点击")
        indexes = [
            models.Index(fields=["member", "-clicked_at"], name="mall_click_member_at"),
            models.Index(fields=["staff", "-clicked_at"], name="mall_click_staff_at"),
        ]

    def __str__(self) -> str:
        return f"{self.staff_id} ← {self.member_id}"


class CommissionRule(models.Model):
    product = models.OneToOneField("mall.Product", on_delete=models.CASCADE, null=True, blank=True,
                                   related_name="commission_rule", verbose_name=_("商品"))
    category = models.OneToOneField("mall.Category", on_delete=models.CASCADE, null=True, blank=True,
                                    related_name="commission_rule", verbose_name=_("分类"))
    cash_percent = models.DecimalField(_("现金提成比例（%）"), max_digits=5, decimal_places=2, default=Decimal("0"),
                                       help_text=_("实付现金的百分比"))
    per_1000_points = models.DecimalField(_("每千积分提成（元）"), max_digits=8, decimal_places=2,
                                          default=Decimal("0"), help_text=_("每兑换 1,000 积分提成的金额"))
    is_active = models.BooleanField(_("启用"), default=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("分销提成规则")
        verbose_name_plural = _("分销提成规则")
        constraints = [
            models.CheckConstraint(
                name="mall_commission_rule_one_target",
                condition=(Q(product__isnull=False) & Q(category__isnull=True))
                | (Q(product__isnull=True) & Q(category__isnull=False)),
            ),
            models.CheckConstraint(name="mall_commission_rule_percent_range",
                                   condition=Q(cash_percent__gte=0) & Q(cash_percent__lte=100)),
            models.CheckConstraint(name="mall_commission_rule_points_gte_0", condition=Q(per_1000_points__gte=0)),
        ]

    def __str__(self) -> str:
        target = self.product if self.product_id else self.category
        return f"{target}: {self.cash_percent}% + {self.per_1000_points}/1000"


class CommissionKind(models.TextChoices):
    EARNED = "earned", _("订单提成")
    REVERSAL = "reversal", _("退款冲回")


class CommissionStatus(models.TextChoices):
    PENDING = "pending", _("待结算")
    PAYABLE = "payable", _("可结算")
    PAID = "paid", _("已发放")
    REVERSED = "reversed", _("已冲回")


class StatementStatus(models.TextChoices):
    OPEN = "open", _("待发放")
    PAID = "paid", _("已发放")


class CommissionStatement(models.Model):
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="mall_statements",
                              verbose_name=_("员工"))
    store = models.ForeignKey(Store, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                              verbose_name=_("门店"))
    month = models.DateField(_("结算月份"), help_text=_("该月 1 日"))
    total = models.DecimalField(_("合计（元）"), max_digits=12, decimal_places=2, default=Decimal("0"))
    lines_count = models.PositiveIntegerField(_("明细数"), default=0)
    status = models.CharField(_("状态"), max_length=8, choices=StatementStatus.choices, default=StatementStatus.OPEN)
    created_at = models.DateTimeField(_("生成时间"), default=timezone.now)
    paid_at = models.DateTimeField(_("发放时间"), null=True, blank=True)
    paid_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+", verbose_name=_("发放人"))

    class Meta:
        ordering = ["-month", "staff_id"]
        verbose_name = _("提成结算单")
        verbose_name_plural = _("提成结算单")
        constraints = [models.UniqueConstraint(fields=["staff", "month"], name="mall_statement_staff_month")]

    def __str__(self) -> str:
        return f"{self.staff.display_name} {self.month:%Y-%m}"


class Commission(models.Model):
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="mall_commissions",
                              verbose_name=_("员工"))
    # The staff member's store when the line was made (empty for HQ): their manager sees it.
    store = models.ForeignKey(Store, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                              verbose_name=_("门店"))
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="commissions", verbose_name=_("订单"))
    refund = models.OneToOneField(OrderRefund, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="commission", verbose_name=_("退款"))
    kind = models.CharField(_("类型"), max_length=8, choices=CommissionKind.choices, default=CommissionKind.EARNED)
    status = models.CharField(_("状态"), max_length=8, choices=CommissionStatus.choices,
                              default=CommissionStatus.PENDING, db_index=True)
    # Earned: what the order earned (cash part + points part) and what is left after refunds.
    cash_base = models.DecimalField(_("计提现金（元）"), max_digits=12, decimal_places=2, default=Decimal("0"))
    points_base = models.PositiveIntegerField(_("计提积分"), default=0)
    cash_part = models.DecimalField(_("现金部分提成（元）"), max_digits=12, decimal_places=2, default=Decimal("0"))
    points_part = models.DecimalField(_("积分部分提成（元）"), max_digits=12, decimal_places=2, default=Decimal("0"))
    amount = models.DecimalField(_("金额（元）"), max_digits=12, decimal_places=2)
    statement = models.ForeignKey(CommissionStatement, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="lines", verbose_name=_("结算单"))
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    payable_at = models.DateTimeField(_("可结算时间"), null=True, blank=True, db_index=True)
    paid_at = models.DateTimeField(_("发放时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("分销提成")
        verbose_name_plural = _("分销提成")
        indexes = [models.Index(fields=["staff", "status"], name="mall_commission_staff_status")]
        constraints = [
            models.UniqueConstraint(fields=["order"], condition=Q(kind="earned"), name="mall_commission_one_per_order"),
            models.CheckConstraint(name="mall_commission_sign",
                                   condition=(Q(kind="earned") & Q(amount__gte=0))
                                   | (Q(kind="reversal") & Q(amount__lt=0) & Q(refund__isnull=False))),
        ]

    def __str__(self) -> str:
        return f"{self.order} {self.amount}"

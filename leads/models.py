"""Leads and call follow-up: channels, leads and their events, scoring
configuration, the one follow-up task list, calls with live transcripts,
competitors, nurture sequences and reactivation batches."""

from __future__ import annotations

import re
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import validators
from accounts.models import Brand, CarSeries, Member, Store


class ChannelKind(models.TextChoices):
    OEM = "oem", _("厂家下发")
    PORTAL = "portal", _("汽车网站")
    MINIPROGRAM = "miniprogram", _("小程序")
    WALKIN = "walkin", _("自然到店")
    DCC = "dcc", _("DCC 外呼")
    EVENT = "event", _("活动")
    REFERRAL = "referral", _("转介绍")
    OTHER = "other", _("其他")


class Channel(models.Model):
    """A lead source HQ manages; an unknown channel code is refused."""

    code = models.SlugField(_("渠道代码"), max_length=32, unique=True)
    name = models.CharField(_("渠道名称"), max_length=64)
    kind = models.CharField(_("类型"), max_length=16, choices=ChannelKind.choices, default=ChannelKind.OTHER)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("线索渠道")
        verbose_name_plural = _("线索渠道")

    def __str__(self) -> str:
        return self.name


class ChannelCost(models.Model):
    """What a channel cost over a period (group-wide or for one store): CPL and CPQL."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="costs", verbose_name=_("渠道"))
    store = models.ForeignKey(
        Store, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("门店（空=集团）")
    )
    period_start = models.DateField(_("开始日期"))
    period_end = models.DateField(_("结束日期"))
    amount = models.DecimalField(_("费用（元）"), max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["-period_start"]
        verbose_name = _("渠道费用")
        verbose_name_plural = _("渠道费用")
        constraints = [
            models.CheckConstraint(name="channel_cost_period_ordered", condition=Q(period_end__gte=models.F("period_start"))),
            models.CheckConstraint(name="channel_cost_not_negative", condition=Q(amount__gte=0)),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.period_start}–{self.period_end}: {self.amount}"


def new_qr_token() -> str:
    return secrets.token_urlsafe(9)


class ChannelQRCode(models.Model):
    """渠道二维码: scanning opens the mini-site form; the lead remembers the channel."""

    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="qr_codes", verbose_name=_("渠道"))
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+", verbose_name=_("门店"))
    event_name = models.CharField(_("活动名称"), max_length=100, blank=True)
    token = models.CharField(_("二维码标识"), max_length=32, unique=True, default=new_qr_token, editable=False)
    scans = models.PositiveIntegerField(_("扫码次数"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("创建人"),
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("渠道二维码")
        verbose_name_plural = _("渠道二维码")

    def __str__(self) -> str:
        return f"{self.channel} · {self.store.code} · {self.event_name}"


class Stage(models.TextChoices):
    NEW = "new", _("新线索")
    CONTACTED = "contacted", _("已联系")
    INVITED = "invited", _("已邀约")
    VISITED = "visited", _("已到店")
    TEST_DRIVEN = "test_driven", _("已试驾")
    ORDERED = "ordered", _("已下订")
    DELIVERED = "delivered", _("已交车")
    DEFEATED = "defeated", _("战败")
    SILENT = "silent", _("沉默")


# The funnel, in order; "or better" comparisons use this rank.
FUNNEL = [Stage.NEW, Stage.CONTACTED, Stage.INVITED, Stage.VISITED, Stage.TEST_DRIVEN, Stage.ORDERED, Stage.DELIVERED]
OPEN_STAGES = frozenset(FUNNEL[:-1])
CLOSED_STAGES = frozenset({Stage.DELIVERED, Stage.DEFEATED, Stage.SILENT})


def hot_q(prefix: str = "") -> Q:
    """The one definition of a hot lead: open (a stage before delivery; not
    delivered, defeated or silent) and scored at or above the hot threshold
    (``is_hot``: scoring sets it to ``score >= ScoringConfig.hot_threshold``
    at each rescoring; a closed lead keeps its last value, hence the open
    test).  ``prefix`` reaches leads through a relation (``"leads__"``);
    ``Lead.hot`` is the same rule on one row."""
    return Q(**{f"{prefix}is_open": True, f"{prefix}stage__in": OPEN_STAGES, f"{prefix}is_hot": True})


class DefeatReason(models.TextChoices):
    BOUGHT_COMPETITOR = "bought_competitor", _("已购竞品")
    BOUGHT_OTHER_DEALER = "bought_other_dealer", _("在其他经销商购买")
    PRICE = "price", _("价格原因")
    FINANCING = "financing", _("贷款未通过")
    POSTPONED = "postponed", _("暂缓购车")
    GAVE_UP = "gave_up", _("放弃购车")
    OTHER = "other", _("其他")


class Competitor(models.Model):
    """A competitor brand or model with the names customers use for it."""

    brand = models.CharField(_("品牌"), max_length=64)
    model = models.CharField(_("车型"), max_length=64, blank=True)
    aliases = models.TextField(_("别名"), blank=True, help_text=_("每行一个，或用逗号分隔，如：凯美瑞、小凯、camry"))
    comparison_points = models.TextField(_("对比话术"), blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["brand", "model"]
        verbose_name = _("竞品")
        verbose_name_plural = _("竞品")

    def __str__(self) -> str:
        return f"{self.brand} {self.model}".strip()

    @property
    def alias_list(self) -> list[str]:
        names = [self.model, f"{self.brand}{self.model}" if self.model else self.brand]
        names += [a.strip() for a in re.split(r"[,，、;；\n]+", self.aliases or "") if a.strip()]
        return [n for n in dict.fromkeys(names) if n]


class PoolReason(models.TextChoices):
    """Why a lead is in the store's public pool (公海)."""

    FIRST_CONTACT_OVERDUE = "first_contact_overdue", _("首次联系超时")
    FOLLOW_UP_OVERDUE = "follow_up_overdue", _("跟进超时")
    DEFEATED = "defeated", _("战败")
    SILENT = "silent", _("沉默")
    RELEASED = "released", _("主动释放")


class PoolReview(models.TextChoices):
    """A defeated or silent lead waits for the manager before it enters the pool."""

    NONE = "", _("无需确认")
    PENDING = "pending", _("待确认入公海")
    CONFIRMED = "confirmed", _("已确认入公海")
    REJECTED = "rejected", _("不入公海")


class Lead(models.Model):
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="leads", verbose_name=_("门店"))
    member = models.ForeignKey(
        Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="leads", verbose_name=_("会员")
    )
    mobile = models.CharField(_("手机号"), max_length=11, validators=[validators.validate_mobile], db_index=True)
    name = models.CharField(_("姓名"), max_length=64, blank=True)
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="leads", verbose_name=_("首次渠道"))
    brand = models.ForeignKey(Brand, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("意向品牌"))
    model_interest = models.CharField(_("意向车型"), max_length=100, blank=True)
    # The catalogue series ``model_interest`` names, where it names one (lead_ingest resolves it).
    series = models.ForeignKey(
        CarSeries, on_delete=models.SET_NULL, null=True, blank=True, related_name="leads", verbose_name=_("意向车系")
    )
    stage = models.CharField(_("阶段"), max_length=16, choices=Stage.choices, default=Stage.NEW, db_index=True)
    is_open = models.BooleanField(_("进行中"), default=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="leads",
        verbose_name=_("跟进顾问"),
    )
    assigned_at = models.DateTimeField(_("分配时间"), null=True, blank=True)
    score = models.PositiveIntegerField(_("行为评分"), default=0)
    score_reasons = models.JSONField(_("评分依据"), default=list, blank=True)
    learned_score = models.FloatField(_("模型成交概率"), null=True, blank=True)
    scored_at = models.DateTimeField(_("评分时间"), null=True, blank=True)
    is_hot = models.BooleanField(_("高意向"), default=False, db_index=True)
    nurture_step = models.PositiveSmallIntegerField(_("培育步骤"), default=0)
    next_nurture_at = models.DateTimeField(_("下次培育"), null=True, blank=True, db_index=True)
    not_now_at = models.DateTimeField(_("暂不考虑时间"), null=True, blank=True)
    contact_attempts = models.PositiveSmallIntegerField(_("未接通次数"), default=0)
    last_contacted_at = models.DateTimeField(_("最近联系"), null=True, blank=True)
    defeat_reason = models.CharField(_("战败原因"), max_length=32, choices=DefeatReason.choices, blank=True)
    defeat_competitor = models.ForeignKey(
        Competitor, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("购买竞品")
    )
    note = models.TextField(_("备注"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    # The public pool (公海, leads.services.pool): a pooled lead has no owner;
    # the store's consultants claim it.  Lists and counts use ``lead_pool``.
    in_pool = models.BooleanField(_("在公海"), default=False)
    pooled_at = models.DateTimeField(_("进入公海时间"), null=True, blank=True)
    pool_reason = models.CharField(_("入公海原因"), max_length=24, choices=PoolReason.choices, blank=True)
    pool_review = models.CharField(_("入公海确认"), max_length=16, choices=PoolReview.choices, blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("线索")
        verbose_name_plural = _("线索")
        constraints = [
            # Cleaning: one open lead per mobile in the whole group; a second
            # arrival is merged into it (services.lead_ingest).
            models.UniqueConstraint(fields=["mobile"], condition=Q(is_open=True), name="one_open_lead_per_mobile"),
        ]
        indexes = [
            models.Index(fields=["store", "stage"], name="lead_store_stage"),
            models.Index(fields=["assigned_to", "is_open"], name="lead_assignee_open"),
            # The pool of a store, oldest or newest first, and its counts per
            # store (HQ overview): a partial index holds only pooled leads.
            models.Index(fields=["store", "pooled_at"], condition=Q(in_pool=True), name="lead_pool"),
            models.Index(fields=["store"], condition=Q(pool_review="pending"), name="lead_pool_pending"),
            # The allocation sweep's candidates (leads.services.allocation.allocation_candidates).
            models.Index(fields=["store", "created_at", "id"], name="lead_unassigned_open",
                         condition=Q(is_open=True, assigned_to__isnull=True, in_pool=False)),
            # Today's new leads per consultant (the daily cap).
            models.Index(fields=["store", "assigned_at"], name="lead_store_assigned_at"),
        ]

    def __str__(self) -> str:
        return f"{self.name or _('线索')} {validators.mask_mobile(self.mobile)}"

    @property
    def masked_mobile(self) -> str:
        return validators.mask_mobile(self.mobile)

    @property
    def hot(self) -> bool:
        """Hot now: open and at or above the threshold (``hot_q`` on one row)."""
        return bool(self.is_hot and self.is_open and self.stage in OPEN_STAGES)


class LeadSource(models.Model):
    """Every arrival of a lead (first or merged), with its channel and cost."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="sources", verbose_name=_("线索"))
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="+", verbose_name=_("渠道"))
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+", verbose_name=_("门店"))
    qr_code = models.ForeignKey(
        ChannelQRCode, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("渠道二维码")
    )
    name = models.CharField(_("姓名"), max_length=64, blank=True)
    model_interest = models.CharField(_("意向车型"), max_length=100, blank=True)
    note = models.TextField(_("备注"), blank=True)
    received_at = models.DateTimeField(_("接收时间"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["received_at", "id"]
        verbose_name = _("线索来源")
        verbose_name_plural = _("线索来源")

    def __str__(self) -> str:
        return f"{self.channel} {self.received_at:%Y-%m-%d}"


class EventKind(models.TextChoices):
    VIEWED_MODEL = "viewed_model", _("浏览车型")
    VIEWED_AGAIN = "viewed_again", _("再次浏览")
    PRICE_REQUEST = "price_request", _("询价")
    LOAN_CALCULATOR = "loan_calculator", _("使用贷款计算器")
    TEST_DRIVE_BOOKED = "test_drive_booked", _("预约试驾")
    MESSAGE_OPENED = "message_opened", _("打开消息")
    CAME_BACK = "came_back", _("暂不考虑后回访")
    STORE_VISIT = "store_visit", _("到店")
    # Not behaviour: the lead's history.
    CREATED = "created", _("创建")
    MERGED = "merged", _("重复线索合并")
    STAGE_CHANGED = "stage_changed", _("阶段变更")
    ASSIGNED = "assigned", _("分配顾问")
    NOT_NOW = "not_now", _("客户表示暂不考虑")
    CALL = "call", _("通话")
    NURTURE_SENT = "nurture_sent", _("培育消息")
    POOLED = "pooled", _("进入公海")
    POOL_CLAIMED = "pool_claimed", _("公海领取")
    POOL_REJECTED = "pool_rejected", _("不入公海")


BEHAVIOUR_EVENTS = frozenset({
    EventKind.VIEWED_MODEL, EventKind.VIEWED_AGAIN, EventKind.PRICE_REQUEST, EventKind.LOAN_CALCULATOR,
    EventKind.TEST_DRIVE_BOOKED, EventKind.MESSAGE_OPENED, EventKind.CAME_BACK, EventKind.STORE_VISIT,
})


class LeadEvent(models.Model):
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="events", verbose_name=_("线索"))
    kind = models.CharField(_("类型"), max_length=24, choices=EventKind.choices, db_index=True)
    occurred_at = models.DateTimeField(_("发生时间"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("操作人"),
    )
    from_stage = models.CharField(_("原阶段"), max_length=16, choices=Stage.choices, blank=True)
    to_stage = models.CharField(_("新阶段"), max_length=16, choices=Stage.choices, blank=True)
    data = models.JSONField(_("数据"), default=dict, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("线索事件")
        verbose_name_plural = _("线索事件")
        indexes = [models.Index(fields=["lead", "-occurred_at"], name="lead_event_timeline")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_at:%Y-%m-%d %H:%M}"


DEFAULT_WEIGHTS = {
    EventKind.VIEWED_MODEL.value: 5,
    EventKind.VIEWED_AGAIN.value: 10,
    EventKind.PRICE_REQUEST.value: 20,
    EventKind.LOAN_CALCULATOR.value: 15,
    EventKind.TEST_DRIVE_BOOKED.value: 35,
    EventKind.MESSAGE_OPENED.value: 3,
    EventKind.CAME_BACK.value: 15,
    EventKind.STORE_VISIT.value: 30,
}


def default_weights() -> dict:
    return dict(DEFAULT_WEIGHTS)


# Sent after ScoringConfig rows change through a queryset (``update``,
# ``bulk_update``, ``bulk_create``), which sends no post_save: with post_save
# and post_delete it is what ``leads.services.scoring.scoring_config`` listens
# to so the per-process copy of the configuration is dropped on every change.
scoring_config_changed = Signal()


class ScoringConfigQuerySet(models.QuerySet):
    def update(self, **kwargs):
        rows = super().update(**kwargs)
        scoring_config_changed.send(sender=ScoringConfig)
        return rows

    def bulk_create(self, *args, **kwargs):
        created = super().bulk_create(*args, **kwargs)
        scoring_config_changed.send(sender=ScoringConfig)
        return created


class ScoringConfig(models.Model):
    """One row (pk=1) HQ edits; the next scoring uses it.  Hot paths read it
    through ``leads.services.scoring.scoring_config`` (a per-process copy
    dropped on every change)."""

    objects = ScoringConfigQuerySet.as_manager()

    weights = models.JSONField(_("行为权重"), default=default_weights)
    half_life_days = models.PositiveSmallIntegerField(_("衰减半衰期（天）"), default=14)
    completeness_points = models.PositiveSmallIntegerField(_("资料完整度满分"), default=10)
    hot_threshold = models.PositiveSmallIntegerField(_("高意向阈值"), default=50)
    sla_hours = models.PositiveSmallIntegerField(_("首次跟进时限（小时）"), default=2)
    silent_after_attempts = models.PositiveSmallIntegerField(_("未接通几次转沉默"), default=5)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("线索评分设置")
        verbose_name_plural = _("线索评分设置")
        constraints = [models.CheckConstraint(name="scoring_config_singleton", condition=Q(pk=1))]

    def __str__(self) -> str:
        return str(_("线索评分设置"))

    @classmethod
    def current(cls) -> ScoringConfig:
        return cls.objects.get_or_create(pk=1)[0]


class NurtureStep(models.Model):
    """One step of the nurture sequence for low-score leads (editable by HQ).

    ``kind`` is a registry key (``leads.nurture.STEP_KINDS``): ``message`` is
    built in; the membership app registers ``coupon``."""

    position = models.PositiveSmallIntegerField(_("顺序"), unique=True)
    delay_days = models.PositiveSmallIntegerField(_("间隔天数"), default=3)
    kind = models.CharField(_("类型"), max_length=16, default="message")
    channel = models.CharField(_("发送渠道"), max_length=16, default="sms")
    body = models.TextField(_("内容"), help_text=_("可用 {name}、{model}、{store}"))
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["position"]
        verbose_name = _("培育步骤")
        verbose_name_plural = _("培育步骤")

    def __str__(self) -> str:
        return f"#{self.position} +{self.delay_days}d {self.body[:20]}"


class TalkingPoint(models.Model):
    """开口任务: what to cover on a call, per stage and/or brand."""

    stage = models.CharField(_("阶段"), max_length=16, choices=Stage.choices, blank=True)
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, null=True, blank=True, verbose_name=_("品牌"))
    title = models.CharField(_("标题"), max_length=100)
    body = models.TextField(_("要点"))
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("开口任务")
        verbose_name_plural = _("开口任务")

    def __str__(self) -> str:
        return self.title


class TaskKind(models.TextChoices):
    FIRST_CALL = "first_call", _("高意向首呼")
    FIRST_CONTACT = "first_contact", _("新线索首次联系")
    FOLLOW_UP = "follow_up", _("跟进")
    CALL_BACK = "call_back", _("时机回访")
    REACTIVATION = "reactivation", _("战败/沉默激活")
    WIN_BACK = "win_back", _("流失挽回")
    RENEWAL = "renewal", _("续保")
    OTHER = "other", _("其他")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("待办")
    DONE = "done", _("已完成")
    CANCELLED = "cancelled", _("已取消")


class FollowUpTask(models.Model):
    """The one task list: about a lead or a member; closed by logging an outcome."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="tasks", verbose_name=_("门店"))
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="tasks",
        verbose_name=_("负责人"),
    )
    lead = models.ForeignKey(
        Lead, on_delete=models.CASCADE, null=True, blank=True, related_name="tasks", verbose_name=_("线索")
    )
    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, null=True, blank=True, related_name="tasks", verbose_name=_("会员")
    )
    kind = models.CharField(_("类型"), max_length=16, choices=TaskKind.choices, default=TaskKind.FOLLOW_UP)
    title = models.CharField(_("标题"), max_length=200)
    due_at = models.DateTimeField(_("截止时间"), db_index=True)
    status = models.CharField(_("状态"), max_length=16, choices=TaskStatus.choices, default=TaskStatus.OPEN, db_index=True)
    outcome = models.TextField(_("结果"), blank=True)
    closed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("完成人"),
    )
    # Makes a task idempotent per cause ("first_call:<lead>", "winback:<member>:<spell>:7m").
    dedup_key = models.CharField(_("去重键"), max_length=128, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("跟进任务")
        verbose_name_plural = _("跟进任务")
        constraints = [
            models.CheckConstraint(name="task_about_lead_or_member", condition=Q(lead__isnull=False) | Q(member__isnull=False)),
        ]
        indexes = [models.Index(fields=["assignee", "status", "due_at"], name="task_assignee_due")]

    def __str__(self) -> str:
        return self.title


class CallStatus(models.TextChoices):
    DIALING = "dialing", _("拨号中")
    IN_PROGRESS = "in_progress", _("通话中")
    ENDED = "ended", _("已结束")
    FAILED = "failed", _("未接通")


class Call(models.Model):
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="calls", verbose_name=_("门店"))
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="calls", verbose_name=_("坐席")
    )
    lead = models.ForeignKey(
        Lead, on_delete=models.SET_NULL, null=True, blank=True, related_name="calls", verbose_name=_("线索")
    )
    member = models.ForeignKey(
        Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="calls", verbose_name=_("会员")
    )
    task = models.ForeignKey(
        FollowUpTask, on_delete=models.SET_NULL, null=True, blank=True, related_name="calls", verbose_name=_("跟进任务")
    )
    provider_call_id = models.CharField(_("通话 ID"), max_length=64, unique=True)
    status = models.CharField(_("状态"), max_length=16, choices=CallStatus.choices, default=CallStatus.DIALING)
    started_at = models.DateTimeField(_("开始时间"), default=timezone.now, db_index=True)
    answered_at = models.DateTimeField(_("接通时间"), null=True, blank=True)
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(_("通话时长（秒）"), default=0)
    recording_url = models.URLField(_("录音"), blank=True)
    competitors = models.ManyToManyField(Competitor, blank=True, related_name="calls", verbose_name=_("提及竞品"))
    topics = models.JSONField(_("话题"), default=list, blank=True)
    transcript = models.TextField(_("通话记录"), blank=True)
    summary = models.TextField(_("通话小结"), blank=True)
    report_confirmed_at = models.DateTimeField(_("报告确认时间"), null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("通话")
        verbose_name_plural = _("通话")

    def __str__(self) -> str:
        return f"{self.provider_call_id} {self.get_status_display()}"


class Speaker(models.TextChoices):
    AGENT = "agent", _("顾问")
    CUSTOMER = "customer", _("客户")


class TranscriptSegment(models.Model):
    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="segments", verbose_name=_("通话"))
    seq = models.PositiveIntegerField(_("序号"))
    speaker = models.CharField(_("说话人"), max_length=16, choices=Speaker.choices)
    text = models.TextField(_("内容"))
    offset_ms = models.PositiveIntegerField(_("时间点（毫秒）"), default=0)
    received_at = models.DateTimeField(_("接收时间"), default=timezone.now)

    class Meta:
        ordering = ["seq"]
        verbose_name = _("转写片段")
        verbose_name_plural = _("转写片段")
        constraints = [models.UniqueConstraint(fields=["call", "seq"], name="segment_seq_unique")]

    def __str__(self) -> str:
        return f"{self.seq} {self.speaker}: {self.text[:30]}"


class WebhookReceipt(models.Model):
    """Each provider delivery once: a repeated delivery id is acknowledged and ignored."""

    provider = models.CharField(_("服务商"), max_length=32)
    delivery_id = models.CharField(_("回调编号"), max_length=128)
    received_at = models.DateTimeField(_("接收时间"), default=timezone.now)

    class Meta:
        verbose_name = _("回调记录")
        verbose_name_plural = _("回调记录")
        constraints = [models.UniqueConstraint(fields=["provider", "delivery_id"], name="webhook_delivery_once")]


class ReactivationMode(models.TextChoices):
    CALL = "call", _("外呼任务")
    NURTURE = "nurture", _("培育消息")


class ReactivationBatch(models.Model):
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("发起人")
    )
    store = models.ForeignKey(
        Store, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("门店")
    )
    mode = models.CharField(_("方式"), max_length=16, choices=ReactivationMode.choices)
    filters = models.JSONField(_("筛选条件"), default=dict, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("激活批次")
        verbose_name_plural = _("激活批次")

    def __str__(self) -> str:
        return f"{self.get_mode_display()} {self.created_at:%Y-%m-%d}"


class ReactivationItem(models.Model):
    batch = models.ForeignKey(ReactivationBatch, on_delete=models.CASCADE, related_name="items", verbose_name=_("激活批次"))
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="+", verbose_name=_("线索"))
    stage_before = models.CharField(_("激活前阶段"), max_length=16, choices=Stage.choices)

    class Meta:
        verbose_name = _("激活明细")
        verbose_name_plural = _("激活明细")
        constraints = [models.UniqueConstraint(fields=["batch", "lead"], name="reactivation_item_unique")]


class LearnedScoreModel(models.Model):
    """The naive-Bayes model behind ``Lead.learned_score``, trained once a day
    (``leads.services.learning``) from the group's won and lost leads."""

    trained_on = models.DateField(_("训练日期"), unique=True)
    trained_at = models.DateTimeField(_("训练时间"), default=timezone.now)
    won = models.PositiveIntegerField(_("成交样本"), default=0)
    lost = models.PositiveIntegerField(_("战败/沉默样本"), default=0)
    params = models.JSONField(_("模型参数"), default=dict, blank=True)

    class Meta:
        ordering = ["-trained_on"]
        verbose_name = _("线索成交预测模型")
        verbose_name_plural = _("线索成交预测模型")

    def __str__(self) -> str:
        return f"{self.trained_on} ({self.won}/{self.lost})"


class ConsultantTarget(models.Model):
    """A consultant's (or DCC agent's) targets for one month, set by the store
    manager (HQ: any store) on the targets page; the dashboards set them
    against ``leads.selectors.dashboard.consultant_month_numbers``."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+", verbose_name=_("门店"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lead_targets", verbose_name=_("顾问"),
    )
    month = models.DateField(_("月份"), help_text=_("当月第一天"))
    leads_contacted = models.PositiveIntegerField(_("联系线索数"), default=0)
    visits = models.PositiveIntegerField(_("到店数"), default=0)
    test_drives = models.PositiveIntegerField(_("试驾数"), default=0)
    orders = models.PositiveIntegerField(_("订单数"), default=0)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("设定人"),
    )

    class Meta:
        ordering = ["-month", "store", "user"]
        verbose_name = _("顾问月度目标")
        verbose_name_plural = _("顾问月度目标")
        constraints = [
            models.UniqueConstraint(fields=["user", "month"], name="consultant_target_once_a_month"),
        ]
        indexes = [models.Index(fields=["store", "month"], name="consultant_target_store_month")]

    def __str__(self) -> str:
        return f"{self.user} {self.month:%Y-%m}"


# The month figures a target sets, in the order pages show them.
TARGET_METRICS = ("leads_contacted", "visits", "test_drives", "orders")


# The public pool's rule and history (a module of their own; Django finds them here).
from leads.models_pool import PoolEntry, PoolRule  # noqa: E402,F401
# Showroom appointments and test drives live in their own module; imported here
# so Django sees them as models of the leads app.
from leads.models_showroom import (  # noqa: E402, F401
    Appointment,
    AppointmentKind,
    AppointmentSource,
    AppointmentStatus,
    CarStatus,
    StoreHours,
    TestDriveCar,
)
# Allocation (分配规则, 顾问专长) lives in its own module, registered with the app here.
from leads.models_allocation import ConsultantSkill, DistributionMode, DistributionRule  # noqa: E402,F401

"""Stores, staff, members and their vehicles; plus the shared infrastructure
every later app uses: the audit log, the outbox and idempotency keys."""

from __future__ import annotations

import secrets

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy as _

from accounts import validators


class Brand(models.Model):
    """A car brand: what stores sell and the top of the vehicle catalogue
    (车型库, ``accounts.catalogue``: its series and models).  ``initial`` is
    the pinyin initial of the A–Z picker, ``pinyin`` orders brands within it;
    ``aliases`` are other names (Volkswagen, 一汽-大众 …), comma-separated."""

    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    initial = models.CharField(
        _("首字母"), max_length=1, default="", validators=[RegexValidator(r"^[A-Z]\Z", _("首字母应为一个大写字母 A–Z。"))],
        help_text=_("品牌名称拼音的首字母（A–Z），用于按字母选择品牌。"),
    )
    pinyin = models.CharField(_("拼音"), max_length=64, blank=True, help_text=_("例如：dazhong，用于同一字母内排序。"))
    aliases = models.CharField(_("别名"), max_length=200, blank=True, help_text=_("其他叫法，用逗号分隔，例如：Volkswagen, 一汽-大众。"))
    logo = models.ImageField(_("标志"), upload_to="catalogue/brands/", blank=True)
    is_group_brand = models.BooleanField(_("集团经营品牌"), default=False)
    is_active = models.BooleanField(_("可选"), default=True, help_text=_("取消后不再出现在选择列表中，已登记的车辆不受影响。"))
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("品牌")
        verbose_name_plural = _("品牌")

    def __str__(self) -> str:
        return self.name


class Store(models.Model):
    code = models.CharField(_("门店代码"), max_length=16, unique=True)
    name = models.CharField(_("门店名称"), max_length=100)
    province = models.CharField(_("省份"), max_length=32)
    city = models.CharField(_("城市"), max_length=32, db_index=True)
    brands = models.ManyToManyField(Brand, related_name="stores", blank=True, verbose_name=_("经营品牌"))
    address = models.CharField(_("地址"), max_length=200, blank=True)
    phone = models.CharField(_("电话"), max_length=32, blank=True)
    is_active = models.BooleanField(_("营业中"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("门店")
        verbose_name_plural = _("门店")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Role(models.TextChoices):
    CONSULTANT = "consultant", _("销售顾问")
    DCC = "dcc", _("DCC 呼叫中心")
    MANAGER = "manager", _("店总")
    INSURANCE = "insurance", _("续保专员")
    USEDCAR = "usedcar", _("二手车经理")
    HQ = "hq", _("集团运营")
    ADMIN = "admin", _("系统管理员")
    OWNER = "owner", _("车主")
    INTEGRATION = "integration", _("系统接口")


STORE_ROLES = frozenset({Role.CONSULTANT, Role.DCC, Role.MANAGER, Role.INSURANCE, Role.USEDCAR})
GROUP_ROLES = frozenset({Role.HQ, Role.ADMIN})
STAFF_ROLES = STORE_ROLES | GROUP_ROLES
# Role.INTEGRATION (an ApiClient's user) is none of these: it signs in only
# with its token and reaches only the API views that list it.


def new_referral_code() -> str:
    alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
    return "".join(secrets.choice(alphabet) for _ in range(8))


class User(AbstractUser):
    """Staff sign in with username + password; owners (role ``owner``) with
    their mobile number and an SMS code.  Each owner user has one Member."""

    role = models.CharField(_("角色"), max_length=16, choices=Role.choices, default=Role.OWNER, db_index=True)
    store = models.ForeignKey(
        Store, on_delete=models.PROTECT, null=True, blank=True, related_name="staff", verbose_name=_("所属门店")
    )
    referral_code = models.CharField(_("推荐码"), max_length=12, unique=True, default=new_referral_code, editable=False)
    phone = models.CharField(
        _("手机号"), max_length=11, unique=True, null=True, blank=True, validators=[validators.validate_mobile]
    )
    phone_verified = models.BooleanField(_("手机号已验证"), default=False)
    on_duty = models.BooleanField(_("在岗"), default=True)
    # Set when an admin or store manager resets the password to a temporary
    # one: every page sends the user to change it until they have.
    must_change_password = models.BooleanField(_("须修改密码"), default=False)

    objects = UserManager()

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        constraints = [
            models.CheckConstraint(
                name="store_staff_have_a_store",
                condition=~Q(role__in=sorted(r.value for r in STORE_ROLES)) | Q(store__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        full = f"{self.last_name}{self.first_name}".strip()
        if self.role == Role.OWNER:  # audit log, admin lists: never the mobile
            return self.display_name
        return f"{full} ({self.username})" if full else self.username

    @property
    def display_name(self) -> str:
        """Staff: their name (else the username).  Owners: their name, else
        "车主" and the masked mobile; never the full number."""
        full = f"{self.last_name}{self.first_name}".strip()
        if self.role == Role.OWNER:
            return full or f"{_('车主')} {validators.mask_mobile(self.phone)}".strip()
        return full or self.username

    @property
    def is_staff_member(self) -> bool:
        return self.role in STAFF_ROLES or self.is_superuser

    @property
    def is_group_wide(self) -> bool:
        return self.role in GROUP_ROLES or self.is_superuser

    @property
    def is_owner(self) -> bool:
        return self.role == Role.OWNER


class Gender(models.TextChoices):
    UNKNOWN = "unknown", _("未知")
    MALE = "male", _("男")
    FEMALE = "female", _("女")


class ConsentSource(models.TextChoices):
    MINIPROGRAM = "miniprogram", _("小程序")
    MINISITE = "minisite", _("会员网页")
    STORE = "store", _("门店登记")
    IMPORT = "import", _("数据导入")
    API = "api", _("接口")
    SMS = "sms", _("短信回复")


class NotificationTopic(models.TextChoices):
    """What a non-marketing notice is about, so the owner can mute it
    (通知偏好).  A message without a topic (sign-in codes, service notices)
    is never muted."""

    POINTS = "points", _("积分到期与变动提醒")
    CARE = "care", _("生日关怀")
    MEMBERSHIP = "membership", _("会员等级与权益通知")


# Member field holding the owner's choice for each muteable channel / topic.
CHANNEL_PREFERENCE_FIELDS = {"sms": "notify_sms", "wechat": "notify_wechat"}
TOPIC_PREFERENCE_FIELDS = {
    NotificationTopic.POINTS: "notify_points",
    NotificationTopic.CARE: "notify_care",
    NotificationTopic.MEMBERSHIP: "notify_membership",
}


class Member(models.Model):
    """A car owner.  ``store`` is the owning store: the store that brought the
    member in keeps the right to operate them, even in the group-wide pool."""

    user = models.OneToOneField(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="member", verbose_name=_("登录账号")
    )
    name = models.CharField(_("姓名"), max_length=64, blank=True, db_index=True)
    mobile = models.CharField(_("手机号"), max_length=11, unique=True, validators=[validators.validate_mobile])
    gender = models.CharField(_("性别"), max_length=8, choices=Gender.choices, default=Gender.UNKNOWN)
    birthday = models.DateField(_("生日"), null=True, blank=True)
    city = models.CharField(_("城市"), max_length=32, blank=True)
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="members", verbose_name=_("归属门店"))
    source_channel = models.CharField(_("来源渠道"), max_length=32, blank=True)
    marketing_consent = models.BooleanField(_("同意营销"), default=False)
    consent_at = models.DateTimeField(_("授权时间"), null=True, blank=True)
    consent_source = models.CharField(_("授权来源"), max_length=16, choices=ConsentSource.choices, blank=True)
    notify_sms = models.BooleanField(_("接收短信"), default=True)
    notify_wechat = models.BooleanField(_("接收小程序订阅消息"), default=True)
    notify_points = models.BooleanField(_("积分到期与变动提醒"), default=True)
    notify_care = models.BooleanField(_("生日关怀"), default=True)
    notify_membership = models.BooleanField(_("会员等级与权益通知"), default=True)
    wechat_openid = models.CharField(_("微信 openid"), max_length=64, unique=True, null=True, blank=True)
    joined_at = models.DateTimeField(_("入会时间"), default=timezone.now, db_index=True)
    # 专属顾问: set when a lead of the member is first allocated; moved by a hand-over (离职交接).
    advisor = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="advised_members",
        verbose_name=_("专属顾问"),
    )

    class Meta:
        ordering = ["-joined_at", "-id"]
        verbose_name = _("会员")
        verbose_name_plural = _("会员")
        indexes = [models.Index(fields=["store", "-joined_at"], name="member_store_joined")]

    def __str__(self) -> str:
        return f"{self.name or _('会员')} {validators.mask_mobile(self.mobile)}"

    @property
    def masked_mobile(self) -> str:
        return validators.mask_mobile(self.mobile)


class Vehicle(models.Model):
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="vehicles", verbose_name=_("车主"))
    vin = models.CharField(_("车架号"), max_length=17, null=True, blank=True, validators=[validators.validate_vin])
    plate = models.CharField(_("车牌号"), max_length=10, null=True, blank=True, validators=[validators.validate_plate])
    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("品牌"))
    series = models.CharField(_("车系"), max_length=64, blank=True)
    model = models.CharField(_("车型"), max_length=100, blank=True)
    # The catalogue rows the car was matched to (the texts above are kept for display).
    catalogue_series = models.ForeignKey(
        "accounts.CarSeries", on_delete=models.PROTECT, null=True, blank=True, related_name="vehicles",
        verbose_name=_("车型库车系"),
    )
    catalogue_model = models.ForeignKey(
        "accounts.CarModel", on_delete=models.PROTECT, null=True, blank=True, related_name="vehicles",
        verbose_name=_("车型库车型"),
    )
    colour = models.CharField(_("颜色"), max_length=32, blank=True)
    purchase_date = models.DateField(_("购车日期"), null=True, blank=True)
    mileage = models.PositiveIntegerField(_("里程（公里）"), null=True, blank=True)
    # Set when the owner trades the car in to a store (usedcars' stock entry).
    traded_in_at = models.DateTimeField(_("置换时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("车辆")
        verbose_name_plural = _("车辆")
        constraints = [
            models.UniqueConstraint(fields=["vin"], name="vehicle_vin_unique"),
            models.UniqueConstraint(fields=["plate"], name="vehicle_plate_unique"),
            models.CheckConstraint(
                name="vehicle_has_vin_or_plate", condition=Q(vin__isnull=False) | Q(plate__isnull=False)
            ),
            models.CheckConstraint(name="mileage_not_negative", condition=Q(mileage__gte=0) | Q(mileage__isnull=True)),
        ]

    def __str__(self) -> str:
        return self.plate or self.vin or str(self.pk)


class AuditLog(models.Model):
    """Who did what, when: reveals, role changes, exports and every service
    that changes stock, points, orders, policies or leads."""

    actor = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("操作人")
    )
    store = models.ForeignKey(
        Store, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("门店")
    )
    action = models.CharField(_("动作"), max_length=64, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=64, blank=True)
    object_id = models.CharField(_("对象 ID"), max_length=64, blank=True)
    object_repr = models.CharField(_("对象"), max_length=200, blank=True)
    data = models.JSONField(_("数据"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("审计日志")
        verbose_name_plural = _("审计日志")
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action}"


class Channel(models.TextChoices):
    SMS = "sms", _("短信")
    WECHAT = "wechat", _("小程序订阅消息")
    WECOM = "wecom", _("企业微信")
    INAPP = "inapp", _("站内信")


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENDING = "sending", _("发送中")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("失败")
    SUPPRESSED = "suppressed", _("未发送（未授权或已关闭通知）")


class SuppressionReason(models.TextChoices):
    """Why a message was kept and never sent (``accounts.outbox.services.suppression_reason``);
    the muted channel or topic is the message's own."""

    NO_MARKETING_CONSENT = "no_marketing_consent", _("未同意接收营销消息")
    MUTED_CHANNEL = "muted_channel", _("会员已关闭此渠道的通知")
    MUTED_TOPIC = "muted_topic", _("会员已关闭此类通知")


class OutboxMessage(models.Model):
    """Every outgoing message, written in the same transaction as its cause and
    delivered by the worker.  ``dedup_key`` makes a retry of the cause a no-op."""

    channel = models.CharField(_("渠道"), max_length=16, choices=Channel.choices)
    recipient = models.CharField(_("接收方"), max_length=128)
    member = models.ForeignKey(
        Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="messages", verbose_name=_("会员")
    )
    user = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="messages", verbose_name=_("员工")
    )
    store = models.ForeignKey(
        Store, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("门店")
    )
    template = models.CharField(_("模板"), max_length=64, blank=True)
    body = models.TextField(_("内容"))
    payload = models.JSONField(_("参数"), default=dict, blank=True)
    is_marketing = models.BooleanField(_("营销类"), default=False)
    topic = models.CharField(_("通知主题"), max_length=16, choices=NotificationTopic.choices, blank=True)
    dedup_key = models.CharField(_("去重键"), max_length=191, unique=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=OutboxStatus.choices, default=OutboxStatus.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"), default=timezone.now)
    claimed_at = models.DateTimeField(_("领取时间"), null=True, blank=True)
    last_error = models.TextField(_("最近错误"), blank=True)
    suppressed_reason = models.CharField(
        _("未发送原因"), max_length=32, choices=SuppressionReason.choices, blank=True
    )
    # The text to send when body/payload show a secret masked (a sign-in code):
    # encrypted, and wiped once the message is sent or has failed for good
    # (accounts.outbox.sealing).  Never shown, never edited.
    sealed = models.TextField(_("加密的发送内容"), blank=True, editable=False)
    provider_message_id = models.CharField(_("服务商消息 ID"), max_length=128, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("消息发件箱")
        verbose_name_plural = _("消息发件箱")
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due")]

    # While a message is being delivered (in memory only): the secret values
    # its body and payload carry, so a backend can mask them in what it logs.
    secret_values: tuple[str, ...] = ()

    def __str__(self) -> str:
        recipient = validators.mask_mobile(self.recipient) if self.channel == Channel.SMS else self.recipient
        return f"{self.get_channel_display()} → {recipient}"

    @property
    def suppressed_reason_text(self) -> str:
        """Why it was not sent, in words that name the muted channel or topic."""
        if self.suppressed_reason == SuppressionReason.MUTED_CHANNEL:
            return gettext("会员已关闭「%(channel)s」通知") % {"channel": self.get_channel_display()}
        if self.suppressed_reason == SuppressionReason.MUTED_TOPIC and self.topic:
            return gettext("会员已关闭「%(topic)s」") % {"topic": self.get_topic_display()}
        return self.get_suppressed_reason_display()


class SmsReplyAction(models.TextChoices):
    UNSUBSCRIBED = "unsubscribed", _("已退订短信")
    NONE = "none", _("无需处理")
    UNKNOWN_MOBILE = "unknown_mobile", _("非会员手机号")


class SmsReply(models.Model):
    """A reply to one of our SMS (上行短信), as the provider posted it, and
    what it did: "R"/"T"/"退订" … mutes the member's SMS.  One row per
    provider reply id, so a retried delivery is applied once."""

    provider_id = models.CharField(_("服务商回复 ID"), max_length=128, unique=True)
    mobile = models.CharField(_("手机号"), max_length=11, db_index=True)
    content = models.TextField(_("回复内容"), blank=True)
    received_at = models.DateTimeField(_("回复时间"), default=timezone.now)
    member = models.ForeignKey(
        Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="sms_replies", verbose_name=_("会员")
    )
    action = models.CharField(_("处理结果"), max_length=16, choices=SmsReplyAction.choices)
    created_at = models.DateTimeField(_("接收时间"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("短信回复")
        verbose_name_plural = _("短信回复")

    def __str__(self) -> str:
        return f"{validators.mask_mobile(self.mobile)}: {self.content[:20]}"

    @property
    def masked_mobile(self) -> str:
        return validators.mask_mobile(self.mobile)


class IdempotencyKey(models.Model):
    """One row per (user, Idempotency-Key) of an API write."""

    class State(models.TextChoices):
        IN_FLIGHT = "in_flight", _("处理中")
        DONE = "done", _("已完成")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+", verbose_name=_("用户"))
    key = models.CharField(_("幂等键"), max_length=128)
    method = models.CharField(_("请求方法"), max_length=8)
    path = models.CharField(_("请求路径"), max_length=255)
    request_hash = models.CharField(_("请求摘要"), max_length=64)
    state = models.CharField(_("状态"), max_length=16, choices=State.choices, default=State.IN_FLIGHT)
    response_status = models.PositiveSmallIntegerField(_("响应状态码"), null=True, blank=True)
    response_body = models.JSONField(_("响应内容"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("幂等键")
        verbose_name_plural = _("幂等键")
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_user_key_unique")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"


class ApiClient(models.Model):
    """An integration credential (系统接口), e.g. a store's DMS posting visits
    and spend.  Created by admins (``accounts.auth.clients.api_client_create``);
    its ``user`` has the role ``integration`` and is the audit actor of what
    the client does; that user's ``store`` is the client's store (empty = the
    whole group), so ``accounts.scoping.stores_for`` covers it.  The token is
    shown once at creation and stored as a SHA-256 hash."""

    name = models.CharField(_("名称"), max_length=64)
    user = models.OneToOneField(
        User, on_delete=models.PROTECT, related_name="api_client", verbose_name=_("接口账号"), editable=False
    )
    token_prefix = models.CharField(_("令牌前缀"), max_length=16, unique=True, editable=False)
    token_hash = models.CharField(max_length=64, editable=False)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("创建人"),
        editable=False,
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("接口凭证")
        verbose_name_plural = _("接口凭证")

    def __str__(self) -> str:
        return self.name

    @property
    def store(self) -> Store | None:
        return self.user.store

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class ImportJobStatus(models.TextChoices):
    DRAFT = "draft", _("待确认")
    QUEUED = "queued", _("排队中")
    VALIDATING = "validating", _("校验中")
    RUNNING = "running", _("导入中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class ImportJob(models.Model):
    """A spreadsheet import run by the worker (``accounts.import_jobs``): the
    uploaded file (zlib-compressed in ``data``, emptied when the job ends),
    its progress and its outcome.  ``claimed_by``/``lease_until`` are the
    worker's compare-and-set claim; ``resume_line`` is the last file line
    committed, written with each chunk."""

    kind = models.CharField(_("导入类型"), max_length=64)
    actor = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("操作人"))
    store = models.ForeignKey(
        Store, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("门店")
    )
    file_name = models.CharField(_("文件名"), max_length=200)
    file_size = models.PositiveBigIntegerField(_("文件大小"), default=0)
    data = models.BinaryField(_("文件内容"), default=bytes, editable=False)
    status = models.CharField(
        _("状态"), max_length=16, choices=ImportJobStatus.choices, default=ImportJobStatus.DRAFT, db_index=True
    )
    total_rows = models.PositiveIntegerField(_("总行数"), default=0)
    validated_rows = models.PositiveIntegerField(_("已校验行数"), default=0)
    processed_rows = models.PositiveIntegerField(_("已处理行数"), default=0)
    error_rows = models.PositiveIntegerField(_("错误行数"), default=0)
    counts = models.JSONField(_("结果计数"), default=dict, blank=True)
    errors = models.JSONField(_("行错误"), default=list, blank=True)
    message = models.TextField(_("说明"), blank=True)
    resume_line = models.PositiveIntegerField(_("已提交到第几行"), default=0)
    claimed_by = models.CharField(_("领取标识"), max_length=32, blank=True)
    lease_until = models.DateTimeField(_("领取有效期"), null=True, blank=True)
    touched_at = models.DateTimeField(_("最近活动"), default=timezone.now)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, db_index=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("导入任务")
        verbose_name_plural = _("导入任务")
        indexes = [models.Index(fields=["actor", "kind", "-created_at"], name="import_job_actor_kind")]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} {self.file_name}"


# The vehicle catalogue's series and models are accounts models too.
from accounts.catalogue.models import BodyType, CarModel, CarSeries, EnergyType  # noqa: E402, F401

from accounts.exceptions import ApplicationError


class MembershipError(ApplicationError):
    pass


# --- cards and tiers (membership.services.cards) -----------------------------------------------
from django.utils.translation import gettext_lazy as _  # noqa: E402

CARD_NO_PLAN = _("当前没有可用的开卡方案。")
CARD_PLAN_NOT_AVAILABLE = _("该开卡方案不适用于您的门店或已停用。")
CARD_NEEDS_PURCHASE = _("该开卡方案需要在本店购车后才能开卡。")
CARD_NEEDS_SERVICE = _("该开卡方案需要到店维保后才能开卡。")
CARD_NO_TIERS = _("尚未设置会员等级，请联系门店。")

# --- coupons (membership.services.coupons) ---------------------------------------------------
COUPON_UNKNOWN = _("券码不存在，请核对后重试。")
COUPON_ALREADY_REDEEMED = _("该券已核销，不能重复使用。")
COUPON_VOID = _("该券已作废，不能使用。")
COUPON_EXPIRED = _("该券已过期，不能使用。")
COUPON_STORE_NOT_ACCEPTED = _("该券不能在本店核销。")
COUPON_OTHER_STORE_STAFF = _("您只能在自己所在的门店核销券。")
COUPON_PICK_STORE = _("集团账号核销券时请选择门店。")
COUPON_OUT_OF_STOCK = _("该券已发完。")
COUPON_LIMIT_REACHED = _("已达到该券的每人限领数量。")
COUPON_TEMPLATE_INACTIVE = _("该券已停用。")
COUPON_TEMPLATE_NOT_VALID_NOW = _("该券不在发放有效期内。")
COUPON_MERCHANT_OTHER_STORE = _("商家券只能由发券门店的员工发放。")
COUPON_NOT_EXCHANGEABLE = _("该券不能用积分兑换。")
COUPON_TEMPLATE_UNKNOWN = _("该券不存在或不适用于您的门店。")
COUPON_NOT_VOIDABLE = _("只有未使用的券可以作废。")
COUPON_TEMPLATE_VALIDITY = _("请填写固定有效期（起止日期）或领取后有效天数，二者选一。")
COUPON_TEMPLATE_DATES = _("有效期止不能早于有效期起。")
COUPON_MERCHANT_NEEDS_STORE = _("商家券必须指定发券门店。")
COUPON_DISCOUNT_NEEDS_PERCENT = _("折扣券请填写 1-99 的折扣。")
COUPON_NEEDS_APPROVAL_VALUE = _("折扣券和零面值券请填写审批估值（一张券最多能优惠的金额）。")
COUPON_MERCHANT_AT_OTHER_STORE = _("该商家券只能在发券门店核销。")
CARD_NOT_OPEN = _("您还没有开通会员卡。")


# --- points ledger (membership.services.points) -----------------------------------------------
from django.utils.translation import gettext_lazy as _  # noqa: E402

POINTS_CARD_REQUIRED = _("请先开通会员卡")
POINTS_NOT_POSITIVE = _("积分必须为正整数。")
POINTS_ADJUST_ZERO = _("调整积分不能为 0。")
POINTS_INSUFFICIENT = _("积分余额不足。")
POINTS_REASON_REQUIRED = _("请填写调整原因。")
POINTS_LARGE_NEEDS_MANAGER = _("大额积分调整需店总或集团审批。")
POINTS_NOT_STAFF = _("只有门店员工可以调整积分。")
POINTS_MEMBER_NOT_FOUND = _("会员不存在。")
POINTS_REFUND_NOT_SPEND = _("只能退回积分消费记录。")
POINTS_REVERSE_NOT_EARN = _("只能扣回获得积分的记录。")
POINTS_REFUND_TOO_MUCH = _("退回积分超过可退数量。")
POINTS_KEY_REQUIRED = _("缺少幂等键。")
POINTS_UNKNOWN_EARN_KIND = _("未知的积分消费类型。")
POINTS_BUSY = _("系统繁忙，请稍后再试。")


class PointsError(MembershipError):
    code = "points_error"


class PointsInsufficient(PointsError):
    code = "points_insufficient"
    status_code = 409


# --- refer a friend (membership.services.referrals) --------------------------------------------
REFERRAL_CODE_UNKNOWN = _("推荐码无效，请核对推荐人的会员卡号。")
REFERRAL_SELF = _("不能使用自己的会员卡号作为推荐码。")
REFERRAL_ALREADY_REFERRED = _("您已通过好友推荐开卡，不能再次使用推荐码。")
# Translators: %(days)s is membership.services.referrals.REFERRAL_NEW_MEMBER_DAYS (30).
REFERRAL_NOT_NEW_MEMBER = _("推荐好友仅适用于入会 %(days)s 天内的新会员。")


class ReferralError(MembershipError):
    """A referral code that cannot be used: 400 with the field ``referral_code``."""

    code = "referral_invalid"


# --- approvals (membership.services.approval_rule / approvals) ---------------------------------
APPROVAL_NEEDS_MANAGER = _("超出您的权限额度，需店总或集团审批。")
APPROVAL_NEEDS_HQ = _("超出店总审批额度，需集团审批。")
POINTS_LARGE_NEEDS_HQ = _("超大额积分调整需集团审批。")
APPROVAL_REASON_REQUIRED = _("超出您的权限额度，需要审批：请填写申请原因后提交。")
APPROVAL_NOT_YOURS = _("您不能审批这条申请。")
APPROVAL_OWN_REQUEST = _("不能审批自己提交或录入的记录。")
APPROVAL_ALREADY_DECIDED = _("该申请已处理。")
APPROVAL_TEMPLATE_GONE = _("申请中的券已不存在或您的门店无权发放。")


class ApprovalRequired(MembershipError):
    """The action is above the actor's threshold (``approval_rule``): 403 with
    ``code`` ``needs_manager`` (a store manager or HQ may do or approve it) or
    ``needs_hq``.  The portal turns it into an approval request; API callers
    get the error."""

    status_code = 403

    def __init__(self, message=None, *, level: str, measure: str, value, fields: dict | None = None):
        self.level, self.measure, self.value = level, measure, value
        super().__init__(message, code="needs_manager" if level == "manager" else "needs_hq", fields=fields)


class PointsApprovalRequired(ApprovalRequired, PointsError):
    """A points adjustment above the threshold (still a ``PointsError``)."""

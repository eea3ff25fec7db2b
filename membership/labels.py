"""What people read for membership's codes: import sources of a member, and
the membership actions of the audit log (registered from
``MembershipConfig.ready``; see ``accounts.labels``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from accounts.labels import object_ref, register_audit_labels, register_source_labels
from membership.models import (
    CouponKind, CouponScope, CouponSource, EarningRuleKind, Tier, TransactionKind,
)


def tier_name(code) -> str | None:
    if not isinstance(code, str) or not code:
        return None
    return Tier.objects.filter(code=code).values_list("name", flat=True).first()


# Where a points entry came from (``source_type``).
POINTS_SOURCES = {
    **dict(EarningRuleKind.choices),
    "card": _("开卡礼"),
    "coupon": _("券"),
    "expiry": _("积分过期"),
    "points_entry": _("积分流水"),
    "staff": _("员工调整"),
    "referral": _("推荐好友"),
    "transaction": _("到店消费"),
    "mall_order": _("商城订单"),
    "earn_reversal": _("扣回赠送积分"),
}


def register() -> None:
    # A member created by a transaction keeps the transaction's source as its source channel.
    register_source_labels({"dms": _("DMS 导入"), "import": _("数据导入"), "api": _("接口"), "coupon": _("核销券")})
    register_audit_labels(
        actions={
            "membership.card.opened": _("开通会员卡"),
            "membership.card.tier_upgraded": _("会员升级"),
            "membership.referral.recorded": _("推荐好友入会"),
            "membership.transaction.recorded": _("记录到店消费"),
            "membership.transaction.imported": _("DMS 消费导入"),
            "membership.transaction.approved": _("审核通过大额消费"),
            "membership.transaction.rejected": _("驳回大额消费"),
            "membership.transaction_limit.changed": _("修改到店与消费金额限额"),
            "membership.approval.requested": _("提交审批"),
            "membership.approval.approved": _("批准审批申请"),
            "membership.approval.rejected": _("驳回审批申请"),
            "membership.coupon_template.created": _("创建券模板"),
            "membership.coupon.issued": _("发券"),
            "membership.coupon.issued_bulk": _("批量发券"),
            "membership.coupon.campaign": _("活动发券"),
            "membership.coupon.redeemed": _("核销券"),
            "membership.coupon.voided": _("作废券"),
            "membership.tag.added": _("添加会员标签"),
            "membership.tag.removed": _("移除会员标签"),
            "membership.points.earned": _("获得积分"),
            "membership.points.earned_bulk": _("批量获得积分"),
            "membership.points.spent": _("使用积分"),
            "membership.points.refunded": _("退回积分"),
            "membership.points.adjusted": _("调整积分"),
            "membership.points.expired": _("积分过期"),
            "membership.points.earn_reversed": _("扣回赠送积分"),
            "membership.audience.exported": _("导出人群"),
        },
        fields={
            "points": _("积分"),
            "balance_after": _("余额"),
            "membership.points.earn_reversed:earn_entry_id": _("获得积分流水"),
            "membership.points.earn_reversed:wanted": _("应扣回积分"),
            "source_type": _("来源"),
            "source_id": _("来源编号"),
            "referrer_id": _("推荐人"),
            "referee_id": _("被推荐人"),
            "rewarded_points": _("奖励积分"),
            "plan": _("开卡方案"),
            "card_no": _("卡号"),
            "membership.card.tier_upgraded:from": _("原等级"),
            "membership.card.tier_upgraded:to": _("新等级"),
            "growth_value": _("成长值"),
            "kind": _("类型"),
            "amount": _("金额"),
            "reference": _("单号"),
            "scope": _("券类型"),
            "stock": _("库存"),
            "template": _("券模板"),
            "issued": _("已发放"),
            "existing": _("已有"),
            "refused": _("拒绝"),
            "skipped": _("跳过"),
            "members": _("会员"),
            "new_members": _("新会员"),
            "tag": _("标签"),
            "tags": _("标签"),
            "lifecycle": _("生命周期"),
            "rfm_segment": _("RFM 分群"),
            "membership.coupon.issued:code": _("券码"),
            "membership.coupon.redeemed:code": _("券码"),
            "membership.coupon.voided:code": _("券码"),
            "membership.referral.recorded:code": _("推荐码"),
            "membership.points.refunded:spend_entry_id": _("原扣减流水编号"),
            "membership.transaction_limit.changed:ceiling": _("单笔上限（元）"),
            "membership.transaction_limit.changed:review_threshold": _("审核线（元）"),
        },
        values={
            "source_type": POINTS_SOURCES,
            "referrer_id": object_ref,
            "referee_id": object_ref,
            "template": object_ref,
            "plan": object_ref,
            "membership.card.tier_upgraded:from": tier_name,
            "membership.card.tier_upgraded:to": tier_name,
            "membership.transaction.recorded:kind": dict(TransactionKind.choices),
            "membership.transaction_limit.changed:kind": dict(TransactionKind.choices),
            "membership.transaction.recorded:source": {"api": _("接口"), "import": _("数据导入"), "dms": _("DMS 导入")},
            "membership.coupon_template.created:kind": dict(CouponKind.choices),
            "membership.coupon_template.created:scope": dict(CouponScope.choices),
            "membership.coupon.issued:source": dict(CouponSource.choices),
            "membership.coupon.issued_bulk:source": dict(CouponSource.choices),
        },
    )

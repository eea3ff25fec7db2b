"""What people read for the mall's codes: the mall actions of the audit log
and their data (registered from ``MallConfig.ready``; see ``accounts.labels``)."""

from __future__ import annotations

from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext_lazy as _

from accounts.labels import object_ref, person_name, register_audit_labels
from accounts.models import User
from mall.models import Delivery, OrderStatus, Product, ProductKind
from mall.selectors_reports import REPORT_SECTIONS

# ``mall.product.changed`` lists the fields it changed: their names, as the form shows them.
_EXTRA_FIELDS = {"stores": _("销售门店"), "visible_tiers": _("可见会员等级"), "skus": _("规格（SKU）")}


def product_field_label(name) -> str | None:
    if not isinstance(name, str):
        return None
    if name in _EXTRA_FIELDS:
        return str(_EXTRA_FIELDS[name])
    try:
        return str(Product._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        return None


def staff_by_id(value) -> str | None:
    """A staff member's id in audit data (``staff``), as their name."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    user = User.objects.filter(pk=value).first()
    return person_name(user) if user is not None else object_ref(value)


def report_section_label(code) -> str | None:
    """A section of the mall report (``mall.report.exported``), by its title."""
    return str(REPORT_SECTIONS[code]) if isinstance(code, str) and code in REPORT_SECTIONS else None


def register() -> None:
    register_audit_labels(
        actions={
            "mall.product.created": _("创建商品"),
            "mall.product.changed": _("修改商品"),
            "mall.sku.created": _("新增商品规格"),
            "mall.sku.changed": _("修改商品规格"),
            "mall.product_image.added": _("上传商品图片"),
            "mall.product_image.removed": _("删除商品图片"),
            "mall.zone.changed": _("修改门店专区"),
            "mall.zone.featured": _("专区推荐集团商品"),
            "mall.zone.unfeatured": _("专区取消推荐商品"),
            "mall.order.created": _("创建商城订单"),
            "mall.flash_sale.created": _("创建秒杀活动"),
            "mall.order.paid": _("商城订单支付成功"),
            "mall.order.cancelled": _("会员取消商城订单"),
            "mall.order.expired": _("商城订单超时关闭"),
            "mall.order.payment_refunded": _("商城订单款项自动退回"),
            "mall.order.refund_failed": _("商城订单退款异常"),
            "mall.order.fulfilled": _("商城订单核销/发货"),
            "mall.order.pickup_code_wrong": _("商城订单提货码错误"),
            "mall.order.refunded": _("商城订单退款"),
            "mall.order.deposit_lead": _("新车订金转线索"),
            "mall.order.effect_failed": _("商城订单支付后处理失败"),
            "mall.order.completed": _("商城订单完成"),
            "mall.share.created": _("员工分享商品"),
            "mall.commission.created": _("产生分销提成"),
            "mall.commission.reversed": _("退款冲回分销提成"),
            "mall.statement.generated": _("生成提成结算单"),
            "mall.statement.paid": _("提成结算单标记已发放"),
            "mall.statement.exported": _("导出提成工资表"),
            "mall.commission_rule.saved": _("保存分销提成规则"),
            "mall.member_day.created": _("创建会员日"),
            "mall.member_day.changed": _("修改会员日"),
            "mall.report.exported": _("导出商城报表"),
        },
        fields={
            "mall.product.created:kind": _("类型"),
            "mall.product.changed:kind": _("类型"),
            "mall.product.changed:fields": _("修改的字段"),
            "mall.sku.created:product": _("商品"),
            "mall.sku.changed:product": _("商品"),
            "mall.product_image.added:image": _("图片"),
            "mall.product_image.removed:image": _("图片"),
            "mall.zone.featured:product": _("商品"),
            "mall.zone.unfeatured:product": _("商品"),
            "price_cash": _("现金价"),
            "price_points": _("积分价"),
            "banner": _("横幅图"),
            "mall.zone.changed:title": _("专区标题"),
            "position": _("排序"),
            "number": _("订单号"),
            "cash_total": _("现金合计"),
            "cash": _("现金"),
            "mall.order.created:points": _("积分"),
            "mall.order.paid:points": _("积分"),
            "mall.order.cancelled:points": _("退回积分"),
            "mall.order.expired:points": _("退回积分"),
            "mall.order.created:lines": _("商品种数"),
            "mall.order.created:status": _("状态"),
            "transaction_id": _("支付流水号"),
            "amount_fen": _("金额（分）"),
            "refund_no": _("退款单号"),
            "mall.order.payment_refunded:reason": _("原因"),
            "delivery": _("配送方式"),
            "mall.order.refunded:points": _("退回积分"),
            "mall.order.refunded:reason": _("退款原因"),
            "mall.order.refunded:full": _("全额退款"),
            "mall.order.refunded:coupons_voided": _("作废服务券数"),
            "mall.order.deposit_lead:lead": _("线索"),
            "mall.order.deposit_lead:assigned_to": _("分配顾问"),
            "mall.order.effect_failed:kind": _("处理项"),
            "mall.order.effect_failed:line": _("订单明细"),
            "mall.order.effect_failed:error": _("错误"),
            "tracking_number": _("快递单号"),
            "mall.order.completed:commission_payable": _("提成转为可结算"),
            "mall.share.created:product": _("商品"),
            "mall.share.created:times": _("分享次数"),
            "staff": _("员工"),
            "amount": _("金额（元）"),
            "total": _("合计（元）"),
            "month": _("结算月份"),
            "rows": _("行数"),
            "mall.statement.generated:lines": _("明细数"),
            "mall.statement.paid:lines": _("明细数"),
            "mall.commission.reversed:how": _("冲回方式"),
            "mall.commission_rule.saved:product": _("商品"),
            "mall.commission_rule.saved:category": _("分类"),
            "cash_percent": _("现金提成比例（%）"),
            "per_1000_points": _("每千积分提成（元）"),
            "mall.commission_rule.saved:is_active": _("启用"),
            "mall.commission_rule.saved:created": _("新建"),
            "mall.member_day.created:day": _("日期"),
            "mall.member_day.changed:day": _("日期"),
            "mall.member_day.created:points_multiplier": _("积分倍数"),
            "mall.member_day.changed:points_multiplier": _("积分倍数"),
            "mall.member_day.created:is_active": _("启用"),
            "mall.member_day.changed:is_active": _("启用"),
            "mall.member_day.created:products": _("折扣商品数"),
            "mall.member_day.changed:products": _("折扣商品数"),
            "mall.member_day.created:categories": _("折扣分类数"),
            "mall.member_day.changed:categories": _("折扣分类数"),
            "mall.member_day.created:discounts": _("等级折扣"),
            "mall.member_day.changed:discounts": _("等级折扣"),
            "mall.report.exported:section": _("报表"),
            "mall.order.pickup_code_wrong:lookup": _("查找方式"),
        },
        values={
            "mall.product.created:kind": dict(ProductKind.choices),
            "mall.product.changed:kind": dict(ProductKind.choices),
            "mall.product.changed:fields": product_field_label,
            "mall.sku.created:product": object_ref,
            "mall.sku.changed:product": object_ref,
            "mall.product_image.added:image": object_ref,
            "mall.product_image.removed:image": object_ref,
            "mall.zone.featured:product": object_ref,
            "mall.zone.unfeatured:product": object_ref,
            "mall.order.created:status": dict(OrderStatus.choices),
            "mall.order.fulfilled:delivery": dict(Delivery.choices),
            "mall.order.refunded:full": {True: _("是"), False: _("否")},
            "mall.order.completed:commission_payable": {True: _("是"), False: _("否")},
            "mall.share.created:product": object_ref,
            "mall.commission_rule.saved:product": object_ref,
            "mall.commission_rule.saved:category": object_ref,
            "mall.commission_rule.saved:is_active": {True: _("是"), False: _("否")},
            "mall.commission_rule.saved:created": {True: _("是"), False: _("否")},
            "staff": staff_by_id,
            "mall.commission.reversed:how": {"reduced": _("减少待结算提成"), "reversal_line": _("下期结算单扣回")},
            "mall.order.effect_failed:kind": {"voucher": _("发放服务券"), "deposit": _("订金转线索"),
                                              "earn": _("消费得积分")},
            "mall.member_day.created:is_active": {True: _("是"), False: _("否")},
            "mall.member_day.changed:is_active": {True: _("是"), False: _("否")},
            "mall.report.exported:section": report_section_label,
            "mall.order.pickup_code_wrong:lookup": {
                "order": _("订单核销"), "number": _("订单号 + 提货码"), "phone": _("手机号后四位 + 提货码"),
            },
            "mall.order.payment_refunded:reason": {
                "amount_mismatch": _("支付金额与订单不符"), "order_closed": _("订单已取消或超时"),
                "paid_twice": _("重复支付"),
            },
        },
    )

"""What people read for the used-car codes of the audit log and their data
(registered from ``UsedcarsConfig.ready``; see ``accounts.labels``)."""

from __future__ import annotations

from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext_lazy as _

from accounts.labels import object_ref, register_audit_labels
from mall.labels import staff_by_id
from usedcars.models import ConditionGrade, InquiryKind, Listing, ListingState, StockSource

YES_NO = {True: _("是"), False: _("否")}


def register() -> None:
    register_audit_labels(
        actions={
            "usedcars.car.created": _("二手车入库"),
            "usedcars.car.transferred": _("二手车门店调拨"),
            "usedcars.cost.added": _("登记整备费用"),
            "usedcars.condition.saved": _("填写车况报告"),
            "usedcars.listing.created": _("创建二手车信息"),
            "usedcars.listing.changed": _("修改二手车信息"),
            "usedcars.listing.published": _("发布二手车"),
            "usedcars.listing.reserved": _("二手车预订（收订金）"),
            "usedcars.listing.reserve_cancelled": _("取消二手车预订"),
            "usedcars.listing.sold": _("二手车售出"),
            "usedcars.listing.withdrawn": _("二手车下架"),
            "usedcars.listing.featured": _("设为精选二手车"),
            "usedcars.listing.unfeatured": _("取消精选二手车"),
            "usedcars.listing.shared": _("员工分享二手车"),
            "usedcars.photo.added": _("上传二手车照片"),
            "usedcars.photo.removed": _("删除二手车照片"),
            "usedcars.photo.cover_set": _("设置二手车封面照片"),
            "usedcars.photo.reordered": _("调整二手车照片顺序"),
            "usedcars.photo.requeued": _("重新处理二手车照片"),
            "usedcars.inquiry.created": _("二手车咨询/预约看车"),
            "usedcars.stock.exported": _("导出二手车库存"),
            "usedcars.valuation_request.created": _("卖车/置换估价申请"),
        },
        fields={
            "usedcars.car.created:source": _("车源"),
            "usedcars.car.created:vin": _("车架号"),
            "usedcars.car.created:purchase_cost": _("收购价"),
            "usedcars.car.created:vehicle": _("置换车辆"),
            "usedcars.car.created:member": _("置换会员"),
            "usedcars.car.transferred:from": _("调出门店"),
            "usedcars.car.transferred:to": _("调入门店"),
            "usedcars.cost.added:description": _("项目"),
            "usedcars.cost.added:amount": _("金额"),
            "usedcars.condition.saved:grade": _("车况等级"),
            "usedcars.condition.saved:accident": _("重大事故"),
            "usedcars.condition.saved:flood": _("泡水"),
            "usedcars.condition.saved:fire": _("火烧"),
            "usedcars.condition.saved:items": _("检测项目数"),
            "usedcars.listing.created:title": _("标题"),
            "usedcars.listing.created:price": _("售价"),
            "usedcars.listing.changed:fields": _("修改的字段"),
            "usedcars.listing.changed:old_price": _("原价"),
            "usedcars.listing.changed:new_price": _("新价"),
            "usedcars.listing.published:price": _("售价"),
            "usedcars.listing.reserved:deposit": _("订金"),
            "usedcars.listing.sold:sale_price": _("成交价"),
            "usedcars.listing.withdrawn:from": _("原状态"),
            "usedcars.listing.withdrawn:reason": _("原因"),
            "usedcars.listing.featured:title": _("标题"),
            "usedcars.listing.unfeatured:title": _("标题"),
            "usedcars.listing.shared:code": _("推荐码"),
            "usedcars.photo.added:photo": _("照片"),
            "usedcars.photo.removed:photo": _("照片"),
            "usedcars.photo.cover_set:photo": _("照片"),
            "usedcars.photo.reordered:photos": _("照片顺序"),
            "usedcars.photo.requeued:photo": _("照片"),
            "usedcars.inquiry.created:kind": _("类型"),
            "usedcars.inquiry.created:listing": _("车辆信息"),
            "usedcars.inquiry.created:lead": _("线索"),
            "usedcars.inquiry.created:referred_by": _("推荐员工"),
            "usedcars.valuation_request.created:vehicle": _("会员车辆"),
            "usedcars.valuation_request.created:lead": _("线索"),
        },
        values={
            "usedcars.car.created:source": dict(StockSource.choices),
            "usedcars.car.created:vehicle": object_ref,
            "usedcars.car.created:member": object_ref,
            "usedcars.condition.saved:grade": dict(ConditionGrade.choices),
            "usedcars.condition.saved:accident": YES_NO,
            "usedcars.condition.saved:flood": YES_NO,
            "usedcars.condition.saved:fire": YES_NO,
            "usedcars.listing.changed:fields": _listing_field_label,
            "usedcars.listing.withdrawn:from": dict(ListingState.choices),
            "usedcars.inquiry.created:kind": dict(InquiryKind.choices),
            "usedcars.inquiry.created:referred_by": staff_by_id,
        },
    )


def _listing_field_label(name) -> str | None:
    if not isinstance(name, str):
        return None
    try:
        return str(Listing._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        return None

"""What people read for the insurance app's codes: its audit actions and
their data (registered from ``InsuranceConfig.ready``; see ``accounts.labels``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from accounts.labels import register_audit_labels
from insurance.selectors_reports import REPORT_SECTIONS


def report_section_label(code) -> str | None:
    """A section of the renewal report (``insurance.report.exported``), by its title."""
    return str(REPORT_SECTIONS[code]) if isinstance(code, str) and code in REPORT_SECTIONS else None
from insurance.models_renewals import LostReason


def register() -> None:
    register_audit_labels(
        actions={
            "insurance.quote.created": _("车险报价"),
            # Policy import and reports (h40).
            "insurance.policy.imported": _("导入保单"),
            "insurance.policy.vehicle_linked": _("保单关联车辆"),
            "insurance.report.exported": _("导出续保报表"),
            "insurance.plate.linked": _("未识别车牌关联会员"),
            # renewal pipeline (services_renewals)
            "insurance.quote.sent": _("发送续保报价给车主"),
            "insurance.quote.accepted": _("车主接受续保报价"),
            "insurance.quote.call_me": _("车主请求回电"),
            "insurance.renewal.paid": _("续保已付款"),
            "insurance.renewal.renewed": _("续保成功"),
            "insurance.renewal.lost": _("续保流失"),
        },
        fields={
            "insurance.quote.created:insurer": _("保险公司"),
            "insurance.quote.created:total": _("保费合计（元）"),
            "insurance.quote.created:plate": _("车牌号"),
            "insurance.policy.imported:job": _("导入任务"),
            "insurance.policy.imported:status": _("状态"),
            "insurance.policy.imported:rows": _("行数"),
            "insurance.policy.imported:created": _("新增保单"),
            "insurance.policy.imported:updated": _("更新保单"),
            "insurance.policy.imported:skipped": _("重复行，跳过"),
            "insurance.policy.imported:unmatched": _("待匹配车辆"),
            "insurance.policy.vehicle_linked:number": _("保单号"),
            "insurance.policy.vehicle_linked:plate": _("车牌号"),
            "insurance.policy.vehicle_linked:vin": _("车架号"),
            "insurance.report.exported:section": _("报表"),
            "month_from": _("开始月份"),
            "month_to": _("结束月份"),
            "insurance.plate.linked:plate": _("车牌号"),
            "insurance.plate.linked:member": _("会员"),
            "insurance.plate.linked:vehicle": _("车辆"),
            "insurance.quote.sent:total": _("保费合计（元）"),
            "insurance.quote.sent:plate": _("车牌号"),
            "insurance.quote.accepted:total": _("保费合计（元）"),
            "insurance.quote.accepted:plate": _("车牌号"),
            "insurance.quote.call_me:plate": _("车牌号"),
            "insurance.renewal.paid:total": _("保费合计（元）"),
            "insurance.renewal.paid:plate": _("车牌号"),
            "insurance.renewal.renewed:number": _("保单号"),
            "insurance.renewal.renewed:premium": _("保费（元）"),
            "insurance.renewal.renewed:plate": _("车牌号"),
            "insurance.renewal.lost:reason": _("流失原因"),
            "insurance.renewal.lost:lost_to": _("流失去向"),
            "insurance.renewal.lost:plate": _("车牌号"),
        },
        values={
            "insurance.report.exported:section": report_section_label,
            "insurance.renewal.lost:reason": dict(LostReason.choices),
        },
    )

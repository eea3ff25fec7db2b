"""What people read for the insurance app's codes: its audit actions and
their data (registered from ``InsuranceConfig.ready``; see ``accounts.labels``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from accounts.labels import register_audit_labels
from insurance.models_renewals import LostReason


def register() -> None:
    register_audit_labels(
        actions={
            "insurance.quote.created": _("车险报价"),
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
        values={"insurance.renewal.lost:reason": dict(LostReason.choices)},
    )

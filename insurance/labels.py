"""What people read for the insurance app's codes: its audit actions and
their data (registered from ``InsuranceConfig.ready``; see ``accounts.labels``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from accounts.labels import register_audit_labels


def register() -> None:
    register_audit_labels(
        actions={
            "insurance.quote.created": _("车险报价"),
            "insurance.plate.linked": _("未识别车牌关联会员"),
        },
        fields={
            "insurance.quote.created:insurer": _("保险公司"),
            "insurance.quote.created:total": _("保费合计（元）"),
            "insurance.quote.created:plate": _("车牌号"),
            "insurance.plate.linked:plate": _("车牌号"),
            "insurance.plate.linked:member": _("会员"),
            "insurance.plate.linked:vehicle": _("车辆"),
        },
    )

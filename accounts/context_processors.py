from django.utils.translation import gettext_lazy as _

from accounts.models import Role

# Menu sections: (label, icon, [(url name, label, icon, roles allowed; None = every staff role)]).
# A section with one visible entry shows as a plain link.
NAV = [
    (_("工作台"), "speedometer2", [("portal:dashboard", _("工作台"), "speedometer2", None)]),
    (_("线索"), "funnel", [
        ("portal:leads:lead-list", _("线索"), "funnel", None),
        ("portal:leads:task-list", _("跟进任务"), "list-check", None),
        ("portal:leads:reactivation-list", _("战败激活"), "arrow-repeat", None),
        ("portal:leads:qr-list", _("渠道二维码"), "qr-code", None),
        ("portal:leads:report", _("线索报表"), "bar-chart", None),
    ]),
    (_("会员"), "people", [
        ("portal:member-list", _("会员"), "people", None),
        ("portal:membership:card-lookup", _("扫码查会员"), "qr-code-scan", None),
        ("portal:membership:coupon-redeem", _("核销券"), "ticket-perforated", None),
        ("portal:membership:audience", _("人群筛选"), "funnel-fill", None),
        ("portal:membership:segments", _("RFM 分群"), "pie-chart", None),
    ]),
    (_("系统"), "gear", [
        ("portal:outbox", _("消息发件箱"), "envelope", {Role.HQ, Role.ADMIN}),
        ("portal:audit", _("审计日志"), "shield-check", {Role.HQ, Role.ADMIN}),
        ("portal:staff-list", _("员工账号"), "person-badge", {Role.MANAGER, Role.ADMIN}),
    ]),
]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.role == Role.OWNER:
        return {}
    sections = []
    for label, icon, entries in NAV:
        items = [
            {"url": name, "label": item_label, "icon": item_icon}
            for name, item_label, item_icon, roles in entries
            if (roles is None or user.role in roles or user.is_superuser) and _exists(name)
        ]
        if items:
            sections.append({"label": label, "icon": icon, "items": items})
    return {"portal_nav": sections}


def _exists(name: str) -> bool:
    from django.urls import NoReverseMatch, reverse

    try:
        reverse(name)
    except NoReverseMatch:
        return False
    return True

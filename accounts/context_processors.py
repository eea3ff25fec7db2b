from django.utils.translation import gettext_lazy as _

from accounts.models import Role

# (url name, label, icon, roles allowed; None = every staff role)
NAV = [
    ("portal:dashboard", _("工作台"), "speedometer2", None),
    ("portal:member-list", _("会员"), "people", None),
    ("portal:leads:lead-list", _("线索"), "funnel", None),
    ("portal:leads:task-list", _("跟进任务"), "list-check", None),
    ("portal:leads:report", _("线索报表"), "bar-chart", None),
    ("portal:leads:reactivation-list", _("战败激活"), "arrow-repeat", None),
    ("portal:leads:qr-list", _("渠道二维码"), "qr-code", None),
    ("portal:outbox", _("消息发件箱"), "envelope", {Role.HQ, Role.ADMIN}),
    ("portal:audit", _("审计日志"), "shield-check", {Role.HQ, Role.ADMIN}),
]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.role == Role.OWNER:
        return {}
    items = [
        {"url": name, "label": label, "icon": icon}
        for name, label, icon, roles in NAV
        if (roles is None or user.role in roles or user.is_superuser) and _exists(name)
    ]
    return {"portal_nav": items}


def _exists(name: str) -> bool:
    from django.urls import NoReverseMatch, reverse

    try:
        reverse(name)
    except NoReverseMatch:
        return False
    return True

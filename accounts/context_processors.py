from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from accounts.portal.mixins import may_open

# Menu sections: (label, icon, [(url name, label, icon)]).  Who sees an entry is
# the view's own ``roles`` (``may_open``), never a second list here.  Every page
# a role may open is in its menu or linked from a page that is
# (tests/test_portal_menu_walk.py walks each role's menu and fails on a forgotten page).
# A section with one visible entry shows as a plain link.
NAV = [
    (_("工作台"), "speedometer2", [("portal:dashboard", _("工作台"), "speedometer2")]),
    (_("线索"), "funnel", [
        ("portal:leads:lead-list", _("线索"), "funnel"),
        ("portal:leads:lead-create", _("登记线索"), "person-plus"),
        ("portal:leads:task-list", _("跟进任务"), "list-check"),
        ("portal:leads:pool-list", _("公海"), "water"),
        ("portal:leads:pool-pending", _("待确认入公海"), "inboxes"),
        ("portal:leads:pool-overview", _("各店公海概况"), "globe2"),
        ("portal:leads:pool-rule", _("公海规则"), "sliders"),
        ("portal:leads:reactivation-list", _("战败激活"), "arrow-repeat"),
        ("portal:leads:qr-list", _("渠道二维码"), "qr-code"),
        ("portal:leads:report", _("线索报表"), "bar-chart"),
        ("portal:leads:targets", _("目标设定"), "bullseye"),
        ("portal:leads:lead-import", _("批量导入线索"), "upload"),
        ("portal:leads:allocation-rule", _("分配规则"), "diagram-3"),
        ("portal:leads:staff-handover", _("离职交接"), "person-x"),
    ]),
    (_("到店与试驾"), "car-front", [
        ("portal:leads:reception", _("展厅接待"), "person-check"),
        ("portal:leads:calendar", _("预约日历"), "calendar-week"),
        ("portal:leads:fleet", _("试驾车队"), "car-front"),
    ]),
    (_("会员"), "people", [
        ("portal:member-list", _("会员"), "people"),
        ("portal:membership:card-lookup", _("扫码查会员"), "qr-code-scan"),
        ("portal:membership:audience", _("人群筛选"), "funnel-fill"),
        ("portal:membership:segments", _("RFM 分群"), "pie-chart"),
        ("portal:membership:transaction-import", _("DMS 消费导入"), "file-earmark-arrow-up"),
        ("portal:membership:approval-list", _("审批"), "check2-square"),
    ]),
    (_("券"), "ticket-perforated", [
        ("portal:membership:coupon-redeem", _("核销券"), "upc-scan"),
        ("portal:membership:coupon-issue", _("发券"), "send"),
        ("portal:membership:coupon-campaign", _("活动发券"), "megaphone"),
        ("portal:membership:coupon-template-list", _("券模板"), "ticket-perforated"),
    ]),
    (_("积分商城"), "bag", [
        ("portal:mall:product-list", _("商品管理"), "bag"),
        ("portal:mall:product-create", _("新增商品"), "bag-plus"),
        ("portal:mall:zone-list", _("门店专区"), "shop"),
        ("portal:mall:referral-mine", _("我的分销"), "share"),
        ("portal:mall:referral-team", _("团队分销"), "people"),
        ("portal:mall:commission-rule-list", _("提成规则"), "percent"),
        ("portal:mall:statement-list", _("提成结算"), "cash-coin"),
        ("portal:mall:member-day-list", _("会员日"), "calendar-heart"),
        ("portal:mall:reports", _("商城报表"), "bar-chart-line"),
        ("portal:mall:order-list", _("商城订单"), "receipt"),
        ("portal:mall:order-pickup", _("到店提货核销"), "upc-scan"),
    ]),
    (_("车险续保"), "shield-plus", [
        ("portal:insurance:quote", _("保费试算"), "calculator"),
        ("portal:insurance:quote-list", _("报价记录"), "receipt"),
        ("portal:insurance:policy-import", _("保单导入"), "cloud-upload"),
        ("portal:insurance:policy-unmatched", _("待匹配保单"), "link-45deg"),
        ("portal:insurance:reports", _("续保报表"), "bar-chart-line"),
        ("portal:insurance:unknown-plates", _("未识别车牌"), "camera"),
        ("portal:insurance:renewal-list", _("续保跟进"), "arrow-repeat"),
    ]),
    (_("二手车"), "car-front-fill", [
        ("portal:usedcars:stock-list", _("二手车库存"), "car-front-fill"),
        ("portal:usedcars:car-create", _("车辆入库"), "box-arrow-in-down"),
    ]),
    (_("系统"), "gear", [
        ("portal:outbox", _("消息发件箱"), "envelope"),
        ("portal:audit", _("审计日志"), "shield-check"),
        ("portal:import-job-list", _("导入任务"), "cloud-upload"),
        ("portal:staff-list", _("员工账号"), "person-badge"),
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
            for name, item_label, item_icon in entries
            if may_open(user, name)
        ]
        if items:
            sections.append({"label": label, "icon": icon, "items": items})
    return {"portal_nav": sections}

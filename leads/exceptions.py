"""Leads errors and their messages (tests assert these constants)."""

from django.utils.translation import gettext_lazy as _

from accounts.exceptions import ApplicationError


class LeadsError(ApplicationError):
    pass


UNKNOWN_CHANNEL = _("未知的线索渠道代码。")
UNKNOWN_STORE = _("未知的门店代码。")
STORE_NOT_ALLOWED = _("不能为其他门店录入线索。")
STAGE_JUMP_REFUSED = _("线索不能从“%(from)s”直接变更为“%(to)s”。")
DEFEAT_NEEDS_REASON = _("战败必须选择原因。")
DEFEAT_NEEDS_COMPETITOR = _("已购竞品时请选择所购竞品。")
UNKNOWN_COMPETITOR = _("未知的竞品。")
REOPEN_CONFLICT = _("该手机号已有进行中的线索，不能重新激活此线索。")
NOT_BEHAVIOUR = _("不支持的行为类型。")
EVENT_TOO_OLD = _("行为发生时间不能早于 2000 年。")
NO_CONSULTANT_ON_DUTY = _("本店暂无在岗的销售顾问。")
ASSIGNEE_NOT_IN_STORE = _("只能分配给本店的销售顾问。")
TASK_OUTCOME_REQUIRED = _("请填写跟进结果。")
TASK_ALREADY_CLOSED = _("该任务已关闭。")
TASK_NOT_YOURS = _("只能关闭自己的任务。")

# Calls (leads.services.calls)
CALL_NEEDS_TARGET = _("请选择要拨打的线索或会员。")
CALL_TARGET_NOT_FOUND = _("找不到该客户。")
CALL_UNKNOWN = _("未知的通话。")
CALL_NOT_ENDED = _("通话尚未结束，挂断后才能确认通话报告。")
CALL_REPORT_CONFIRMED = _("该通话报告已确认。")
CALL_TASK_DUE_PAST = _("下次跟进时间必须晚于现在。")

# Allocation (leads.services.allocation)
ASSIGN_NOT_ALLOWED = _("只有店总和集团运营可以分配线索。")
ASSIGN_REASON_REQUIRED = _("请填写分配原因。")
ASSIGN_NO_LEADS = _("请选择要分配的线索。")
ASSIGN_TOO_MANY = _("一次最多分配 500 条线索。")
HANDOVER_BAD_FROM = _("只能交接本店销售顾问、DCC 或店总的客户。")
HANDOVER_SAME_USER = _("交接人和接手人不能是同一人。")
QUALIFIED_HANDOFF_REASON = _("DCC 邀约成功，转交销售顾问")
ASSIGN_UNKNOWN_LEADS = _("部分线索不存在或不属于您可管理的门店。")
SKILL_BAD_USER = _("只能为本店的销售顾问或 DCC 设置专长。")
SKILL_NEEDS_BRAND_OR_SERIES = _("请选择品牌或车系。")

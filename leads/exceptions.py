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
REOPEN_CONFLICT = _("该手机号已有进行中的线索，不能重新激活此线索。")
NOT_BEHAVIOUR = _("不支持的行为类型。")
NO_CONSULTANT_ON_DUTY = _("本店暂无在岗的销售顾问。")
ASSIGNEE_NOT_IN_STORE = _("只能分配给本店的销售顾问。")
TASK_OUTCOME_REQUIRED = _("请填写跟进结果。")
TASK_ALREADY_CLOSED = _("该任务已关闭。")
TASK_NOT_YOURS = _("只能关闭自己的任务。")

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

# Consultant targets (leads.services.targets)
TARGET_USER_NOT_IN_STORE = _("只能为本店在职的销售顾问或 DCC 设定目标。")
TARGET_NEGATIVE = _("目标必须是不小于 0 的整数。")
# The public pool (leads.services.pool)
POOL_ALREADY_CLAIMED = _("该线索已被其他顾问领取。")
POOL_NOT_IN_POOL = _("该线索不在公海中。")
POOL_CLAIM_ROLE = _("只有销售顾问和 DCC 可以领取公海线索。")
POOL_CLAIM_OTHER_STORE = _("只能领取本店公海中的线索。")
POOL_CLAIM_CAP = _("今日领取已达上限（%(cap)d 条），请明天再来。")
POOL_CLAIM_COOLDOWN = _("您释放或被收回的线索 %(days)d 天内不能再次领取。")
POOL_RELEASE_NOT_OWNER = _("只能释放分配给自己的线索。")
POOL_RELEASE_CLOSED = _("已关闭的线索不能释放到公海；战败或沉默的线索由店总确认后进入公海。")
POOL_RELEASE_REASON = _("请填写释放原因。")
POOL_REVIEW_ROLE = _("只有店总或集团可以确认线索进入公海。")
POOL_REVIEW_NONE = _("没有待确认的线索。")
POOL_RULE_ROLE = _("只有店总或集团可以修改公海规则。")

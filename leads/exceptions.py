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

# Showroom appointments and test drives (leads.services.showroom)
SLOT_TAKEN = _("该时段已无空闲试驾车，请选择其他时段。")
CAR_TAKEN = _("该试驾车在此时段已被预约。")
CAR_NOT_BOOKABLE = _("该试驾车不可预约（已停用或维护中）。")
CAR_WRONG_SERIES = _("所选试驾车不属于该车系。")
NO_CAR_FOR_SERIES = _("本店没有该车系的可用试驾车。")
SERIES_REQUIRED = _("试驾请选择车系。")
UNKNOWN_SERIES = _("未知的车系。")
SLOT_IN_PAST = _("预约时间必须晚于现在。")
SLOT_OUTSIDE_HOURS = _("预约时间不在门店营业时间内。")
BAD_DATE = _("日期格式应为 YYYY-MM-DD。")
LEAD_CLOSED = _("该线索已关闭，不能预约。")
APPOINTMENT_NOT_BOOKED = _("只有“已预约”的预约可以进行此操作。")
APPOINTMENT_NOT_CHECKED_IN = _("客户尚未签到，不能填写试驾反馈。")
NEXT_STEP_REQUIRED = _("请填写下一步及时间。")
NEXT_STEP_IN_PAST = _("下一步时间必须晚于现在。")
NO_WALKIN_CHANNEL = _("未配置“自然到店”渠道。")
HOURS_INVALID = _("关门时间必须晚于开门时间。")
PLATE_TAKEN = _("该车牌已登记为试驾车。")
KIND_INVALID = _("预约类型应为到店或试驾。")
RATING_INVALID = _("评分应为 1 到 5 分。")

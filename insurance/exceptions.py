"""Errors of the insurance app and their messages (tests assert the constants).

A refused quote is an ``InsuranceError`` with a ``code`` a client can act on
and ``fields`` naming the input at fault (``coverages.2.sum_insured``)."""

from django.utils.translation import gettext_lazy as _

from accounts.exceptions import ApplicationError


class InsuranceError(ApplicationError):
    code = "invalid"


# --- rating (insurance.services_rating) -------------------------------------------------------
START_DATE_PAST = _("起保日期不能早于今天。")
USAGE_UNKNOWN = _("未知的使用性质。")
VEHICLE_MEASURE_REQUIRED = _("请填写%(measure)s，用于确定车辆类别。")
VEHICLE_CLASS_UNKNOWN = _("没有与该使用性质和%(measure)s（%(value)s）对应的车辆类别。")
REGION_REQUIRED = _("请填写车牌号或选择费率地区。")
REGION_UNKNOWN = _("无法确定费率地区：请检查车牌号或选择费率地区。")
HISTORY_LEVEL_INVALID = _("交强险浮动等级应为 A0–A6。")
NCD_LEVEL_INVALID = _("NCD 等级应为 -4 至 5 之间的整数。")
RULE_MISSING = _("起保日期 %(date)s 没有生效的%(table)s，请联系集团运营维护费率表。")
PRICING_OUT_OF_RANGE = _("自主定价系数应在 %(min)s–%(max)s 之间（%(date)s 起生效的范围）。")
VIOLATION_OUT_OF_RANGE = _("交通违法系数应在 %(min)s–%(max)s 之间。")
VIOLATION_NOT_USED = _("%(region)s不使用交通违法系数。")
COVERAGE_UNKNOWN = _("未知的险种：%(code)s。")
COVERAGE_TWICE = _("同一险种只能投保一次：%(code)s。")
COVERAGE_NEEDS_BASE = _("%(coverage)s需同时投保%(base)s。")
COVERAGE_NEEDS_SEATS = _("%(coverage)s需要至少一个投保座位。")
COVERAGE_TOO_MANY_SEATS = _("%(coverage)s的投保座位数不能超过 %(max)s。")
SUM_NOT_OFFERED = _("%(coverage)s没有 %(sum)s 元这一保额，可选：%(offered)s。")
SUM_NOT_ASKED = _("%(coverage)s无需选择保额。")
VEHICLE_PRICE_REQUIRED = _("投保机动车损失保险请填写新车购置价。")
BENCHMARK_MISSING = _("该车辆没有%(coverage)s的基准保费，无法报价。")
INSURER_UNKNOWN = _("没有这家保险公司，或已停止合作。")
VEHICLE_OR_PLATE = _("请选择车辆或填写车牌号。")

# --- plate events (insurance.services_plates) ---------------------------------------------------
PLATE_SEEN_AT_FUTURE = _("识别时间不能晚于当前时间。")
PLATE_NOT_UNKNOWN = _("该车牌已关联会员。")
PLATE_TAKEN = _("该车牌已登记在其他车主名下。")
MEMBER_NOT_FOUND = _("没有该手机号的会员，或您无权操作该会员。")
# --- renewals (insurance.services_renewals) -----------------------------------------------------
QUOTE_NO_OWNER = _("这份报价没有关联车主，无法发送。")
QUOTE_NOT_SENDABLE = _("这份报价已被车主处理，不能再次发送。")
QUOTE_EXPIRED = _("报价已过有效期，请重新报价。")
QUOTE_NOT_OPEN = _("这份报价当前不能接受或申请回电。")
QUOTE_NOT_PAYABLE = _("报价尚未发送给车主或已处理完毕。")
QUOTE_NO_RENEWAL = _("这份报价没有关联到期保单，无法登记续保。")
POLICY_NUMBER_REQUIRED = _("请填写%(kind)s保单号。")
POLICY_NUMBER_TAKEN = _("该保险公司已有此保单号。")
RENEWAL_CLOSED = _("该续保跟进已结束（续保成功或已流失）。")
LOST_REASON_REQUIRED = _("请选择流失原因。")
LOST_TO_REQUIRED = _("请填写转投的保险公司或经销商。")

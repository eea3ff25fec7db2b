"""Errors of the used-car app and their messages (tests assert the constants)."""

from django.utils.translation import gettext_lazy as _

from accounts.exceptions import ApplicationError, ConflictError


class UsedcarsError(ApplicationError):
    pass


class UsedcarsForbidden(UsedcarsError):
    """Allowed to see the car, not to change it (a consultant)."""

    code = "forbidden"
    status_code = 403


class ListingIncomplete(UsedcarsError):
    """Publishing refused: ``fields["missing"]`` lists every missing item's code."""

    code = "listing_incomplete"


class ListingStateConflict(ConflictError):
    """The listing is not (or no longer) in a state the transition starts from."""

    code = "listing_state"


NOT_ALLOWED = _("只有二手车经理、店总和集团运营可以管理二手车。")
STORE_NOT_YOURS = _("只能管理本门店的二手车。")
VIN_IN_STOCK = _("该车架号的车辆已在库存中。")
SOURCE_INVALID = _("请选择车源：会员置换、外部收购或拍卖。")
COST_NEEDS_DESCRIPTION = _("请填写整备项目。")
VIN_REQUIRED = _("请填写车架号。")
TRADE_IN_NEEDS_VEHICLE = _("会员置换需要选择会员的车辆。")
TRADE_IN_ALREADY = _("该车辆已置换入库。")
SOURCE_NEEDS_SELLER = _("外部收购或拍卖请填写卖方。")
SERIES_NOT_OF_BRAND = _("车系不属于所选品牌。")
MODEL_NOT_OF_SERIES = _("车型不属于所选车系。")
BRAND_REQUIRED = _("请选择品牌。")
REGISTRATION_INVALID = _("首次上牌日期不能晚于今天，也不能早于 1980 年。")
MILEAGE_INVALID = _("请填写有效的里程（0–2,000,000 公里）。")
TRANSFER_COUNT_INVALID = _("过户次数应为 0–99。")
AMOUNT_INVALID = _("请填写有效的金额。")
CAR_NOT_HELD = _("该车辆已售出或已退库。")
TRANSFER_SAME_STORE = _("调入门店与当前门店相同。")
CONDITION_ITEM_UNKNOWN = _("未知的检测项目。")
CONDITION_ITEM_TWICE = _("同一检测项目只能填写一次。")
GRADE_INVALID = _("请选择车况等级 A–D。")

LISTING_NEEDS_TITLE = _("请填写标题。")
PRICE_INVALID = _("售价应大于 0。")
HIGHLIGHTS_INVALID = _("亮点最多 10 条，每条不超过 30 个字。")
LISTING_CLOSED = _("该车辆信息已售出，不能再修改。")
LISTING_MISSING = _("请先创建车辆信息。")
LISTING_EXISTS = _("该车辆已有车辆信息，请修改它。")
LISTING_INCOMPLETE = _("还不能发布，缺少：%(items)s。")
MISSING_VIN = _("有效的车架号")
MISSING_PRICE = _("售价")
MISSING_PHOTOS = _("至少 %(min)s 张已处理的照片（现有 %(ready)s 张）")
MISSING_CONDITION = _("车况报告")
MISSING_IN_STOCK = _("在库状态（车辆已售出或已退库）")
STATE_CONFLICT = _("车辆信息当前状态为“%(state)s”，不能%(verb)s。")
VERB_PUBLISH = _("发布")
VERB_RESERVE = _("预订")
VERB_SELL = _("售出")
VERB_WITHDRAW = _("下架")
VERB_UNRESERVE = _("取消预订")
DEPOSIT_INVALID = _("订金应大于 0 且不超过售价。")

PHOTO_TOO_LARGE = _("照片不能超过 %(max_mb)s MB。")
PHOTO_ORDER_MISMATCH = _("排序应包含该车辆的全部照片，且每张一次。")
PHOTO_NOT_READY = _("照片处理完成后才能设为封面。")

VALUATION_NEEDS_NEW_PRICE = _("估价需要车型的新车指导价：请选择车型或填写新车价。")
VALUATION_NO_RULES = _("还没有估价规则，请在后台添加。")

INQUIRY_KIND_INVALID = _("请选择咨询或预约看车。")
INQUIRY_LISTING_CLOSED = _("该车辆已售出或下架，不能再咨询。")
VIEWING_NEEDS_TIME = _("请选择看车时间。")
VIEWING_TIME_INVALID = _("看车时间应在未来 60 天内。")
INQUIRY_NEEDS_MOBILE = _("请填写手机号。")
INQUIRY_NEEDS_NAME = _("请填写您的称呼。")
VISITOR_CODE_WRONG = _("验证码不正确。")
VISITOR_CODE_EXPIRED = _("验证码已失效（过期、已使用或错误次数过多），请重新获取。")
VALUATION_VEHICLE_TRADED = _("该车辆已置换入库。")

SHARE_NEEDS_STAFF = _("只有员工可以分享车辆（分享链接带员工的推荐码）。")
SHARE_NOT_PUBLIC = _("车辆信息发布后才能分享。")
SHARE_POSTER_HINT = _("长按识别二维码，查看车辆详情")
SHARE_POSTER_NO_PHOTO = _("暂无车辆照片")

"""Errors of the mall app and their messages (tests assert the constants)."""

from django.utils.translation import gettext_lazy as _

from accounts.exceptions import ApplicationError


class MallError(ApplicationError):
    pass


class MallForbidden(MallError):
    """Allowed to see it, not to change it (a manager and a group product)."""

    code = "forbidden"
    status_code = 403


NOT_ALLOWED = _("您没有权限管理该商品或专区。")
GROUP_PRODUCT_HQ_ONLY = _("集团商品只能由集团运营管理。")
STORE_NOT_YOURS = _("只能管理本门店的商品。")
SKU_NEEDS_PRICE = _("请至少填写现金价或积分价。")
SKU_NEEDS_ONE = _("商品至少需要一个规格。")
SKU_NOT_OF_PRODUCT = _("该规格不属于此商品。")
VOUCHER_NEEDS_TEMPLATE = _("服务券需要选择对应的券模板。")
DEPOSIT_AMOUNT = _("新车订金应为 %(min)s–%(max)s 元的现金价，不含积分。")
STORES_ONLY_FOR_GROUP = _("门店自有商品只在本门店销售，不能指定其他销售门店。")
GOODS_NEED_DELIVERY = _("实物商品至少要支持到店自提或快递配送之一。")
FEATURE_GROUP_ONLY = _("专区只能推荐在本店销售的集团商品。")
SKU_NEEDS_NAME = _("请填写规格名称。")
PRODUCT_NEEDS_NAME = _("请填写商品名称。")
KIND_UNKNOWN = _("未知的商品类型。")
SKU_VALUE_INVALID = _("请填写有效的数值。")

# --- orders (mall.services_orders) ------------------------------------------------------------
SOLD_OUT = _("商品已售罄。")
LIMIT_REACHED = _("已超过该商品的每人限购数量。")
INSUFFICIENT_POINTS = _("积分不足。")
NOT_SOLD_HERE = _("该商品不在此门店销售，或您的会员等级不可购买。")
ORDER_NEEDS_LINES = _("订单至少需要一件商品。")
ORDER_LINE_QUANTITY = _("购买数量应为 1–%(max)s。")
ORDER_POINTS_MISMATCH = _("积分数与商品的积分价不符：本单需使用 %(points)s 积分。")
ORDER_STORE_UNKNOWN = _("请选择有效的提货门店。")
STORE_UNKNOWN = _("没有这个门店，或它已停用。")
ORDER_DELIVERY_UNAVAILABLE = _("所选商品不支持该配送方式。")
ORDER_ADDRESS_REQUIRED = _("快递配送请填写收货人、电话和地址。")
FLASH_NOT_STARTED = _("秒杀尚未开始。")
FLASH_ENDED = _("秒杀已结束。")
FLASH_WINDOW = _("秒杀的结束时间应晚于开始时间。")
FLASH_SKU_TWICE = _("同一规格在一场秒杀中只能出现一次。")
ORDER_NOT_PENDING = _("只有待支付的订单可以执行此操作。")
ORDER_NOTHING_TO_PAY = _("该订单无需支付现金。")
ORDER_EXPIRED = _("订单已超时，请重新下单。")
ORDER_NOT_FULFILLABLE = _("只有已支付的订单可以核销提货。")
PICKUP_CODE_WRONG = _("提货码不正确。")
PICKUP_CODE_LOCKED = _("提货码错误次数过多，请 %(minutes)s 分钟后再试。")
PICKUP_NOT_FOUND = _("没有找到匹配的待提货订单，请核对提货码和手机号后四位（或订单号）。")
PICKUP_LOOKUP_NEEDS = _("请填写手机号后四位或订单号。")
ORDER_BUSY = _("订单正在处理中，请稍后再试。")


class OrderError(MallError):
    code = "invalid"

# --- refunds (mall.services_refunds) ----------------------------------------------------------
REFUND_NOT_ALLOWED = _("只有本门店店长或集团运营可以退款。")
REFUND_AMOUNT_INVALID = _("请填写有效的退款金额（元，最多两位小数）。")
REFUND_POINTS_INVALID = _("请填写有效的退回积分数。")
REFUND_NEEDS_REASON = _("请填写退款原因。")
REFUND_NOTHING = _("请填写退款金额或退回积分。")
REFUND_NOT_PAID = _("只有已支付的订单可以退款。")
REFUND_DEPOSIT_NOT_REFUNDABLE = _("该新车订金不可退，如需退款请联系集团运营。")
REFUND_TOO_MUCH_CASH = _("退款金额超过可退金额：最多还可退 %(left)s 元。")
REFUND_TOO_MUCH_POINTS = _("退回积分超过可退积分：最多还可退 %(left)s 积分。")

# --- referrals (mall.services_referrals) ------------------------------------------------------
SHARE_PRODUCT_INACTIVE = _("该商品已下架，不能分享。")
SHARE_PRODUCT_UNKNOWN = _("请选择您可以销售的商品。")
STATEMENT_MONTH_FUTURE = _("只能结算本月及以前的月份。")
STATEMENT_MONTH_INVALID = _("请选择有效的结算月份（如 2026-11）。")
COMMISSION_RULE_TARGET = _("提成规则请选择一个商品或一个分类（二选一）。")
COMMISSION_RULE_RATE = _("现金提成比例应为 0–100%，每千积分提成不能为负数。")
COMMISSION_RULE_TAKEN = _("该商品或分类已有提成规则，请直接修改。")
# --- member days (mall.services_member_days) --------------------------------------------------
MEMBER_DAY_DISCOUNT_RANGE = _("优惠比例（百分比）应在 0–50 之间。")
MEMBER_DAY_MULTIPLIER_RANGE = _("积分倍数应为 1–10。")
MEMBER_DAY_TAKEN = _("该日期已有同范围的会员日，请直接编辑它。")
MEMBER_DAY_PAST = _("会员日的日期已过，不能再创建或修改。")
MEMBER_DAY_NEEDS_BENEFIT = _("会员日至少要有一项等级折扣或大于 1 的积分倍数。")
MEMBER_DAY_NEEDS_PRODUCTS = _("有等级折扣时，请选择参与折扣的商品或分类。")
MEMBER_DAY_STORE_PRODUCTS = _("门店会员日只能选择本门店自有的商品。")
MEMBER_DAY_STORES_ONLY_FOR_GROUP = _("门店会员日只在本门店举行，不能指定其他参与门店。")
MEMBER_DAY_NEEDS_DATE = _("请填写有效的日期。")

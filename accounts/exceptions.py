"""Application errors: services raise these; the API turns them into
``{"code", "detail", "fields"}`` and the portal into form errors/messages."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class ApplicationError(Exception):
    code = "error"
    status_code = 400

    def __init__(self, message=None, *, code: str | None = None, fields: dict | None = None, status_code=None):
        self.message = message or _("请求无法处理。")
        if code:
            self.code = code
        if status_code:
            self.status_code = status_code
        self.fields = fields or {}
        super().__init__(str(self.message))


class ConflictError(ApplicationError):
    code = "conflict"
    status_code = 409


class NotFoundError(ApplicationError):
    code = "not_found"
    status_code = 404


class AccountsError(ApplicationError):
    pass


class WebhookSignatureError(ApplicationError):
    """A provider webhook without a valid, fresh signature (any app's)."""

    code = "invalid_signature"
    status_code = 401


VEHICLE_PLATE_TAKEN = _("该车牌已登记在其他车辆上。")
VEHICLE_VIN_TAKEN = _("该车架号已登记在其他车辆上。")
VEHICLE_NEEDS_ID = _("请至少填写车牌号或车架号。")
MEMBER_MOBILE_TAKEN = _("该手机号已是会员。")
ROLE_NEEDS_STORE = _("门店岗位必须指定所属门店。")
NOT_ALLOWED = _("您没有权限执行此操作。")
PASSWORD_CHANGE_REQUIRED = _("您的密码已被重置为临时密码，请先修改密码。")
REVEAL_LIMIT_REACHED = _("查看完整手机号过于频繁：每小时最多 %(limit)d 次，请稍后再试。")
WECHAT_CODE_INVALID = _("微信登录凭证无效或已过期，请重新登录。")
WECHAT_TICKET_INVALID = _("绑定凭证无效或已过期，请重新发起微信登录。")
WECHAT_OPENID_TAKEN = _("该微信已绑定其他会员。")
IDEMPOTENCY_IN_FLIGHT = _("相同的请求正在处理中，请稍后再试。")
IDEMPOTENCY_MISMATCH = _("该幂等键已用于另一个不同的请求。")
WEBHOOK_SIGNATURE_INVALID = _("回调签名无效或已过期。")
WEBHOOK_BODY_NOT_JSON = _("请求体不是有效的 JSON。")
WEBHOOK_BODY_NOT_OBJECT = _("请求体应为一个 JSON 对象。")

"""What a person reads for the codes the database keeps as plain strings.

A field with ``choices`` already has its label (``get_<field>_display``).  This
module covers the rest, so no page shows a code, a username or a Python dict:

- people: staff by name, owners by their member name, never a username
  (``person_name``; also allauth's ``ACCOUNT_USER_DISPLAY``);
- sources: a member's ``source_channel`` holds a lead channel code, a consent
  source or an import source (``source_label``);
- the audit log: action codes, object types and the keys and values of the
  ``data`` dict (``audit_action_label``, ``audit_object_label``, ``audit_data_items``).

Apps above ``accounts`` register their own labels from ``AppConfig.ready()``
(``register_source_labels``, ``register_audit_labels``); accounts never imports
them.  An unknown code reads as a generic label; pages put the code in a tooltip.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.apps import apps
from django.core.exceptions import ObjectDoesNotExist
from django.utils.formats import localize
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import ConsentSource, Member, Role
from accounts.validators import mask_mobile

# --- people ------------------------------------------------------------------------------------


def person_name(user) -> str:
    """Staff: their name (the username only when no name is on file).  An
    owner: the member's name, else the masked mobile; never the username,
    which is an internal id."""
    if user is None or not getattr(user, "pk", None):
        return ""
    full = f"{user.last_name}{user.first_name}".strip()
    if not getattr(user, "is_owner", False):
        return full or user.username
    try:
        member = user.member
    except ObjectDoesNotExist:  # an owner whose member is not made yet
        member = None
    if member is not None and member.name:
        return member.name
    mobile = (member.mobile if member is not None else None) or user.phone
    return full or (mask_mobile(mobile) if mobile else _("车主"))


def staff_name(username) -> str | None:
    """A staff username stored in audit or event data, as people read it (their name)."""
    if not isinstance(username, str) or not username:
        return None
    user = apps.get_model("accounts", "User").objects.filter(username=username).first()
    return person_name(user) if user is not None else None


def actor_label(user) -> str:
    """The actor of an audit row or an event: "车主 李娜" for an owner, the
    staff member's name, "系统" for a job."""
    if user is None:
        return _("系统")
    if getattr(user, "is_owner", False):
        return _("车主 %(name)s") % {"name": person_name(user)}
    return person_name(user)


# --- sources -----------------------------------------------------------------------------------

_SOURCE_RESOLVERS: list[Callable[[str], Any]] = []


def register_source_labels(resolver: Callable[[str], Any] | Mapping[str, Any]) -> None:
    """``resolver(code)`` returns a label or None; a mapping works too."""
    if isinstance(resolver, Mapping):
        mapping = resolver
        resolver = mapping.get
    if resolver not in _SOURCE_RESOLVERS:
        _SOURCE_RESOLVERS.append(resolver)


def source_label(code: str) -> str | None:
    """The label of a source / channel code, or None when nobody knows it."""
    if not code:
        return None
    for resolver in _SOURCE_RESOLVERS:
        label = resolver(code)
        if label:
            return str(label)
    return None


# --- the audit log -----------------------------------------------------------------------------

_ACTIONS: dict[str, Any] = {}
_FIELDS: dict[str, Any] = {}
_VALUES: dict[str, Callable[[Any], Any] | Mapping] = {}

UNKNOWN_ACTION = gettext_lazy("其他操作")


def register_audit_labels(
    *,
    actions: Mapping[str, Any] | None = None,
    fields: Mapping[str, Any] | None = None,
    values: Mapping[str, Callable[[Any], Any] | Mapping] | None = None,
) -> None:
    """Labels for audit rows.  ``actions``: action code → label.  ``fields``:
    data key → label.  ``values``: data key → a mapping or a function from the
    stored value to what a person reads.  A key may be scoped to one action as
    ``"<action>:<key>"`` (e.g. ``"leads.lead.stage_changed:to"``), which wins
    over the plain key."""
    _ACTIONS.update(actions or {})
    _FIELDS.update(fields or {})
    _VALUES.update(values or {})


def audit_actions() -> dict[str, str]:
    """Every registered action code with its label (for the filter)."""
    return {code: str(label) for code, label in _ACTIONS.items()}


def audit_action_label(action: str) -> str | None:
    """The label of an action code, or None when no app registered it."""
    label = _ACTIONS.get(action)
    return str(label) if label is not None else None


def audit_object_label(object_type: str) -> str:
    """``membership.pointsentry`` → the model's verbose name (积分流水)."""
    if not object_type:
        return ""
    try:
        return str(apps.get_model(object_type)._meta.verbose_name)
    except (LookupError, ValueError):
        return _("对象")


def object_ref(value) -> str | None:
    """An object's id in audit data, as people write it: ``#42``."""
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not (str(value).isascii() and str(value).isdigit()):
        return None
    return f"#{value}"


def audit_data_items(action: str, data: Any) -> list[tuple[str, str]]:
    """The audit row's data as (label, text) pairs a person can read."""
    if not isinstance(data, Mapping):
        return [("", _display(action, "", data))] if data not in (None, "", [], {}) else []
    return [(_field_label(action, key), _display(action, key, value)) for key, value in data.items()]


def _lookup(table: Mapping, action: str, key: str):
    return table.get(f"{action}:{key}", table.get(key))


def _field_label(action: str, key: str) -> str:
    label = _lookup(_FIELDS, action, key)
    return str(label) if label is not None else key


def _display(action: str, key: str, value: Any) -> str:
    mapper = _lookup(_VALUES, action, key) if key else None
    if mapper is not None and not isinstance(value, (list, dict)):
        shown = mapper.get(value) if isinstance(mapper, Mapping) else mapper(value)
        if shown not in (None, ""):
            return str(shown)
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, Mapping):
        parts = [f"{_field_label(action, k)} {_display(action, k, v)}" for k, v in value.items()
                 if v not in (None, "", [], {})]
        return "，".join(parts) or "—"
    if isinstance(value, (list, tuple)):
        return "、".join(_display(action, key, v) for v in value) or "—"
    return str(localize(value))


# --- accounts' own labels (registered from AccountsConfig.ready) -----------------------------


def register() -> None:
    register_source_labels(dict(ConsentSource.choices))
    member_fields = {f"accounts.member.notifications:{f.name}": f.verbose_name for f in Member._meta.fields}
    roles = dict(Role.choices)
    register_audit_labels(
        actions={
            "accounts.member.created": gettext_lazy("新建会员"),
            "accounts.member.created_bulk": gettext_lazy("批量新建会员"),
            "accounts.import.queued": gettext_lazy("提交导入任务"),
            "accounts.member.notifications": gettext_lazy("修改通知设置"),
            "accounts.member.mobile_revealed": gettext_lazy("查看完整手机号"),
            "accounts.member.exported": gettext_lazy("导出会员"),
            "accounts.api_client.created": gettext_lazy("创建接口凭证"),
            "accounts.api_client.revoked": gettext_lazy("吊销接口凭证"),
            "accounts.api_client.renamed": gettext_lazy("修改接口凭证名称"),
            "accounts.vehicle.added": gettext_lazy("添加车辆"),
            "accounts.vehicle.removed": gettext_lazy("移除车辆"),
            "accounts.catalogue.imported": gettext_lazy("导入车型库"),
            "accounts.user.role_changed": gettext_lazy("修改员工角色"),
            "accounts.user.off_duty": gettext_lazy("员工离岗"),
            "accounts.member.advisor_transferred": gettext_lazy("转交专属顾问的会员"),
            "accounts.user.phone_revealed": gettext_lazy("查看员工完整手机号"),
            "accounts.user.password_reset": gettext_lazy("重置员工密码"),
            "accounts.user.password_reset_by_sms": gettext_lazy("短信验证码重置密码"),
            "accounts.user.password_reset_code_sent": gettext_lazy("发送重置密码验证码"),
            "accounts.owner.abandoned_purged": gettext_lazy("清理未验证的车主账号"),
            "accounts.login.failure_burst": gettext_lazy("登录失败告警"),
            "accounts.password_reset.burst": gettext_lazy("重置密码告警"),
            "accounts.reveal.limit_reached": gettext_lazy("查看手机号次数超限"),
        },
        fields={
            **member_fields,
            "changed": gettext_lazy("变更"),
            "source": gettext_lazy("来源"),
            "rows": gettext_lazy("行数"),
            "filters": gettext_lazy("筛选条件"),
            "q": gettext_lazy("搜索"),
            "before": gettext_lazy("变更前"),
            "after": gettext_lazy("变更后"),
            "role": gettext_lazy("角色"),
            "store": gettext_lazy("门店"),
            "member": gettext_lazy("会员"),
            "member_id": gettext_lazy("会员"),
            "reason": gettext_lazy("原因"),
            "name": gettext_lazy("名称"),
            "code": gettext_lazy("编码"),
            "day": gettext_lazy("日期"),
            "accounts.password_reset.burst:kind": gettext_lazy("类型"),
            "accounts.password_reset.burst:identifiers": gettext_lazy("账号数"),
            "accounts.password_reset.burst:account": gettext_lazy("账号"),
            "accounts.password_reset.burst:user": gettext_lazy("员工"),
            "accounts.password_reset.burst:codes": gettext_lazy("今日验证码条数"),
            "alert_key": gettext_lazy("告警编号"),
            "accounts.member.advisor_transferred:from": gettext_lazy("原专属顾问"),
            "accounts.member.advisor_transferred:to": gettext_lazy("新专属顾问"),
            "accounts.member.advisor_transferred:members": gettext_lazy("会员数"),
            "deactivated": gettext_lazy("停用账号"),
        },
        values={
            "accounts.member.notifications:source": dict(ConsentSource.choices),
            "accounts.password_reset.burst:kind": {
                "ip": gettext_lazy("同一地址为多个账号申请"), "codes": gettext_lazy("验证码多次输错"),
                "daily_cap": gettext_lazy("当日验证码短信达上限"),
            },
            "role": roles,
            "member": object_ref,
            "member_id": object_ref,
            "accounts.member.advisor_transferred:from": staff_name,
            "accounts.member.advisor_transferred:to": staff_name,
        },
    )

"""What people read for leads' codes: channel codes wherever a source is shown,
and the leads actions of the audit log (registered from ``LeadsConfig.ready``;
see ``accounts.labels``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from accounts.labels import object_ref, person_name, register_audit_labels, register_source_labels, staff_name
from accounts.models import User
from leads.models import (
    TARGET_METRICS,
    AppointmentKind,
    CallStatus,
    CarStatus,
    Channel,
    ConsultantTarget,
    DefeatReason,
    DistributionMode,
    EventKind,
    PoolReason,
    PoolRule,
    ReactivationMode,
    ScoringConfig,
    Stage,
    TaskStatus,
)
from leads.models_showroom import Intent
from leads.portal.forms_reports import DIMENSION_CHOICES


def channel_name(code) -> str | None:
    """A lead channel's name by its code (汽车之家 for ``autohome``)."""
    if not isinstance(code, str) or not code:
        return None
    return Channel.objects.filter(code=code).values_list("name", flat=True).first()


def staff_name_by_id(pk) -> str | None:
    """A staff member's name by their id (the consultant of a target)."""
    if isinstance(pk, bool) or not isinstance(pk, int):
        return None
    return person_name(User.objects.filter(pk=pk).first()) or None


def register() -> None:
    register_source_labels(channel_name)
    stages = dict(Stage.choices)
    scoring = {f"leads.scoring_config.changed:{f.name}": f.verbose_name for f in ScoringConfig._meta.fields}
    weights = {f"leads.scoring_config.changed:{code}": label for code, label in EventKind.choices}
    pool_rule = {f"leads.pool.rule_changed:{f.name}": f.verbose_name for f in PoolRule._meta.fields}
    pool_reasons = dict(PoolReason.choices)
    register_audit_labels(
        actions={
            "leads.lead.created": _("新建线索"),
            "leads.lead.merged": _("重复留资并入线索"),
            "leads.lead.imported": _("批量导入线索"),
            "leads.lead.stage_changed": _("线索阶段变更"),
            "leads.task.closed": _("关闭跟进任务"),
            "leads.call.started": _("发起通话"),
            "leads.call.filed": _("通话结束"),
            "leads.call.report_confirmed": _("确认通话小结"),
            "leads.qr_code.created": _("创建渠道二维码"),
            "leads.reactivation.launched": _("发起战败激活"),
            "leads.scoring_config.changed": _("修改线索评分设置"),
            "leads.report.exported": _("导出线索报表"),
            "leads.target.set": _("设定顾问月度目标"),
            "leads.pool.taken_back": _("超时线索收回公海"),
            "leads.pool.confirmed": _("确认线索进入公海"),
            "leads.pool.rejected": _("线索不入公海"),
            "leads.pool.released": _("释放线索到公海"),
            "leads.pool.claimed": _("从公海领取线索"),
            "leads.pool.rule_changed": _("修改公海规则"),
            "leads.appointment.booked": _("预约到店/试驾"),
            "leads.appointment.moved": _("预约改期"),
            "leads.appointment.cancelled": _("取消预约"),
            "leads.appointment.checked_in": _("到店签到"),
            "leads.appointment.walk_in": _("登记自然到店"),
            "leads.appointment.completed": _("填写试驾反馈"),
            "leads.appointment.no_show": _("标记未到店"),
            "leads.test_drive_car.created": _("新增试驾车"),
            "leads.test_drive_car.changed": _("修改试驾车"),
            "leads.store_hours.changed": _("修改营业时间"),
            "leads.lead.allocated": _("按规则分配线索"),
            "leads.lead.assigned": _("分配线索"),
            "leads.lead.qualified_handoff": _("DCC 邀约后转交顾问"),
            "leads.staff.handed_over": _("离职交接"),
            "leads.distribution_rule.changed": _("修改线索分配规则"),
        },
        fields={
            **scoring, **weights, **pool_rule, **pool_reasons,
            "reasons": _("原因"),
            "leads.pool.released:reason": _("入公海原因"),
            "leads.pool.claimed:reason": _("入公海原因"),
            "channel": _("渠道"),
            "leads.lead.stage_changed:from": _("原阶段"),
            "leads.lead.stage_changed:to": _("新阶段"),
            "stage_from": _("原阶段"),
            "stage_to": _("新阶段"),
            "competitor": _("竞品"),
            "note": _("备注"),
            "status": _("状态"),
            "duration": _("时长（秒）"),
            "lead": _("线索"),
            "call": _("通话"),
            "next_task": _("下次跟进任务"),
            "created": _("新增"),
            "merged": _("合并"),
            "mode": _("方式"),
            "leads": _("线索数"),
            "dispatched": _("已派发"),
            "age_min_days": _("战败/沉默至少（天）"),
            "age_max_days": _("战败/沉默至多（天）"),
            "model": _("意向车型"),
            "message": _("短信内容"),
            "date_from": _("开始日期"),
            "date_to": _("结束日期"),
            "dimension": _("维度"),
            "leads.target.set:month": _("月份"),
            "leads.target.set:user": _("顾问"),
            **{f"leads.target.set:{metric}": ConsultantTarget._meta.get_field(metric).verbose_name
               for metric in TARGET_METRICS},
            "leads.appointment.booked:kind": _("类型"),
            "leads.appointment.booked:starts_at": _("开始时间"),
            "leads.appointment.moved:from": _("原时间"),
            "leads.appointment.moved:to": _("新时间"),
            "leads.appointment.completed:rating": _("评分"),
            "leads.appointment.completed:intent": _("购买意向"),
            "plate": _("车牌号"),
            "is_active": _("启用"),
            "hours": _("营业时间"),
            "to": _("新跟进人"),
            "from": _("原跟进人"),
            "tasks": _("任务数"),
            "members": _("会员数"),
            "skills": _("顾问专长"),
            "daily_cap": _("每人每日新线索上限"),
            "first_contact_hours": _("首次联系时限（小时）"),
            "use_skills": _("按品牌/车系专长分配"),
            "online_to_dcc": _("线上线索先分给 DCC"),
            "walkin_to_receiver": _("到店客户归接待顾问"),
        },
        values={
            "channel": channel_name,
            "leads.lead.stage_changed:from": stages,
            "leads.lead.stage_changed:to": stages,
            "stage_from": stages,
            "stage_to": stages,
            "leads.task.closed:status": dict(TaskStatus.choices),
            "leads.call.filed:status": dict(CallStatus.choices),
            "mode": {**dict(ReactivationMode.choices), **dict(DistributionMode.choices)},
            "lead": object_ref,
            "call": object_ref,
            **{f"{action}:{key}": staff_name for action in (
                "leads.lead.allocated", "leads.lead.assigned", "leads.lead.qualified_handoff", "leads.staff.handed_over",
            ) for key in ("to", "from")},
            "next_task": object_ref,
            "leads.report.exported:dimension": dict(DIMENSION_CHOICES),
            "leads.reactivation.launched:reason": {**dict(DefeatReason.choices), **stages},
            "leads.target.set:user": staff_name_by_id,
            "leads.pool.released:reason": pool_reasons,
            "leads.pool.claimed:reason": pool_reasons,
            "leads.appointment.booked:kind": dict(AppointmentKind.choices),
            "leads.appointment.completed:intent": dict(Intent.choices),
            "leads.test_drive_car.created:status": dict(CarStatus.choices),
            "leads.test_drive_car.changed:status": dict(CarStatus.choices),
        },
    )

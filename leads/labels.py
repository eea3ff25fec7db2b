"""What people read for leads' codes: channel codes wherever a source is shown,
and the leads actions of the audit log (registered from ``LeadsConfig.ready``;
see ``accounts.labels``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from accounts.labels import object_ref, register_audit_labels, register_source_labels, staff_name
from leads.models import CallStatus, Channel, DefeatReason, DistributionMode, EventKind, ReactivationMode, ScoringConfig, Stage, TaskStatus
from leads.portal.forms_reports import DIMENSION_CHOICES


def channel_name(code) -> str | None:
    """A lead channel's name by its code (汽车之家 for ``autohome``)."""
    if not isinstance(code, str) or not code:
        return None
    return Channel.objects.filter(code=code).values_list("name", flat=True).first()


def register() -> None:
    register_source_labels(channel_name)
    stages = dict(Stage.choices)
    scoring = {f"leads.scoring_config.changed:{f.name}": f.verbose_name for f in ScoringConfig._meta.fields}
    weights = {f"leads.scoring_config.changed:{code}": label for code, label in EventKind.choices}
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
            "leads.lead.allocated": _("按规则分配线索"),
            "leads.lead.assigned": _("分配线索"),
            "leads.lead.qualified_handoff": _("DCC 邀约后转交顾问"),
            "leads.staff.handed_over": _("离职交接"),
            "leads.distribution_rule.changed": _("修改线索分配规则"),
        },
        fields={
            **scoring, **weights,
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
        },
    )

"""Forms of the call screen: start a call, confirm the call report."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leads.models import Competitor, DefeatReason, Stage
from leads.services.stages import TRANSITIONS

NEXT_TASK_DUE_PAST = _("下次跟进时间必须晚于现在。")
START_NEEDS_TARGET = _("请选择要拨打的线索或会员。")


class CallStartForm(forms.Form):
    lead_id = forms.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    member_id = forms.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    task_id = forms.IntegerField(required=False, min_value=1, max_value=2**31 - 1)

    def clean(self):
        data = super().clean()
        if not data.get("lead_id") and not data.get("member_id") and not data.get("task_id"):
            raise forms.ValidationError(START_NEEDS_TARGET)
        return data


def default_next_task_due() -> dt.datetime:
    """Tomorrow 10:00 local time."""
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    return timezone.make_aware(dt.datetime.combine(tomorrow, dt.time(10, 0)))


class CallReportForm(forms.Form):
    summary = forms.CharField(label=_("通话小结"), required=False, max_length=4000,
                              widget=forms.Textarea(attrs={"rows": 4}))
    next_stage = forms.ChoiceField(label=_("下一阶段"), required=False)
    defeat_reason = forms.ChoiceField(label=_("战败原因"), required=False,
                                      choices=[("", "—"), *DefeatReason.choices])
    defeat_competitor = forms.ModelChoiceField(label=_("所购竞品"), required=False,
                                               queryset=Competitor.objects.filter(is_active=True))
    next_task_due = forms.DateTimeField(
        label=_("下次跟进时间"), required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    note = forms.CharField(label=_("备注"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, lead=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.lead = lead
        if lead is None:
            del self.fields["next_stage"], self.fields["defeat_reason"], self.fields["defeat_competitor"]
            return
        current = Stage(lead.stage)
        allowed = [Stage(s) for s in Stage.values if s in TRANSITIONS.get(lead.stage, ())]
        self.fields["next_stage"].choices = [
            ("", _("保持“%(stage)s”") % {"stage": current.label}),
            *[(s.value, s.label) for s in allowed],
        ]

    def clean_next_task_due(self):
        due = self.cleaned_data.get("next_task_due")
        if due is not None and due <= timezone.now():
            raise forms.ValidationError(NEXT_TASK_DUE_PAST)
        return due

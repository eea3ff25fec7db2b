"""Forms of the report and reactivation pages: they parse input only; the
figures and the launch live in leads.selectors.reports and
leads.services.reactivation."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.scoping import store_ids_for, stores_for
from leads.models import Channel, DefeatReason, ReactivationMode, Stage
from leads.selectors.reports import ReportFilters
from leads.services.reactivation import DEFAULT_MESSAGE

DIMENSION_CHOICES = [
    ("store", _("门店")), ("channel", _("渠道")), ("brand", _("品牌")), ("consultant", _("顾问")),
]
MAX_RANGE_DAYS = 366


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", attrs={"class": "form-control"}, **kwargs)


class ReportFilterForm(forms.Form):
    date_from = forms.DateField(label=_("开始日期"), widget=DateInput())
    date_to = forms.DateField(label=_("结束日期"), widget=DateInput())
    dimension = forms.ChoiceField(label=_("维度"), choices=DIMENSION_CHOICES, initial="store",
                                  widget=forms.Select(attrs={"class": "form-select"}))
    store = forms.ModelChoiceField(label=_("门店"), queryset=None, required=False, empty_label=_("全部门店"),
                                   widget=forms.Select(attrs={"class": "form-select"}))

    def __init__(self, data=None, *, actor, **kwargs):
        today = timezone.localdate()
        initial = {"date_from": today - dt.timedelta(days=29), "date_to": today, "dimension": "store"}
        if data is not None:
            data = {**{k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in initial.items()},
                    **{k: v for k, v in data.items() if v not in ("", None)}}
        super().__init__(data, initial=initial, **kwargs)
        self.fields["store"].queryset = stores_for(actor).order_by("code")
        if store_ids_for(actor) is not None:  # store staff: their store only, no filter to show
            del self.fields["store"]

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end:
            if start > end:
                raise forms.ValidationError(_("开始日期不能晚于结束日期。"))
            if (end - start).days >= MAX_RANGE_DAYS:
                raise forms.ValidationError(_("日期范围不能超过一年。"))
        return cleaned

    def report_filters(self) -> ReportFilters:
        data = self.cleaned_data
        return ReportFilters(date_from=data["date_from"], date_to=data["date_to"], store=data.get("store"))


REASON_CHOICES = [("", _("全部原因")), (Stage.SILENT.value, _("沉默（未接通）")), *DefeatReason.choices]


class ReactivationForm(forms.Form):
    store = forms.ModelChoiceField(label=_("门店"), queryset=None, required=False, empty_label=_("全部门店"),
                                   widget=forms.Select(attrs={"class": "form-select"}))
    age_min_days = forms.IntegerField(label=_("关闭至少（天）"), min_value=0, max_value=3650, required=False,
                                      widget=forms.NumberInput(attrs={"class": "form-control"}))
    age_max_days = forms.IntegerField(label=_("关闭至多（天）"), min_value=0, max_value=3650, required=False,
                                      widget=forms.NumberInput(attrs={"class": "form-control"}))
    model = forms.CharField(label=_("意向车型"), max_length=50, required=False,
                            widget=forms.TextInput(attrs={"class": "form-control"}))
    channel = forms.ModelChoiceField(label=_("渠道"), queryset=Channel.objects.filter(is_active=True),
                                     to_field_name="code", required=False, empty_label=_("全部渠道"),
                                     widget=forms.Select(attrs={"class": "form-select"}))
    reason = forms.ChoiceField(label=_("战败原因"), choices=REASON_CHOICES, required=False,
                               widget=forms.Select(attrs={"class": "form-select"}))
    mode = forms.ChoiceField(label=_("激活方式"), choices=ReactivationMode.choices, initial=ReactivationMode.CALL,
                             widget=forms.RadioSelect)
    message = forms.CharField(label=_("消息内容（培育方式）"), max_length=300, required=False, initial=DEFAULT_MESSAGE,
                              help_text=_("可用 {name}、{model}、{store}；仅发送给同意营销的会员，免打扰时段顺延。"),
                              widget=forms.Textarea(attrs={"class": "form-control", "rows": 2}))

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = stores_for(actor).order_by("code")
        if store_ids_for(actor) is not None:
            del self.fields["store"]

    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("age_min_days"), cleaned.get("age_max_days")
        if low is not None and high is not None and low > high:
            raise forms.ValidationError(_("“关闭至少”不能大于“关闭至多”。"))
        return cleaned

    def filters(self) -> dict:
        data = self.cleaned_data
        out = {
            "age_min_days": data.get("age_min_days"), "age_max_days": data.get("age_max_days"),
            "model": data.get("model") or "", "channel": data["channel"].code if data.get("channel") else "",
            "reason": data.get("reason") or "", "store": data["store"].pk if data.get("store") else None,
        }
        if data.get("mode") == ReactivationMode.NURTURE and data.get("message"):
            out["message"] = data["message"]
        return {k: v for k, v in out.items() if v not in (None, "")}

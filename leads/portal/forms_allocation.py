"""Portal forms of lead allocation: they parse input; the rules live in
``leads.services.allocation``."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Brand, CarSeries
from leads.models import DistributionRule
from leads.services.allocation import BULK_MAX


class _PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.display_name}（{obj.get_role_display()}）"


class DistributionRuleForm(forms.ModelForm):
    class Meta:
        model = DistributionRule
        fields = ["mode", "use_skills", "online_to_dcc", "walkin_to_receiver", "daily_cap", "first_contact_hours"]

    def clean_first_contact_hours(self):
        hours = self.cleaned_data["first_contact_hours"]
        if not 1 <= hours <= 720:
            raise forms.ValidationError(_("首次联系时限应在 1 到 720 小时之间。"))
        return hours


class SkillForm(forms.Form):
    user = _PersonChoiceField(label=_("顾问"), queryset=None)
    brand = forms.ModelChoiceField(label=_("品牌"), queryset=None, required=False, empty_label="—")
    series = forms.ModelChoiceField(label=_("车系"), queryset=None, required=False, empty_label="—")

    def __init__(self, *args, people, store, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = people
        brands = store.brands.all() if store.brands.exists() else Brand.objects.all()
        self.fields["brand"].queryset = brands.order_by("name")
        self.fields["series"].queryset = CarSeries.objects.filter(brand__in=brands).select_related("brand").order_by(
            "brand__name", "name")


class AssignForm(forms.Form):
    to = _PersonChoiceField(label=_("分配给"), queryset=None, empty_label=_("请选择"))
    reason = forms.CharField(label=_("原因"), max_length=200)

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].queryset = people


class BulkAssignForm(AssignForm):
    leads = forms.TypedMultipleChoiceField(label=_("线索"), coerce=int, choices=())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Any ids parse here; the view keeps only those the user may see.
        self.fields["leads"].choices = [(v, v) for v in self.data.getlist("leads")[:BULK_MAX]] if self.data else []


class HandoverForm(forms.Form):
    from_user = _PersonChoiceField(label=_("离职/调岗员工"), queryset=None, empty_label=_("请选择"))
    to_user = _PersonChoiceField(label=_("接手员工"), queryset=None, empty_label=_("请选择"))
    reason = forms.CharField(label=_("原因"), max_length=200, initial=_("离职交接"))
    deactivate = forms.BooleanField(label=_("同时停用其账号（不再接收新线索）"), required=False)

    def __init__(self, *args, from_people, to_people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from_user"].queryset = from_people
        self.fields["to_user"].queryset = to_people

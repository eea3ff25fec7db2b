from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.portal.imports import sheet_file_field
from membership.models import Lifecycle, RFMSegment, Tag


class TransactionImportForm(forms.Form):
    file = sheet_file_field(label=_("到店与消费文件"))


class TagAddForm(forms.Form):
    tag = forms.ModelChoiceField(label=_("标签"), queryset=Tag.objects.filter(is_rule=False))


class TagRemoveForm(forms.Form):
    tag = forms.ModelChoiceField(label=_("标签"), queryset=Tag.objects.filter(is_rule=False))


class AudienceFilterForm(forms.Form):
    tags = forms.ModelMultipleChoiceField(label=_("标签（全部满足）"), queryset=Tag.objects.all(), required=False,
                                          widget=forms.CheckboxSelectMultiple)
    lifecycle = forms.ChoiceField(label=_("生命周期"), choices=[("", _("全部")), *Lifecycle.choices], required=False)
    rfm_segment = forms.ChoiceField(label=_("RFM 分群"), choices=[("", _("全部")), *RFMSegment.choices], required=False)
    store = forms.ModelChoiceField(label=_("归属门店"), queryset=None, required=False)

    def __init__(self, *args, stores=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = stores

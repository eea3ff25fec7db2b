"""Mini-site forms of the used-car pages: an inquiry or viewing on a listing, a
valuation request for one's own vehicle."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from usedcars.models_inquiries import InquiryKind


class InquiryForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=[(InquiryKind.QUESTION, _("咨询这辆车")),
                                                      (InquiryKind.VIEWING, _("预约看车"))],
                             widget=forms.HiddenInput)
    message = forms.CharField(label=_("留言"), max_length=500, required=False,
                              widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}))
    preferred_time = forms.DateTimeField(label=_("看车时间"), required=False,
                                         widget=forms.DateTimeInput(attrs={"type": "datetime-local",
                                                                           "class": "form-control"}))


class ValuationRequestForm(forms.Form):
    vehicle = forms.TypedChoiceField(label=_("我的车辆"), coerce=int, widget=forms.Select(attrs={"class": "form-select"}))
    message = forms.CharField(label=_("留言"), max_length=500, required=False,
                              widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}))

    def __init__(self, *args, vehicles=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vehicle"].choices = [(v.pk, str(v)) for v in vehicles]

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


class VisitorInquiryForm(forms.Form):
    """A visitor who is not signed in: name, mobile, an SMS code.  The
    "获取验证码" button posts ``send_code``; "咨询这辆车" / "预约看车" post
    ``kind`` with everything else.  The mobile is validated by the service
    (the China mobile rule every form uses)."""

    kind = forms.ChoiceField(label=_("类型"), required=False,
                             choices=[(InquiryKind.QUESTION, _("咨询这辆车")), (InquiryKind.VIEWING, _("预约看车"))],
                             widget=forms.HiddenInput)
    name = forms.CharField(label=_("您的称呼"), max_length=64,
                           widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "name"}))
    mobile = forms.CharField(label=_("手机号"), max_length=20,
                             widget=forms.TextInput(attrs={"class": "form-control", "inputmode": "tel",
                                                           "autocomplete": "tel", "placeholder": "138 0000 0000"}))
    code = forms.CharField(label=_("短信验证码"), max_length=6, required=False,
                           widget=forms.TextInput(attrs={"class": "form-control", "inputmode": "numeric",
                                                         "autocomplete": "one-time-code"}))
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
